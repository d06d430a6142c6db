//! Time (PrusaSlicer's `GCodeProcessor`): how long the head takes over perimeters,
//! fills and support lines, travels, retractions and layer changes, through the motion
//! planner ([`super::motion`]).
//!
//! Perimeters are timed on the exact cut polygons; fills and support lines from the
//! raster's run lengths ([`lines_time`]): every run is one line that starts and ends at
//! the junction speed of its turn, plus the short link to the next line.

use super::calibration::{FILL_DIRECTION, SUPPORT_DIRECTION, TOUR_HOP_FACTOR};
use super::flow::Motions;
use super::motion::{Motion, line_time, polyline_time, segment_time};
use crate::profile::fdm::FdmProfile;
use crate::slice::{Bitmap, Contour, Grid};

/// How the lines of a region are laid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lines {
    /// All along x (the support grid's base and interface lines).
    Rows,
    /// At 45°, alternating direction layer by layer (fills). Rows give the chords along x
    /// exactly, columns along y by their mean length (the number of vertical runs is the
    /// count of rising edges); the time is their mean. Both matter: a long thin strip is
    /// crossed by short lines whichever way it lies.
    Alternating,
}

/// Time to fill region `b` (pixels of `pixel` mm) with lines `pitch` mm apart at motion
/// `m`, s: the one run-length timing of fills and support lines.
pub(super) fn lines_time(b: &Bitmap, m: &Motion, pitch: f64, pixel: f64, lines: Lines) -> f64 {
    if b.is_empty() {
        return 0.0;
    }
    let direction = match lines {
        Lines::Rows => SUPPORT_DIRECTION,
        Lines::Alternating => FILL_DIRECTION,
    };
    let vj = m.safe_speed(direction);
    let link = segment_time(pitch, vj, vj, m.speed, m.accel);
    let line = |len: f64| line_time(m, len, vj) + link;
    let mut rows = 0.0;
    let mut col_runs = 0u64;
    for y in 0..b.height {
        b.for_each_run(y, |x0, x1| rows += line((x1 - x0) as f64 * pixel));
        if lines == Lines::Alternating {
            col_runs += rising_edges(b, y);
        }
    }
    match lines {
        Lines::Rows => rows * pixel / pitch,
        Lines::Alternating => {
            let px = b.count() as f64;
            let cols = if col_runs > 0 {
                let mean = px / col_runs as f64 * pixel;
                col_runs as f64 * line(mean)
            } else {
                0.0
            };
            0.5 * (rows + cols) * pixel / pitch
        }
    }
}

/// Pixels of row `y` whose pixel below is unset: where vertical runs start.
fn rising_edges(b: &Bitmap, y: usize) -> u64 {
    let row = b.row(y);
    if y == 0 {
        row.iter().map(|w| w.count_ones() as u64).sum::<u64>()
    } else {
        row.iter()
            .zip(b.row(y - 1))
            .map(|(w, d)| (w & !d).count_ones() as u64)
            .sum::<u64>()
    }
}

/// (external, inner) time to trace `contour` of `layer` once, s: the timing closure the
/// slicer calls per contour.
pub(super) fn perimeter_times(
    motions: &Motions<'_>,
    layer: usize,
    contour: &Contour<'_>,
) -> (f64, f64) {
    let (ext, inner) = motions.perimeters(layer, contour.length);
    (
        polyline_time(&ext, contour.lens, contour.dirs),
        polyline_time(&inner, contour.lens, contour.dirs),
    )
}

/// Unit direction of travels between islands: they go every way; a diagonal is their
/// mean case for the jerk limit.
const TRAVEL_DIRECTION: [f64; 2] = FILL_DIRECTION;

/// Travel, retraction and layer-change timing.
#[derive(Debug, Clone, Copy)]
pub(super) struct Travel {
    travel: Motion,
    z: Motion,
    /// One retraction and its restore, plus the z-lift and its return, s.
    retract_s: f64,
    /// Speed a travel starts and ends at.
    v_safe: f64,
    /// The raster frame's area, mm²: the islands spread over it.
    frame_area: f64,
    /// Travels shorter than this do not retract, so no retracting hop is shorter, mm.
    min_hop: f64,
}

impl Travel {
    pub fn new(pr: &FdmProfile, motions: &Motions<'_>, grid: &Grid) -> Travel {
        let travel = motions.travel();
        let z = motions.z();
        let mut t = Travel {
            travel,
            z,
            retract_s: 0.0,
            v_safe: travel.safe_speed(TRAVEL_DIRECTION),
            frame_area: (grid.width as f64 * grid.pixel) * (grid.height as f64 * grid.pixel),
            min_hop: pr.retract_before_travel,
        };
        t.retract_s = if pr.retract_length > 0.0 && pr.retract_speed > 0.0 {
            2.0 * pr.retract_length / pr.retract_speed
        } else {
            0.0
        } + if pr.retract_lift > 0.0 {
            2.0 * t.z_move(pr.retract_lift)
        } else {
            0.0
        };
        t
    }

    /// A z move of `d` mm from rest to rest.
    fn z_move(&self, d: f64) -> f64 {
        line_time(&self.z, d, self.z.jerk.min(self.z.speed))
    }

    /// Travel time of one layer `hh` mm high with `islands` islands (part loops and
    /// support islands), `retracts_per_island` retracting travels to each: one layer
    /// change, and the retracting hops of a nearest-neighbour tour through the islands.
    pub fn layer(&self, hh: f64, islands: f64, retracts_per_island: f64) -> f64 {
        let retracts = islands * retracts_per_island;
        let hop = (TOUR_HOP_FACTOR * (self.frame_area / islands).sqrt()).max(self.min_hop);
        self.z_move(hh) + retracts * (self.retract_s + line_time(&self.travel, hop, self.v_safe))
    }
}
