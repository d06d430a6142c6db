//! Perimeters (PrusaSlicer's `PerimeterGenerator`): the external and inner perimeter
//! bands of each section, and the infill region inside them.
//!
//! The external loop's centre is `ext_w/2` in from the section's edge, each next loop one
//! spacing further; the infill region starts half a spacing inside the last loop, grown
//! back by the infill overlap. On the raster these are erosions of the section: an
//! erosion by an integer disc of R pixels moves the edge by R pixels on average (pixel
//! centres sample the section), so band areas at fractional radii interpolate between
//! the two nearest integer erosions.
//!
//! A run of bit-identical sections shares one band computation ([`Runs`]).

use rayon::prelude::*;

use super::calibration::INFILL_OVERLAP;
use super::flow::Widths;
use crate::cancel::{Cancel, Cancelled};
use crate::profile::fdm::FdmProfile;
use crate::slice::{self, Bitmap, Section};

/// Whether layers with bit-identical sections share their work. Sharing is exact; the
/// switch exists so a test can show that it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LayerSharing {
    /// Runs of identical sections share bands, and layers inside a run repeat figures.
    Runs,
    /// Every layer computed on its own.
    #[cfg_attr(not(test), allow(dead_code))]
    None,
}

/// Offsets of the perimeter loops from the section's edge, mm.
#[derive(Debug, Clone, Copy)]
pub(super) struct Offsets {
    /// Inner edge of the external perimeter band (0 without perimeters).
    pub r_ext: f64,
    /// Inner edge of the last perimeter band (0 without perimeters).
    pub r_per: f64,
    /// Edge of the infill region.
    pub r_inf: f64,
}

impl Offsets {
    pub fn new(pr: &FdmProfile, w: &Widths) -> Offsets {
        let perims = pr.perimeters as f64;
        let r_ext = if pr.perimeters > 0 {
            w.ext_w / 2.0 + w.ext_s / 2.0
        } else {
            0.0
        };
        let r_per = if pr.perimeters > 0 {
            r_ext + (perims - 1.0) * w.per_s
        } else {
            0.0
        };
        let r_inf = (r_per - INFILL_OVERLAP * w.per_s).max(0.0);
        Offsets {
            r_ext,
            r_per,
            r_inf,
        }
    }
}

/// Which layers share work: the runs of bit-identical sections.
#[derive(Debug, Clone)]
pub(super) struct Runs {
    /// For each layer, the first layer of its run.
    pub run_start: Vec<usize>,
    /// The first layer of each run, ascending.
    pub distinct: Vec<usize>,
    /// For each layer, the index of its run in `distinct`.
    pub band_of_layer: Vec<usize>,
}

impl Runs {
    pub fn new(sections: &[Section], sharing: LayerSharing) -> Runs {
        let run_start = match sharing {
            LayerSharing::Runs => slice::equal_runs(sections),
            LayerSharing::None => (0..sections.len()).collect(),
        };
        let distinct: Vec<usize> = (0..sections.len()).filter(|&k| run_start[k] == k).collect();
        // A layer's band is the position of its run's first layer among the run starts.
        let band_of_layer: Vec<usize> = run_start
            .iter()
            .map(|first| distinct.partition_point(|&d| d < *first))
            .collect();
        Runs {
            run_start,
            distinct,
            band_of_layer,
        }
    }
}

/// One section's perimeter bands and infill region.
#[derive(Debug, Clone)]
pub(super) struct Band {
    /// External perimeter band, pixels (interpolated, so fractional).
    pub ext_px: f64,
    /// Inner perimeter bands, pixels.
    pub per_px: f64,
    /// The infill region.
    pub infill: Bitmap,
}

/// The bands of every run's first section, in parallel; polls `cancel` per section.
pub(super) fn bands(
    sections: &[Section],
    runs: &Runs,
    o: &Offsets,
    pixel: f64,
    cancel: &Cancel,
) -> Result<Vec<Band>, Cancelled> {
    runs.distinct
        .par_iter()
        .map(|&k| {
            cancel.check()?;
            Ok(band(&sections[k].bitmap, o, pixel))
        })
        .collect()
}

fn band(b: &Bitmap, o: &Offsets, pixel: f64) -> Band {
    let total = b.count() as f64;
    if total == 0.0 {
        return Band {
            ext_px: 0.0,
            per_px: 0.0,
            infill: b.clone(),
        };
    }
    let (xe, xp) = ((o.r_ext / pixel).max(0.0), (o.r_per / pixel).max(0.0));
    let radii = [
        xe.floor(),
        xe.floor() + 1.0,
        xp.floor(),
        xp.floor() + 1.0,
        (o.r_inf / pixel).round(),
    ];
    let mut er = b.eroded_many(&radii);
    let c: Vec<f64> = er[..4]
        .iter()
        .zip(radii)
        .map(|(m, r)| if r < 1.0 { total } else { m.count() as f64 })
        .collect();
    let lerp = |c0: f64, c1: f64, x: f64| c0 + (c1 - c0) * (x - x.floor());
    let e1 = if o.r_ext > 0.0 {
        lerp(c[0], c[1], xe)
    } else {
        total
    };
    let e2 = if o.r_per > 0.0 {
        lerp(c[2], c[3], xp)
    } else {
        total
    };
    let infill = er.pop().unwrap_or_else(|| b.clone());
    Band {
        ext_px: (total - e1).max(0.0),
        per_px: (e1 - e2).max(0.0),
        infill,
    }
}
