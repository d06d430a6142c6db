//! `pricing analyze` end to end: output shape, units options, errors and exit codes.

mod common;

use common::{fixture, pricing};

fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn json_has_every_documented_field() {
    let out = pricing()
        .args(["analyze", "--json"])
        .arg(fixture("cube-20mm.stl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = &json_lines(&out.stdout)[0];
    for key in [
        "file",
        "format",
        "triangles",
        "vertices",
        "units",
        "bbox_mm",
        "volume_mm3",
        "area_mm2",
        "shells",
        "watertight",
        "open_edges",
        "non_manifold_edges",
        "degenerate_triangles",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    for key in ["detected", "scale_to_mm", "confidence"] {
        assert!(v["units"].get(key).is_some(), "missing units.{key}");
    }
    for key in ["min", "max", "size"] {
        assert!(v["bbox_mm"].get(key).is_some(), "missing bbox_mm.{key}");
    }
    assert_eq!(v["format"], "stl-binary");
    assert_eq!(v["triangles"], 12);
    assert_eq!(v["volume_mm3"], 8000.0);
    assert_eq!(v["watertight"], true);
}

#[test]
fn scale_and_units_give_millimetre_figures() {
    let cube = fixture("cube-20mm.stl");
    let run = |args: &[&str]| {
        let out = pricing()
            .args(["analyze", "--json"])
            .args(args)
            .arg(&cube)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        json_lines(&out.stdout).remove(0)
    };
    let inch = run(&["--units", "inch"]);
    assert_eq!(inch["units"]["scale_to_mm"], 25.4);
    let expected = 8000.0 * 25.4f64.powi(3);
    assert!((inch["volume_mm3"].as_f64().unwrap() - expected).abs() < expected * 1e-6);
    let half = run(&["--scale", "0.5"]);
    assert_eq!(half["volume_mm3"], 1000.0);
    assert_eq!(half["bbox_mm"]["size"][0], 10.0);
}

#[test]
fn inch_and_metre_files_are_detected_and_converted() {
    let out = pricing()
        .args(["analyze", "--json"])
        .arg(fixture("corpus/ADIS16480.STL"))
        .arg(fixture("corpus/angle_block.STL"))
        .output()
        .unwrap();
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["units"]["detected"], "m");
    assert_eq!(lines[1]["units"]["detected"], "inch");
    assert!(
        lines[1]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "units_converted")
    );
}

#[test]
fn an_unreadable_file_exits_3_with_a_json_error_and_the_others_still_print() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.stl");
    let mut bytes = std::fs::read(fixture("cube-20mm.stl")).unwrap();
    bytes.truncate(200);
    std::fs::write(&broken, bytes).unwrap();
    let out = pricing()
        .args(["analyze", "--json"])
        .arg(&broken)
        .arg(fixture("cube-20mm.stl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["error"]["code"], "truncated");
    assert!(
        lines[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("declares 12 triangles")
    );
    assert_eq!(lines[1]["triangles"], 12);
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.stl"));
}

#[test]
fn a_missing_file_is_exit_3_and_says_so() {
    let out = pricing()
        .args(["analyze", "/nonexistent/part.stl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["analyze"][..],
        &["analyze", "--units", "furlong", "x.stl"],
        &["analyze", "--scale", "-1", "x.stl"],
        &["analyze", "--scale", "2", "--units", "mm", "x.stl"],
    ] {
        let out = pricing().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn the_table_reads_like_a_report() {
    let out = pricing()
        .arg("analyze")
        .arg(fixture("corpus/teapot.stl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("NOT watertight"), "{text}");
    assert!(text.contains("warning[open_edges]: "), "{text}");
}

#[test]
fn a_directory_is_searched_for_meshes_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("orders/17");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::copy(fixture("cube-20mm.stl"), dir.path().join("b.STL")).unwrap();
    std::fs::copy(fixture("corpus/capsule.obj"), nested.join("a.obj")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a mesh").unwrap();
    // A link back up the tree must not be walked (it would never end).
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), nested.join("loop")).unwrap();
    let out = pricing()
        .args(["analyze", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines = json_lines(&out.stdout);
    let files: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].ends_with("b.STL"), "{files:?}");
    assert!(files[1].ends_with("orders/17/a.obj"), "{files:?}");
    assert_eq!(lines[0]["triangles"], 12);
    assert_eq!(lines[1]["format"], "obj");
    assert!(String::from_utf8_lossy(&out.stderr).contains("analysed 2 of 2 files"));
}

#[test]
fn a_directory_without_meshes_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("readme.txt"), "no meshes here").unwrap();
    let out = pricing().arg("analyze").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no mesh files"));
}

#[test]
fn the_table_says_what_was_repaired() {
    let out = pricing()
        .arg("analyze")
        .arg(fixture("corpus/capsule.obj"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("repaired       200 degenerate triangles dropped"),
        "{text}"
    );
}

/// The README's first command prints this table; it changes only on purpose.
#[test]
fn cli_analyze_cube_table() {
    let out = pricing()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["analyze", "fixtures/cube-20mm.stl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("cli_analyze_cube", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn size_limits_can_be_lowered_and_raised_from_the_command_line() {
    let out = pricing()
        .args(["analyze", "--json", "--max-triangles", "11"])
        .arg(fixture("cube-20mm.stl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        json_lines(&out.stdout)[0]["error"]["code"],
        "too_many_triangles"
    );
    let out = pricing()
        .args([
            "analyze",
            "--json",
            "--max-triangles",
            "12",
            "--max-file-mib",
            "1",
        ])
        .arg(fixture("cube-20mm.stl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = pricing()
        .args(["analyze", "--max-file-mib", "0"])
        .arg(fixture("cube-20mm.stl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
