//! The pad under the supports, as PrusaSlicer 2.5 builds it (`SLA/Pad.cpp`,
//! `BelowPadSkeleton`): the footprints of the pillar bases (or, without supports, the
//! part's own bottom), joined by a closing of twice the brim (`offset_waffle_style`:
//! grow by 2δ, shrink by δ, δ = `pad_brim_size` + the cavity wall's run), holes dropped;
//! that outline is the pad's top. Its wall slopes inward by (thickness + cavity depth) /
//! tan(slope) down to the platform, and with a cavity the top is hollowed `pad_wall_height`
//! deep inside a wall of `pad_wall_thickness`.
//!
//! The outline is a raster on the [`Columns`] grid, so offsets are disc dilations and
//! erosions of a bitmap. What is not modelled: the thin connector wedges PrusaSlicer adds
//! between separate pad islands closer than `pad_max_merge_distance`.

use super::columns::Columns;
use crate::profile::sla::SlaProfile;
use crate::slice::Bitmap;

/// The pad's size.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pad {
    /// Area of its top outline, mm².
    pub top_mm2: f64,
    /// Resin, mm³.
    pub mm3: f64,
}

/// Builds the pad on the pixels `seeds` (cell indices of `cols`) grown by `grow` mm
/// before the closing (the pillar base radius; 0 for the part's own bottom).
pub fn pad(p: &SlaProfile, cols: &Columns, seeds: &[u32], grow: f64) -> Pad {
    if seeds.is_empty() || !p.pad_enable || p.pad_wall_thickness <= 0.0 {
        return Pad::default();
    }
    let slope = p.pad_wall_slope.to_radians();
    let wing = p.pad_wall_height / slope.tan();
    let delta = p.pad_brim_size + wing;
    let px = cols.cell;
    let reach = grow + 2.0 * delta;
    let margin = (reach / px).ceil() as usize + 2;
    let (w, h) = (cols.nx + 2 * margin, cols.ny + 2 * margin);
    let mut bm = Bitmap::new(w, h);
    for &c in seeds {
        let (x, y) = (c as usize % cols.nx + margin, c as usize / cols.nx + margin);
        bm.set_span(y, x, x + 1);
    }
    let top = fill_holes(&bm.dilated(reach / px).eroded(delta / px));
    let area = |b: &Bitmap| b.count() as f64 * px * px;
    let shrunk = |d: f64| -> f64 {
        if d / px < 1.0 {
            // Under a pixel: the outline's area minus its perimeter band, from the area
            // lost to a one-pixel erosion.
            let one = area(&top.eroded(1.0));
            area(&top) - (area(&top) - one) * d / px
        } else {
            area(&top.eroded(d / px))
        }
    };
    let top_mm2 = area(&top);
    // The outer body: a frustum from the top outline down to it shrunk by `run` (Simpson).
    let height = p.pad_wall_thickness + p.pad_wall_height;
    let run = height / slope.tan();
    let body = height / 6.0 * (top_mm2 + 4.0 * shrunk(0.5 * run) + shrunk(run));
    // The cavity: from the top shrunk by the wall down to it shrunk by wall + wing.
    let cavity = if p.pad_wall_height > 0.0 {
        let t = p.pad_wall_thickness;
        let (a0, a1, a2) = (shrunk(t), shrunk(t + 0.5 * wing), shrunk(t + wing));
        if a2 > 0.0 {
            p.pad_wall_height / 6.0 * (a0 + 4.0 * a1 + a2)
        } else {
            0.0 // PrusaSlicer drops a cavity that does not fit
        }
    } else {
        0.0
    };
    Pad {
        top_mm2,
        mm3: (body - cavity).max(0.0),
    }
}

/// `b` with every region of unset pixels that does not reach the border set.
fn fill_holes(b: &Bitmap) -> Bitmap {
    let (w, h) = (b.width, b.height);
    let mut outside = vec![false; w * h];
    let mut stack = Vec::new();
    let push = |x: usize, y: usize, outside: &mut Vec<bool>, stack: &mut Vec<usize>| {
        let i = y * w + x;
        if !outside[i] && !b.get(x, y) {
            outside[i] = true;
            stack.push(i);
        }
    };
    for x in 0..w {
        push(x, 0, &mut outside, &mut stack);
        push(x, h - 1, &mut outside, &mut stack);
    }
    for y in 0..h {
        push(0, y, &mut outside, &mut stack);
        push(w - 1, y, &mut outside, &mut stack);
    }
    while let Some(i) = stack.pop() {
        let (x, y) = (i % w, i / w);
        if x > 0 {
            push(x - 1, y, &mut outside, &mut stack);
        }
        if x + 1 < w {
            push(x + 1, y, &mut outside, &mut stack);
        }
        if y > 0 {
            push(x, y - 1, &mut outside, &mut stack);
        }
        if y + 1 < h {
            push(x, y + 1, &mut outside, &mut stack);
        }
    }
    let mut out = Bitmap::new(w, h);
    for y in 0..h {
        let mut run: Option<usize> = None;
        for x in 0..=w {
            let inside = x < w && !outside[y * w + x];
            match (inside, run) {
                (true, None) => run = Some(x),
                (false, Some(x0)) => {
                    out.set_span(y, x0, x);
                    run = None;
                }
                _ => {}
            }
        }
    }
    out
}

/// Up to `n` of `cells`, no two closer than `spacing` mm: where PrusaSlicer's sampler
/// (`uniformly_cover`) puts `n` new support points on that surface. It draws a Poisson
/// disc set over the surface and its boundary, then keeps a random `n` of it; here the
/// boundary cells are tried first, the rest after, each in a fixed scrambled order, and
/// the `n` kept are a scrambled subset, so the result is the same on every run.
pub fn sites(cols: &Columns, cells: &[u32], n: usize, spacing: f64) -> Vec<u32> {
    if n == 0 || cells.is_empty() {
        return Vec::new();
    }
    if n >= cells.len() {
        return cells.to_vec();
    }
    let scramble = |c: u32| (c.wrapping_mul(2_654_435_761), c);
    let mut sorted: Vec<u32> = cells.to_vec();
    sorted.sort_unstable();
    let inside = |c: u32| sorted.binary_search(&c).is_ok();
    let (nx, ny) = (cols.nx as u32, cols.ny as u32);
    // A cell on the grid's edge, or beside a cell that is not on the surface.
    let on_boundary = |c: u32| {
        let (x, y) = (c % nx, c / nx);
        x == 0
            || y == 0
            || x + 1 == nx
            || y + 1 == ny
            || !inside(c - 1)
            || !inside(c + 1)
            || !inside(c - nx)
            || !inside(c + nx)
    };
    let mut keyed: Vec<(bool, (u32, u32))> = sorted
        .iter()
        .map(|&c| (!on_boundary(c), scramble(c)))
        .collect();
    keyed.sort_unstable();
    let step = (spacing / cols.cell).max(1.0);
    let mut taken: std::collections::HashMap<(i64, i64), Vec<(f64, f64)>> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for &(_, (_, c)) in &keyed {
        let (x, y) = ((c as usize % cols.nx) as f64, (c as usize / cols.nx) as f64);
        let key = ((x / step).floor() as i64, (y / step).floor() as i64);
        let near = (-1..=1).any(|dy| {
            (-1..=1).any(|dx| {
                taken.get(&(key.0 + dx, key.1 + dy)).is_some_and(|v| {
                    v.iter()
                        .any(|&(a, b)| (a - x).powi(2) + (b - y).powi(2) < step * step)
                })
            })
        });
        if near {
            continue;
        }
        taken.entry(key).or_default().push((x, y));
        out.push(c);
    }
    if out.len() > n {
        out.sort_unstable_by_key(|&c| scramble(c.rotate_left(16)));
        out.truncate(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_filled_and_the_outside_is_not() {
        let mut b = Bitmap::new(10, 10);
        for y in 2..8 {
            b.set_span(y, 2, 8);
        }
        for y in 4..6 {
            b.row_mut(y)[0] &= !(0b11 << 4); // a 2×2 hole
        }
        let f = fill_holes(&b);
        assert_eq!(f.count(), 36);
        assert!(!f.get(0, 0) && f.get(4, 4));
    }

    /// A 20 mm square block's columns and the cells under it.
    fn square() -> (Columns, Vec<u32>) {
        let mesh = crate::mesh::generate::cuboid([0.0; 3], [20.0, 20.0, 5.0]);
        let cols = Columns::new(&mesh, [0.0; 3], [20.0, 20.0, 5.0]);
        let cells = (0..cols.nx * cols.ny)
            .filter(|&c| !cols.cell(c).is_empty())
            .map(|c| c as u32)
            .collect();
        (cols, cells)
    }

    #[test]
    fn sites_are_spaced_cells_of_the_surface_reaching_its_boundary() {
        let (cols, cells) = square();
        let xy = |c: u32| {
            let c = c as usize;
            (
                (c % cols.nx) as f64 * cols.cell,
                (c / cols.nx) as f64 * cols.cell,
            )
        };
        let spaced = |s: &[u32]| {
            s.iter().enumerate().all(|(i, &a)| {
                s[..i].iter().all(|&b| {
                    let ((ax, ay), (bx, by)) = (xy(a), xy(b));
                    (ax - bx).hypot(ay - by) >= 2.2 - 1e-9
                })
            })
        };
        // A few points: exactly that many, on the surface, spaced.
        let few = sites(&cols, &cells, 5, 2.2);
        assert_eq!(few.len(), 5);
        assert!(few.iter().all(|c| cells.contains(c)) && spaced(&few));
        // As many as fit: the boundary is lined first, a site about every 2.2 mm of
        // its 80 mm (in scrambled order with the rest, a handful would land on it).
        let all = sites(&cols, &cells, cells.len() - 1, 2.2);
        assert!(spaced(&all) && all.len() > 60, "{}", all.len());
        let xs = |c: u32| (c as usize % cols.nx, c as usize / cols.nx);
        let (lo, hi) = (xs(cells[0]), xs(cells[cells.len() - 1]));
        let on_edge = all
            .iter()
            .filter(|&&c| {
                let (x, y) = xs(c);
                x == lo.0 || y == lo.1 || x == hi.0 || y == hi.1
            })
            .count();
        assert!(
            on_edge >= 18,
            "{on_edge} of {} sites on the boundary",
            all.len()
        );
        // The same on every run.
        assert_eq!(sites(&cols, &cells, 5, 2.2), few);
    }

    #[test]
    fn flat_pad_under_a_square_is_the_square_grown_by_the_brim() {
        // A 20 mm square of seeds, no base growth: the closing grows it by δ = 1.6 mm.
        let (cols, seeds) = square();
        let p = SlaProfile::prusaslicer();
        let pad = pad(&p, &cols, &seeds, 0.0);
        // (20 + 2·1.6)² minus the rounded corners (4 − π)·1.6².
        let expect = 23.2f64.powi(2) - (4.0 - std::f64::consts::PI) * 1.6 * 1.6;
        approx::assert_relative_eq!(pad.top_mm2, expect, max_relative = 0.03);
        approx::assert_relative_eq!(pad.mm3, pad.top_mm2 * 2.0, max_relative = 1e-9);
    }
}
