//! FDM estimate from bytes: read, analyse, slice, supports and print time.
//!
//! Inputs are built outside the timed loop: the corpus lattice (678k triangles, gunzipped
//! here) and a deterministic 1M-triangle bumpy torus generated in code.

use std::hint::black_box;
use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pricing_core::analysis::{Scaling, analyze};
use pricing_core::estimate::fdm;
use pricing_core::mesh::{self, Mesh, ReadLimits};
use pricing_core::profile::fdm::FdmProfile;

/// A torus (R = 30 mm, r = 10 mm) with a ripple on the tube, `nu` × `nv` quads:
/// 2·nu·nv triangles, lying flat so that its underside needs supports.
pub fn bumpy_torus(nu: usize, nv: usize) -> Mesh {
    let mut positions = Vec::with_capacity(nu * nv);
    for i in 0..nu {
        let u = i as f64 / nu as f64 * std::f64::consts::TAU;
        for j in 0..nv {
            let v = j as f64 / nv as f64 * std::f64::consts::TAU;
            let r = 10.0 + 0.8 * (7.0 * u).sin() * (5.0 * v).cos();
            let x = (30.0 + r * v.cos()) * u.cos();
            let y = (30.0 + r * v.cos()) * u.sin();
            let z = r * v.sin();
            positions.push([x as f32, y as f32, z as f32]);
        }
    }
    let id = |i: usize, j: usize| ((i % nu) * nv + (j % nv)) as u32;
    let mut triangles = Vec::with_capacity(2 * nu * nv);
    for i in 0..nu {
        for j in 0..nv {
            let (a, b, c, d) = (id(i, j), id(i + 1, j), id(i + 1, j + 1), id(i, j + 1));
            triangles.push([a, b, c]);
            triangles.push([a, c, d]);
        }
    }
    Mesh {
        positions,
        triangles,
    }
}

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

    let mut g = c.benchmark_group("estimate_fdm");
    g.sample_size(10);
    for (name, bytes) in [("lattice_678k", &lattice), ("torus_1m", &torus)] {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| estimate_bytes(black_box(bytes), &profile))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
