//! Parse and analyse: bytes → welded mesh → full analysis (topology, repairs, units,
//! volume, area, warnings).
//!
//! Inputs: a generated 1,048,576-triangle lattice of tori and a generated gyroid sheet
//! lattice of about 1.1M triangles, both in a 100 mm cube (500 layers at 0.2 mm;
//! deterministic, built outside the timed loop), and the corpus's 678k-triangle gyroid
//! lattice. `stl_io` is measured on the
//! same bytes to justify the dedicated binary reader.
//!
//! Run: `cargo bench --bench parse`

use std::hint::black_box;
use std::io::{Cursor, Read};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pricing_core::analysis::{self, Scaling};
use pricing_core::mesh::{self, ReadLimits, generate, stl_binary};

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let lattice = stl_binary::write(&generate::torus_lattice(4, 128, 64));
    let mut gyroid = Vec::new();
    let gz = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/corpus/gyroid_lattice_40mm.stl.gz"
    ))
    .expect("the corpus lattice is committed");
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut gyroid)
        .expect("valid gzip");
    let gyroid_1m = stl_binary::write(&generate::gyroid_lattice(101.0, 20.0, 0.6, 64));
    vec![
        ("torus_lattice_1m", lattice),
        ("gyroid_lattice_1m", gyroid_1m),
        ("gyroid_678k", gyroid),
    ]
}

fn bench(c: &mut Criterion) {
    let limits = ReadLimits::default();
    for (name, bytes) in inputs() {
        let triangles = stl_binary::declared_count(&bytes).unwrap_or(0);
        let mut group = c.benchmark_group(name);
        group.sample_size(20);
        group.throughput(Throughput::Elements(triangles));
        group.bench_function("parse", |b| {
            b.iter(|| mesh::read_bytes(black_box(&bytes), &limits).expect("valid"))
        });
        group.bench_function("parse_stl_io", |b| {
            b.iter(|| stl_io::read_stl(&mut Cursor::new(black_box(&bytes))).expect("valid"))
        });
        group.bench_function("parse_and_analyze", |b| {
            b.iter(|| {
                let loaded = mesh::read_bytes(black_box(&bytes), &limits).expect("valid");
                analysis::analyze(loaded.mesh, loaded.format, Scaling::Auto)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
