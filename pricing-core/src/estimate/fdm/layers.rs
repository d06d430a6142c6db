//! Layers (PrusaSlicer's `Slicing`): how many, their heights, the mid-heights they are
//! cut at, and the raster frame every layer shares.

use super::calibration::{
    COARSE_PIXEL_FACTOR, FRAME_MARGIN_MM, MAX_LAYERS, MAX_RASTER_SIDE, MIN_PIXEL_MM,
    RASTER_BUDGET_BITS,
};
use crate::analysis::Analysis;
use crate::estimate::EstimateError;
use crate::profile::fdm::FdmProfile;
use crate::slice::{self, Grid};
use crate::warning::Warning;

/// The layer stack of one part.
#[derive(Debug, Clone)]
pub(super) struct Layers {
    /// First layer height, mm.
    pub first_height: f64,
    /// Every other layer's height, mm.
    pub height: f64,
    /// Mid-height of each layer, mm: where PrusaSlicer cuts it.
    pub z_mid: Vec<f64>,
    /// The raster frame.
    pub grid: Grid,
}

impl Layers {
    /// Layer count.
    pub fn count(&self) -> usize {
        self.z_mid.len()
    }

    /// Height of layer `k`, mm.
    pub fn height_of(&self, k: usize) -> f64 {
        if k == 0 {
            self.first_height
        } else {
            self.height
        }
    }

    /// Area of one pixel, mm².
    pub fn pixel_area(&self) -> f64 {
        self.grid.pixel * self.grid.pixel
    }
}

/// The layers of a part measured by `a`, printed with `pr` (with room for supports'
/// flange and XY gap when `supports`). A part too tall or too wide to slice is refused
/// before anything is allocated; a large one gets coarser pixels and a warning.
pub(super) fn plan(
    a: &Analysis,
    pr: &FdmProfile,
    supports: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Layers, EstimateError> {
    let (h1, h) = (pr.first_layer_height, pr.layer_height);
    let height = a.bbox_mm.size[2].max(0.0);
    // The tolerance keeps a part a rounding error taller than whole layers from getting
    // one more.
    let n_f = if height <= h1 {
        1.0
    } else {
        1.0 + ((height - h1) / h - 1e-6).ceil()
    };
    if !n_f.is_finite() || n_f > MAX_LAYERS as f64 {
        return Err(EstimateError::TooManyLayers {
            layers: if n_f.is_finite() {
                n_f as u64
            } else {
                u64::MAX
            },
            limit: MAX_LAYERS,
        });
    }
    let n = n_f as usize;
    let z_mid: Vec<f64> = (0..n)
        .map(|k| {
            if k == 0 {
                h1 / 2.0
            } else {
                h1 + (k as f64 - 0.5) * h
            }
        })
        .collect();
    let grid = frame(a, pr, supports, n, warnings)?;
    Ok(Layers {
        first_height: h1,
        height: h,
        z_mid,
        grid,
    })
}

/// The raster frame of `n` layers: the part plus room for supports' flange and the XY
/// gap, at the finest pixel the raster budget allows.
fn frame(
    a: &Analysis,
    pr: &FdmProfile,
    supports: bool,
    n: usize,
    warnings: &mut Vec<Warning>,
) -> Result<Grid, EstimateError> {
    let margin = FRAME_MARGIN_MM
        + if supports {
            pr.raft_first_layer_expansion + pr.support_xy_gap()
        } else {
            0.0
        };
    let (bx, by) = (a.bbox_mm.min, a.bbox_mm.max);
    let (wx, wy) = (
        (by[0] - bx[0]).max(0.0) + 2.0 * margin,
        (by[1] - bx[1]).max(0.0) + 2.0 * margin,
    );
    let pixel = MIN_PIXEL_MM
        .max((wx * wy * n as f64 / RASTER_BUDGET_BITS).sqrt())
        .max(wx.max(wy) / MAX_RASTER_SIDE);
    if !pixel.is_finite() || pixel <= 0.0 || !(wx * wy).is_finite() {
        // Only absurd coordinates get here (a footprint beyond f64): refuse, never allocate.
        return Err(EstimateError::TooComplex {
            work: u64::MAX,
            limit: slice::MAX_CUTS,
        });
    }
    if pixel > COARSE_PIXEL_FACTOR * MIN_PIXEL_MM {
        warnings.push(Warning::new(
            "coarse_raster",
            format!(
                "the part is large ({wx:.0} × {wy:.0} mm, {n} layers): sliced at {pixel:.2} mm pixels, so thin features are less accurate"
            ),
        ));
    }
    let grid = Grid {
        x0: bx[0] - margin,
        y0: bx[1] - margin,
        pixel,
        width: ((wx / pixel).ceil() as usize).max(1),
        height: ((wy / pixel).ceil() as usize).max(1),
    };
    // 1% of slack: the ceil above may round a side at the limit one pixel over.
    if grid.width as f64 > 1.01 * MAX_RASTER_SIDE || grid.height as f64 > 1.01 * MAX_RASTER_SIDE {
        return Err(EstimateError::TooComplex {
            work: (grid.width as u64).saturating_mul(grid.height as u64),
            limit: (MAX_RASTER_SIDE * MAX_RASTER_SIDE) as u64,
        });
    }
    Ok(grid)
}
