//! Flow (PrusaSlicer's `Flow.cpp`): extrusion widths and line spacings per role, the
//! volumetric speed cap, and the motion (speed, acceleration, jerk) each role moves with.

use std::f64::consts::PI;

use super::calibration::{BRIDGE_EXTRA_SPACING_MM, MIN_SPACING_MM, SMALL_PERIMETER_MM};
use super::layers::Layers;
use super::motion::Motion;
use crate::profile::fdm::FdmProfile;

/// Line spacing of an extrusion `w` wide and `h` high: `Flow.cpp` models the line as a
/// rectangle with semicircular ends, so neighbours overlap by `h·(1 − π/4)`. A line of
/// spacing `s` lays `s·h` mm³ per mm.
pub(super) fn spacing(w: f64, h: f64) -> f64 {
    (w - h * (1.0 - PI / 4.0)).max(MIN_SPACING_MM)
}

/// Widths and spacings, mm.
#[derive(Debug, Clone, Copy)]
pub(super) struct Widths {
    /// External perimeter width.
    pub ext_w: f64,
    /// External perimeter spacing.
    pub ext_s: f64,
    /// Inner perimeter spacing.
    pub per_s: f64,
    /// Sparse infill spacing.
    pub inf_s: f64,
    /// Solid infill spacing.
    pub solid_s: f64,
    /// Top solid infill spacing.
    pub top_s: f64,
    /// Support spacing.
    pub sup_s: f64,
    /// First layer spacing (every role of layer 0).
    pub first_s: f64,
    /// Pitch of bridge threads: round threads of nozzle diameter, `Flow.hpp`'s extra
    /// spacing apart.
    pub bridge_pitch: f64,
}

impl Widths {
    pub fn new(pr: &FdmProfile, layers: &Layers) -> Widths {
        let (h1, h) = (layers.first_height, layers.height);
        Widths {
            ext_w: pr.width(pr.external_perimeter_extrusion_width),
            ext_s: spacing(pr.width(pr.external_perimeter_extrusion_width), h),
            per_s: spacing(pr.width(pr.perimeter_extrusion_width), h),
            inf_s: spacing(pr.width(pr.infill_extrusion_width), h),
            solid_s: spacing(pr.width(pr.solid_infill_extrusion_width), h),
            top_s: spacing(pr.width(pr.top_infill_extrusion_width), h),
            sup_s: spacing(pr.width(pr.support_material_extrusion_width), h),
            first_s: spacing(pr.width(pr.first_layer_extrusion_width), h1),
            bridge_pitch: pr.nozzle_diameter + BRIDGE_EXTRA_SPACING_MM,
        }
    }

    /// Perimeter spacings (external, inner) of layer `k`: the first layer's width for
    /// both on layer 0.
    pub fn perimeters(&self, k: usize) -> (f64, f64) {
        if k == 0 {
            (self.first_s, self.first_s)
        } else {
            (self.ext_s, self.per_s)
        }
    }
}

/// The motion of each role on each layer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Motions<'a> {
    pr: &'a FdmProfile,
    w: Widths,
    /// X/Y jerk: the lower of the two axes'.
    jerk: f64,
    first_height: f64,
    height: f64,
}

/// Motions of the four fill roles of one layer.
#[derive(Debug, Clone, Copy)]
pub(super) struct FillMotions {
    pub sparse: Motion,
    pub solid: Motion,
    pub top: Motion,
    pub bridge: Motion,
}

impl<'a> Motions<'a> {
    pub fn new(pr: &'a FdmProfile, w: Widths, layers: &Layers) -> Motions<'a> {
        Motions {
            pr,
            w,
            jerk: pr.machine_max_jerk_x.min(pr.machine_max_jerk_y),
            first_height: layers.first_height,
            height: layers.height,
        }
    }

    /// `v` capped by the machine's feedrate and by the volumetric cap for a line of
    /// spacing `s` and height `hh`.
    fn capped(&self, v: f64, s: f64, hh: f64) -> f64 {
        let pr = self.pr;
        let v = v
            .min(pr.machine_max_feedrate_x.max(pr.machine_max_feedrate_y))
            .max(0.1);
        if pr.max_volumetric_speed > 0.0 {
            v.min(pr.max_volumetric_speed / (s * hh))
        } else {
            v
        }
    }

    /// An extrusion at `speed` and `accel` of spacing `s` on `layer`. The first layer
    /// prints everything at `first_layer_speed` and its own acceleration.
    pub fn extrusion(&self, speed: f64, accel: f64, s: f64, layer: usize) -> Motion {
        let pr = self.pr;
        let (speed, accel, hh) = if layer == 0 {
            (
                pr.first_layer_speed,
                pr.accel(if pr.first_layer_acceleration > 0.0 {
                    pr.first_layer_acceleration
                } else {
                    accel
                }),
                self.first_height,
            )
        } else {
            (speed, pr.accel(accel), self.height)
        };
        Motion {
            speed: self.capped(speed, s, hh),
            accel,
            jerk: self.jerk,
        }
    }

    /// (external, inner) perimeter motions for a loop of `len` mm on `layer`: loops
    /// shorter than PrusaSlicer's small-perimeter threshold go at the small speed.
    pub fn perimeters(&self, layer: usize, len: f64) -> (Motion, Motion) {
        let pr = self.pr;
        let (ve, vi) = if len < SMALL_PERIMETER_MM {
            (pr.small_perimeter_speed, pr.small_perimeter_speed)
        } else {
            (pr.external_perimeter_speed, pr.perimeter_speed)
        };
        (
            self.extrusion(ve, pr.perimeter_acceleration, self.w.ext_s, layer),
            self.extrusion(vi, pr.perimeter_acceleration, self.w.per_s, layer),
        )
    }

    /// The fill motions of `layer`.
    pub fn fills(&self, layer: usize) -> FillMotions {
        let (pr, w) = (self.pr, &self.w);
        FillMotions {
            sparse: self.extrusion(pr.infill_speed, pr.infill_acceleration, w.inf_s, layer),
            solid: self.extrusion(
                pr.solid_infill_speed,
                pr.infill_acceleration,
                w.solid_s,
                layer,
            ),
            top: self.extrusion(
                pr.top_solid_infill_speed,
                pr.infill_acceleration,
                w.top_s,
                layer,
            ),
            bridge: self.extrusion(
                pr.bridge_speed,
                pr.bridge_acceleration,
                w.bridge_pitch,
                layer,
            ),
        }
    }

    /// (base, interface) support motions of `layer`.
    pub fn support(&self, layer: usize) -> (Motion, Motion) {
        let pr = self.pr;
        (
            self.extrusion(
                pr.support_material_speed,
                pr.default_acceleration,
                self.w.sup_s,
                layer,
            ),
            self.extrusion(
                pr.support_material_interface_speed,
                pr.default_acceleration,
                self.w.sup_s,
                layer,
            ),
        )
    }

    /// The skirt of `layer`, at spacing `s`: printed at the support speed.
    pub fn skirt(&self, s: f64, layer: usize) -> Motion {
        self.extrusion(
            self.pr.support_material_speed,
            self.pr.default_acceleration,
            s,
            layer,
        )
    }

    /// Travel moves: the travel speed, and the acceleration the machine allows along a
    /// diagonal (both axes at their limit).
    pub fn travel(&self) -> Motion {
        let pr = self.pr;
        Motion {
            speed: pr
                .travel_speed
                .min(pr.machine_max_feedrate_x.max(pr.machine_max_feedrate_y)),
            accel: pr.machine_max_acceleration_travel.min(
                pr.machine_max_acceleration_x
                    .min(pr.machine_max_acceleration_y)
                    * 2f64.sqrt(),
            ),
            jerk: self.jerk,
        }
    }

    /// Z moves (layer changes, lifts).
    pub fn z(&self) -> Motion {
        let pr = self.pr;
        Motion {
            speed: if pr.travel_speed_z > 0.0 {
                pr.travel_speed_z.min(pr.machine_max_feedrate_z)
            } else {
                pr.machine_max_feedrate_z
            },
            accel: pr.machine_max_acceleration_z,
            jerk: pr.machine_max_jerk_z,
        }
    }
}
