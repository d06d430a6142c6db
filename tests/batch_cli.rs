//! Batches and the small mistakes of issue 13: `estimate` on folders and several files,
//! streaming, CSV through the csv crate, unreadable folders, `-0.00`, the units and limit
//! messages, `quote --profile/--preset/--set`, per-file machine errors.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{output as run, pricing, root, text};

fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn copy(from: &str, to: &Path) {
    std::fs::copy(root().join(from), to).expect("copy");
}

#[test]
fn estimate_prices_every_mesh_of_a_folder_and_several_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy("fixtures/cube-20mm.stl", &dir.path().join("a.stl"));
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    copy("fixtures/corpus/capsule.obj", &dir.path().join("sub/b.obj"));
    copy(
        "fixtures/3mf/several-objects.3mf",
        &dir.path().join("c.3mf"),
    );
    let d = dir.path().to_str().expect("utf-8");
    let out = run(&["estimate", "--json", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = json_lines(&out.stdout);
    let files: Vec<&str> = rows
        .iter()
        .map(|r| r["file"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(
        files[0].ends_with("a.stl") && files[1].ends_with("c.3mf"),
        "{files:?}"
    );
    assert!(files[2].ends_with("sub/b.obj"), "{files:?}");
    assert_eq!(rows[0]["estimate"]["layers"], 100, "a 20 mm cube at 0.2 mm");
    assert!(
        rows[1]["estimate"].is_null(),
        "several items: each has its own"
    );
    for item in rows[1]["items"].as_array().expect("items") {
        assert!(item["estimate"]["print_time_s"].as_f64().unwrap_or(0.0) > 0.0);
    }
    assert!(text(&out.stderr).contains("estimated 3 of 3 files"));

    let out = run(&[
        "estimate",
        "fixtures/cube-20mm.stl",
        "fixtures/corpus/capsule.obj",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(
        s.contains("fixtures/cube-20mm.stl\n") && s.contains("fixtures/corpus/capsule.obj\n"),
        "{s}"
    );
}

#[test]
fn a_file_named_with_a_comma_gets_a_quoted_csv_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let odd = dir.path().join("a,b.stl");
    copy("fixtures/cube-20mm.stl", &odd);
    let quoted = dir.path().join("say \"hi\".stl");
    copy("fixtures/cube-20mm.stl", &quoted);
    let out = pricing()
        .args(["quote", "--csv"])
        .arg(&odd)
        .arg(&quoted)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], odd.to_str().expect("utf-8"));
    assert_eq!(&rows[1][0], quoted.to_str().expect("utf-8"));
    assert_eq!(rows[0].len(), header.len(), "every row has every column");
    let raw = text(&out.stdout);
    assert!(raw.contains(&format!("\"{}\"", odd.display())), "{raw}");
}

#[test]
fn csv_has_units_and_warnings_columns() {
    let out = run(&[
        "quote",
        "--csv",
        "--units",
        "cm",
        "fixtures/corpus/multibody.stl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column"))
    };
    let row = reader.records().next().expect("a row").expect("csv");
    assert!(!row[col("units")].is_empty(), "what the geometry suggests");
    assert_eq!(&row[col("scale_to_mm")], "10");
    assert_eq!(&row[col("units_source")], "units");
    assert!(row[col("warnings")].contains("multiple_bodies"), "{row:?}");
}

#[test]
fn an_unreadable_folder_is_one_failed_entry_not_the_end_of_the_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy("fixtures/cube-20mm.stl", &dir.path().join("a.stl"));
    // A folder nested past PATH_MAX cannot be listed, whoever runs the test (root reads
    // through any permission bits).
    std::fs::create_dir(dir.path().join("zz")).expect("mkdir");
    let made = Command::new("sh")
        .arg("-c")
        .arg(r#"cd "$1" && n=$(printf 'n%.0s' $(seq 200)) && for i in $(seq 24); do mkdir "$n" || exit 1; cd "$n" || exit 0; done"#)
        .arg("sh")
        .arg(dir.path().join("zz"))
        .status()
        .expect("sh runs");
    assert!(made.success());
    let d = dir.path().to_str().expect("utf-8");
    let out = run(&["quote", "--json", d]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let rows = json_lines(&out.stdout);
    assert!(
        rows[0]["price"]["total"].as_f64().unwrap_or(0.0) > 0.0,
        "a.stl is priced"
    );
    let failed: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(failed.len(), 1, "{rows:?}");
    assert_eq!(failed[0]["error"]["code"], "unreadable_folder");
    assert!(
        text(&out.stderr).contains("priced 1 of 2 files"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_batch_where_nothing_is_priced_totals_zero_not_minus_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.stl"), b"solid x\nfacet normal oops\n").expect("write");
    std::fs::write(dir.path().join("b.stl"), b"solid y\nfacet normal oops\n").expect("write");
    let out = run(&["quote", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(3));
    let s = text(&out.stdout);
    assert!(s.contains("total 0.00 EUR"), "{s}");
    assert!(!s.contains("-0.00"), "{s}");
}

#[test]
fn given_units_are_reported_as_given() {
    let out = run(&["analyze", "--units", "cm", "fixtures/cube-20mm.stl"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(s.contains("cm given by --units, ×10 to mm [units]"), "{s}");
    assert!(!s.contains("mm detected"), "{s}");
    let out = run(&["analyze", "--scale", "2", "fixtures/cube-20mm.stl"]);
    assert!(text(&out.stdout).contains("×2 to mm given by --scale [scale]"));
    let out = run(&["analyze", "fixtures/3mf/units-inch.3mf"]);
    assert!(
        text(&out.stdout).contains("inch declared by the file, ×25.4 to mm [file]"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn limit_errors_name_the_flag_that_raises_them() {
    for cmd in ["analyze", "estimate", "quote"] {
        let out = run(&[cmd, "--max-triangles", "5", "fixtures/cube-20mm.stl"]);
        assert_eq!(out.status.code(), Some(3), "{cmd}");
        assert!(
            text(&out.stderr).contains("--max-triangles"),
            "{cmd}: {}",
            text(&out.stderr)
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.stl");
    let mut bytes = std::fs::read(root().join("fixtures/cube-20mm.stl")).expect("read");
    bytes.resize(2 << 20, b' ');
    std::fs::write(&big, bytes).expect("write");
    let out = pricing()
        .args(["analyze", "--max-file-mib", "1"])
        .arg(&big)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("--max-file-mib"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_machine_that_does_not_print_the_material_is_the_files_failure() {
    let out = run(&[
        "quote",
        "--material",
        "PLA",
        "--machine",
        "sl1s",
        "fixtures/cube-20mm.stl",
        "fixtures/corpus/capsule.obj",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a per-file failure, not a usage error"
    );
    let err = text(&out.stderr);
    assert_eq!(err.matches("error: ").count(), 2, "{err}");
    assert!(err.contains("does not print PLA"), "{err}");
}

#[test]
fn quote_takes_a_profile_presets_and_overrides() {
    let layers = |out: &Output| -> u64 {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
        v["estimate"]["layers"].as_u64().unwrap_or(0)
    };
    let plain = run(&["quote", "--json", "fixtures/cube-20mm.stl"]);
    assert_eq!(layers(&plain), 100);
    let set = run(&[
        "quote",
        "--json",
        "--set",
        "layer_height=0.25",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(set.status.code(), Some(0), "{}", text(&set.stderr));
    // 0.2 mm first layer, then 0.25 mm layers: 1 + 19.8 / 0.25, rounded up.
    assert_eq!(layers(&set), 81);
    assert!(
        text(&set.stderr).contains("warning[profile_override]"),
        "{}",
        text(&set.stderr)
    );

    let full = run(&[
        "quote",
        "--json",
        "--profile",
        "fixtures/profiles/reference-full-prusaslicer-2.5.ini",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(full.status.code(), Some(0), "{}", text(&full.stderr));
    assert_eq!(layers(&full), 100);

    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle.ini");
    std::fs::write(&bundle, "[printer:Big]\nnozzle_diameter = 0.6\n[print:Draft]\nlayer_height = 0.4\n[print:Fine]\nlayer_height = 0.1\n").expect("write");
    let b = bundle.to_str().expect("utf-8");
    let draft = run(&[
        "quote",
        "--json",
        "--profile",
        b,
        "--preset",
        "printer:Big",
        "--preset",
        "print:Draft",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(draft.status.code(), Some(0), "{}", text(&draft.stderr));
    assert_eq!(layers(&draft), 51, "1 + 19.8 / 0.4, rounded up");
    let est = run(&[
        "estimate",
        "--json",
        "--profile",
        b,
        "--preset",
        "printer:Big",
        "--preset",
        "print:Fine",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(
        layers(&est),
        199,
        "estimate takes the same flags: 1 + 19.8 / 0.1"
    );
    // A bundle without its presets chosen, or a key PrusaSlicer does not have, is a
    // usage error that says what to do.
    let unchosen = run(&["quote", "--profile", b, "fixtures/cube-20mm.stl"]);
    assert_eq!(unchosen.status.code(), Some(2));
    assert!(
        text(&unchosen.stderr).contains("print: "),
        "{}",
        text(&unchosen.stderr)
    );
    let typo = run(&[
        "quote",
        "--set",
        "layer_heigth=0.3",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo.stderr).contains("layer_height"),
        "{}",
        text(&typo.stderr)
    );
    // A resin machine has no FDM profile to replace.
    let resin = run(&[
        "quote",
        "--machine",
        "sl1s",
        "--set",
        "layer_height=0.3",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(resin.status.code(), Some(2));
}

#[test]
fn json_batches_stream_in_the_order_given() {
    let files = [
        "fixtures/corpus/capsule.obj",
        "fixtures/cube-20mm.stl",
        "fixtures/corpus/multibody.stl",
    ];
    let out = run(&["quote", "--json", files[0], files[1], files[2]]);
    assert_eq!(out.status.code(), Some(0));
    let rows = json_lines(&out.stdout);
    let got: Vec<&str> = rows
        .iter()
        .map(|r| r["file"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(got, files);
}
