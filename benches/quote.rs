//! Quote: a part already analysed → estimate on the chosen machine → price, per
//! technology; and the whole `quote_bytes` path (read, analyse, estimate, price) that the
//! CLI and the worker run per file.
//!
//! Inputs: the 20 mm cube, a machined bracket (angle_block, 1.4k triangles) and the
//! corpus's 678k-triangle gyroid lattice, built outside the timed loops.
//!
//! Run: `cargo bench --bench quote`

use std::hint::black_box;
use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pricing_core::analysis::{self, Part, Scaling};
use pricing_core::mesh::{self, ReadLimits};
use pricing_core::price::{PriceBook, QuoteRequest, Quoter, quote_bytes};

fn file(rel: &str) -> Vec<u8> {
    let path = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).expect("committed fixture");
    if rel.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    } else {
        raw
    }
}

fn part(bytes: &[u8], scale: f64) -> Part {
    let loaded = mesh::read_bytes(bytes, &ReadLimits::default()).expect("valid mesh");
    analysis::analyze(loaded.mesh, loaded.format, Scaling::Factor(scale))
}

fn bench(c: &mut Criterion) {
    let quoter = Quoter::new(PriceBook::embedded());
    let inputs = [
        ("cube_12", file("fixtures/cube-20mm.stl"), 1.0),
        (
            "angle_block_1k",
            file("fixtures/corpus/angle_block.STL"),
            25.4,
        ),
        (
            "gyroid_678k",
            file("fixtures/corpus/gyroid_lattice_40mm.stl.gz"),
            1.0,
        ),
    ];
    for (name, bytes, scale) in &inputs {
        let p = part(bytes, *scale);
        let mut group = c.benchmark_group(format!("quote/{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(p.mesh.triangles.len() as u64));
        for material in ["PLA", "standard-resin", "PA12"] {
            let request = QuoteRequest {
                material: Some(material.into()),
                ..QuoteRequest::default()
            };
            group.bench_function(material, |b| {
                b.iter(|| quoter.quote(black_box(&p), &request).expect("quotes"))
            });
        }
        let request = QuoteRequest {
            scale: Some(*scale),
            ..QuoteRequest::default()
        };
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("quote_bytes_PLA", |b| {
            b.iter(|| {
                quote_bytes(
                    &quoter,
                    name,
                    black_box(bytes),
                    &request,
                    &ReadLimits::default(),
                )
                .expect("quotes")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
