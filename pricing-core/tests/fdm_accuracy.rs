//! FDM estimate against PrusaSlicer 2.5 on every corpus row it sliced.
//!
//! Prints the per-model table of relative errors, checks the bar of the FDM issue
//! (medians and p90s), and a leave-one-out refit of the fitted constants. Regenerate the
//! table of `docs/accuracy.md` with:
//! `cargo test --release -p pricing-core --test fdm_accuracy -- --nocapture`

mod common;

use pricing_core::analysis::Scaling;
use pricing_core::estimate::fdm::{Calibration, estimate_with};
use pricing_core::estimate::{Estimate, Role};
use pricing_core::profile::fdm::FdmProfile;

struct Row {
    file: String,
    ref_ns_fil: f64,
    ref_ns_time: f64,
    ref_ws_fil: f64,
    ref_ws_time: f64,
    ref_ws_sup: f64,
    /// Estimates with every fitted constant at zero.
    ns: Estimate,
    ws: Estimate,
    /// What one unit of each constant adds (the estimate is linear in each):
    /// [sparse volume, infill anchor, support volume].
    ns_unit: [f64; 3],
    ws_unit: [f64; 3],
}

fn role(e: &Estimate, r: Role) -> f64 {
    e.by_role.get(&r).map_or(0.0, |f| f.mm3)
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
    if q == 0.5 && s.len().is_multiple_of(2) {
        return (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0;
    }
    s[i]
}

fn cal(v: [f64; 3]) -> Calibration {
    Calibration {
        sparse_volume: v[0],
        infill_anchor: v[1],
        support_sheath: v[2],
    }
}

fn load_rows() -> Vec<Row> {
    let profile = FdmProfile::default();
    let manifest = common::manifest();
    let zero = cal([0.0; 3]);
    let b = cal([1.0, 0.0, 1.0]);
    let c = cal([0.0, 1.0, 0.0]);
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
        let unit = |sup: bool| {
            let (a, bb, cc) = (run(sup, &zero), run(sup, &b), run(sup, &c));
            let u = [
                role(&bb, Role::SparseInfill) - role(&a, Role::SparseInfill),
                role(&cc, Role::SparseInfill) - role(&a, Role::SparseInfill),
                role(&bb, Role::Support) - role(&a, Role::Support),
            ];
            (a, u)
        };
        let (ns0, nsu) = unit(false);
        let (ws0, wsu) = unit(true);
        let by = |k: &str| ws["filament_mm3_by_role"][k].as_f64().unwrap_or(0.0);
        rows.push(Row {
            file: r.file.clone(),
            ref_ns_fil: ns["filament_mm3"].as_f64().unwrap_or(f64::NAN),
            ref_ns_time: ns_time,
            ref_ws_fil: ws["filament_mm3"].as_f64().unwrap_or(f64::NAN),
            ref_ws_time: ws["time_s"].as_f64().unwrap_or(f64::NAN),
            ref_ws_sup: by("Support material") + by("Support material interface"),
            ns: ns0,
            ws: ws0,
            ns_unit: nsu,
            ws_unit: wsu,
        });
    }
    rows
}

fn k(c: &Calibration) -> [f64; 3] {
    [c.sparse_volume, c.infill_anchor, c.support_sheath]
}

/// Errors of one row under a calibration: [ns fil, ns time, ws fil, ws time, ws support].
fn errors(r: &Row, c: &Calibration) -> [f64; 5] {
    let kk = k(c);
    let ns_fil = r.ns.material_mm3 + kk[0] * r.ns_unit[0] + kk[1] * r.ns_unit[1];
    // No fitted constant moves the time: it comes from the geometry and the planner.
    let ns_time = r.ns.print_time_s;
    let ws_fil =
        r.ws.material_mm3 + kk[0] * r.ws_unit[0] + kk[1] * r.ws_unit[1] + kk[2] * r.ws_unit[2];
    let ws_time = r.ws.print_time_s;
    let ws_sup = r.ws.support_mm3 + kk[2] * r.ws_unit[2];
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

/// Least squares of relative errors for `y = a + k1·b1 + k2·b2` against `r`: the (k1, k2)
/// minimising Σ ((a + k1 b1 + k2 b2) / r - 1)².
fn fit2(items: &[(f64, f64, f64, f64)]) -> (f64, f64) {
    let (mut s11, mut s12, mut s22, mut t1, mut t2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(a, b1, b2, r) in items {
        if r.is_nan() || r <= 0.0 {
            continue;
        }
        let (x1, x2, y) = (b1 / r, b2 / r, 1.0 - a / r);
        s11 += x1 * x1;
        s12 += x1 * x2;
        s22 += x2 * x2;
        t1 += x1 * y;
        t2 += x2 * y;
    }
    let det = s11 * s22 - s12 * s12;
    if det.abs() < 1e-12 {
        return (if s11 > 0.0 { t1 / s11 } else { 1.0 }, 0.0);
    }
    ((t1 * s22 - t2 * s12) / det, (s11 * t2 - s12 * t1) / det)
}

/// Fits the constants on `rows`: filament without supports for the infill pair, support
/// filament for the support constant.
fn calibrate(rows: &[&Row]) -> Calibration {
    let fil: Vec<_> = rows
        .iter()
        .map(|r| (r.ns.material_mm3, r.ns_unit[0], r.ns_unit[1], r.ref_ns_fil))
        .collect();
    let (sv, an) = fit2(&fil);
    let sup: Vec<_> = rows
        .iter()
        .filter(|r| r.ref_ws_sup > 0.0 && r.ws_unit[2] > 0.0)
        .map(|r| {
            let other = r.ws.support_mm3;
            (other, r.ws_unit[2], 0.0, r.ref_ws_sup)
        })
        .collect();
    // Median of the per-model ratios: support errors have outliers (box.STL, whose lids
    // PrusaSlicer bridges) that would dominate a least-squares fit.
    let mut ratios: Vec<f64> = sup.iter().map(|&(a, b, _, r)| (r - a) / b).collect();
    ratios.sort_by(|x, y| x.total_cmp(y));
    let su = if ratios.is_empty() {
        1.0
    } else {
        ratios[ratios.len() / 2]
    };
    cal([sv, an, su])
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
        let col: Vec<f64> = errs
            .iter()
            .map(|e| e[i])
            .filter(|x| x.is_finite())
            .collect();
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
    // A regression guard at today's figures plus a margin, not the bar (which is
    // on held-out meshes and profiles, see docs/accuracy.md). The time p90 is looser than
    // the 15% of the single-profile fit it replaced: time is no longer fitted to these
    // meshes (the sparse-time and retraction constants are gone), which cut the error on
    // other profiles by half and left three outliers here (the open teapot, a 2 mm rod,
    // the lattice's thin walls).
    let bar = [
        (0.04, Some(0.10)),
        (0.05, Some(0.25)),
        (0.05, Some(0.15)),
        (0.08, Some(0.30)),
        (0.10, None),
    ];
    let mut failures = Vec::new();
    for i in 0..5 {
        // NaN counts as a miss.
        let ok = |x: f64, limit: f64| x.is_finite() && x <= limit;
        if !ok(s[i].0, bar[i].0) {
            failures.push(format!(
                "{} median {:.1}% > {:.0}%",
                WHAT[i],
                100.0 * s[i].0,
                100.0 * bar[i].0
            ));
        }
        if let Some(p) = bar[i].1.filter(|&p| !ok(s[i].1, p)) {
            failures.push(format!(
                "{} p90 {:.1}% > {:.0}%",
                WHAT[i],
                100.0 * s[i].1,
                100.0 * p
            ));
        }
    }
    assert!(failures.is_empty(), "accuracy bar missed: {failures:#?}");
}
