//! Items per file (issue 10 §3–4): `--split-bodies`, a 3MF's build items, each item's
//! analysis, estimate and price, the order total, and the readable and CSV forms.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pricing"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn doc(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

fn items(v: &serde_json::Value) -> &Vec<serde_json::Value> {
    v["items"].as_array().expect("items")
}

fn total(v: &serde_json::Value) -> f64 {
    v["total"].as_f64().expect("a total")
}

#[test]
fn without_the_flag_a_multi_body_stl_is_one_print() {
    let v = doc(&["quote", "--json", "fixtures/corpus/multibody.stl"]);
    assert_eq!(items(&v).len(), 1);
    let only = &items(&v)[0];
    assert_eq!(only["name"], "#1");
    assert_eq!(only["price"], v["price"], "the one item is the file");
    assert_eq!(only["estimate"], v["estimate"]);
    assert_eq!(only["analysis"], v["analysis"]);
}

#[test]
fn split_bodies_makes_each_body_an_item_with_its_own_price() {
    let whole = doc(&["analyze", "--json", "fixtures/corpus/multibody.stl"]);
    let shells = whole["shells"].as_u64().expect("shells");
    assert!(shells >= 2, "the fixture has several bodies");
    let v = doc(&[
        "quote",
        "--json",
        "--split-bodies",
        "fixtures/corpus/multibody.stl",
    ]);
    let it = items(&v);
    assert_eq!(it.len() as u64, shells);
    let volume: f64 = it
        .iter()
        .map(|i| i["analysis"]["volume_mm3"].as_f64().unwrap_or(0.0))
        .sum();
    let whole_volume = whole["volume_mm3"].as_f64().expect("volume");
    assert!(
        (volume - whole_volume).abs() < whole_volume * 1e-6,
        "{volume} vs {whole_volume}"
    );
    for (n, i) in it.iter().enumerate() {
        assert_eq!(i["name"], format!("#{}", n + 1));
        assert_eq!(i["quantity"], 1);
        assert_eq!(i["analysis"]["shells"], 1);
        assert_eq!(
            i["analysis"]["units"], whole["units"],
            "one unit for the file"
        );
        assert!(total(&i["price"]) > 0.0);
    }
    assert!(v["estimate"].is_null());
    // analyze and estimate split the same way.
    let a = doc(&[
        "analyze",
        "--json",
        "--split-bodies",
        "fixtures/corpus/multibody.stl",
    ]);
    assert_eq!(items(&a).len() as u64, shells);
    let e = doc(&[
        "estimate",
        "--json",
        "--split-bodies",
        "fixtures/corpus/multibody.stl",
    ]);
    assert_eq!(items(&e).len() as u64, shells);
    assert!(
        items(&e)
            .iter()
            .all(|i| i["estimate"]["layers"].as_u64().unwrap_or(0) > 0)
    );
}

#[test]
fn the_sum_of_a_multi_object_file() {
    // A file's total is at least the sum of its items' totals (the price book has no
    // order-level fee, so here exactly), and its lines still add up to its total.
    for args in [
        vec!["quote", "--json", "fixtures/3mf/several-objects.3mf"],
        vec![
            "quote",
            "--json",
            "fixtures/3mf/prusaslicer-two-objects.3mf",
        ],
        vec![
            "quote",
            "--json",
            "--quantity",
            "7",
            "fixtures/3mf/instances.3mf",
        ],
        vec![
            "quote",
            "--json",
            "--lead-time",
            "rush",
            "--split-bodies",
            "fixtures/corpus/multibody.stl",
        ],
    ] {
        let v = doc(&args);
        let sum: f64 = items(&v).iter().map(|i| total(&i["price"])).sum();
        let t = total(&v["price"]);
        assert!(t >= sum - 1e-9, "{args:?}: {t} < {sum}");
        assert!(
            (t - sum).abs() < 1e-6,
            "{args:?}: no order-level fee today: {t} vs {sum}"
        );
        let lines: f64 = v["price"]["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| l["amount"].as_f64().unwrap_or(0.0))
            .sum();
        assert!(
            (lines - t).abs() < 1e-6,
            "{args:?}: lines {lines} vs total {t}"
        );
        let parts: u64 = items(&v)
            .iter()
            .map(|i| i["quantity"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(v["price"]["quantity"].as_u64(), Some(parts), "{args:?}");
    }
}

#[test]
fn a_3mf_gives_its_objects_as_items_with_their_names() {
    let v = doc(&["quote", "--json", "fixtures/3mf/several-objects.3mf"]);
    let names: Vec<&str> = items(&v)
        .iter()
        .map(|i| i["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Plate", "Bracket", "Post"]);
    let volumes: Vec<f64> = items(&v)
        .iter()
        .map(|i| i["analysis"]["volume_mm3"].as_f64().unwrap_or(0.0))
        .collect();
    for (got, want) in volumes.iter().zip([1000.0, 1750.0, 1920.0]) {
        assert!((got - want).abs() < want * 0.005, "{got} vs {want}");
    }
    for i in items(&v) {
        assert_eq!(i["analysis"]["units"]["source"], "file");
    }
}

#[test]
fn instances_are_one_item_whose_quantity_multiplies_the_order() {
    let v = doc(&[
        "quote",
        "--json",
        "--quantity",
        "2",
        "fixtures/3mf/instances.3mf",
    ]);
    let first = &items(&v)[0];
    assert_eq!(first["name"], "Bracket");
    assert_eq!(first["quantity"], 6, "3 instances × 2 sets");
    assert_eq!(first["price"]["quantity"], 6);
    let a = doc(&["analyze", "--json", "fixtures/3mf/instances.3mf"]);
    assert_eq!(
        items(&a)[0]["quantity"],
        3,
        "analyze counts the instances in the file"
    );
}

#[test]
fn readable_output_has_one_breakdown_per_item_and_the_order_total() {
    let out = run(&["quote", "fixtures/3mf/several-objects.3mf"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for (n, name) in ["Plate", "Bracket", "Post"].iter().enumerate() {
        assert!(s.contains(&format!("item {}: {name} (1 ×)", n + 1)), "{s}");
    }
    assert_eq!(
        s.matches("total (1 × ").count(),
        3,
        "one breakdown per item: {s}"
    );
    let v = doc(&["quote", "--json", "fixtures/3mf/several-objects.3mf"]);
    let order_line = s
        .lines()
        .find(|l| l.contains("order total"))
        .expect("an order total line");
    assert!(
        order_line
            .trim_end()
            .ends_with(&format!("{:.2} EUR", total(&v["price"]))),
        "{order_line}"
    );
    // The batch table lists each item under its file.
    let out = run(&[
        "quote",
        "fixtures/3mf/several-objects.3mf",
        "fixtures/cube-20mm.stl",
    ]);
    let s = text(&out.stdout);
    assert!(s.contains("  1 × Bracket"), "{s}");
}

#[test]
fn csv_gives_one_row_per_item() {
    let out = run(&[
        "quote",
        "--csv",
        "fixtures/3mf/several-objects.3mf",
        "fixtures/cube-20mm.stl",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().expect("header").clone();
    let item = header
        .iter()
        .position(|h| h == "item")
        .expect("item column");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let items: Vec<&str> = rows.iter().map(|r| &r[item]).collect();
    assert_eq!(items, ["Plate", "Bracket", "Post", "#1"]);
}

#[test]
fn analyze_reports_each_item() {
    let out = run(&["analyze", "fixtures/3mf/several-objects.3mf"]);
    let s = text(&out.stdout);
    assert!(s.contains("items          3"), "{s}");
    assert!(s.contains("item 1 × Bracket"), "{s}");
}
