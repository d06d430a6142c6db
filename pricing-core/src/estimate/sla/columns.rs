//! The part seen from below, column by column: a grid of square cells over the part's
//! footprint, and for each cell the surfaces its vertical line crosses, bottom to top,
//! each with its height and the z of its normal.
//!
//! It answers the two questions a support tree asks of every support point: does a
//! pillar dropped straight down from it reach the pad (PrusaSlicer's `classify` casts the
//! same ray), or does it land on the part, and how far below is that? And it gives the
//! footprint the pad is built on. Sampling the surface at cell centres instead of
//! keeping polygons makes it one parallel pass over the triangles and one sort.

use rayon::prelude::*;

use crate::mesh::Mesh;

/// Finest cell edge, mm: well under a support point spacing (≈ 3 mm) and a pillar base.
pub const MIN_CELL_MM: f64 = 0.2;

/// Most surface samples: the cell grows for huge parts so a quote stays bounded
/// (≈ 12 bytes each).
pub const MAX_SAMPLES: f64 = 6.0e6;

/// One crossing of a cell's vertical line with the surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    /// Height, mm.
    pub z: f32,
    /// z of the unit normal: < 0 faces down (needs holding from below), > 0 faces up.
    pub nz: f32,
}

/// The surface crossings of every cell.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Cell edge, mm.
    pub cell: f64,
    /// x of the grid's left edge, mm.
    pub x0: f64,
    /// y of the grid's lower edge, mm.
    pub y0: f64,
    /// Cells along x.
    pub nx: usize,
    /// Cells along y.
    pub ny: usize,
    /// Crossings of cell `c` are `crossings[start[c]..start[c + 1]]`, by increasing z.
    pub start: Vec<u32>,
    /// All crossings.
    pub crossings: Vec<Crossing>,
}

impl Columns {
    /// Samples `mesh` (in mm, bounds `min`..`max`) at cell centres.
    pub fn new(mesh: &Mesh, min: [f64; 3], max: [f64; 3]) -> Columns {
        let pos = |i: u32| -> [f64; 3] {
            let p = mesh.positions.get(i as usize).copied().unwrap_or([0.0; 3]);
            [p[0] as f64, p[1] as f64, p[2] as f64]
        };
        // Samples ≈ projected area of all triangles / cell², so the cell follows from it.
        let projected: f64 = mesh
            .triangles
            .par_iter()
            .map(|t| {
                let [a, b, c] = t.map(pos);
                (0.5 * ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]))).abs()
            })
            .sum();
        let mut cell = MIN_CELL_MM.max((projected / MAX_SAMPLES).sqrt());
        let (w, h) = ((max[0] - min[0]).max(0.0), (max[1] - min[1]).max(0.0));
        // Keep the grid itself bounded too (a long thin part of few triangles).
        while (w / cell + 2.0) * (h / cell + 2.0) > 4.0 * MAX_SAMPLES {
            cell *= 2.0;
        }
        if !cell.is_finite() {
            cell = 1.0;
        }
        let nx = (w / cell).ceil() as usize + 1;
        let ny = (h / cell).ceil() as usize + 1;
        let (x0, y0) = (min[0] - 0.5 * cell, min[1] - 0.5 * cell);

        let mut samples: Vec<(u32, Crossing)> = mesh
            .triangles
            .par_iter()
            .fold(Vec::new, |mut out, t| {
                let [a, b, c] = t.map(pos);
                sample_triangle(a, b, c, cell, x0, y0, nx, ny, &mut out);
                out
            })
            .reduce(Vec::new, |mut a, mut b| {
                if a.len() < b.len() {
                    std::mem::swap(&mut a, &mut b);
                }
                a.append(&mut b);
                a
            });
        // At one height a top comes before a bottom: a body resting on another reads as
        // leaving one and entering the next (the touching rule of `points` sees it), not
        // as a bottom hanging over the first body's own bottom.
        samples.par_sort_unstable_by(|p, q| {
            p.0.cmp(&q.0)
                .then(p.1.z.total_cmp(&q.1.z))
                .then(q.1.nz.total_cmp(&p.1.nz))
        });
        // A centre exactly on an edge shared by two triangles facing the same way is seen
        // by both: keep one crossing (the surface is crossed once there).
        samples.dedup_by(|b, a| {
            a.0 == b.0 && (a.1.nz > 0.0) == (b.1.nz > 0.0) && (a.1.z - b.1.z).abs() < 1e-4
        });
        let cells = nx * ny;
        let mut start = vec![0u32; cells + 1];
        for (c, _) in &samples {
            start[*c as usize + 1] += 1;
        }
        for i in 0..cells {
            start[i + 1] += start[i];
        }
        Columns {
            cell,
            x0,
            y0,
            nx,
            ny,
            start,
            crossings: samples.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// Crossings of cell `c`, bottom to top.
    pub fn cell(&self, c: usize) -> &[Crossing] {
        let (a, b) = (self.start[c] as usize, self.start[c + 1] as usize);
        &self.crossings[a..b]
    }

    /// Area of one cell, mm².
    pub fn cell_area(&self) -> f64 {
        self.cell * self.cell
    }
}

/// Pushes a crossing for every cell centre inside the triangle's projection.
#[allow(clippy::too_many_arguments)]
fn sample_triangle(
    a: [f64; 3],
    b: [f64; 3],
    c: [f64; 3],
    cell: f64,
    x0: f64,
    y0: f64,
    nx: usize,
    ny: usize,
    out: &mut Vec<(u32, Crossing)>,
) {
    let e1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let e2 = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [
        e1[1] * e2[2] - e1[2] * e2[1],
        e1[2] * e2[0] - e1[0] * e2[2],
        e1[0] * e2[1] - e1[1] * e2[0],
    ];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    let det = n[2]; // twice the signed projected area
    if len.is_nan() || len <= 0.0 || det.abs() < 1e-12 * len.max(1.0) || !det.is_finite() {
        return; // vertical or degenerate: no area seen from below
    }
    let nz = (n[2] / len) as f32;
    let lo_x = a[0].min(b[0]).min(c[0]);
    let hi_x = a[0].max(b[0]).max(c[0]);
    let lo_y = a[1].min(b[1]).min(c[1]);
    let hi_y = a[1].max(b[1]).max(c[1]);
    // Cell i has its centre at x0 + (i + 0.5) cell.
    let i0 = ((lo_x - x0) / cell - 0.5).ceil().max(0.0) as usize;
    let i1 = (((hi_x - x0) / cell - 0.5).floor().max(-1.0) + 1.0) as usize;
    let j0 = ((lo_y - y0) / cell - 0.5).ceil().max(0.0) as usize;
    let j1 = (((hi_y - y0) / cell - 0.5).floor().max(-1.0) + 1.0) as usize;
    for j in j0..j1.min(ny) {
        let y = y0 + (j as f64 + 0.5) * cell;
        for i in i0..i1.min(nx) {
            let x = x0 + (i as f64 + 0.5) * cell;
            // Barycentric coordinates in the xy projection; half-open on one side so a
            // centre on an edge shared by two triangles is counted once.
            let (px, py) = (x - a[0], y - a[1]);
            let u = (px * e2[1] - py * e2[0]) / det;
            let v = (py * e1[0] - px * e1[1]) / det;
            if u < 0.0 || v < 0.0 || u + v >= 1.0 {
                continue;
            }
            let z = a[2] + u * e1[2] + v * e2[2];
            out.push(((j * nx + i) as u32, Crossing { z: z as f32, nz }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cube_column_crosses_its_bottom_then_its_top() {
        let mesh = crate::mesh::generate::cuboid([0.0; 3], [10.0; 3]);
        let cols = Columns::new(&mesh, [0.0; 3], [10.0; 3]);
        let mut inside = 0;
        for c in 0..cols.nx * cols.ny {
            let s = cols.cell(c);
            if s.is_empty() {
                continue;
            }
            inside += 1;
            assert_eq!(s.len(), 2, "cell {c}: {s:?}");
            assert!(s[0].nz < -0.99 && s[0].z.abs() < 1e-5);
            assert!(s[1].nz > 0.99 && (s[1].z - 10.0).abs() < 1e-5);
        }
        // Every cell centre inside the 10 mm square, counted once.
        let area = inside as f64 * cols.cell_area();
        approx::assert_relative_eq!(area, 100.0, max_relative = 0.05);
    }
}
