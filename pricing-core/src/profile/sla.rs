//! Resin (SLA/MSLA) printer, print and material parameters, under PrusaSlicer's own SLA
//! key names.
//!
//! Two ways in:
//! - a PrusaSlicer `.ini` ([`SlaProfile::from_ini_str`], [`SlaProfile::load`]): printer,
//!   print and material keys, in one file or several concatenated; a key the file does not
//!   set takes **PrusaSlicer 2.5's default**, as the slicer does ([`SlaProfile::prusaslicer`]).
//!   Keys we do not know, and known keys we do not model set to something else than
//!   PrusaSlicer's default, become warnings (`unknown_profile_key`,
//!   `unmodelled_profile_key`) carried by the profile into every estimate;
//! - the project's TOML (a price book's inline table or a `.toml` file): the same key
//!   names, and a key not set keeps the value of the reference machine
//!   ([`SlaProfile::default`], the embedded `sla-reference.ini`, an SL1S-class printer),
//!   so a price book names only what differs.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ProfileError;
use crate::warning::Warning;

/// The reference resin machine (an SL1S-class MSLA printer at 0.05 mm), `.ini` syntax.
pub const REFERENCE_INI: &str = include_str!("sla-reference.ini");

/// How the material asks the printer to move: PrusaSlicer's `material_print_speed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintSpeed {
    /// Tilt by layer area (fast under `area_fill`, slow over it).
    Fast,
    /// Always the slow tilt, plus a 3 s settling delay before each exposure.
    Slow,
    /// Always the high-viscosity tilt, plus a 3.5 s delay before each exposure.
    HighViscosity,
}

/// Resin printer, print and material parameters (PrusaSlicer key names and units: mm,
/// s, degrees, percent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaProfile {
    // ---- printer
    /// Display (exposure area) width, mm.
    pub display_width: f64,
    /// Display height, mm.
    pub display_height: f64,
    /// Display pixels along the width (only the raster uses it; kept for completeness).
    pub display_pixels_x: u32,
    /// Display pixels along the height.
    pub display_pixels_y: u32,
    /// Highest printable z, mm.
    pub max_print_height: f64,
    /// Tilt time of a layer whose area is at most `area_fill` % of the display, s.
    pub fast_tilt_time: f64,
    /// Tilt time of a larger layer, s: a large cured area peels off the film slowly.
    pub slow_tilt_time: f64,
    /// Tilt time of every layer with a high-viscosity material, s.
    pub high_viscosity_tilt_time: f64,
    /// Share of the display, %, above which a layer takes the slow tilt.
    pub area_fill: f64,

    // ---- print
    /// Layer height, mm.
    pub layer_height: f64,
    /// Layers over which the exposure fades from the initial to the normal one.
    pub faded_layers: u32,
    /// Generate supports.
    pub supports_enable: bool,
    /// Diameter of the pinhead's tip on the model, mm.
    pub support_head_front_diameter: f64,
    /// How far the pinhead sinks into the model, mm.
    pub support_head_penetration: f64,
    /// Pinhead length between its front and back spheres, mm.
    pub support_head_width: f64,
    /// Pillar diameter, mm (also the pinhead's back diameter).
    pub support_pillar_diameter: f64,
    /// Heads per pillar: a pillar carries at most this many bridged heads.
    pub support_max_bridges_on_pillar: u32,
    /// Diameter of the cone at a pillar's foot, mm.
    pub support_base_diameter: f64,
    /// Height of that cone, mm.
    pub support_base_height: f64,
    /// Steepest angle of bridges and head tilts from the vertical, degrees.
    pub support_critical_angle: f64,
    /// Longest bridge, mm.
    pub support_max_bridge_length: f64,
    /// Farthest two pillars are cross-linked, mm.
    pub support_max_pillar_link_distance: f64,
    /// Gap the supports leave between the pad and the part, mm.
    pub support_object_elevation: f64,
    /// Support point density, % of PrusaSlicer's calibrated one.
    pub support_points_density_relative: f64,
    /// No two support points closer than this, mm.
    pub support_points_minimal_distance: f64,
    /// Supports only where they reach the pad (none standing on the part).
    pub support_buildplate_only: bool,
    /// Build a pad under the supports.
    pub pad_enable: bool,
    /// Pad thickness (and the thickness of its cavity walls), mm.
    pub pad_wall_thickness: f64,
    /// Depth of the pad's cavity, mm (0: a flat pad).
    pub pad_wall_height: f64,
    /// How far the pad extends around the pillar bases, mm.
    pub pad_brim_size: f64,
    /// Pad islands closer than this are joined, mm.
    pub pad_max_merge_distance: f64,
    /// Slope of the pad's wall from the platform, degrees (90: straight).
    pub pad_wall_slope: f64,

    // ---- material
    /// Height of the first layer, mm.
    pub initial_layer_height: f64,
    /// Exposure of a normal layer, s.
    pub exposure_time: f64,
    /// Exposure of the first layers, s.
    pub initial_exposure_time: f64,
    /// Resin density, g/cm³ (g/ml).
    pub material_density: f64,
    /// The material's motion profile.
    pub material_print_speed: PrintSpeed,

    /// Warnings about the file this profile was read from (unknown and unmodelled keys);
    /// every estimate made with the profile repeats them.
    #[serde(skip)]
    pub load_warnings: Vec<Warning>,
}

impl SlaProfile {
    /// PrusaSlicer 2.5's own defaults (`PrintConfig.cpp`): what the slicer uses for a key
    /// that no loaded file sets.
    pub fn prusaslicer() -> SlaProfile {
        SlaProfile {
            display_width: 120.0,
            display_height: 68.0,
            display_pixels_x: 2560,
            display_pixels_y: 1440,
            max_print_height: 200.0,
            fast_tilt_time: 5.0,
            slow_tilt_time: 8.0,
            high_viscosity_tilt_time: 10.0,
            area_fill: 50.0,
            layer_height: 0.3,
            faded_layers: 10,
            supports_enable: true,
            support_head_front_diameter: 0.4,
            support_head_penetration: 0.2,
            support_head_width: 1.0,
            support_pillar_diameter: 1.0,
            support_max_bridges_on_pillar: 3,
            support_base_diameter: 4.0,
            support_base_height: 1.0,
            support_critical_angle: 45.0,
            support_max_bridge_length: 15.0,
            support_max_pillar_link_distance: 10.0,
            support_object_elevation: 5.0,
            support_points_density_relative: 100.0,
            support_points_minimal_distance: 1.0,
            support_buildplate_only: false,
            pad_enable: true,
            pad_wall_thickness: 2.0,
            pad_wall_height: 0.0,
            pad_brim_size: 1.6,
            pad_max_merge_distance: 50.0,
            pad_wall_slope: 90.0,
            initial_layer_height: 0.3,
            exposure_time: 10.0,
            initial_exposure_time: 15.0,
            material_density: 1.0,
            material_print_speed: PrintSpeed::Fast,
            load_warnings: Vec::new(),
        }
    }

    /// Loads a profile from a PrusaSlicer `.ini` or the project's `.toml`, by extension.
    pub fn load(path: &Path) -> Result<SlaProfile, ProfileError> {
        let text = crate::text_file::read(path).map_err(|source| ProfileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "ini" => SlaProfile::from_ini_str(&text),
            "toml" => SlaProfile::from_toml_str(&text),
            _ => Err(ProfileError::Invalid {
                key: "(file)".into(),
                message: format!(
                    "{}: unknown profile extension; use .ini (PrusaSlicer) or .toml",
                    path.display()
                ),
            }),
        }
    }

    /// Reads PrusaSlicer `.ini` text over PrusaSlicer's defaults. Unknown and unmodelled
    /// keys end up in [`SlaProfile::load_warnings`]; malformed or out-of-range values of
    /// the keys we use are errors naming the key.
    pub fn from_ini_str(text: &str) -> Result<SlaProfile, ProfileError> {
        let mut p = SlaProfile::prusaslicer();
        let warnings = super::sla_ini::apply(&mut p, text)?;
        p.validate()?;
        p.load_warnings = warnings;
        Ok(p)
    }

    /// Reads the project's TOML (the `.ini` key names) over the reference machine.
    pub fn from_toml_str(text: &str) -> Result<SlaProfile, ProfileError> {
        let p: SlaProfile = toml::from_str(text).map_err(|e| ProfileError::Toml(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    /// The first problem of [`SlaProfile::problems`] as an error.
    pub fn validate(&self) -> Result<(), ProfileError> {
        match self.problems().into_iter().next() {
            Some((key, message)) => Err(ProfileError::Invalid {
                key: key.to_string(),
                message,
            }),
            None => Ok(()),
        }
    }

    /// Every out-of-range value as `(key, message)`; empty when the profile is usable.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        for (k, v) in [
            ("layer_height", self.layer_height),
            ("initial_layer_height", self.initial_layer_height),
            ("display_width", self.display_width),
            ("display_height", self.display_height),
            ("max_print_height", self.max_print_height),
            ("support_pillar_diameter", self.support_pillar_diameter),
            (
                "support_head_front_diameter",
                self.support_head_front_diameter,
            ),
            ("support_base_diameter", self.support_base_diameter),
            (
                "support_points_minimal_distance",
                self.support_points_minimal_distance,
            ),
            ("material_density", self.material_density),
        ] {
            positive(&mut p, k, v);
        }
        for (k, v) in [
            ("exposure_time", self.exposure_time),
            ("initial_exposure_time", self.initial_exposure_time),
            ("fast_tilt_time", self.fast_tilt_time),
            ("slow_tilt_time", self.slow_tilt_time),
            ("high_viscosity_tilt_time", self.high_viscosity_tilt_time),
            ("support_head_penetration", self.support_head_penetration),
            ("support_head_width", self.support_head_width),
            ("support_base_height", self.support_base_height),
            ("support_max_bridge_length", self.support_max_bridge_length),
            (
                "support_max_pillar_link_distance",
                self.support_max_pillar_link_distance,
            ),
            ("support_object_elevation", self.support_object_elevation),
            ("pad_wall_thickness", self.pad_wall_thickness),
            ("pad_wall_height", self.pad_wall_height),
            ("pad_brim_size", self.pad_brim_size),
            ("pad_max_merge_distance", self.pad_max_merge_distance),
        ] {
            non_negative(&mut p, k, v);
        }
        if !(self.area_fill.is_finite() && (0.0..=100.0).contains(&self.area_fill)) {
            p.push((
                "area_fill",
                format!("must be a percentage 0-100, got {}", self.area_fill),
            ));
        }
        if !(self.support_points_density_relative.is_finite()
            && (1.0..=1000.0).contains(&self.support_points_density_relative))
        {
            p.push((
                "support_points_density_relative",
                format!(
                    "must be a percentage 1-1000, got {}",
                    self.support_points_density_relative
                ),
            ));
        }
        if !(self.support_critical_angle.is_finite()
            && (0.0..=90.0).contains(&self.support_critical_angle))
        {
            p.push((
                "support_critical_angle",
                format!("must be 0-90 degrees, got {}", self.support_critical_angle),
            ));
        }
        if !(self.pad_wall_slope.is_finite() && self.pad_wall_slope > 0.0)
            || self.pad_wall_slope > 90.0
        {
            p.push((
                "pad_wall_slope",
                format!(
                    "must be over 0 and at most 90 degrees, got {}",
                    self.pad_wall_slope
                ),
            ));
        }
        // PrusaSlicer refuses a support gap shorter than a pinhead (`SLAPrint::validate`).
        let pinhead = self.support_head_front_diameter
            + self.support_head_width
            + self.support_pillar_diameter
            - self.support_head_penetration;
        if self.supports_enable && self.support_object_elevation < pinhead {
            p.push((
                "support_object_elevation",
                format!(
                    "must be at least the pinhead's length, {pinhead:.2} mm (PrusaSlicer: \"Elevation is too low for object\"), got {}",
                    self.support_object_elevation
                ),
            ));
        }
        // PrusaSlicer's own range; 0 means no limit.
        if self.support_max_bridges_on_pillar > 50 {
            p.push((
                "support_max_bridges_on_pillar",
                format!(
                    "must be at most 50 (PrusaSlicer's range), got {}",
                    self.support_max_bridges_on_pillar
                ),
            ));
        }
        if self.faded_layers > 1000 {
            p.push((
                "faded_layers",
                format!("must be at most 1000, got {}", self.faded_layers),
            ));
        }
        if self.layer_height.is_finite() && self.layer_height > 1.0 {
            p.push((
                "layer_height",
                format!(
                    "resin layers are at most 1 mm, got {} mm",
                    self.layer_height
                ),
            ));
        }
        p
    }

    /// The elevation of the part's bottom above the platform, mm: the support gap plus
    /// the pad's thickness, as PrusaSlicer's `SLAPrintObject::get_elevation` has it.
    pub fn elevation(&self, supports: bool) -> f64 {
        let gap = if supports {
            self.support_object_elevation
        } else {
            0.0
        };
        let pad = if self.pad_enable {
            self.pad_wall_thickness
        } else {
            0.0
        };
        gap + pad
    }
}

impl Default for SlaProfile {
    /// The reference resin machine (`sla-reference.ini` over PrusaSlicer's defaults).
    fn default() -> Self {
        // The embedded file is part of the crate and tested to parse; the fallback only
        // guards against a broken edit of it.
        SlaProfile::from_ini_str(REFERENCE_INI).unwrap_or_else(|_| SlaProfile::prusaslicer())
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
