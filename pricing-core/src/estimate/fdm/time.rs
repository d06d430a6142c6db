//! Time (PrusaSlicer's `GCodeProcessor`): how long the head takes over perimeters,
//! fills and support lines, travels, retractions and layer changes, through the motion
//! planner ([`super::motion`]).
//!
//! Perimeters are timed on the exact cut polygons; fills and support lines from the
//! raster's run lengths ([`lines_time`]): every run is one line that starts and ends at
//! the junction speed of its turn, plus the short link to the next line.

use super::calibration::{FILL_DIRECTION, SUPPORT_DIRECTION, TOUR_HOP_FACTOR};
use super::fill::ChordTimer;
use super::flow::Motions;
use super::motion::{Motion, line_time, polyline_time};
use crate::profile::fdm::FdmProfile;
use crate::slice::{Bitmap, Contour, Grid};

/// How the lines of a region are laid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lines {
    /// All along x (the support grid's base and interface lines): the rows' runs, exactly.
    Rows,
    /// Along x and y, alternating layer by layer (the gyroid's waves, which PrusaSlicer
    /// turns by its −45° correction onto the axes): the mean of rows and columns.
    Axes,
    /// At ±45° (`fill_angle`), alternating layer by layer: rectilinear and the other line
    /// patterns, solid fills. A square crossed diagonally has √2 times as many lines,
    /// each shorter, as one crossed along an axis, which costs every line's ramps.
    Diagonals,
}

/// Time to fill region `b` (pixels of `pixel` mm) with lines `pitch` mm apart, each timed
/// by `chord` (the line across a run and its join to the next), s: the one run-length
/// timing of fills and support lines.
///
/// Rows are timed run by run. Columns and diagonals by their mean run length: their
/// number is counted word-wise ([`Bitmap::run_starts`]), and every pixel is on one run.
pub(super) fn lines_time(
    b: &Bitmap,
    chord: &ChordTimer,
    pitch: f64,
    pixel: f64,
    lines: Lines,
) -> f64 {
    if b.is_empty() {
        return 0.0;
    }
    let px = b.count() as f64;
    // Time of all runs along (dx, 1), each `step` mm per pixel, lines `gap` mm apart.
    let along = |dx: i32, step: f64, gap: f64| {
        let runs = b.run_starts(dx);
        if runs == 0 {
            return 0.0;
        }
        runs as f64 * chord.time(px / runs as f64 * step) * gap / pitch
    };
    let rows = || {
        let mut t = 0.0;
        for y in 0..b.height {
            b.for_each_run(y, |x0, x1| t += chord.time((x1 - x0) as f64 * pixel));
        }
        t * pixel / pitch
    };
    match lines {
        Lines::Rows => rows(),
        Lines::Axes => 0.5 * (rows() + along(0, pixel, pixel)),
        Lines::Diagonals => {
            let (step, gap) = (
                pixel * std::f64::consts::SQRT_2,
                pixel / std::f64::consts::SQRT_2,
            );
            0.5 * (along(1, step, gap) + along(-1, step, gap))
        }
    }
}

/// A straight-line chord timer for fills laid in `lines` (`pitch` mm apart) at `m`.
pub(super) fn straight(m: &Motion, pitch: f64, lines: Lines) -> ChordTimer {
    let direction = match lines {
        Lines::Rows => SUPPORT_DIRECTION,
        Lines::Axes => [1.0, 0.0],
        Lines::Diagonals => FILL_DIRECTION,
    };
    ChordTimer::straight(m, pitch, direction)
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

    /// A travel of `d` mm between two lines of one region, retracting when it is at
    /// least `retract_before_travel` long, s.
    pub fn hop(&self, d: f64) -> f64 {
        let retract = if d >= self.min_hop && d > 0.0 {
            self.retract_s
        } else {
            0.0
        };
        line_time(&self.travel, d, self.v_safe) + retract
    }

    /// A travel of `d` mm inside one fill region, without retracting: PrusaSlicer does
    /// not retract for a travel that stays inside the infill it is laying.
    pub fn glide(&self, d: f64) -> f64 {
        line_time(&self.travel, d, self.v_safe)
    }

    /// Travel time of one layer: a layer change, then the hops of [`Hops`].
    ///
    /// Islands are visited in a nearest-neighbour tour over the raster frame, fill pieces
    /// within the part's section; each hop of such a tour is about `0.7·√(A/n)`
    /// ([`TOUR_HOP_FACTOR`]) and retracts when it is at least `retract_before_travel`.
    pub fn layer(&self, h: &Hops) -> f64 {
        let tour = |area: f64, n: usize| -> f64 {
            if n == 0 {
                return 0.0;
            }
            let hop = TOUR_HOP_FACTOR * (area / n as f64).sqrt();
            n as f64 * self.hop(hop.max(self.min_hop))
        };
        self.z_move(h.height)
            + tour(self.frame_area, h.islands)
            + tour(h.area.max(1e-9), h.pieces)
            + h.loops as f64 * self.hop(h.loop_gap)
    }
}

/// What a layer's travels visit.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hops {
    /// Layer height, mm (the z move).
    pub height: f64,
    /// Perimeter paths of the part (its loops) and support islands.
    pub islands: usize,
    /// Fill pieces (connected parts of every fill region).
    pub pieces: usize,
    /// Inner perimeter loops (contours × (perimeters − 1)): each starts one loop spacing
    /// from the last.
    pub loops: usize,
    /// The part's section area, mm² (where the fill pieces lie).
    pub area: f64,
    /// Distance between neighbouring perimeter loops, mm.
    pub loop_gap: f64,
}
