//! Skirt (PrusaSlicer's `Print::_make_skirt`): loops around the first layers' footprint
//! and the support flange, `skirt_distance` away.

use std::f64::consts::PI;

use super::flow::{Motions, Widths};
use super::layers::Layers;
use super::totals::RoleTotals;
use crate::estimate::Role;
use crate::profile::fdm::FdmProfile;
use crate::slice::{Bitmap, Grid, Section};

/// Adds the skirt's material and time to `totals`.
pub(super) fn add(
    totals: &mut RoleTotals,
    pr: &FdmProfile,
    layers: &Layers,
    sections: &[Section],
    flange: Option<&Bitmap>,
    w: &Widths,
    motions: &Motions<'_>,
) {
    if pr.skirts == 0 {
        return;
    }
    let grid = &layers.grid;
    let sk_layers = (pr.skirt_height.max(1) as usize).min(layers.count());
    let mut foot = Bitmap::new(grid.width, grid.height);
    for s in sections.iter().take(sk_layers) {
        foot.or(&s.bitmap);
    }
    if let Some(b) = flange {
        foot.or(b);
    }
    let hull = hull_perimeter(&foot, grid);
    for k in 0..sk_layers {
        let hh = layers.height_of(k);
        let s = if k == 0 { w.first_s } else { w.ext_s };
        let m = motions.skirt(s, k);
        for i in 0..pr.skirts {
            // Loop i runs around the hull at its distance: the hull's perimeter plus a
            // full circle of that radius (the corners of the offset).
            let d = pr.skirt_distance + s / 2.0 + i as f64 * s;
            let len = hull + 2.0 * PI * d;
            // Each loop starts and ends at rest: one ramp up and one down.
            totals.add(
                Role::Skirt,
                len * s * hh,
                len / m.speed + 2.0 * m.speed / m.accel,
            );
        }
    }
}

/// Perimeter of the convex hull of the set pixels, mm.
fn hull_perimeter(b: &Bitmap, grid: &Grid) -> f64 {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for y in 0..b.height {
        let mut lo = usize::MAX;
        let mut hi = 0;
        b.for_each_run(y, |x0, x1| {
            lo = lo.min(x0);
            hi = hi.max(x1);
        });
        if lo < hi {
            let yc = grid.y0 + (y as f64 + 0.5) * grid.pixel;
            pts.push((grid.x0 + lo as f64 * grid.pixel, yc));
            pts.push((grid.x0 + hi as f64 * grid.pixel, yc));
        }
    }
    if pts.len() < 2 {
        return 0.0;
    }
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    // Andrew's monotone chain: the lower hull left to right, then the upper back.
    let mut hull: Vec<(f64, f64)> = Vec::new();
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &(f64, f64)>> = if pass == 0 {
            Box::new(pts.iter())
        } else {
            Box::new(pts.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    let m = hull.len();
    (0..m)
        .map(|i| {
            let (a, b) = (hull[i], hull[(i + 1) % m]);
            ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_of_a_square_is_its_perimeter() {
        let grid = Grid {
            x0: 0.0,
            y0: 0.0,
            pixel: 1.0,
            width: 20,
            height: 20,
        };
        let mut b = Bitmap::new(20, 20);
        for y in 5..15 {
            b.set_span(y, 5, 15);
        }
        // Pixel centres in y (5.5 .. 14.5), pixel edges in x (5 .. 15): a 10 × 9 box.
        approx::assert_relative_eq!(hull_perimeter(&b, &grid), 38.0, max_relative = 1e-12);
        assert_eq!(hull_perimeter(&Bitmap::new(20, 20), &grid), 0.0);
    }
}
