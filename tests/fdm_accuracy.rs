//! FDM estimate against PrusaSlicer 2.5 on every corpus row it sliced.
//!
//! Prints the per-model table of relative errors, checks the bar of the FDM issue
//! (medians and p90s), and a leave-one-out refit of the fitted constants. Regenerate the
//! table of `docs/accuracy.md` with:
//! `cargo test --release --test fdm_accuracy -- --nocapture`

mod common;

use pricing_core::analysis::Scaling;
use pricing_core::estimate::Estimate;
use pricing_core::estimate::fdm::{Calibration, estimate_with};
use pricing_core::profile::fdm::FdmProfile;

struct Row {
    file: String,
    ref_ns_fil: f64,
    ref_ns_time: f64,
    ref_ws_fil: f64,
    ref_ws_time: f64,
    ref_ws_sup: f64,
    /// Estimates at calibration zero and one for each constant (linear components).
    ns: Estimate,
    ws: Estimate,
    /// Parts linear in each constant: sparse volume, support base volume, retract time.
    ns_sparse: f64,
    ns_retract: f64,
    ws_sparse: f64,
    ws_support: f64,
    ws_retract: f64,
}

fn role(e: &Estimate, r: &str) -> f64 {
    e.by_role.get(r).map_or(0.0, |f| f.mm3)
}

fn rel(est: f64, reference: f64) -> f64 {
    (est - reference) / reference
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().map(|x| x.abs()).collect();
    s.sort_by(|a, b| a.total_cmp(b));
    if s.is_empty() {
        return f64::NAN;
    }
    // Nearest-rank on the sorted absolute errors.
    let i = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
    if q == 0.5 && s.len() % 2 == 0 {
        return (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0;
    }
    s[i]
}

fn load_rows() -> Vec<Row> {
    let profile = FdmProfile::default();
    let manifest = common::manifest();
    let zero = Calibration {
        sparse_volume: 0.0,
        support_volume: 0.0,
        retracts_per_island: 0.0,
    };
    let one = Calibration {
        sparse_volume: 1.0,
        support_volume: 1.0,
        retracts_per_island: 1.0,
    };
    let mut rows = Vec::new();
    for r in common::reference() {
        let ns = &r.raw["no_supports"];
        let ws = &r.raw["with_supports"];
        let Some(ns_time) = ns["time_s"].as_f64() else {
            continue;
        };
        let Some(m) = manifest.iter().find(|m| m.file == r.file) else {
            continue;
        };
        let part = common::load_part(
            &common::corpus_dir().join(&m.file),
            Scaling::Factor(m.scale),
        );
        let run = |sup: bool, c: &Calibration| {
            estimate_with(&part, &profile, sup, c).unwrap_or_else(|e| panic!("{}: {e}", r.file))
        };
        let (ns0, ns1) = (run(false, &zero), run(false, &one));
        let (ws0, ws1) = (run(true, &zero), run(true, &one));
        let by = |k: &str| ws["filament_mm3_by_role"][k].as_f64().unwrap_or(0.0);
        rows.push(Row {
            file: r.file.clone(),
            ref_ns_fil: ns["filament_mm3"].as_f64().unwrap_or(f64::NAN),
            ref_ns_time: ns_time,
            ref_ws_fil: ws["filament_mm3"].as_f64().unwrap_or(f64::NAN),
            ref_ws_time: ws["time_s"].as_f64().unwrap_or(f64::NAN),
            ref_ws_sup: by("Support material") + by("Support material interface"),
            ns_sparse: role(&ns1, "sparse_infill") - role(&ns0, "sparse_infill"),
            ns_retract: ns1.print_time_s - ns0.print_time_s,
            ws_sparse: role(&ws1, "sparse_infill") - role(&ws0, "sparse_infill"),
            ws_support: role(&ws1, "support") - role(&ws0, "support"),
            ws_retract: ws1.print_time_s - ws0.print_time_s,
            ns: ns0,
            ws: ws0,
        });
    }
    rows
}

/// Errors of one row under a calibration: [ns fil, ns time, ws fil, ws time, ws support].
fn errors(r: &Row, c: &Calibration) -> [f64; 5] {
    let ns_fil = r.ns.material_mm3 + c.sparse_volume * r.ns_sparse;
    let ns_time = r.ns.print_time_s + c.retracts_per_island * r.ns_retract;
    let ws_fil = r.ws.material_mm3 + c.sparse_volume * r.ws_sparse + c.support_volume * r.ws_support;
    let ws_time = r.ws.print_time_s + c.retracts_per_island * r.ws_retract;
    let ws_sup = r.ws.support_mm3 + c.support_volume * r.ws_support;
    [
        rel(ns_fil, r.ref_ns_fil),
        rel(ns_time, r.ref_ns_time),
        rel(ws_fil, r.ref_ws_fil),
        rel(ws_time, r.ref_ws_time),
        if r.ref_ws_sup > 0.0 {
            rel(ws_sup, r.ref_ws_sup)
        } else {
            f64::NAN
        },
    ]
}

/// Least squares of relative errors for `y = a + k·b` against `r`: the k minimising
/// Σ ((a + k b) / r - 1)².
fn fit(items: impl Iterator<Item = (f64, f64, f64)>) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (a, b, r) in items {
        if !(r > 0.0) || !b.is_finite() {
            continue;
        }
        num += (b / r) * (1.0 - a / r);
        den += (b / r) * (b / r);
    }
    if den > 0.0 { num / den } else { 1.0 }
}

/// Fits the three constants on `rows`.
fn calibrate(rows: &[&Row]) -> Calibration {
    let sparse = fit(rows
        .iter()
        .map(|r| (r.ns.material_mm3, r.ns_sparse, r.ref_ns_fil)));
    let support = fit(rows.iter().filter(|r| r.ref_ws_sup > 0.0).map(|r| {
        (r.ws.support_mm3, r.ws_support, r.ref_ws_sup)
    }));
    let retract = fit(rows
        .iter()
        .map(|r| (r.ns.print_time_s, r.ns_retract, r.ref_ns_time))
        .chain(rows.iter().map(|r| (r.ws.print_time_s, r.ws_retract, r.ref_ws_time))));
    Calibration {
        sparse_volume: sparse,
        support_volume: support,
        retracts_per_island: retract,
    }
}

const WHAT: [&str; 5] = [
    "off filament",
    "off time",
    "on filament",
    "on time",
    "on support filament",
];

fn summary(errs: &[[f64; 5]]) -> [(f64, f64); 5] {
    let mut out = [(0.0, 0.0); 5];
    for (i, o) in out.iter_mut().enumerate() {
        let col: Vec<f64> = errs.iter().map(|e| e[i]).filter(|x| x.is_finite()).collect();
        *o = (quantile(&col, 0.5), quantile(&col, 0.9));
    }
    out
}

#[test]
fn fdm_estimate_matches_prusaslicer() {
    let rows = load_rows();
    assert!(rows.len() >= 15, "only {} reference rows", rows.len());
    let cal = Calibration::default();
    let all: Vec<&Row> = rows.iter().collect();
    let fitted = calibrate(&all);
    println!("shipped calibration: {cal:?}");
    println!("refit on all rows:   {fitted:?}");

    println!(
        "\n| model | off filament | off time | on filament | on time | on support | LOO off fil | LOO off time | LOO on fil | LOO on time | LOO support |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut errs = Vec::new();
    let mut loo = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let e = errors(r, &cal);
        let others: Vec<&Row> = rows
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, r)| r)
            .collect();
        let l = errors(r, &calibrate(&others));
        let pct = |x: f64| {
            if x.is_finite() {
                format!("{:+.1}%", 100.0 * x)
            } else {
                "n/a".into()
            }
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.file,
            pct(e[0]),
            pct(e[1]),
            pct(e[2]),
            pct(e[3]),
            pct(e[4]),
            pct(l[0]),
            pct(l[1]),
            pct(l[2]),
            pct(l[3]),
            pct(l[4])
        );
        errs.push(e);
        loo.push(l);
    }
    let s = summary(&errs);
    let sl = summary(&loo);
    println!("\n| supports / what | median | p90 | LOO median | LOO p90 |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for i in 0..5 {
        println!(
            "| {} | {:.1}% | {:.1}% | {:.1}% | {:.1}% |",
            WHAT[i],
            100.0 * s[i].0,
            100.0 * s[i].1,
            100.0 * sl[i].0,
            100.0 * sl[i].1
        );
    }
    let bar = [
        (0.04, Some(0.10)),
        (0.06, Some(0.15)),
        (0.08, Some(0.20)),
        (0.10, Some(0.25)),
        (0.30, None),
    ];
    let mut failures = Vec::new();
    for i in 0..5 {
        if !(s[i].0 <= bar[i].0) {
            failures.push(format!("{} median {:.1}% > {:.0}%", WHAT[i], 100.0 * s[i].0, 100.0 * bar[i].0));
        }
        if let Some(p) = bar[i].1 {
            if !(s[i].1 <= p) {
                failures.push(format!("{} p90 {:.1}% > {:.0}%", WHAT[i], 100.0 * s[i].1, 100.0 * p));
            }
        }
    }
    assert!(failures.is_empty(), "accuracy bar missed: {failures:#?}");
}
