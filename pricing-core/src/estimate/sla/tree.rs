//! The support tree's resin, from the support points and PrusaSlicer's tree parameters
//! (`SLA/SupportTreeBuildsteps.cpp`, 2.5): a pinhead on every point; heads whose column
//! reaches the pad are grouped (within a base diameter of each other, at most
//! `support_max_bridges_on_pillar` per group), each group on one pillar standing on a
//! cone, the other heads bridged to it at the critical angle; neighbouring pillars within
//! `support_max_pillar_link_distance` are braced by zig-zag bridges at the same angle;
//! heads above the part get a pillar down to it and an anchor (a reversed pinhead).
//!
//! Every piece is a cylinder, cone or sphere of the configured sizes, so the volume is
//! counted piece by piece; what is estimated is how many of each there are and how long
//! they run. No constant here is fitted.

use std::f64::consts::PI;

use super::points::{LayerPoints, LayerSurface, POINT_FORCE};
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

/// Sizes the tree for `first` points on the part's bottom and `points[k]` in layer k
/// (height `h`), with `surfaces[k]` telling where each layer's points land.
pub fn tree(
    p: &SlaProfile,
    h: f64,
    first: f64,
    points: &[LayerPoints],
    surfaces: &[LayerSurface],
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

    // Groups: a head joins a neighbour's pillar when it is within a base diameter of it;
    // with points at density 1/f (one per f mm², the force balance), a head has
    // π (2 r_base)² / f neighbours that close, up to the group limit.
    let force = POINT_FORCE / (p.support_points_density_relative / 100.0);
    let per_group = (1.0 + PI * (2.0 * r_base).powi(2) / force)
        .min(f64::from(p.support_max_bridges_on_pillar.max(1)))
        .max(1.0);
    // A grouped head bridges down to the group's pillar at the critical slope over about
    // one point spacing, and the bridge must end 4 pillar radii above the pad
    // (`connect_to_nearpillar`); a junction too low for that gets a pillar of its own.
    let spacing = force.sqrt();
    let bridge_drop = spacing * crit.tan();
    let bridge_len = spacing / crit.cos().max(0.1);

    let (mut ground, mut pillars, mut pillar_len, mut bridged) = (0.0, 0.0, 0.0, 0.0);
    // (pillars, length) of each set of pillars, for their braces.
    let mut lengths: Vec<(f64, f64)> = Vec::new();
    let mut add_ground = |n: f64, len: f64| {
        let len = len.max(0.0);
        let per = if len - bridge_drop >= 4.0 * r {
            per_group
        } else {
            1.0
        };
        let own = n / per;
        ground += n;
        pillars += own;
        pillar_len += own * len;
        lengths.push((own, len));
        bridged += n - own;
    };
    // Heads on the bottom stand straight down.
    if first > 0.0 {
        add_ground(first, gap - full);
    }
    let (mut part, mut part_len, mut top_z) = (0.0, 0.0, 0.0f64);
    for (k, (pt, s)) in points.iter().zip(surfaces).enumerate() {
        if pt.ground + pt.part <= 0.0 {
            continue;
        }
        let z = (k as f64 + 0.5) * h;
        top_z = top_z.max(z);
        // Head tilt: along the surface normal, at most the critical angle off vertical.
        let slope_area = s.slope_ground + s.slope_part;
        let tilt_cos = if pt.slope && slope_area > 0.0 {
            let c = (s.slope_cos / slope_area).clamp(0.0, 1.0);
            c.max(crit.cos())
        } else {
            1.0
        };
        let drop = full * tilt_cos;
        if pt.ground > 0.0 {
            add_ground(pt.ground, z + gap - drop);
        }
        let part_area = s.overhang_part + s.slope_part;
        if pt.part > 0.0 && part_area > 0.0 {
            let fall = s.drop_part / part_area;
            part += pt.part;
            // The pillar stops an anchor's length above the part (`connect_to_model_body`).
            part_len += pt.part * (fall - drop - full * crit.sin()).max(0.0);
        }
    }
    if ground > 0.0 {
        pillars = pillars.max(1.0);
    }
    let mean_len = if pillars > 0.0 {
        pillar_len / pillars
    } else {
        0.0
    };
    // A pillar's cone replaces the pillar inside it.
    let base_h = p.support_base_height.min(mean_len.max(0.0));
    let base = frustum(base_h, r_base, r) - pillar_area * base_h;
    // Braces: pillars about √(area per pillar) apart, each linked to the neighbours within
    // reach (PrusaSlicer links up to 3; a pair shares its links), one brace per zig-zag
    // step of one pillar gap down each pillar's own length above its cone (a short
    // pillar under the bottom has none, a long one from a high overhang several).
    let pillar_gap = (force * ground / pillars.max(1.0)).sqrt();
    let braces = if pillar_gap <= p.support_max_pillar_link_distance && pillars > 1.0 {
        // Dynamic mode crosses the bracing when pillars stand farther than a base apart.
        let cross = if pillar_gap > 2.0 * r_base { 2.0 } else { 1.0 };
        let steps = |len: f64| {
            ((len - p.support_base_height) / (pillar_gap * crit.tan()))
                .floor()
                .max(0.0)
        };
        let pair_steps: f64 = lengths
            .iter()
            .map(|&(own, len)| own * 1.5 * steps(len))
            .sum();
        pair_steps * cross * pillar_gap / crit.cos().max(0.1)
    } else {
        0.0
    };

    Tree {
        heads: ground + part,
        pillars,
        head_mm3: head * (ground + 2.0 * part),
        pillar_mm3: pillar_area * (pillar_len + part_len),
        base_mm3: pillars * base.max(0.0),
        bridge_mm3: pillar_area * (bridged * bridge_len + braces),
        top_z,
    }
}
