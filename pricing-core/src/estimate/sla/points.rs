//! How many support points PrusaSlicer places, layer by layer, and where they stand
//! (`SLA/SupportPointGenerator.cpp`, 2.5).
//!
//! PrusaSlicer's rule is a force balance: peeling a layer off the vat film pulls on it
//! with a pressure of 1 (per mm²), and one support point holds a force of
//! 11.1 / (`support_points_density_relative` / 100). Going up layer by layer, an island
//! inherits the force its supports below can hold, and gets new points where that is
//! not enough:
//! - the first layer of an island (nothing below it) gets its whole area's worth of
//!   points, times 1 + aspect / 2 for elongated islands;
//! - "hopeless" overhangs, area that grew more than h·tan 75° past the layer below
//!   (surfaces under 15° from horizontal), get their full area's worth whatever is held;
//! - sloped growth (between h·tan 35° and h·tan 75°: surfaces 15°-55°) gets points only
//!   while the island's held force is below its area, deficit·(1 − held/area);
//! - every call rounds the point count up, so any deficit costs at least one point;
//! - the held force is cut when the area grows more than 20× from one layer to the next,
//!   and divided by 0.17 × (hopeless overhang / area) when that exceeds 1.
//!
//! Here the whole layer is one island (its total area from the layer cutter), and the
//! overhang and slope areas of each layer come from the part's down-facing surface
//! sampled by [`Columns`]. That is the single approximation of this stage: parts whose
//! layers hold several islands (several bodies, forks) share one force budget instead
//! of one per island.

use super::columns::{Columns, Crossing};

/// Force one support point holds at 100 % density (PrusaSlicer's `support_force()`).
pub const POINT_FORCE: f64 = 11.1;

/// PrusaSlicer's Poisson-disc radius for new points (`uniformly_cover`): one fifth of
/// the force one point holds over the tear pressure (1), in mm, and no less than the
/// profile's minimal distance.
pub fn poisson_radius(density_percent: f64, minimal_distance: f64) -> f64 {
    (POINT_FORCE / (density_percent / 100.0) / 5.0).max(minimal_distance)
}

/// Steepest surface, degrees from horizontal, that PrusaSlicer counts as a hopeless
/// overhang (growth past h·tan 75° per layer).
const OVERHANG_DEG: f64 = 15.0;
/// Steepest surface counted as a slope (growth past h·tan 35° per layer).
const SLOPE_DEG: f64 = 55.0;

/// What a down-facing surface needs from the supports, by its angle from horizontal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// Steeper than [`SLOPE_DEG`]: the layer below holds it.
    Nothing,
    /// A slope: points only while its island's force is short of its area.
    Slope,
    /// Under [`OVERHANG_DEG`]: a hopeless overhang, points whatever is held.
    Overhang,
}

impl Need {
    /// For a surface whose normal has z = −`up`.
    pub(super) fn of(up: f32) -> Need {
        if up >= OVERHANG_DEG.to_radians().cos() as f32 {
            Need::Overhang
        } else if up >= SLOPE_DEG.to_radians().cos() as f32 {
            Need::Slope
        } else {
            Need::Nothing
        }
    }
}

/// Whether crossing `i` of a column is a bottom lying on another body's top (touching
/// bodies): inside the union PrusaSlicer slices, so nothing to hold.
pub(super) fn rests_on_body(col: &[Crossing], i: usize) -> bool {
    i > 0 && col[i - 1].nz > 0.0 && f64::from(col[i].z) - f64::from(col[i - 1].z) < 1e-3
}

/// Points a new island gets (nothing below holds it): its area's worth, times
/// 1 + aspect / 2 for an elongated one, rounded up.
pub(super) fn new_island_points(area: f64, aspect: f64, force: f64) -> f64 {
    if area > 0.0 {
        (area * (1.0 + aspect / 2.0) / force).ceil()
    } else {
        0.0
    }
}

/// The points an island resting on others adds: (hopeless overhang points, slope
/// points, its force after). `held` is the force it inherited, after the cut for
/// growing past 20×; the cut for a large overhang (÷ 0.17 · overhang / area) is made
/// here. The overhang gets its full area's worth; the slopes only the deficit
/// slope · (1 − force / area), while the force is short of the area.
pub(super) fn resting_points(
    held: f64,
    area: f64,
    overhang: f64,
    slope: f64,
    force: f64,
) -> (f64, f64, f64) {
    let mut held = held / (0.17 * overhang / area).max(1.0);
    let mut on_overhang = 0.0;
    if overhang > 0.0 {
        on_overhang = (overhang / force).ceil();
        held += on_overhang * force;
    }
    let mut on_slope = 0.0;
    if slope > 0.0 && held < area {
        on_slope = (slope * (1.0 - held / area) / force).ceil();
        held += on_slope * force;
    }
    (on_overhang, on_slope, held)
}

/// What one layer's down-facing surface needs: projected areas (mm²) by kind and by
/// where a pillar dropped from it lands, and the mean drop to the part for those that
/// land on it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LayerSurface {
    /// Hopeless overhang whose column reaches the pad.
    pub overhang_ground: f64,
    /// Hopeless overhang above the part.
    pub overhang_part: f64,
    /// Slope whose column reaches the pad.
    pub slope_ground: f64,
    /// Slope above the part.
    pub slope_part: f64,
    /// Σ area × drop to the part below, over the part-landing areas (mm³).
    pub drop_part: f64,
    /// Σ area × cos(surface angle) over the slopes (for the head tilt).
    pub slope_cos: f64,
}

impl LayerSurface {
    pub(super) fn overhang(&self) -> f64 {
        self.overhang_ground + self.overhang_part
    }
    pub(super) fn slope(&self) -> f64 {
        self.slope_ground + self.slope_part
    }
    /// Adds to `p` the points placed on this surface, split between pad and part by
    /// area: `on_overhang` on its hopeless overhang, `on_slope` on its slopes.
    pub(super) fn add(&self, p: &mut LayerPoints, on_overhang: f64, on_slope: f64) {
        if on_overhang > 0.0 {
            p.ground += on_overhang * self.overhang_ground / self.overhang();
            p.part += on_overhang * self.overhang_part / self.overhang();
            p.overhang = true;
        }
        if on_slope > 0.0 {
            p.ground += on_slope * self.slope_ground / self.slope();
            p.part += on_slope * self.slope_part / self.slope();
            p.slope = true;
        }
    }
}

/// The surface needing support of each layer `k` (z in [k·h, (k+1)·h)), the bottom
/// cells (the first layer's island, always on the pad), and the slope/overhang cells
/// that reach the pad per layer (for the pad's footprint).
pub struct Surfaces {
    /// Per layer.
    pub layers: Vec<LayerSurface>,
    /// Cells whose lowest crossing is the part's bottom (first layer).
    pub bottom_cells: Vec<u32>,
    /// (layer, cell) of every down-facing overhang or slope crossing that reaches the pad.
    pub ground_cells: Vec<(u32, u32, bool)>,
    /// Second moments of the bottom cells' centres, for the first island's aspect ratio.
    pub bottom_aspect: f64,
}

/// Classifies every down-facing crossing of `cols` into layers of height `h`; the part's
/// bottom is the first `first_h` mm.
pub fn surfaces(cols: &Columns, h: f64, first_h: f64, layers: usize) -> Surfaces {
    let a = cols.cell_area();
    let mut out = vec![LayerSurface::default(); layers];
    let mut bottom_cells = Vec::new();
    let mut ground_cells = Vec::new();
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for c in 0..cols.nx * cols.ny {
        let col = cols.cell(c);
        for (i, s) in col.iter().enumerate() {
            if s.nz >= 0.0 {
                continue;
            }
            let below = if i == 0 { None } else { Some(col[i - 1]) };
            let z = f64::from(s.z);
            if rests_on_body(col, i) {
                continue;
            }
            if below.is_none() && z < first_h {
                bottom_cells.push(c as u32);
                let (x, y) = ((c % cols.nx) as f64, (c / cols.nx) as f64);
                sx += x;
                sy += y;
                sxx += x * x;
                syy += y * y;
                sxy += x * y;
                continue;
            }
            let up = -s.nz; // cos of the angle from horizontal
            let overhang = match Need::of(up) {
                Need::Nothing => continue,
                need => need == Need::Overhang,
            };
            let k = ((z / h).floor().max(0.0) as usize).min(layers.saturating_sub(1));
            let Some(l) = out.get_mut(k) else { continue };
            match below {
                None => {
                    if overhang {
                        l.overhang_ground += a;
                    } else {
                        l.slope_ground += a;
                    }
                    ground_cells.push((k as u32, c as u32, overhang));
                }
                Some(b) => {
                    if overhang {
                        l.overhang_part += a;
                    } else {
                        l.slope_part += a;
                    }
                    l.drop_part += a * (z - f64::from(b.z)).max(0.0);
                }
            }
            if !overhang {
                l.slope_cos += a * f64::from(up);
            }
        }
    }
    let n = bottom_cells.len() as f64;
    let bottom_aspect = if n > 1.0 {
        let (mx, my) = (sx / n, sy / n);
        let (vxx, vyy, vxy) = (sxx / n - mx * mx, syy / n - my * my, sxy / n - mx * my);
        // Eigenvalues of the covariance: a rectangle's side ratio is √(λ1/λ2).
        let tr = vxx + vyy;
        let d = ((vxx - vyy).powi(2) + 4.0 * vxy * vxy).sqrt();
        let (l1, l2) = (0.5 * (tr + d), 0.5 * (tr - d));
        if l2 > 1e-9 {
            (l1 / l2).sqrt()
        } else {
            n.sqrt()
        }
    } else {
        1.0
    };
    Surfaces {
        layers: out,
        bottom_cells,
        ground_cells,
        bottom_aspect,
    }
}

/// Support points added in one layer, by kind and landing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LayerPoints {
    /// Points whose pillar reaches the pad.
    pub ground: f64,
    /// Points whose pillar lands on the part.
    pub part: f64,
    /// Whether any of them are slope points (else overhang or first-layer points).
    pub slope: bool,
    /// Whether any overhang points were placed.
    pub overhang: bool,
    /// Of `ground`, the points of new islands (their pillar sites are placed with the
    /// island, see [`super::islands`]).
    pub new_island_ground: f64,
}

/// Runs the force balance over the layers: `areas[k]` is layer k's cross-section
/// (mm²), `first_area` the first layer's.
pub fn place(s: &Surfaces, areas: &[f64], density_percent: f64) -> (f64, Vec<LayerPoints>) {
    let force = POINT_FORCE / (density_percent / 100.0);
    let mut out = vec![LayerPoints::default(); s.layers.len()];
    let first_area = areas.first().copied().unwrap_or(0.0).max(0.0);
    let first = new_island_points(first_area, s.bottom_aspect, force);
    let mut held = first * force;
    let mut prev_area = first_area;
    for (k, l) in s.layers.iter().enumerate() {
        let area = areas.get(k).copied().unwrap_or(0.0).max(0.0);
        if k == 0 || area <= 0.0 {
            prev_area = prev_area.max(area);
            continue;
        }
        if prev_area > 0.0 {
            held *= (20.0 * prev_area / area).min(1.0);
        }
        let (on_overhang, on_slope, after) =
            resting_points(held, area, l.overhang(), l.slope(), force);
        held = after;
        l.add(&mut out[k], on_overhang, on_slope);
        prev_area = area;
    }
    (first, out)
}
