//! `pricing quote` and `pricing price-book` end to end: exit codes, error rows, the JSON
//! contract shared with the worker, price book errors and fit errors.

mod common;

use pricing_core::mesh::ReadLimits;
use pricing_core::price::{PriceBook, QuoteRequest, Quoter, quote_bytes};

use common::{output as pricing, root, text};

#[test]
fn quote_cube_with_embedded_book() {
    let out = pricing(&["quote", "fixtures/cube-20mm.stl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("PLA on mk4 (fdm)"), "{s}");
    assert!(s.contains("total (1 × "), "{s}");
    assert!(s.contains("EUR"), "{s}");
}

#[test]
fn json_is_the_document_the_worker_returns() {
    let out = pricing(&[
        "quote",
        "--json",
        "--quantity",
        "3",
        "--material",
        "PLA",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    let request: QuoteRequest =
        serde_json::from_str(r#"{"quantity":3,"material":"PLA"}"#).expect("request");
    let bytes = std::fs::read(root().join("fixtures/cube-20mm.stl")).expect("cube");
    let doc = quote_bytes(
        &Quoter::new(PriceBook::embedded()),
        "fixtures/cube-20mm.stl",
        &bytes,
        &request,
        &ReadLimits::default(),
    )
    .expect("quote");
    assert_eq!(cli, serde_json::to_value(&doc).expect("json"));
    for key in ["file", "analysis", "estimate", "price"] {
        assert!(cli.get(key).is_some(), "{key} missing");
    }
}

#[test]
fn request_json_rejects_garbage() {
    for bad in [
        r#"{"qty": 3}"#,
        r#"{"lead_time": "soon"}"#,
        r#"{"quantity": -1}"#,
        r#"{"supports": "yes"}"#,
    ] {
        assert!(
            serde_json::from_str::<QuoteRequest>(bad).is_err(),
            "{bad} was accepted"
        );
    }
    let r: QuoteRequest = serde_json::from_str("{}").expect("empty request");
    assert_eq!(r.quantity, 1);
    assert!(r.supports);
    let zero: QuoteRequest = serde_json::from_str(r#"{"quantity": 0}"#).expect("parses");
    assert_eq!(
        zero.validate().map_err(|e| e.code()),
        Err("invalid_request")
    );
}

#[test]
fn broken_price_book_lists_every_error_and_exits_2() {
    let out = pricing(&["price-book", "check", "fixtures/price-books/broken.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for path in [
        "colour: unknown key",
        "currency: expected a 3-letter",
        "margin: must be ≥ 0, got -0.1",
        "rounding: must be > 0",
        "fees.setup_per_line: expected a number",
        "fees.handling_per_part: must be ≥ 0",
        "quantity_tiers[1].min_quantity",
        "quantity_tiers[1].discount",
        "lead_times.express.surcharge",
        "lead_times.express.days",
        "lead_times.rush: missing",
        "machines.mk4.hourly_rate: must be ≥ 0, got -3",
        "machines.mk4.build_volume: expected [x, y, z]",
        "machines.sl1s.technology",
        "machines.fuse1.profile.packing_density",
        "machines.fuse1.profile.scan_rate",
        "materials.PLA.density",
        "materials.PLA.price_per_kg",
        "materials.PLA.machines[0]: unknown machine \"mk5\"",
        "materials.PLA.machines[1]: machine \"fuse1\" prints sls but PLA is a fdm material",
        "materials.PA12: both price_per_kg and price_per_litre",
        "default_material: unknown material \"ABS\"",
    ] {
        assert!(err.contains(path), "`{path}` missing from:\n{err}");
    }
    // The same book given to `quote` is a usage error too.
    let out = pricing(&[
        "quote",
        "--price-book",
        "fixtures/price-books/broken.toml",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("machines.mk4.hourly_rate"));
}

#[test]
fn malformed_toml_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, "currency = \"EUR\"\n[fees\n").expect("write");
    let out = pricing(&["price-book", "check", p.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn example_price_book_checks_and_prices() {
    let out = pricing(&["price-book", "check", "fixtures/price-books/example.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = pricing(&[
        "quote",
        "--json",
        "--price-book",
        "fixtures/price-books/example.toml",
        "--material",
        "PLA-XL",
        "fixtures/corpus/plate_holes.STL",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["price"]["currency"], "USD");
    assert_eq!(v["price"]["machine"], "xl");
}

#[test]
fn embedded_book_shows_and_checks() {
    let out = pricing(&["price-book", "show"]);
    assert_eq!(out.status.code(), Some(0));
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("book.toml");
    std::fs::write(&p, &out.stdout).expect("write");
    let out = pricing(&["price-book", "check", p.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn part_too_large_for_every_machine_names_the_sizes() {
    // A 20 mm cube scaled ×20 is 400 mm: larger than every machine of the default book.
    for material in ["PLA", "standard-resin", "PA12"] {
        let out = pricing(&[
            "quote",
            "--json",
            "--scale",
            "20",
            "--material",
            material,
            "fixtures/cube-20mm.stl",
        ]);
        assert_eq!(out.status.code(), Some(3));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("error row");
        assert_eq!(v["error"]["code"], "does_not_fit");
        let msg = v["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("400.0 × 400.0 × 400.0 mm"), "{msg}");
        assert!(msg.contains(material), "{msg}");
        let machine = match material {
            "PLA" => "mk4 is 250.0 × 210.0 × 220.0 mm",
            "standard-resin" => "sl1s is 127.0 × 80.0 × 150.0 mm",
            _ => "fuse1 is 165.0 × 165.0 × 300.0 mm",
        };
        assert!(msg.contains(machine), "{msg}");
    }
}

#[test]
fn long_part_is_rotated_to_fit() {
    // round.stl ×4 is a 244 mm rod standing up: taller than mk4's 220 mm, so it is laid
    // down, and the estimate is made lying (about 20 mm of layers, not 244).
    let out = pricing(&[
        "quote",
        "--json",
        "--material",
        "PLA",
        "--scale",
        "4",
        "fixtures/corpus/round.stl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_ne!(v["price"]["orientation"], "x,y,z");
    assert_eq!(v["price"]["warnings"][0]["code"], "rotated_to_fit");
    assert!(v["estimate"]["layers"].as_u64().unwrap_or(0) < 200);
}

#[test]
fn batch_goes_on_after_a_failed_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        root().join("fixtures/cube-20mm.stl"),
        dir.path().join("a-cube.stl"),
    )
    .expect("copy");
    std::fs::write(
        dir.path().join("b-broken.stl"),
        b"solid x\nfacet normal oops\n",
    )
    .expect("write");
    std::fs::copy(
        root().join("fixtures/corpus/multibody.stl"),
        dir.path().join("c-multibody.stl"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("notes.txt"), "not a mesh").expect("write");
    let d = dir.path().to_str().expect("utf-8");

    let out = pricing(&["quote", "--json", d]);
    assert_eq!(out.status.code(), Some(3), "one file failed");
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(
        rows.len(),
        3,
        "notes.txt is skipped, the others all get a row"
    );
    assert!(rows[0]["price"]["total"].as_f64().unwrap_or(0.0) > 0.0);
    assert!(rows[1]["error"]["code"].is_string());
    assert!(
        rows[1]["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("b-broken.stl")
    );
    assert!(rows[2]["price"].is_object());
    assert!(text(&out.stderr).contains("priced 2 of 3 files"));

    let out = pricing(&["quote", "--csv", d]);
    assert_eq!(out.status.code(), Some(3));
    let csv = text(&out.stdout);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(
        csv.lines()
            .next()
            .unwrap_or_default()
            .starts_with("file,item,quantity,material,machine")
    );

    let out = pricing(&["quote", d]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stdout).contains("priced 2 of 3 files"));
}

#[test]
fn every_priced_file_exits_0() {
    let out = pricing(&[
        "quote",
        "fixtures/cube-20mm.stl",
        "fixtures/corpus/multibody.stl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn compare_lists_every_material_that_fits() {
    let out = pricing(&["quote", "--compare", "--json", "fixtures/cube-20mm.stl"]);
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let mut materials: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["price"]["material"].as_str())
        .collect();
    materials.sort();
    assert_eq!(
        materials,
        ["PA12", "PETG", "PLA", "standard-resin", "tough-resin"]
    );
    let totals: Vec<f64> = rows
        .iter()
        .filter_map(|r| r["price"]["total"].as_f64())
        .collect();
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "cheapest first");
    let out = pricing(&[
        "quote",
        "--compare",
        "fixtures/cube-20mm.stl",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unknown_material_and_machine_are_usage_errors() {
    let out = pricing(&["quote", "--material", "gold", "fixtures/cube-20mm.stl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("PLA"),
        "lists the known materials"
    );
    let out = pricing(&["quote", "--machine", "mk5", "fixtures/cube-20mm.stl"]);
    assert_eq!(out.status.code(), Some(2));
    let out = pricing(&[
        "quote",
        "--json",
        "--machine",
        "sl1s",
        "--material",
        "PLA",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["error"]["code"], "machine_not_allowed");
}

#[test]
fn machine_alone_picks_a_material_it_prints() {
    let out = pricing(&[
        "quote",
        "--json",
        "--machine",
        "fuse1",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["price"]["material"], "PA12");
    assert!(v["estimate"]["occupied_mm3"].as_f64().unwrap_or(0.0) > 8000.0);
}

#[test]
fn readable_output_of_the_first_readme_command() {
    let out = pricing(&["quote", "fixtures/cube-20mm.stl"]);
    assert_eq!(out.status.code(), Some(0));
    // The elapsed time is the only thing that changes between runs.
    let s: String = text(&out.stdout)
        .lines()
        .map(|l| match l.find("· quoted in") {
            Some(i) => format!("{}· quoted in [elapsed]\n", &l[..i]),
            None => format!("{l}\n"),
        })
        .collect();
    let s = s.replace(
        &PriceBook::embedded().pricing_version(),
        "[pricing_version]",
    );
    insta::assert_snapshot!("cli_quote_cube", s);
}

#[test]
fn quote_takes_supports_from_the_profile_unless_the_flag_is_given() {
    let sphere = common::corpus_dir().join("unit_sphere.STL");
    let sphere = sphere.to_str().expect("UTF-8 path");
    let quote = |extra: &[&str]| {
        let mut args = vec![
            "quote",
            "--json",
            "--scale",
            "20",
            "--set",
            "support_material=0",
        ];
        args.extend_from_slice(extra);
        args.push(sphere);
        let out = pricing(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        (text(&out.stdout), text(&out.stderr))
    };
    let (from_profile, err) = quote(&[]);
    assert!(!err.contains("supports_override"), "{err}");
    let (off, _) = quote(&["--supports", "off"]);
    assert_eq!(
        from_profile, off,
        "the profile's support_material = 0 means supports off"
    );
    let (on, err) = quote(&["--supports", "on"]);
    assert_ne!(on, off);
    assert!(err.contains("supports_override"), "{err}");
}

/// A resin `.ini` given to `quote` goes on the book's resin machines, and a profile no
/// machine of the quoted material takes is an error, not a quote from the book's own
/// profile.
#[test]
fn a_profile_goes_on_the_machines_of_its_kind() {
    let cube = "fixtures/cube-20mm.stl";
    let resin = "fixtures/sla/sl1s-0.05.ini";
    let fdm = "fixtures/profiles/reference-full-prusaslicer-2.5.ini";
    let quote = |extra: &[&str]| {
        let mut args = vec!["quote", "--json", cube];
        args.extend_from_slice(extra);
        pricing(&args)
    };
    // The resin profile prices the resin part on sl1s, and the fast profile changes it.
    let out = quote(&["--profile", resin, "--material", "standard-resin"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["price"]["technology"], "sla", "{v}");
    assert!(text(&out.stderr).contains("warning[profile_override]: sl1s"));
    let fast = quote(&[
        "--profile",
        "fixtures/sla/fast-0.1.ini",
        "--material",
        "standard-resin",
    ]);
    assert_eq!(fast.status.code(), Some(0), "{}", text(&fast.stderr));
    let w: serde_json::Value = serde_json::from_slice(&fast.stdout).expect("JSON");
    let layers = |v: &serde_json::Value| v["items"][0]["estimate"]["layers"].as_u64();
    assert!(layers(&w) < layers(&v), "{w}\n{v}");
    // The default material (PLA) prints on no resin machine: said, with what would.
    let out = quote(&["--profile", resin]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("resin (SLA) profile") && err.contains("standard-resin"),
        "{err}"
    );
    // The same the other way round.
    let out = quote(&["--profile", fdm, "--material", "standard-resin"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("FDM profile"),
        "{}",
        text(&out.stderr)
    );
    // --set takes FDM keys only.
    let out = quote(&["--profile", resin, "--set", "layer_height=0.1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--set and --preset take FDM keys"));
}
