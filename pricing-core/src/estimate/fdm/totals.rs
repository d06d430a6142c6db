//! Material and time per role: each layer's figures turned into volumes (`Flow.cpp`:
//! a line of spacing `s` lays `s·h` mm³ per mm) and times, summed over the layers.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::calibration::{Calibration, MIN_RAFT_DENSITY};
use super::fill::SparseFill;
use super::flow::{Motions, Widths};
use super::layers::Layers;
use super::motion::Motion;
use super::perimeters::Offsets;
use super::support::SupportLayer;
use super::support_layers::Share;
use super::surfaces::LayerFigures;
use super::time::{Hops, Lines, Travel, lines_time, straight};
use crate::estimate::{Role, RoleFigures};
use crate::profile::fdm::FdmProfile;
use crate::slice::{Bitmap, Section};

/// Material and time per role, every FDM role present from the start.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RoleTotals(BTreeMap<Role, RoleFigures>);

impl RoleTotals {
    pub fn new() -> RoleTotals {
        RoleTotals(
            Role::FDM
                .iter()
                .map(|&r| (r, RoleFigures::default()))
                .collect(),
        )
    }

    pub fn add(&mut self, role: Role, mm3: f64, seconds: f64) {
        let f = self.0.entry(role).or_default();
        f.mm3 += mm3;
        f.seconds += seconds;
    }

    pub fn get(&self, role: Role) -> RoleFigures {
        self.0.get(&role).copied().unwrap_or_default()
    }

    pub fn into_map(self) -> BTreeMap<Role, RoleFigures> {
        self.0
    }
}

/// One layer's additions to the totals, in the order they are made: the layers are
/// worked out in parallel, then added one after another in layer order, so the sums
/// are the same to the last bit as a plain loop's.
#[derive(Debug, Default)]
struct LayerAdds {
    adds: Vec<(Role, f64, f64)>,
    contact_px: u64,
}

impl LayerAdds {
    fn add(&mut self, role: Role, mm3: f64, seconds: f64) {
        self.adds.push((role, mm3, seconds));
    }
}

/// Fill roles a layer's island can hold: sparse, solid, top and bridge.
const FILL_ROLES: usize = 4;

/// What every layer's sum reads.
pub(super) struct Inputs<'a> {
    pub pr: &'a FdmProfile,
    pub cal: &'a Calibration,
    pub layers: &'a Layers,
    pub sections: &'a [Section],
    pub figures: &'a [LayerFigures],
    pub supports: &'a [SupportFigures],
    /// Each layer's share of the support layers (`support_layers`), beside `supports`.
    pub support_shares: &'a [Share],
    pub w: &'a Widths,
    pub offsets: &'a Offsets,
    pub travel: &'a Travel,
    /// The sparse infill pattern (what it extrudes per area).
    pub sparse: &'a SparseFill,
}

/// Adds every layer's perimeters, fills, supports and travel to `totals`; returns the
/// support contact area, pixels.
pub(super) fn add_layers(totals: &mut RoleTotals, x: &Inputs<'_>) -> u64 {
    let layers: Vec<LayerAdds> = x
        .figures
        .par_iter()
        .enumerate()
        .map(|(k, f)| layer_adds(x, k, f))
        .collect();
    let mut contact_px = 0u64;
    for layer in layers {
        contact_px += layer.contact_px;
        for (role, mm3, seconds) in layer.adds {
            totals.add(role, mm3, seconds);
        }
    }
    contact_px
}

/// Layer `k`'s perimeters, fills, supports and travel.
fn layer_adds(x: &Inputs<'_>, k: usize, f: &LayerFigures) -> LayerAdds {
    let (pr, w) = (x.pr, x.w);
    let px_area = x.layers.pixel_area();
    let density = pr.fill_density / 100.0;
    let bridge_area = std::f64::consts::PI / 4.0 * pr.nozzle_diameter * pr.nozzle_diameter;
    let mut adds = LayerAdds::default();
    let hh = x.layers.height_of(k);
    let c = x.sections[k].contours;
    let (ext_s, per_s) = w.perimeters(k);
    // Perimeters: band area → loop length (band / its width) → volume s·h per mm.
    let ext_len = f.ext_px * px_area / x.offsets.r_ext.max(1e-9);
    let per_len = f.per_px * px_area / w.per_s;
    let ext_vol = ext_len * ext_s * hh;
    let per_vol = per_len * per_s * hh;
    // Time per mm of loop, from tracing the exact contours.
    let (te, ti) = if c.length > 0.0 {
        (c.time_external / c.length, c.time_inner / c.length)
    } else {
        (1.0 / pr.external_perimeter_speed, 1.0 / pr.perimeter_speed)
    };
    adds.add(Role::ExternalPerimeter, ext_vol, ext_len * te);
    adds.add(Role::Perimeter, per_vol, per_len * ti);
    let solid_vol = |px: u64| px as f64 * px_area * hh;
    adds.add(
        Role::SparseInfill,
        solid_vol(f.sparse_px) * density * x.sparse.volume_factor(hh) * x.cal.sparse_volume
            + f.sparse_edge_mm * w.inf_s * hh * x.cal.infill_anchor,
        f.sparse_t,
    );
    adds.add(Role::SolidInfill, solid_vol(f.solid_px), f.solid_t);
    adds.add(Role::TopSolidInfill, solid_vol(f.top_px), f.top_t);
    // The first layer's bridges lie on the bed: solid. Others are round threads.
    let bridge_vol = if k == 0 {
        solid_vol(f.bridge_px)
    } else {
        f.bridge_px as f64 * px_area * bridge_area / w.bridge_pitch
    };
    adds.add(Role::Bridge, bridge_vol, f.bridge_t);

    let mut sup_islands = 0usize;
    if let Some(sf) = x.supports.get(k) {
        adds.contact_px += sf.contact_px;
        // The support region of this layer is printed by the support layers whose
        // middle lies in it, each as thick as it is (`support_layers`): the base lines
        // once per such layer, their volume by the height those layers add up to.
        let share = x.support_shares.get(k).copied().unwrap_or(Share {
            layers: 1,
            height: hh,
            own_layers: 0,
            step: hh,
        });
        adds.add(
            Role::Support,
            sf.base.0 * share.height / hh,
            sf.base.1 * f64::from(share.layers),
        );
        // The interface keeps its count of layers (`support_material_interface_layers`),
        // each a support layer thick.
        adds.add(
            Role::SupportInterface,
            sf.interface.0 * share.step / hh,
            sf.interface.1,
        );
        // A support layer on this layer's top is printed in its layer change; one off
        // the object's tops is a layer change of its own, with its own hops.
        if share.layers > share.own_layers {
            sup_islands = sf.islands;
        }
        if share.own_layers > 0 && sf.islands > 0 {
            let own = x.travel.layer(&Hops {
                height: share.step,
                islands: sf.islands,
                pieces: 0,
                loops: 0,
                area: 0.0,
                loop_gap: w.per_s,
            });
            adds.add(Role::Travel, 0.0, own * f64::from(share.own_layers));
        }
    }

    // Travel: one layer change, a retracting hop to every island (part and
    // support) and to every fill piece, and a short hop between the perimeter loops
    // of every contour.
    adds.add(
        Role::Travel,
        0.0,
        x.travel.layer(&Hops {
            height: hh,
            // Every loop (outer contour or hole) is a perimeter path of its own.
            islands: c.loops.max(1) + sup_islands,
            // Crumbs of a fill beside a larger piece of it are printed on the way
            // (PrusaSlicer chains them): at most one path per fill role and island.
            pieces: (f.pieces as usize).min(FILL_ROLES * c.islands.max(1)),
            loops: c.loops * (pr.perimeters as usize).saturating_sub(1),
            area: x.sections[k].bitmap.count() as f64 * px_area,
            loop_gap: w.per_s,
        }),
    );
    adds
}

/// One layer's support as the totals read it: measured while the support walk still
/// holds the layer's rasters (see `support::generate`), so the rasters need not outlive
/// the walk.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SupportFigures {
    /// Area of the part's underside that this layer's contacts touch, pixels.
    pub contact_px: u64,
    /// Column pixels that stand on the part here, pixels.
    pub landing_px: u64,
    /// Some of the new contacts here get a dense interface (a top contact layer).
    pub dense_contact: bool,
    /// Separate support islands (for travel).
    pub islands: usize,
    /// Base lines and sheath: mm³ and seconds.
    pub base: (f64, f64),
    /// Interface lines: mm³ and seconds.
    pub interface: (f64, f64),
}

/// What measuring a support layer reads.
pub(super) struct SupportInputs<'a> {
    pub pr: &'a FdmProfile,
    pub cal: &'a Calibration,
    pub layers: &'a Layers,
    pub w: &'a Widths,
    pub motions: &'a Motions<'a>,
}

/// Support base and interface of layer `k`: lines at their pitch, and for the base a
/// sheath along its outline.
pub(super) fn support_figures(
    x: &SupportInputs<'_>,
    k: usize,
    sl: &SupportLayer,
) -> SupportFigures {
    let (pr, w) = (x.pr, x.w);
    let hh = x.layers.height_of(k);
    let pixel = x.layers.grid.pixel;
    let px_area = x.layers.pixel_area();
    let (m_sup, m_if) = x.motions.support(k);
    // The first layer is the dense flange.
    let base_pitch = if k == 0 {
        w.sup_s / (pr.raft_first_layer_density / 100.0).max(MIN_RAFT_DENSITY)
    } else {
        pr.support_material_spacing + w.sup_s
    };
    let if_pitch = pr.support_material_interface_spacing + w.sup_s;
    let lines = |b: &Option<Bitmap>, m: &Motion, pitch: f64| -> (f64, f64) {
        let Some(b) = b else { return (0.0, 0.0) };
        let px = b.count();
        if px == 0 {
            return (0.0, 0.0);
        }
        (
            px as f64 * px_area * hh * w.sup_s / pitch,
            lines_time(
                b,
                &straight(m, pitch, Lines::Rows),
                pitch,
                pixel,
                Lines::Rows,
            ),
        )
    };
    let (bv, bt) = lines(&sl.base, &m_sup, base_pitch);
    let (iv, it) = lines(&sl.interface, &m_if, if_pitch);
    let sheath = if k == 0 {
        0.0
    } else {
        sl.base.as_ref().map_or(0.0, |b| {
            b.outline_length(pixel) * w.sup_s * hh * x.cal.support_sheath
        })
    };
    SupportFigures {
        contact_px: sl.contact_px,
        landing_px: sl.landing_px,
        dense_contact: sl.dense_contact,
        islands: sl.islands,
        base: (bv + sheath, bt + sheath / (w.sup_s * hh) / m_sup.speed),
        interface: (iv, it),
    }
}
