//! The JSON Schema of the quote: the committed `docs/quote.schema.json` is the one the
//! types derive (`pricing schema quote`), and real output validates against it (and the
//! analysis and estimate documents against theirs).

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pricing"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("runs")
}

fn schema(kind: &str) -> serde_json::Value {
    let out = run(&["schema", kind]);
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).expect("the schema is JSON")
}

#[test]
fn committed_schema_is_the_derived_one() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/quote.schema.json"
    ))
    .expect("docs/quote.schema.json is committed");
    let derived = String::from_utf8(run(&["schema", "quote"]).stdout).expect("utf-8");
    assert!(
        committed == derived,
        "docs/quote.schema.json is stale: regenerate it with `cargo run -q -- schema quote > docs/quote.schema.json`"
    );
}

/// Every JSON line of `args`' stdout, validated against `kind`'s schema.
fn validate(kind: &str, args: &[&str]) -> usize {
    let validator = jsonschema::validator_for(&schema(kind)).expect("a valid schema");
    let out = run(args);
    assert!(
        out.status.code() == Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut n = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        n += 1;
    }
    n
}

const FILES: [&str; 6] = [
    "fixtures/cube-20mm.stl",
    "fixtures/corpus/multibody.stl",
    "fixtures/3mf/several-objects.3mf",
    "fixtures/3mf/instances.3mf",
    "fixtures/3mf/prusaslicer-two-objects.3mf",
    "fixtures/3mf/units-inch.3mf",
];

#[test]
fn real_output_validates() {
    let mut quote = vec!["quote", "--json"];
    quote.extend(FILES);
    assert_eq!(validate("quote", &quote), FILES.len());
    let mut split = vec!["quote", "--json", "--split-bodies", "--machine", "fuse1"];
    split.extend(FILES);
    assert_eq!(validate("quote", &split), FILES.len());
    let resin = [
        "quote",
        "--json",
        "--material",
        "standard-resin",
        "fixtures/cube-20mm.stl",
    ];
    assert_eq!(validate("quote", &resin), 1);
    let mut analyze = vec!["analyze", "--json"];
    analyze.extend(FILES);
    assert_eq!(validate("analysis", &analyze), FILES.len());
    let mut estimate = vec!["estimate", "--json", "--split-bodies"];
    estimate.extend(FILES);
    assert_eq!(validate("estimate", &estimate), FILES.len());
}

#[test]
fn the_schema_rejects_what_is_not_a_quote() {
    // The check can fail: a quote without its items, or with a total that is text, is
    // not valid.
    let validator = jsonschema::validator_for(&schema("quote")).expect("a valid schema");
    let out = run(&["quote", "--json", "fixtures/cube-20mm.stl"]);
    let good: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(validator.is_valid(&good));
    let mut no_items = good.clone();
    no_items.as_object_mut().expect("object").remove("items");
    assert!(!validator.is_valid(&no_items));
    let mut text_total = good;
    text_total["price"]["total"] = serde_json::json!("18.46");
    assert!(!validator.is_valid(&text_total));
}
