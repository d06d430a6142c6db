//! Surfaces (PrusaSlicer's `PrintObject::prepare_infill`): each layer's infill region
//! split into top skin, bridges (over air, and the internal bridge over sparse infill),
//! solid infill and sparse infill, by comparing it with its neighbours' (k − bottom ..
//! k + top). This also reproduces `discover_vertical_shells` /
//! `ensure_vertical_shell_thickness` on sloped walls.
//!
//! Then each layer is measured ([`LayerFigures`]): region areas, the sparse region's
//! outline (for infill anchors) and the time of each fill.

use rayon::prelude::*;

use super::calibration::{INTERNAL_BRIDGE_OPENING_NOZZLES, SHELL_OPENING_SPACINGS};
use super::fill::SparseFill;
use super::flow::{Motions, Widths};
use super::perimeters::{Band, Runs};
use super::time::{Lines, lines_time, straight};
use crate::cancel::{Cancel, Cancelled};
use crate::profile::fdm::FdmProfile;
use crate::slice::{Bitmap, Section};

/// One layer's fill regions.
#[derive(Debug, Clone)]
pub(super) struct Surfaces {
    /// Top skin: infill region with no section above.
    pub top: Bitmap,
    /// Bridges: over air, and internal bridges over the sparse infill below.
    pub bridge: Bitmap,
    /// Solid infill: bottom skins and vertical shells.
    pub solid: Bitmap,
    /// Sparse infill.
    pub sparse: Bitmap,
}

/// What one layer contributes, before volumes and totals.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct LayerFigures {
    /// External perimeter band, pixels.
    pub ext_px: f64,
    /// Inner perimeter bands, pixels.
    pub per_px: f64,
    pub sparse_px: u64,
    pub solid_px: u64,
    pub top_px: u64,
    pub bridge_px: u64,
    /// Fill times, s.
    pub sparse_t: f64,
    pub solid_t: f64,
    pub top_t: f64,
    pub bridge_t: f64,
    /// Outline of the sparse region, mm (where infill anchors run).
    pub sparse_edge_mm: f64,
    /// Separate fill pieces (connected parts of each fill region): each is one
    /// extrusion path that starts with a retracting travel.
    pub pieces: u32,
}

/// The sections and infill regions a layer's surfaces are computed from.
struct Stack<'a> {
    sections: &'a [Section],
    bands: &'a [Band],
    runs: &'a Runs,
    pr: &'a FdmProfile,
    top_n: usize,
    bot_n: usize,
    /// Sparse infill density, 0..1.
    density: f64,
}

impl Stack<'_> {
    fn count(&self) -> usize {
        self.sections.len()
    }

    fn band(&self, k: usize) -> &Band {
        &self.bands[self.runs.band_of_layer[k]]
    }

    fn section(&self, k: isize) -> Option<&Bitmap> {
        (k >= 0 && (k as usize) < self.count()).then(|| &self.sections[k as usize].bitmap)
    }

    fn infill(&self, k: isize) -> Option<&Bitmap> {
        (k >= 0 && (k as usize) < self.count()).then(|| &self.band(k as usize).infill)
    }

    fn empty(&self) -> Bitmap {
        let b = &self.sections[0].bitmap;
        Bitmap::new(b.width, b.height)
    }

    /// Sparse region of layer `k`: its infill region covered by every neighbour's
    /// (every section's, without `ensure_vertical_shell_thickness`) within the top and
    /// bottom shell counts; none where a neighbour is past the stack's ends.
    fn sparse(&self, k: isize) -> Bitmap {
        let Some(ik) = self.infill(k) else {
            return self.empty();
        };
        let mut m = ik.clone();
        if self.density <= 0.0 {
            m.words.iter_mut().for_each(|x| *x = 0);
            return m;
        }
        for j in (k - self.bot_n as isize)..=(k + self.top_n as isize) {
            if j == k {
                continue;
            }
            let nb = if self.pr.ensure_vertical_shell_thickness {
                self.infill(j)
            } else {
                self.section(j)
            };
            match nb {
                Some(b) => m.and(b),
                None => {
                    m.words.iter_mut().for_each(|x| *x = 0);
                    break;
                }
            }
        }
        m
    }

    /// Layer `k` reads the sections and bands of layers k-1-bot .. k+max(top, 1): its
    /// neighbours for skins, and the layer below's sparse region for internal bridges.
    /// When that window and layer k-1's lie in one run of identical sections, and the
    /// rules that depend on the layer index (first layer, bottom layers) treat k and k-1
    /// alike, layer k repeats layer k-1 exactly.
    fn repeats_below(&self, k: usize) -> bool {
        let reach_up = self.top_n.max(1);
        let start = &self.runs.run_start;
        k >= self.bot_n + 2
            && k + reach_up < self.count()
            && start[k + reach_up] == start[k - 2 - self.bot_n]
    }

    /// `prepare_infill` for layer `k`, on pixels of `pixel` mm.
    fn prepare(&self, k: usize, w: &Widths, pixel: f64) -> Surfaces {
        let ki = k as isize;
        let ik = &self.band(k).infill;
        let mut top = ik.clone();
        if let Some(up) = self.section(ki + 1) {
            top.and_not(up);
        }
        let mut bridge = self.empty();
        if let Some(down) = self.section(ki - 1) {
            bridge = ik.clone();
            bridge.and_not(down);
            bridge.and_not(&top);
        }
        let mut sparse = self.sparse(ki);
        let mut solid = ik.clone();
        solid.and_not(&sparse);
        // discover_vertical_shells regularises the shell by an opening: slivers thinner
        // than a line stay sparse. Bottom layers and true skins are never thin; they
        // stay whole (so the opening is only computed above the bottom layers).
        if k >= self.bot_n && !solid.is_empty() {
            let r = SHELL_OPENING_SPACINGS * w.inf_s / pixel;
            if r >= 1.0 {
                let mut opened = solid.eroded(r).dilated(r);
                opened.and(&solid);
                let mut lost = solid.clone();
                lost.and_not(&opened);
                sparse.or(&lost);
                solid = opened;
            }
        }
        solid.and_not(&top);
        solid.and_not(&bridge);
        if k > 0 && self.density > 0.0 {
            // bridge_over_infill: the first solid layer over sparse infill bridges it.
            let below = self.sparse(ki - 1);
            let mut internal = solid.clone();
            internal.and(&below);
            // Regions narrower than three bridge widths are not bridged: thin rings on
            // sloped tops stay solid.
            if !internal.is_empty() {
                let r = INTERNAL_BRIDGE_OPENING_NOZZLES * self.pr.nozzle_diameter / pixel;
                internal = internal.eroded(r).dilated(r);
                internal.and(&solid);
            }
            solid.and_not(&internal);
            bridge.or(&internal);
        }
        Surfaces {
            top,
            bridge,
            solid,
            sparse,
        }
    }
}

/// The figures of every layer, in parallel; a layer that repeats the one below (see
/// `Stack::repeats_below`) copies it. Polls `cancel` per layer.
#[allow(clippy::too_many_arguments)]
pub(super) fn layer_figures(
    sections: &[Section],
    bands: &[Band],
    runs: &Runs,
    pr: &FdmProfile,
    w: &Widths,
    motions: &Motions<'_>,
    sparse: &SparseFill,
    pixel: f64,
    cancel: &Cancel,
) -> Result<Vec<LayerFigures>, Cancelled> {
    let stack = Stack {
        sections,
        bands,
        runs,
        pr,
        top_n: pr.top_layers() as usize,
        bot_n: pr.bottom_layers() as usize,
        density: pr.fill_density / 100.0,
    };
    let computed: Vec<Option<LayerFigures>> = (0..stack.count())
        .into_par_iter()
        .map(|k| {
            if stack.repeats_below(k) {
                return Ok(None);
            }
            cancel.check()?;
            let s = stack.prepare(k, w, pixel);
            Ok(Some(measure(
                k,
                &s,
                stack.band(k),
                w,
                motions,
                sparse,
                pixel,
            )))
        })
        .collect::<Result<_, Cancelled>>()?;
    // Layer 0 never repeats, so every `None` has a layer below to copy.
    let mut below: Option<LayerFigures> = None;
    Ok(computed
        .into_iter()
        .map(|f| {
            let f = f.or(below).unwrap_or_default();
            below = Some(f);
            f
        })
        .collect())
}

/// Areas, the sparse outline and fill times of layer `k`'s surfaces `s`.
fn measure(
    k: usize,
    s: &Surfaces,
    band: &Band,
    w: &Widths,
    motions: &Motions<'_>,
    sparse: &SparseFill,
    pixel: f64,
) -> LayerFigures {
    let first = k == 0;
    let m = motions.fills(k);
    // The first layer lays every fill at its own width.
    let pitch = |s: f64| if first { w.first_s } else { s };
    let time = |b: &Bitmap, m, pitch| {
        lines_time(
            b,
            &straight(m, pitch, Lines::Diagonals),
            pitch,
            pixel,
            Lines::Diagonals,
        )
    };
    LayerFigures {
        ext_px: band.ext_px,
        per_px: band.per_px,
        sparse_px: s.sparse.count(),
        sparse_edge_mm: s.sparse.outline_length(pixel),
        solid_px: s.solid.count(),
        top_px: s.top.count(),
        bridge_px: s.bridge.count(),
        pieces: [&s.sparse, &s.solid, &s.top, &s.bridge]
            .iter()
            .map(|b| b.components() as u32)
            .sum(),
        sparse_t: sparse.time(&s.sparse, k, &m.sparse, pixel),
        solid_t: time(&s.solid, &m.solid, pitch(w.solid_s)),
        top_t: time(&s.top, &m.top, pitch(w.top_s)),
        bridge_t: time(&s.bridge, &m.bridge, pitch(w.bridge_pitch)),
    }
}
