//! Cross-section areas per layer, without building polygons: the layer-area cutter the
//! resin and powder estimates share (their time and fused volume follow the area of
//! each layer).

use rayon::prelude::*;

use crate::cancel::{Cancel, Cancelled};
use crate::mesh::Mesh;

/// Cross-section area of `mesh` at the middle of each of `layers` layers of height `h`
/// starting at z = 0, mm².
///
/// Every triangle adds its oriented cut segment's shoelace term to each layer it spans,
/// so holes subtract themselves and no polygon is ever built. The work is one pass over
/// the triangles plus the layers each one spans, split over threads.
pub fn layer_areas(mesh: &Mesh, h: f64, layers: usize) -> Vec<f64> {
    // A token that is never cancelled never fails.
    layer_areas_with(mesh, h, layers, &Cancel::never()).unwrap_or_default()
}

/// [`layer_areas`], polling `cancel` per chunk of triangles.
pub fn layer_areas_with(
    mesh: &Mesh,
    h: f64,
    layers: usize,
    cancel: &Cancel,
) -> Result<Vec<f64>, Cancelled> {
    layer_areas_within(mesh, h, layers, CUT_BUDGET, cancel)
}

/// Most triangle-layer cuts one estimate makes. Real meshes stay far below it (the 678k
/// gyroid lattice makes about 1M); a hostile mesh of millions of full-height slivers
/// would make billions, so past it layers are sampled every few layers instead: the
/// areas stay right on average and the estimate cannot hang.
pub const CUT_BUDGET: u64 = 200_000_000;

fn layer_areas_within(
    mesh: &Mesh,
    h: f64,
    layers: usize,
    budget: u64,
    cancel: &Cancel,
) -> Result<Vec<f64>, Cancelled> {
    if layers == 0 || h.is_nan() || h <= 0.0 {
        return Ok(vec![0.0; layers]);
    }
    let cuts: u64 = mesh
        .triangles
        .par_iter()
        .map(|t| {
            let z = t.map(|i| mesh.positions.get(i as usize).map_or(0.0, |p| p[2] as f64));
            let span = (z[0].max(z[1]).max(z[2]) - z[0].min(z[1]).min(z[2])) / h;
            if span.is_finite() {
                span as u64 + 1
            } else {
                layers as u64
            }
        })
        .sum();
    let stride = cuts.div_ceil(budget.max(1)).max(1) as usize;
    if stride > 1 {
        // Cut the first layer of every group of `stride` and repeat its area: the first
        // layer of the last, possibly partial, group is still inside the part.
        let coarse = cut(
            mesh,
            h * stride as f64,
            0.5 * h,
            layers.div_ceil(stride),
            cancel,
        )?;
        return Ok((0..layers)
            .map(|k| coarse.get(k / stride).copied().unwrap_or(0.0))
            .collect());
    }
    cut(mesh, h, 0.5 * h, layers, cancel)
}

/// At most this many blocks of triangles, each with its own vector of layer sums (64
/// blocks of 6,000 layers are 3 MB), so there is work for every thread.
const MAX_BLOCKS: usize = 64;

/// At least this many triangles per block, and how often the token is polled.
const MIN_BLOCK: usize = 4096;

/// Cross-section areas at z = z0 + k·step for k in 0..layers.
fn cut(
    mesh: &Mesh,
    step: f64,
    z0: f64,
    layers: usize,
    cancel: &Cancel,
) -> Result<Vec<f64>, Cancelled> {
    // Each block of triangles sums into its own vector and the blocks are added in
    // order. A rayon fold/reduce would group the triangles by how the threads happened
    // to steal work, and float addition does not associate: the same mesh could then
    // quote a different last digit from run to run. The block size depends only on the
    // mesh, so the sums (and the quote) do not depend on the thread count either.
    let block = mesh.triangles.len().div_ceil(MAX_BLOCKS).max(MIN_BLOCK);
    let partial: Vec<Vec<f64>> = mesh
        .triangles
        .par_chunks(block)
        .map(|chunk| {
            let mut acc = vec![0.0f64; layers];
            for piece in chunk.chunks(MIN_BLOCK) {
                // Once cancelled, the remaining triangles are skipped; the check below
                // reports it.
                if cancel.is_cancelled() {
                    break;
                }
                for t in piece {
                    let v = t.map(|i| {
                        let p = mesh.positions.get(i as usize).copied().unwrap_or([0.0; 3]);
                        [p[0] as f64, p[1] as f64, p[2] as f64]
                    });
                    add_triangle(&mut acc, v, step, z0);
                }
            }
            acc
        })
        .collect();
    let mut areas = vec![0.0f64; layers];
    for p in partial {
        for (x, y) in areas.iter_mut().zip(p) {
            *x += y;
        }
    }
    cancel.check()?;
    Ok(areas)
}

fn add_triangle(acc: &mut [f64], v: [[f64; 3]; 3], h: f64, z0: f64) {
    let zmin = v[0][2].min(v[1][2]).min(v[2][2]);
    let zmax = v[0][2].max(v[1][2]).max(v[2][2]);
    // Layer k is cut at z = z0 + k h (z0 = h / 2: the middle of the layer).
    let first = ((zmin - z0) / h).ceil().max(0.0);
    let last = ((zmax - z0) / h).floor();
    if first.is_nan() || last.is_nan() || first > last || !last.is_finite() {
        return;
    }
    let (first, last) = (
        first as usize,
        (last as usize).min(acc.len().saturating_sub(1)),
    );
    let e1 = sub(v[1], v[0]);
    let e2 = sub(v[2], v[0]);
    let (nx, ny) = (e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2]);
    for (k, slot) in acc.iter_mut().enumerate().take(last + 1).skip(first) {
        let z = z0 + k as f64 * h;
        let mut pts = [[0.0f64; 2]; 2];
        let mut n = 0;
        for (a, b) in [(0, 1), (1, 2), (2, 0)] {
            let (pa, pb) = (v[a], v[b]);
            // Half-open: a vertex exactly on the plane counts as below, so a cut through a
            // vertex yields exactly two points.
            if (pa[2] > z) != (pb[2] > z) && n < 2 {
                let t = (z - pa[2]) / (pb[2] - pa[2]);
                pts[n] = [pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])];
                n += 1;
            }
        }
        if n != 2 {
            continue;
        }
        let (mut p, mut q) = (pts[0], pts[1]);
        // Orient the segment so the outward normal is on its right: outer contours run
        // counter-clockwise and add, holes run clockwise and subtract.
        let d = [q[0] - p[0], q[1] - p[1]];
        if d[1] * nx - d[0] * ny < 0.0 {
            std::mem::swap(&mut p, &mut q);
        }
        *slot += 0.5 * (p[0] * q[1] - q[0] * p[1]);
    }
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Cube {
        mesh: Mesh,
    }

    fn cube(s: f64) -> Cube {
        Cube {
            mesh: crate::mesh::generate::cuboid([0.0; 3], [s; 3]),
        }
    }

    #[test]
    fn cube_layer_areas_are_its_face() {
        let part = cube(20.0);
        let areas = layer_areas(&part.mesh, 0.5, 40);
        for a in areas {
            approx::assert_relative_eq!(a, 400.0, max_relative = 1e-9);
        }
    }

    #[test]
    fn over_the_cut_budget_layers_are_sampled() {
        let part = cube(20.0);
        // 12 triangles × 4000 layers is far over a budget of 1000 cuts.
        let areas = layer_areas_within(&part.mesh, 0.005, 4000, 1000, &Cancel::never()).unwrap();
        assert_eq!(areas.len(), 4000);
        let zeros: Vec<usize> = (0..4000).filter(|&k| areas[k] == 0.0).collect();
        assert!(zeros.is_empty(), "{zeros:?}");
        for a in areas {
            approx::assert_relative_eq!(a, 400.0, max_relative = 1e-9);
        }
    }

    #[test]
    fn a_cancelled_cut_returns_cancelled() {
        let part = cube(20.0);
        let c = Cancel::new();
        c.cancel();
        assert_eq!(layer_areas_with(&part.mesh, 0.5, 40, &c), Err(Cancelled));
    }

    #[test]
    fn the_areas_do_not_depend_on_the_threads() {
        // 200k triangles: many blocks, so a sum that followed the work stealing would
        // differ in its last bits between pools.
        let mesh = crate::mesh::generate::bumpy_torus(500, 200);
        let in_pool = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| layer_areas(&mesh, 0.05, 400))
        };
        let one = in_pool(1);
        assert!(one.iter().any(|&a| a > 0.0));
        for threads in [2, 3, 8] {
            for _ in 0..3 {
                let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&in_pool(threads)), bits(&one), "{threads} threads");
            }
        }
    }
}
