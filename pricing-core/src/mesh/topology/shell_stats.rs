//! Volume, area, moment and bounds of every shell, in one parallel pass over the
//! triangles.
//!
//! Sums are in f64 relative to the mesh's bounding-box centre, which keeps the tetrahedra
//! small and the sum well conditioned for parts far from the origin. Chunks are summed in
//! a fixed order, so the result is the same on every run and core count.

use rayon::prelude::*;

use super::{Shell, cross3};
use crate::cancel::Cancel;
use crate::mesh::Mesh;

/// Parallel chunks for meshes with few shells. Each chunk keeps one accumulator per
/// shell, so meshes with many shells (a triangle soup has one per triangle) sum in one
/// chunk instead of multiplying that memory.
const CHUNKS: usize = 16;
/// Shells up to which [`CHUNKS`] chunks are used.
const MANY_SHELLS: usize = 4096;

#[derive(Clone)]
struct ShellAcc {
    triangles: usize,
    volume6: f64,
    area2: f64,
    moment24: [f64; 3],
    lo: [f64; 3],
    hi: [f64; 3],
}

impl ShellAcc {
    fn empty() -> ShellAcc {
        ShellAcc {
            triangles: 0,
            volume6: 0.0,
            area2: 0.0,
            moment24: [0.0; 3],
            lo: [f64::INFINITY; 3],
            hi: [f64::NEG_INFINITY; 3],
        }
    }

    fn merge(&mut self, o: &ShellAcc) {
        self.triangles += o.triangles;
        self.volume6 += o.volume6;
        self.area2 += o.area2;
        for k in 0..3 {
            self.moment24[k] += o.moment24[k];
            self.lo[k] = self.lo[k].min(o.lo[k]);
            self.hi[k] = self.hi[k].max(o.hi[k]);
        }
    }

    /// Adds triangle (a, b, c), given relative to the origin `o`.
    #[inline]
    fn add(&mut self, [a, b, c]: [[f64; 3]; 3]) {
        let cr = cross3(b, c);
        let v6 = a[0] * cr[0] + a[1] * cr[1] + a[2] * cr[2];
        let n = cross3(
            [b[0] - a[0], b[1] - a[1], b[2] - a[2]],
            [c[0] - a[0], c[1] - a[1], c[2] - a[2]],
        );
        self.triangles += 1;
        self.volume6 += v6;
        self.area2 += (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        for k in 0..3 {
            // Tetrahedron (o, a, b, c): centroid (a+b+c)/4 relative to o, weight v6.
            self.moment24[k] += v6 * (a[k] + b[k] + c[k]);
            // Bounds relative to o too; shifted back at the end.
            self.lo[k] = self.lo[k].min(a[k].min(b[k]).min(c[k]));
            self.hi[k] = self.hi[k].max(a[k].max(b[k]).max(c[k]));
        }
    }
}

/// The figures of each shell; `shell_of[t]` is the shell of triangle `t`. Open edges are
/// left at zero for the caller to count. Once `cancel` is cancelled the remaining chunks
/// are skipped (the caller checks it and discards the result).
pub(super) fn shell_stats(
    mesh: &Mesh,
    shell_of: &[u32],
    shell_count: usize,
    cancel: &Cancel,
) -> Vec<Shell> {
    let Some((lo, hi)) = mesh.bounds() else {
        return Vec::new();
    };
    let o = [0, 1, 2].map(|k| 0.5 * (lo[k] + hi[k]));
    let chunks = if shell_count <= MANY_SHELLS {
        CHUNKS
    } else {
        1
    };
    let chunk = mesh.triangles.len().div_ceil(chunks).max(4096);
    let partials: Vec<Vec<ShellAcc>> = mesh
        .triangles
        .par_chunks(chunk)
        .zip(shell_of.par_chunks(chunk))
        .map(|(tris, shells)| {
            let mut acc = vec![ShellAcc::empty(); shell_count];
            if cancel.is_cancelled() {
                return acc;
            }
            for (t, &s) in tris.iter().zip(shells) {
                acc[s as usize].add(t.map(|v| {
                    let p = mesh.positions[v as usize];
                    [p[0] as f64 - o[0], p[1] as f64 - o[1], p[2] as f64 - o[2]]
                }));
            }
            acc
        })
        .collect();
    let mut total = vec![ShellAcc::empty(); shell_count];
    for part in &partials {
        for (t, p) in total.iter_mut().zip(part) {
            t.merge(p);
        }
    }
    total
        .into_iter()
        .map(|s| {
            let volume = s.volume6 / 6.0;
            Shell {
                triangles: s.triangles,
                signed_volume: volume,
                area: s.area2 / 2.0,
                // Σ v6·(a+b+c)/24 relative to o, converted back to absolute coordinates.
                moment: [0, 1, 2].map(|k| s.moment24[k] / 24.0 + volume * o[k]),
                // Back from relative to absolute (exact for any real part: f32 - o + o
                // only rounds when coordinates span over 2^29 in magnitude).
                bounds: (
                    [0, 1, 2].map(|k| s.lo[k] + o[k]),
                    [0, 1, 2].map(|k| s.hi[k] + o[k]),
                ),
                open_edges: 0,
            }
        })
        .collect()
}
