//! Resin (SLA/MSLA) printer and process parameters, named after PrusaSlicer's SLA keys.

use serde::{Deserialize, Serialize};

/// Resin printer, process and support parameters.
///
/// The defaults are a Prusa SL1S-class MSLA printer with PrusaSlicer's default SLA
/// supports, so a price book can name just the values that differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaProfile {
    /// Layer height, mm (PrusaSlicer `layer_height`).
    pub layer_height: f64,
    /// Exposure of a normal layer, s (`exposure_time`).
    pub exposure_time: f64,
    /// Exposure of the first layer, s (`initial_exposure_time`); it fades linearly to
    /// `exposure_time` over `faded_layers`.
    pub initial_exposure_time: f64,
    /// Layers over which the exposure fades (`faded_layers`).
    pub faded_layers: u32,
    /// Tilt/peel time of a layer whose area is under `area_fill` of the display, s.
    pub fast_tilt_time: f64,
    /// Tilt/peel time of a large layer, s: large areas peel slowly so they do not tear.
    pub slow_tilt_time: f64,
    /// Share of the display area, %, above which a layer takes the slow tilt (`area_fill`).
    pub area_fill: f64,
    /// Display (exposure) area width × height, mm.
    pub display_mm: [f64; 2],
    /// Fixed pause per layer (resin settling before exposure), s.
    pub delay_before_exposure: f64,
    /// Tower moves that do not depend on layers (home, lower into the vat, final lift), s.
    pub tower_moves_time: f64,
    /// Supports lift the part by this much, mm (`support_object_elevation`); it adds layers.
    pub support_object_elevation: f64,
    /// Faces tilted less than this from horizontal, facing down, need supports, degrees
    /// (measured like PrusaSlicer's overhang angle from the horizontal).
    pub support_overhang_angle: f64,
    /// Share of the column under a supported face that support pillars fill.
    pub support_density: f64,
    /// Pad thickness under the supports, mm (`pad_wall_height` + base).
    pub pad_thickness: f64,
    /// How far the pad extends past the part's footprint, mm.
    pub pad_margin: f64,
}

impl Default for SlaProfile {
    fn default() -> Self {
        SlaProfile {
            layer_height: 0.05,
            exposure_time: 2.5,
            initial_exposure_time: 30.0,
            faded_layers: 10,
            fast_tilt_time: 5.0,
            slow_tilt_time: 8.0,
            area_fill: 50.0,
            display_mm: [127.0, 80.0],
            delay_before_exposure: 0.0,
            tower_moves_time: 60.0,
            support_object_elevation: 5.0,
            support_overhang_angle: 45.0,
            support_density: 0.03,
            pad_thickness: 1.0,
            pad_margin: 2.0,
        }
    }
}

impl SlaProfile {
    /// Every out-of-range value as `(key, message)`; empty when the profile is usable.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        positive(&mut p, "layer_height", self.layer_height);
        non_negative(&mut p, "exposure_time", self.exposure_time);
        non_negative(&mut p, "initial_exposure_time", self.initial_exposure_time);
        non_negative(&mut p, "fast_tilt_time", self.fast_tilt_time);
        non_negative(&mut p, "slow_tilt_time", self.slow_tilt_time);
        non_negative(&mut p, "delay_before_exposure", self.delay_before_exposure);
        non_negative(&mut p, "tower_moves_time", self.tower_moves_time);
        non_negative(
            &mut p,
            "support_object_elevation",
            self.support_object_elevation,
        );
        non_negative(&mut p, "pad_thickness", self.pad_thickness);
        non_negative(&mut p, "pad_margin", self.pad_margin);
        if !(self.area_fill.is_finite() && (0.0..=100.0).contains(&self.area_fill)) {
            p.push((
                "area_fill",
                format!("must be a percentage 0-100, got {}", self.area_fill),
            ));
        }
        if !(self.support_overhang_angle.is_finite()
            && (0.0..=90.0).contains(&self.support_overhang_angle))
        {
            p.push((
                "support_overhang_angle",
                format!("must be 0-90 degrees, got {}", self.support_overhang_angle),
            ));
        }
        if !(self.support_density.is_finite() && (0.0..=1.0).contains(&self.support_density)) {
            p.push((
                "support_density",
                format!("must be a fraction 0-1, got {}", self.support_density),
            ));
        }
        for (i, d) in self.display_mm.iter().enumerate() {
            if !(d.is_finite() && *d > 0.0) {
                p.push(("display_mm", format!("[{i}] must be > 0 mm, got {d}")));
            }
        }
        p
    }
}

pub(crate) fn positive(p: &mut Vec<(&'static str, String)>, key: &'static str, v: f64) {
    if !(v.is_finite() && v > 0.0) {
        p.push((key, format!("must be > 0, got {v}")));
    }
}

pub(crate) fn non_negative(p: &mut Vec<(&'static str, String)>, key: &'static str, v: f64) {
    if !(v.is_finite() && v >= 0.0) {
        p.push((key, format!("must be ≥ 0, got {v}")));
    }
}
