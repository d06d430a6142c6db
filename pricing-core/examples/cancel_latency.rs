//! How fast a cancelled job stops, and what polling the token costs.
//!
//! For each job (the whole quote of the 1M-triangle lattice per technology, and reading
//! plus analysing a large STL if one is given), it first times the job uncancelled,
//! then cancels it at ten points spread over that time and measures the time from
//! `cancel()` to the call's return. It also times the uncancelled quote with
//! `Cancel::never()` and with a live token, alternating, to show the polling's cost.
//!
//! `cargo run --release -p pricing-core --example cancel_latency -- [LARGE.stl] [RUNS]`

use std::time::{Duration, Instant};

use pricing_core::analysis::{self, Scaling};
use pricing_core::cancel::Cancel;
use pricing_core::mesh::{self, ReadLimits, generate, stl_binary};
use pricing_core::price::{PriceBook, QuoteRequest, Quoter, quote_bytes_with};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let large = args.next();
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(7);
    let lattice = stl_binary::write(&generate::torus_lattice(4, 128, 64));
    let quoter = Quoter::new(PriceBook::embedded());
    let limits = ReadLimits {
        max_bytes: 4 << 30,
        max_triangles: 100_000_000,
    };
    for material in ["PLA", "standard-resin", "PA12"] {
        let request = QuoteRequest {
            material: Some(material.into()),
            ..QuoteRequest::default()
        };
        let job = |c: &Cancel| {
            quote_bytes_with(&quoter, "lattice", &lattice, &request, &limits, c).map(|_| ())
        };
        latency(&format!("quote lattice 1M, {material}"), &job);
        overhead(&format!("quote lattice 1M, {material}"), runs, &job);
    }
    if let Some(path) = large {
        let bytes = std::fs::read(&path)?;
        let job = |c: &Cancel| -> Result<(), String> {
            let loaded = mesh::read_bytes_with(&bytes, &limits, c).map_err(|e| e.to_string())?;
            analysis::analyze_with(loaded.mesh, loaded.format, Scaling::Auto, c)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        latency(&format!("read + analyse {path}"), &job);
    }
    Ok(())
}

/// Cancels `job` at ten points over its uncancelled duration; prints the latencies.
fn latency<E: std::fmt::Debug>(name: &str, job: &(dyn Fn(&Cancel) -> Result<(), E> + Sync)) {
    let t = Instant::now();
    let _ = job(&Cancel::never());
    let full = t.elapsed();
    let mut lat: Vec<Duration> = Vec::new();
    let mut finished = 0;
    for i in 0..10 {
        let at = full.mul_f64((i as f64 + 0.5) / 10.0);
        let c = Cancel::new();
        let remote = c.clone();
        let (cancelled_at, returned_at) = std::thread::scope(|s| {
            let h = s.spawn(move || {
                std::thread::sleep(at);
                remote.cancel();
                Instant::now()
            });
            let r = job(&c);
            let returned = Instant::now();
            if r.is_ok() {
                finished += 1;
            }
            (h.join().unwrap_or(returned), returned)
        });
        lat.push(returned_at.saturating_duration_since(cancelled_at));
    }
    lat.sort();
    println!(
        "{name}: uncancelled {:.1} ms; cancel -> return median {:.2} ms, max {:.2} ms ({finished} of 10 finished before the cancel)",
        ms(full),
        ms(lat[lat.len() / 2]),
        ms(lat[lat.len() - 1]),
    );
}

/// Medians of the job with `Cancel::never()` and with a live token, alternating.
fn overhead<E: std::fmt::Debug>(
    name: &str,
    runs: usize,
    job: &(dyn Fn(&Cancel) -> Result<(), E> + Sync),
) {
    let (mut never, mut live) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let _ = job(&Cancel::never());
        never.push(t.elapsed());
        let c = Cancel::with_deadline(Instant::now() + Duration::from_secs(3600));
        let t = Instant::now();
        let _ = job(&c);
        live.push(t.elapsed());
    }
    never.sort();
    live.sort();
    println!(
        "{name}: median {:.1} ms with Cancel::never(), {:.1} ms with a live token and a deadline ({runs} runs each)",
        ms(never[runs / 2]),
        ms(live[runs / 2]),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
