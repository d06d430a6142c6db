//! FDM printer profile: the machine, process and filament parameters that decide material
//! and print time.
//!
//! [`FdmProfile::default`] is the reference profile, `fdm-reference.ini` (the same file
//! PrusaSlicer sliced the corpus with), embedded in the crate so that the default quote and
//! the reference describe the same print. Profiles load from PrusaSlicer `.ini` files
//! ([`FdmProfile::from_ini_str`], bundles with [`FdmProfile::from_ini_bundle`]) or from
//! the project's TOML ([`FdmProfile::from_toml_str`]), whose keys are the same names as the
//! `.ini` keys, over the reference: a source may be partial (a price book embeds only its
//! overrides). Several sources layer like PrusaSlicer's `--load` and `key=value`
//! overrides apply last ([`ProfileBuilder`]). Every loader returns the profile with its
//! warnings ([`LoadedProfile`]): keys that are misspelt or that PrusaSlicer knows but the
//! estimate does not model.
//!
//! The fields are listed once here (with serde reading them from `.ini` pairs and TOML),
//! once with PrusaSlicer's defaults ([`FdmProfile::base`]), and once with their ranges
//! ([`FdmProfile::problems`]).
//!
//! Units: lengths in mm, speeds in mm/s, accelerations in mm/s², percentages in percent
//! (`fill_density = 15` in TOML, `fill_density = 15%` in an `.ini`).

use super::pattern::FillPattern;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::builder::{LoadedProfile, PresetChoice, ProfileBuilder};
use super::{KeyProblem, ProfileError};

/// The reference profile, PrusaSlicer `.ini` syntax.
pub const REFERENCE_INI: &str = include_str!("fdm-reference.ini");

/// FDM printer, process and filament parameters (PrusaSlicer key names).
///
/// `Deserialize` fills keys a source does not set with PrusaSlicer's own defaults
/// ([`FdmProfile::base`]) and checks no range; the loaders put the reference profile
/// underneath, resolve PrusaSlicer's percentages and check every range
/// ([`ProfileBuilder`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default = "FdmProfile::base", deny_unknown_fields)]
pub struct FdmProfile {
    /// Nozzle diameter, mm: the base of relative extrusion widths and of bridge threads.
    pub nozzle_diameter: f64,
    /// Filament diameter, mm: turns volume into filament length.
    pub filament_diameter: f64,
    /// Filament density, g/cm³.
    pub filament_density: f64,
    /// Filament cost per kg (currency of the price book).
    pub filament_cost: f64,
    /// Highest printable z, mm.
    pub max_print_height: f64,

    /// Machine limit: acceleration while extruding, mm/s².
    pub machine_max_acceleration_extruding: f64,
    /// Machine limit: acceleration of retractions, mm/s².
    pub machine_max_acceleration_retracting: f64,
    /// Machine limit: acceleration of travel moves, mm/s².
    pub machine_max_acceleration_travel: f64,
    /// Machine limit: X axis acceleration, mm/s².
    pub machine_max_acceleration_x: f64,
    /// Machine limit: Y axis acceleration, mm/s².
    pub machine_max_acceleration_y: f64,
    /// Machine limit: Z axis acceleration, mm/s².
    pub machine_max_acceleration_z: f64,
    /// Machine limit: extruder acceleration, mm/s².
    pub machine_max_acceleration_e: f64,
    /// Machine limit: X feedrate, mm/s.
    pub machine_max_feedrate_x: f64,
    /// Machine limit: Y feedrate, mm/s.
    pub machine_max_feedrate_y: f64,
    /// Machine limit: Z feedrate, mm/s.
    pub machine_max_feedrate_z: f64,
    /// Machine limit: extruder feedrate, mm/s.
    pub machine_max_feedrate_e: f64,
    /// Machine limit: X jerk (instant speed change), mm/s.
    pub machine_max_jerk_x: f64,
    /// Machine limit: Y jerk, mm/s.
    pub machine_max_jerk_y: f64,
    /// Machine limit: Z jerk, mm/s.
    pub machine_max_jerk_z: f64,
    /// Machine limit: extruder jerk, mm/s.
    pub machine_max_jerk_e: f64,

    /// Layer height, mm.
    pub layer_height: f64,
    /// First layer height, mm.
    pub first_layer_height: f64,
    /// Perimeter loops per contour.
    pub perimeters: u32,
    /// Solid layers under a top surface.
    pub top_solid_layers: u32,
    /// Solid layers over a bottom surface.
    pub bottom_solid_layers: u32,
    /// Minimum thickness of the top shell, mm (raises `top_solid_layers` if needed).
    pub top_solid_min_thickness: f64,
    /// Minimum thickness of the bottom shell, mm.
    pub bottom_solid_min_thickness: f64,
    /// Sparse infill density, percent (0..100).
    pub fill_density: f64,
    /// Sparse infill pattern (`gyroid`, `rectilinear`, `grid`, …).
    pub fill_pattern: String,
    /// Pattern of top surfaces.
    pub top_fill_pattern: String,
    /// Pattern of bottom surfaces.
    pub bottom_fill_pattern: String,
    /// Sparse regions smaller than this are filled solid, mm².
    pub solid_infill_below_area: f64,
    /// Ensure the vertical shell is `perimeters` thick on sloped walls (adds solid infill).
    pub ensure_vertical_shell_thickness: bool,

    /// Default extrusion width, mm (0 = automatic).
    pub extrusion_width: f64,
    /// First layer extrusion width, mm.
    pub first_layer_extrusion_width: f64,
    /// Inner perimeter width, mm.
    pub perimeter_extrusion_width: f64,
    /// External perimeter width, mm.
    pub external_perimeter_extrusion_width: f64,
    /// Sparse infill width, mm.
    pub infill_extrusion_width: f64,
    /// Solid infill width, mm.
    pub solid_infill_extrusion_width: f64,
    /// Top solid infill width, mm.
    pub top_infill_extrusion_width: f64,
    /// Support width, mm.
    pub support_material_extrusion_width: f64,

    /// Inner perimeter speed, mm/s.
    pub perimeter_speed: f64,
    /// Speed of perimeters of small loops (under 6.5 mm), mm/s.
    pub small_perimeter_speed: f64,
    /// External perimeter speed, mm/s.
    pub external_perimeter_speed: f64,
    /// Sparse infill speed, mm/s.
    pub infill_speed: f64,
    /// Solid infill speed, mm/s.
    pub solid_infill_speed: f64,
    /// Top solid infill speed, mm/s.
    pub top_solid_infill_speed: f64,
    /// Support base speed, mm/s.
    pub support_material_speed: f64,
    /// Support interface speed, mm/s.
    pub support_material_interface_speed: f64,
    /// Bridge speed, mm/s.
    pub bridge_speed: f64,
    /// Gap fill speed, mm/s.
    pub gap_fill_speed: f64,
    /// Travel speed, mm/s.
    pub travel_speed: f64,
    /// Z travel speed (lifts, layer changes), mm/s.
    pub travel_speed_z: f64,
    /// Speed of everything on the first layer, mm/s.
    pub first_layer_speed: f64,
    /// Volumetric flow cap, mm³/s (0 = none).
    pub max_volumetric_speed: f64,

    /// Acceleration where no specific one is set, mm/s².
    pub default_acceleration: f64,
    /// Perimeter acceleration, mm/s² (0 = default).
    pub perimeter_acceleration: f64,
    /// Infill acceleration, mm/s² (0 = default).
    pub infill_acceleration: f64,
    /// Bridge acceleration, mm/s² (0 = default).
    pub bridge_acceleration: f64,
    /// First layer acceleration, mm/s² (0 = default).
    pub first_layer_acceleration: f64,

    /// Retraction length, mm of filament.
    pub retract_length: f64,
    /// Retraction speed, mm/s.
    pub retract_speed: f64,
    /// Z lift on retraction, mm.
    pub retract_lift: f64,
    /// Travels shorter than this do not retract, mm.
    pub retract_before_travel: f64,

    /// Skirt loops.
    pub skirts: u32,
    /// Skirt distance from the part, mm.
    pub skirt_distance: f64,
    /// Skirt height, layers.
    pub skirt_height: u32,
    /// Brim width, mm.
    pub brim_width: f64,

    /// Overhangs steeper than this (degrees from horizontal) need no support.
    pub support_material_threshold: f64,
    /// Gap between support base lines, mm.
    pub support_material_spacing: f64,
    /// Vertical gap between support and part, mm.
    pub support_material_contact_distance: f64,
    /// Dense interface layers at the top (and bottom) of supports.
    pub support_material_interface_layers: u32,
    /// Gap between interface lines, mm.
    pub support_material_interface_spacing: f64,
    /// Supports only from the bed, never on the part.
    pub support_material_buildplate_only: bool,
    /// Horizontal gap between support and part, mm.
    pub support_material_xy_spacing: f64,
    /// Density of the first support layer, percent.
    pub raft_first_layer_density: f64,
    /// Expansion of the first support layer, mm.
    pub raft_first_layer_expansion: f64,
    /// The printer's thickest layer, mm (0: ¾ of the nozzle). Supports are printed in
    /// layers up to this thick ([`FdmProfile::max_support_layer_height`]).
    pub max_layer_height: f64,
    /// The printer's thinnest layer, mm: support contacts closer than this share a layer.
    pub min_layer_height: f64,
}

/// The thinnest support layer PrusaSlicer prints (its `support_layer_height_min` floor),
/// mm.
pub const MIN_SUPPORT_LAYER_MM: f64 = 0.01;

impl FdmProfile {
    /// PrusaSlicer 2.5's own defaults: what a key no source sets (not even the reference
    /// profile) takes.
    pub fn base() -> FdmProfile {
        FdmProfile {
            nozzle_diameter: 0.4,
            filament_diameter: 1.75,
            filament_density: 1.24,
            filament_cost: 25.0,
            max_print_height: 200.0,
            machine_max_acceleration_extruding: 1500.0,
            machine_max_acceleration_retracting: 1500.0,
            machine_max_acceleration_travel: 1500.0,
            machine_max_acceleration_x: 9000.0,
            machine_max_acceleration_y: 9000.0,
            machine_max_acceleration_z: 500.0,
            machine_max_acceleration_e: 10000.0,
            machine_max_feedrate_x: 500.0,
            machine_max_feedrate_y: 500.0,
            machine_max_feedrate_z: 12.0,
            machine_max_feedrate_e: 120.0,
            machine_max_jerk_x: 10.0,
            machine_max_jerk_y: 10.0,
            machine_max_jerk_z: 0.2,
            machine_max_jerk_e: 2.5,
            layer_height: 0.3,
            first_layer_height: 0.35,
            perimeters: 3,
            top_solid_layers: 3,
            bottom_solid_layers: 3,
            top_solid_min_thickness: 0.0,
            bottom_solid_min_thickness: 0.0,
            fill_density: 20.0,
            fill_pattern: "stars".into(),
            top_fill_pattern: "monotonic".into(),
            bottom_fill_pattern: "monotonic".into(),
            solid_infill_below_area: 70.0,
            ensure_vertical_shell_thickness: true,
            extrusion_width: 0.0,
            first_layer_extrusion_width: 0.0,
            perimeter_extrusion_width: 0.0,
            external_perimeter_extrusion_width: 0.0,
            infill_extrusion_width: 0.0,
            solid_infill_extrusion_width: 0.0,
            top_infill_extrusion_width: 0.0,
            support_material_extrusion_width: 0.0,
            perimeter_speed: 60.0,
            small_perimeter_speed: 15.0,
            external_perimeter_speed: 30.0,
            infill_speed: 80.0,
            solid_infill_speed: 20.0,
            top_solid_infill_speed: 15.0,
            support_material_speed: 60.0,
            support_material_interface_speed: 60.0,
            bridge_speed: 60.0,
            gap_fill_speed: 20.0,
            travel_speed: 130.0,
            travel_speed_z: 0.0,
            first_layer_speed: 30.0,
            max_volumetric_speed: 0.0,
            default_acceleration: 0.0,
            perimeter_acceleration: 0.0,
            infill_acceleration: 0.0,
            bridge_acceleration: 0.0,
            first_layer_acceleration: 0.0,
            retract_length: 2.0,
            retract_speed: 40.0,
            retract_lift: 0.0,
            retract_before_travel: 2.0,
            skirts: 1,
            skirt_distance: 6.0,
            skirt_height: 1,
            brim_width: 0.0,
            support_material_threshold: 0.0,
            support_material_spacing: 2.5,
            support_material_contact_distance: 0.2,
            support_material_interface_layers: 3,
            support_material_interface_spacing: 0.0,
            support_material_buildplate_only: false,
            support_material_xy_spacing: 0.0,
            raft_first_layer_density: 90.0,
            raft_first_layer_expansion: 3.0,
            max_layer_height: 0.0,
            min_layer_height: 0.07,
        }
    }
}

impl Default for FdmProfile {
    /// The reference profile (`fdm-reference.ini`), read once.
    fn default() -> Self {
        static REFERENCE: OnceLock<FdmProfile> = OnceLock::new();
        REFERENCE
            .get_or_init(|| {
                // The embedded file is part of the crate and tested to load without a
                // problem or a warning; the fallback only guards against a broken edit.
                ProfileBuilder::new()
                    .build()
                    .map(|l| l.profile)
                    .unwrap_or_else(|_| FdmProfile::base())
            })
            .clone()
    }
}

impl FdmProfile {
    /// Loads a profile from a `.ini` (PrusaSlicer keys) or `.toml` file, by extension,
    /// over the reference profile. A config bundle is refused with the list of its
    /// presets: read it with [`FdmProfile::from_ini_bundle`].
    pub fn load(path: &Path) -> Result<LoadedProfile, ProfileError> {
        ProfileBuilder::new().load_path(path)?.build()
    }

    /// Parses PrusaSlicer `.ini` text (a flat export) over the reference profile.
    pub fn from_ini_str(text: &str) -> Result<LoadedProfile, ProfileError> {
        ProfileBuilder::new().load_ini(text)?.build()
    }

    /// Reads the presets `choice` names from a PrusaSlicer config bundle (printer, then
    /// filament, then print, as `--load` layers them) over the reference profile.
    pub fn from_ini_bundle(
        text: &str,
        choice: &PresetChoice,
    ) -> Result<LoadedProfile, ProfileError> {
        ProfileBuilder::new().load_ini_bundle(text, choice)?.build()
    }

    /// Parses the project's TOML (the `.ini` key names) over the reference profile.
    pub fn from_toml_str(text: &str) -> Result<LoadedProfile, ProfileError> {
        ProfileBuilder::new().load_toml(text)?.build()
    }
    /// The sparse infill pattern; rectilinear for a name [`FdmProfile::validate`] refuses.
    pub fn pattern(&self) -> FillPattern {
        FillPattern::parse(&self.fill_pattern).unwrap_or(FillPattern::Rectilinear)
    }

    /// Checks every value the estimate relies on; every problem is reported.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ProfileError::Problems { problems })
        }
    }

    /// Every out-of-range value, with its key; empty when the profile is usable.
    pub fn problems(&self) -> Vec<KeyProblem> {
        let mut out = Vec::new();
        let mut bad = |key: &str, message: String| {
            out.push(KeyProblem {
                key: key.to_string(),
                message,
            })
        };
        let positive = [
            ("nozzle_diameter", self.nozzle_diameter),
            ("filament_diameter", self.filament_diameter),
            ("filament_density", self.filament_density),
            ("layer_height", self.layer_height),
            ("first_layer_height", self.first_layer_height),
            (
                "machine_max_acceleration_extruding",
                self.machine_max_acceleration_extruding,
            ),
            (
                "machine_max_acceleration_travel",
                self.machine_max_acceleration_travel,
            ),
            (
                "machine_max_acceleration_x",
                self.machine_max_acceleration_x,
            ),
            (
                "machine_max_acceleration_y",
                self.machine_max_acceleration_y,
            ),
            (
                "machine_max_acceleration_z",
                self.machine_max_acceleration_z,
            ),
            ("machine_max_feedrate_x", self.machine_max_feedrate_x),
            ("machine_max_feedrate_y", self.machine_max_feedrate_y),
            ("machine_max_feedrate_z", self.machine_max_feedrate_z),
            ("machine_max_jerk_x", self.machine_max_jerk_x),
            ("machine_max_jerk_y", self.machine_max_jerk_y),
            ("perimeter_speed", self.perimeter_speed),
            ("small_perimeter_speed", self.small_perimeter_speed),
            ("external_perimeter_speed", self.external_perimeter_speed),
            ("infill_speed", self.infill_speed),
            ("solid_infill_speed", self.solid_infill_speed),
            ("top_solid_infill_speed", self.top_solid_infill_speed),
            ("support_material_speed", self.support_material_speed),
            (
                "support_material_interface_speed",
                self.support_material_interface_speed,
            ),
            ("bridge_speed", self.bridge_speed),
            ("travel_speed", self.travel_speed),
            ("first_layer_speed", self.first_layer_speed),
            ("support_material_spacing", self.support_material_spacing),
        ];
        for (k, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                bad(k, format!("must be a positive number, not {v}"));
            }
        }
        let non_negative = [
            ("max_layer_height", self.max_layer_height),
            ("min_layer_height", self.min_layer_height),
            ("extrusion_width", self.extrusion_width),
            (
                "first_layer_extrusion_width",
                self.first_layer_extrusion_width,
            ),
            ("perimeter_extrusion_width", self.perimeter_extrusion_width),
            (
                "external_perimeter_extrusion_width",
                self.external_perimeter_extrusion_width,
            ),
            ("infill_extrusion_width", self.infill_extrusion_width),
            (
                "solid_infill_extrusion_width",
                self.solid_infill_extrusion_width,
            ),
            (
                "top_infill_extrusion_width",
                self.top_infill_extrusion_width,
            ),
            (
                "support_material_extrusion_width",
                self.support_material_extrusion_width,
            ),
            ("retract_length", self.retract_length),
            ("retract_speed", self.retract_speed),
            ("retract_lift", self.retract_lift),
            ("retract_before_travel", self.retract_before_travel),
            ("travel_speed_z", self.travel_speed_z),
            ("skirt_distance", self.skirt_distance),
            ("brim_width", self.brim_width),
            (
                "support_material_contact_distance",
                self.support_material_contact_distance,
            ),
            (
                "support_material_interface_spacing",
                self.support_material_interface_spacing,
            ),
            ("top_solid_min_thickness", self.top_solid_min_thickness),
            (
                "bottom_solid_min_thickness",
                self.bottom_solid_min_thickness,
            ),
            ("max_volumetric_speed", self.max_volumetric_speed),
            ("default_acceleration", self.default_acceleration),
            ("perimeter_acceleration", self.perimeter_acceleration),
            ("infill_acceleration", self.infill_acceleration),
            ("bridge_acceleration", self.bridge_acceleration),
            ("first_layer_acceleration", self.first_layer_acceleration),
            (
                "raft_first_layer_expansion",
                self.raft_first_layer_expansion,
            ),
            ("solid_infill_below_area", self.solid_infill_below_area),
        ];
        for (k, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                bad(k, format!("must be zero or positive, not {v}"));
            }
        }
        if FillPattern::parse(&self.fill_pattern).is_none() {
            let names: Vec<&str> = FillPattern::ALL.iter().map(|p| p.key()).collect();
            bad(
                "fill_pattern",
                format!(
                    "`{}` is not a PrusaSlicer infill pattern; use one of {}",
                    self.fill_pattern,
                    names.join(", ")
                ),
            );
        }
        for (k, v) in [
            ("fill_density", self.fill_density),
            ("raft_first_layer_density", self.raft_first_layer_density),
        ] {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                bad(k, format!("must be a percentage 0..100, not {v}"));
            }
        }
        if !(self.support_material_threshold.is_finite()
            && (0.0..90.0).contains(&self.support_material_threshold))
        {
            bad(
                "support_material_threshold",
                "must be an angle 0..90 degrees (0 = automatic)".into(),
            );
        }
        if self.layer_height > self.nozzle_diameter
            || self.first_layer_height > 2.0 * self.nozzle_diameter
        {
            bad(
                "layer_height",
                "layers thicker than the nozzle diameter cannot be printed".into(),
            );
        }
        if !self.support_material_xy_spacing.is_finite() {
            bad("support_material_xy_spacing", "must be a number".into());
        }
        // Supports are laid in layers up to this thick: a sliver would make millions.
        // PrusaSlicer itself never prints a support layer under 10 µm.
        if self.max_layer_height > 0.0 && self.max_layer_height < MIN_SUPPORT_LAYER_MM {
            bad(
                "max_layer_height",
                format!(
                    "must be 0 (automatic) or at least {MIN_SUPPORT_LAYER_MM} mm, not {}",
                    self.max_layer_height
                ),
            );
        }
        out
    }

    /// Resolves an extrusion width: 0 means PrusaSlicer's automatic 1.125 × nozzle.
    pub fn width(&self, w: f64) -> f64 {
        let w = if w > 0.0 { w } else { self.extrusion_width };
        if w > 0.0 {
            w
        } else {
            1.125 * self.nozzle_diameter
        }
    }

    /// Solid top layers after the minimum thickness.
    pub fn top_layers(&self) -> u32 {
        let by_thickness = (self.top_solid_min_thickness / self.layer_height - 1e-9).ceil();
        self.top_solid_layers.max(by_thickness.max(0.0) as u32)
    }

    /// Solid bottom layers after the minimum thickness.
    pub fn bottom_layers(&self) -> u32 {
        let by_thickness = (self.bottom_solid_min_thickness / self.layer_height - 1e-9).ceil();
        self.bottom_solid_layers.max(by_thickness.max(0.0) as u32)
    }

    /// The thickest support layer, mm: PrusaSlicer's `max_layer_height_from_nozzle`,
    /// the printer's `max_layer_height`, or ¾ of the nozzle when that is 0, and never
    /// below `min_layer_height` or [`MIN_SUPPORT_LAYER_MM`]. (It is not raised to the
    /// object's layer height.)
    pub fn max_support_layer_height(&self) -> f64 {
        let max = if self.max_layer_height > 0.0 {
            self.max_layer_height
        } else {
            0.75 * self.nozzle_diameter
        };
        max.max(self.min_layer_height).max(MIN_SUPPORT_LAYER_MM)
    }

    /// Support/part horizontal gap in mm (PrusaSlicer default: half the external width).
    pub fn support_xy_gap(&self) -> f64 {
        if self.support_material_xy_spacing < 0.0 {
            -self.support_material_xy_spacing * self.width(self.external_perimeter_extrusion_width)
        } else if self.support_material_xy_spacing == 0.0 {
            0.5 * self.width(self.external_perimeter_extrusion_width)
        } else {
            self.support_material_xy_spacing
        }
    }

    /// Acceleration or the default one when 0, capped by the machine's extruding limit.
    pub fn accel(&self, a: f64) -> f64 {
        let a = if a > 0.0 {
            a
        } else {
            self.default_acceleration
        };
        let a = if a > 0.0 {
            a
        } else {
            self.machine_max_acceleration_extruding
        };
        a.min(self.machine_max_acceleration_extruding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_reference_ini_without_a_warning() {
        let loaded = ProfileBuilder::new().build().unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let p = loaded.profile;
        assert_eq!(p, FdmProfile::default());
        assert_eq!(p.layer_height, 0.2);
        assert_eq!(p.fill_density, 15.0);
        assert_eq!(p.machine_max_acceleration_x, 1000.0);
        assert_eq!(p.support_material_interface_speed, 50.0);
        assert_eq!(p.top_layers(), 5);
        assert_eq!(p.bottom_layers(), 4);
        assert_eq!(p.fill_pattern, "gyroid");
        assert!(p.ensure_vertical_shell_thickness);
        p.validate().unwrap();
        // Keys the reference does not set keep PrusaSlicer's defaults.
        assert_eq!(p.small_perimeter_speed, 25.0);
        assert_eq!(
            p.retract_before_travel,
            FdmProfile::base().retract_before_travel
        );
    }

    /// A sliver of a maximum layer height is refused by name, not turned into millions
    /// of support layers; 0 (automatic) and real heights pass.
    #[test]
    fn a_sliver_of_a_max_layer_height_is_refused() {
        let with = |v: f64| FdmProfile {
            max_layer_height: v,
            ..FdmProfile::default()
        };
        let problems = with(1e-6).problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "max_layer_height");
        with(0.0).validate().unwrap();
        with(0.25).validate().unwrap();
        assert!((with(0.0).max_support_layer_height() - 0.3).abs() < 1e-12);
        assert_eq!(with(0.25).max_support_layer_height(), 0.25);
    }

    #[test]
    fn ini_relative_speeds_and_lists() {
        let p = FdmProfile::from_ini_str(
            "first_layer_speed = 50%\nperimeter_speed = 60\nmachine_max_jerk_x = 9,7\n",
        )
        .unwrap()
        .profile;
        assert_eq!(p.first_layer_speed, 30.0);
        assert_eq!(p.machine_max_jerk_x, 9.0);
    }

    #[test]
    fn toml_partial_and_unknown() {
        let p = FdmProfile::from_toml_str("fill_density = 40\nperimeters = 3\n")
            .unwrap()
            .profile;
        assert_eq!(p.fill_density, 40.0);
        assert_eq!(p.perimeters, 3);
        assert_eq!(p.layer_height, 0.2);
        assert!(FdmProfile::from_toml_str("fill_densty = 40\n").is_err());
    }

    #[test]
    fn invalid_values_name_the_key() {
        let e = FdmProfile::from_ini_str("fill_density = 150%\n").unwrap_err();
        assert!(e.to_string().contains("fill_density"), "{e}");
        let e = FdmProfile::from_ini_str("perimeter_extrusion_width = -1\n").unwrap_err();
        assert!(e.to_string().contains("perimeter_extrusion_width"), "{e}");
        let e = FdmProfile::from_ini_str("layer_height = abc\n").unwrap_err();
        assert!(e.to_string().contains("layer_height"), "{e}");
    }

    /// Every problem of a file comes in one run: syntax, type and range alike.
    #[test]
    fn every_problem_is_reported_in_one_run() {
        let e = FdmProfile::from_ini_str(
            "layer_height = abc\nperimeters = 2.5\nfill_density = 150%\ninfill_speed = -3\nthin_walls = maybe\nensure_vertical_shell_thickness = yes\n",
        )
        .unwrap_err();
        let ProfileError::Problems { problems } = &e else {
            panic!("{e}")
        };
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for k in [
            "layer_height",
            "perimeters",
            "fill_density",
            "infill_speed",
            "ensure_vertical_shell_thickness",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
    }
}
