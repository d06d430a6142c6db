//! FDM estimate from bytes: read, analyse, slice, supports and print time.
//!
//! Inputs are built outside the timed loop: the corpus lattice (678k triangles, gunzipped
//! here), a deterministic 1M-triangle bumpy torus generated in code (105 layers), and
//! the hard cases of issue 12, 500 layers deep in a 100 mm cube: the 1,048,576-triangle
//! torus lattice and a gyroid sheet lattice of about 1.1M triangles.

use std::hint::black_box;
use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pricing_core::analysis::{Scaling, analyze};
use pricing_core::estimate::fdm;
use pricing_core::mesh::generate::{bumpy_torus, gyroid_lattice, torus_lattice};
use pricing_core::mesh::{self, ReadLimits};
use pricing_core::profile::fdm::FdmProfile;

fn estimate_bytes(bytes: &[u8], profile: &FdmProfile) -> f64 {
    let loaded = mesh::read_bytes(bytes, &ReadLimits::default()).expect("bench mesh reads");
    let part = analyze(loaded.mesh, loaded.format, Scaling::Factor(1.0));
    fdm::estimate(&part, profile, true)
        .expect("bench mesh estimates")
        .print_time_s
}

fn bench(c: &mut Criterion) {
    let profile = FdmProfile::default();
    let lattice_gz = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/corpus/gyroid_lattice_40mm.stl.gz"
    ))
    .expect("lattice fixture");
    let mut lattice = Vec::new();
    flate2::read::GzDecoder::new(&lattice_gz[..])
        .read_to_end(&mut lattice)
        .expect("lattice gunzips");
    let torus = mesh::stl_binary::write(&bumpy_torus(1000, 500));
    let torus_lattice = mesh::stl_binary::write(&torus_lattice(4, 128, 64));
    let gyroid = mesh::stl_binary::write(&gyroid_lattice(101.0, 20.0, 0.6, 64));

    let mut g = c.benchmark_group("estimate_fdm");
    g.sample_size(10);
    for (name, bytes) in [
        ("lattice_678k", &lattice),
        ("torus_1m", &torus),
        ("torus_lattice_1m_500_layers", &torus_lattice),
        ("gyroid_1m_500_layers", &gyroid),
    ] {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| estimate_bytes(black_box(bytes), &profile))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
