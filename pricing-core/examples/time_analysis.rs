//! Times parse and full analysis of one file, run after run, without criterion's
//! statistics: a quick look while profiling (`perf record` attaches to it well).
//! The figures in `docs/benchmarks.md` come from `cargo bench --bench parse`.
//!
//! `cargo run --release -p pricing-core --example time_analysis -- FILE [RUNS]`

use std::time::Instant;

use pricing_core::analysis::{self, Scaling};
use pricing_core::mesh::{self, ReadLimits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: time_analysis FILE [RUNS]")?;
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(10);
    let bytes = std::fs::read(&path)?;
    let limits = ReadLimits::default();
    let mut totals = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let loaded = mesh::read_bytes(&bytes, &limits)?;
        let parsed = start.elapsed();
        let part = analysis::analyze(loaded.mesh, loaded.format, Scaling::Auto);
        let analysed = start.elapsed();
        drop(part);
        let total = start.elapsed();
        eprintln!(
            "parse {:6.1} ms  analyze {:6.1} ms  drop {:4.1} ms  total {:6.1} ms",
            ms(parsed),
            ms(analysed - parsed),
            ms(total - analysed),
            ms(total)
        );
        totals.push(total);
    }
    totals.sort();
    if let Some(median) = totals.get(runs / 2) {
        eprintln!("median total {:.1} ms over {runs} runs", ms(*median));
    }
    Ok(())
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
