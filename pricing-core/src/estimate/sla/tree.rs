//! The support tree's resin, from the support points and PrusaSlicer's tree parameters
//! (`SLA/SupportTreeBuildsteps.cpp`, 2.5): a pinhead on every point; the heads over the
//! pad routed onto pillars, bridged and braced where the sampler put them
//! ([`super::pillars`]); heads above the part get a pillar down to it and an anchor (a
//! reversed pinhead).
//!
//! Every piece is a cylinder, cone or sphere of the configured sizes, so the volume is
//! counted piece by piece; what is estimated is how many of each there are and how long
//! they run. No constant here is fitted.

use std::f64::consts::PI;

use super::pillars::{self, GroundHead, Routing};
use super::points::{LayerPoints, LayerSurface};
use crate::profile::sla::SlaProfile;

/// The tree's resin and its parts, mm³.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tree {
    /// Support points (pinheads).
    pub heads: f64,
    /// Pillars standing on the pad.
    pub pillars: f64,
    /// Pinheads, mm³.
    pub head_mm3: f64,
    /// Pillars (pad and part ones), mm³.
    pub pillar_mm3: f64,
    /// Pillar foot cones, mm³.
    pub base_mm3: f64,
    /// Head-to-pillar bridges and pillar braces, mm³.
    pub bridge_mm3: f64,
    /// Highest support point above the part's bottom, mm.
    pub top_z: f64,
}

impl Tree {
    /// All of it, mm³.
    pub fn mm3(&self) -> f64 {
        self.head_mm3 + self.pillar_mm3 + self.base_mm3 + self.bridge_mm3
    }
}

/// Frustum of height `h` between radii `r1` and `r2`.
fn frustum(h: f64, r1: f64, r2: f64) -> f64 {
    PI / 3.0 * h * (r1 * r1 + r1 * r2 + r2 * r2)
}

/// Where a head whose pillar reaches the pad stands: a plan position on the grid and
/// the layer of its surface (`None`: the part's bottom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundSite {
    /// Plan position, mm (any origin).
    pub x: f64,
    /// Plan position, mm.
    pub y: f64,
    /// Layer index from the part's bottom, or `None` for the bottom itself.
    pub layer: Option<usize>,
}

/// Sizes the tree for `first` points on the part's bottom and `points[k]` in layer k
/// (height `h`), with `surfaces[k]` telling where each layer's points land and `sites`
/// where the heads over the pad stand.
pub fn tree(
    p: &SlaProfile,
    h: f64,
    first: f64,
    points: &[LayerPoints],
    surfaces: &[LayerSurface],
    sites: &[GroundSite],
) -> Tree {
    let r_front = 0.5 * p.support_head_front_diameter;
    let r = 0.5 * p.support_pillar_diameter;
    let r_base = 0.5 * p.support_base_diameter;
    let crit = p.support_critical_angle.to_radians();
    let gap = p.support_object_elevation;
    // A head: the cone between its spheres plus the half spheres outside the part and
    // the pillar (PrusaSlicer's pinhead mesh), length along its axis `full`.
    let head = frustum(p.support_head_width, r_front, r)
        + 2.0 / 3.0 * PI * r.powi(3)
        + 1.0 / 3.0 * PI * r_front.powi(3);
    let full =
        (2.0 * r_front + p.support_head_width + 2.0 * r - p.support_head_penetration).max(0.0);
    let pillar_area = PI * r * r;

    let routing = Routing {
        pillar_radius: r,
        base_radius: r_base,
        base_height: p.support_base_height,
        slope: crit,
        max_bridge_length: p.support_max_bridge_length,
        max_link_distance: p.support_max_pillar_link_distance,
        max_bridges_on_pillar: p.support_max_bridges_on_pillar,
    };
    // How far a layer's heads reach down before their pillars start: along the surface
    // normal, at most the critical angle off vertical.
    let drop_at = |k: usize| {
        let (pt, s) = (&points[k], &surfaces[k]);
        let slope_area = s.slope_ground + s.slope_part;
        let tilt_cos = if pt.slope && slope_area > 0.0 {
            let c = (s.slope_cos / slope_area).clamp(0.0, 1.0);
            c.max(crit.cos())
        } else {
            1.0
        };
        full * tilt_cos
    };
    let ground_heads: Vec<GroundHead> = sites
        .iter()
        .map(|site| {
            // Heads on the bottom stand straight down.
            let top = match site.layer {
                None => gap - full,
                Some(k) if k < points.len() => (k as f64 + 0.5) * h + gap - drop_at(k),
                Some(_) => gap - full,
            };
            GroundHead {
                x: site.x,
                y: site.y,
                top,
            }
        })
        .collect();
    let routed = pillars::route(&ground_heads, &routing);

    let mut ground = first;
    let (mut part, mut part_len, mut top_z) = (0.0, 0.0, 0.0f64);
    for (k, (pt, s)) in points.iter().zip(surfaces).enumerate() {
        if pt.ground + pt.part <= 0.0 {
            continue;
        }
        let z = (k as f64 + 0.5) * h;
        top_z = top_z.max(z);
        ground += pt.ground;
        let part_area = s.overhang_part + s.slope_part;
        if pt.part > 0.0 && part_area > 0.0 {
            let fall = s.drop_part / part_area;
            part += pt.part;
            // The pillar stops an anchor's length above the part (`connect_to_model_body`).
            part_len += pt.part * (fall - drop_at(k) - full * crit.sin()).max(0.0);
        }
    }

    Tree {
        heads: ground + part,
        pillars: routed.pillars as f64,
        head_mm3: head * (ground + 2.0 * part),
        pillar_mm3: pillar_area * (routed.pillar_length + part_len),
        base_mm3: routed.base_mm3,
        bridge_mm3: pillar_area * (routed.bridge_length + routed.brace_length),
        top_z,
    }
}
