//! Resin estimate against PrusaSlicer 2.5's `--export-sla` on the committed reference
//! rows, for each profile in `fixtures/sla/`: the corpus (`fixtures/corpus`), the
//! development parts (`fixtures/sla/dev`, looked at while the model was built) and the
//! held-out parts (`fixtures/sla/heldout`, another seed of the same generator,
//! `scripts/heldout_parts.py`, compared only once the model was done). Rows come from
//! `scripts/sla_references.sh`.
//!
//! Prints the per-model table and the medians / p90s. `resin_estimate_meets_the_issue_bar`
//! checks the issue's bar on the held-out rows of each profile (time median ≤ 4 %,
//! p90 ≤ 8 %; resin median ≤ 10 %, p90 ≤ 20 %); it is ignored while the resin p90 of
//! the fast profile misses it, and `resin_estimate_does_not_regress` holds today's level. Regenerate the
//! tables of `docs/accuracy.md` with:
//! `cargo test --release -p pricing-core --test sla_accuracy -- --nocapture --include-ignored`

mod common;

use std::path::{Path, PathBuf};

use pricing_core::analysis::Scaling;
use pricing_core::estimate::Role;
use pricing_core::estimate::sla::estimate;
use pricing_core::profile::sla::SlaProfile;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().map(|x| x.abs()).collect();
    s.sort_by(|a, b| a.total_cmp(b));
    if s.is_empty() {
        return f64::NAN;
    }
    if q == 0.5 && s.len().is_multiple_of(2) {
        return (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0;
    }
    // Nearest rank.
    let i = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
    s[i]
}

struct Errors {
    time: Vec<f64>,
    resin: Vec<f64>,
}

/// Runs one reference file; prints its table; returns the relative errors.
fn run(set: &str, rows: &str, models: &Path) -> Errors {
    let text = std::fs::read_to_string(root().join("fixtures/sla/reference").join(rows))
        .unwrap_or_else(|e| panic!("{rows}: {e}"));
    let mut errs = Errors {
        time: Vec::new(),
        resin: Vec::new(),
    };
    let mut profile_name = String::new();
    println!("\n### {set}: {rows}\n");
    println!("| model | layers (ref) | time | resin | supports+pad (ref) | tree | pad |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("reference row");
        let file = v["file"].as_str().unwrap_or_default();
        let (Some(ref_time), Some(ref_resin)) = (v["time_s"].as_f64(), v["resin_mm3"].as_f64())
        else {
            let why = v["skipped"].as_str().or(v["error"].as_str()).unwrap_or("?");
            println!(
                "| {file} | not sliced: {} | | | | | |",
                why.lines().next().unwrap_or("")
            );
            continue;
        };
        profile_name = v["profile"].as_str().unwrap_or_default().to_string();
        let profile = SlaProfile::load(&root().join("fixtures/sla").join(&profile_name))
            .unwrap_or_else(|e| panic!("{profile_name}: {e}"));
        let scale = v["scale"].as_f64().unwrap_or(1.0);
        let part = common::load_part(&models.join(file), Scaling::Factor(scale));
        let e = estimate(&part, &profile, true).unwrap_or_else(|err| panic!("{file}: {err}"));
        let rt = e.print_time_s / ref_time - 1.0;
        let rr = e.material_mm3 / ref_resin - 1.0;
        let ref_support = ref_resin - v["volume_mm3"].as_f64().unwrap_or(f64::NAN);
        errs.time.push(rt);
        errs.resin.push(rr);
        println!(
            "| {file} | {} ({}) | {:+.1}% | {:+.1}% | {:.0} ({:.0}) | {:.0} | {:.0} |",
            e.layers,
            v["layers"],
            100.0 * rt,
            100.0 * rr,
            e.support_mm3,
            ref_support,
            e.by_role[&Role::Support].mm3,
            e.by_role[&Role::Pad].mm3,
        );
    }
    println!(
        "\n{set} ({profile_name}, {} parts): time median {:.1}% p90 {:.1}%; resin median {:.1}% p90 {:.1}%",
        errs.time.len(),
        100.0 * quantile(&errs.time, 0.5),
        100.0 * quantile(&errs.time, 0.9),
        100.0 * quantile(&errs.resin, 0.5),
        100.0 * quantile(&errs.resin, 0.9),
    );
    errs
}

/// Held-out figures per profile: (time median, time p90, resin median, resin p90).
fn held_out() -> Vec<(String, [f64; 4])> {
    let corpus = common::corpus_dir();
    let dev = root().join("fixtures/sla/dev");
    let heldout = root().join("fixtures/sla/heldout");
    let profiles = std::env::var("SLA_PROFILES")
        .map(|s| s.split(',').map(String::from).collect::<Vec<_>>())
        .unwrap_or_else(|_| vec!["sl1s-0.05".into(), "fast-0.1".into()]);
    profiles
        .into_iter()
        .map(|profile| {
            run("corpus", &format!("corpus-{profile}.jsonl"), &corpus);
            run("development", &format!("dev-{profile}.jsonl"), &dev);
            let h = run("held-out", &format!("heldout-{profile}.jsonl"), &heldout);
            assert!(h.time.len() >= 10, "{profile}: too few held-out rows");
            let q = [
                quantile(&h.time, 0.5),
                quantile(&h.time, 0.9),
                quantile(&h.resin, 0.5),
                quantile(&h.resin, 0.9),
            ];
            (profile, q)
        })
        .collect()
}

fn check(bars: [f64; 4]) {
    let names = ["time median", "time p90", "resin median", "resin p90"];
    let mut missed = Vec::new();
    for (profile, q) in held_out() {
        for i in 0..4 {
            if q[i].is_nan() || q[i] > bars[i] {
                missed.push(format!(
                    "{profile} held-out {}: {:.1}% > {:.0}%",
                    names[i],
                    100.0 * q[i],
                    100.0 * bars[i]
                ));
            }
        }
    }
    assert!(missed.is_empty(), "missed: {missed:?}");
}

/// The issue's bar, all of it, on the held-out parts of both profiles.
#[test]
fn resin_estimate_meets_the_issue_bar() {
    check([0.04, 0.08, 0.10, 0.20]);
}

/// What the model reaches today, so a change that makes it worse fails even while it
/// stays under the bar: the held-out resin p90 at the worst measured (10.3 %, the fast
/// profile) plus a margin.
#[test]
fn resin_estimate_does_not_regress() {
    check([0.04, 0.08, 0.10, 0.13]);
}
