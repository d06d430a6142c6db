//! PrusaSlicer SLA `.ini` text → [`SlaProfile`]: which keys set which field, which keys
//! PrusaSlicer knows but the estimate does not model, and which keys nobody knows.
//!
//! The key lists are PrusaSlicer 2.5's SLA printer, print and material options
//! (`PrintConfig.hpp`: `SLAPrinterConfig`, `SLAPrintObjectConfig`, `SLAMaterialConfig`)
//! plus the preset bookkeeping keys every exported profile carries.

use super::ProfileError;
use super::sla::{PrintSpeed, SlaProfile};
use crate::warning::Warning;

/// Keys that neither change time nor resin (names, notes, raster and G-code-host details).
const INERT: &[&str] = &[
    "printer_technology",
    "bed_shape",
    "bed_custom_model",
    "bed_custom_texture",
    "display_mirror_x",
    "display_mirror_y",
    "display_orientation",
    "gamma_correction",
    "min_exposure_time",
    "max_exposure_time",
    "min_initial_exposure_time",
    "max_initial_exposure_time",
    "output_filename_format",
    "thumbnails",
    "thumbnails_format",
    "printer_model",
    "printer_variant",
    "printer_vendor",
    "printer_notes",
    "printer_settings_id",
    "sla_print_settings_id",
    "sla_material_settings_id",
    "physical_printer_settings_id",
    "default_sla_print_profile",
    "default_sla_material_profile",
    "print_settings_id",
    "inherits",
    "compatible_printers",
    "compatible_printers_condition",
    "compatible_prints",
    "compatible_prints_condition",
    "material_colour",
    "material_notes",
    "material_type",
    "material_vendor",
    "bottle_cost",
    "bottle_volume",
    "bottle_weight",
    "preset_name",
    "preset_names",
    "host_type",
    "print_host",
    "printhost_apikey",
    "printhost_cafile",
    "printhost_port",
    "printhost_authorization_type",
    "printhost_user",
    "printhost_password",
    "sla_archive_format",
    "sla_output_precision",
];

/// Keys PrusaSlicer uses that change the result but that the estimate does not model,
/// each with PrusaSlicer's default: set to anything else they are reported.
const UNMODELLED: &[(&str, &str)] = &[
    ("slice_closing_radius", "0.049"),
    ("slicing_mode", "regular"),
    ("support_small_pillar_diameter_percent", "50%"),
    ("support_pillar_connection_mode", "dynamic"),
    ("support_pillar_widening_factor", "0"),
    ("support_base_safety_distance", "1"),
    ("pad_around_object", "0"),
    ("pad_around_object_everywhere", "0"),
    ("pad_object_gap", "1"),
    ("pad_object_connector_stride", "10"),
    ("pad_object_connector_width", "0.5"),
    ("pad_object_connector_penetration", "0.3"),
    ("pad_edge_radius", "0.5"),
    ("hollowing_enable", "0"),
    ("hollowing_min_thickness", "3"),
    ("hollowing_quality", "0.5"),
    ("hollowing_closing_distance", "2"),
    ("material_correction", "1,1,1"),
    ("material_correction_x", "1"),
    ("material_correction_y", "1"),
    ("material_correction_z", "1"),
    ("relative_correction", "1,1"),
    ("relative_correction_x", "1"),
    ("relative_correction_y", "1"),
    ("relative_correction_z", "1"),
    ("absolute_correction", "0"),
    ("elefant_foot_compensation", "0"),
    ("elefant_foot_min_width", "0.2"),
];

/// `key = value` pairs of an `.ini`, with their line numbers; `[section]` headers and
/// `#`/`;` comments are skipped (PrusaSlicer's config bundles have sections).
fn pairs(text: &str) -> Result<Vec<(usize, &str, &str)>, ProfileError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(ProfileError::Invalid {
                key: format!("line {}", i + 1),
                message: format!(
                    "expected `key = value`, got `{}`",
                    line.chars().take(40).collect::<String>()
                ),
            });
        };
        out.push((i + 1, k.trim(), v.trim()));
    }
    Ok(out)
}

fn invalid(key: &str, message: impl Into<String>) -> ProfileError {
    ProfileError::Invalid {
        key: key.to_string(),
        message: message.into(),
    }
}

fn num(key: &str, v: &str) -> Result<f64, ProfileError> {
    let s = v.trim().trim_end_matches('%').trim();
    let x: f64 = s
        .parse()
        .map_err(|_| invalid(key, format!("`{v}` is not a number")))?;
    if !x.is_finite() {
        return Err(invalid(key, format!("`{v}` is not a finite number")));
    }
    Ok(x)
}

fn count(key: &str, v: &str) -> Result<u32, ProfileError> {
    let x = num(key, v)?;
    if x < 0.0 || x.fract() != 0.0 || x > 100_000.0 {
        return Err(invalid(key, format!("`{v}` is not a whole number ≥ 0")));
    }
    Ok(x as u32)
}

fn flag(key: &str, v: &str) -> Result<bool, ProfileError> {
    match v.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(invalid(key, format!("`{v}` is not 0 or 1"))),
    }
}

/// Whether two `.ini` values mean the same (numbers compared as numbers).
fn same_value(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return true;
    }
    let nums = |s: &str| -> Option<Vec<f64>> {
        s.split(',')
            .map(|x| x.trim().trim_end_matches('%').parse::<f64>().ok())
            .collect()
    };
    match (nums(a), nums(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Sets one modelled key; `Ok(false)` when `k` is not one.
fn set(p: &mut SlaProfile, k: &str, v: &str) -> Result<bool, ProfileError> {
    macro_rules! floats {
        ($($name:ident),* $(,)?) => {
            match k {
                $(stringify!($name) => { p.$name = num(k, v)?; return Ok(true); })*
                _ => {}
            }
        };
    }
    floats!(
        display_width,
        display_height,
        max_print_height,
        fast_tilt_time,
        slow_tilt_time,
        high_viscosity_tilt_time,
        area_fill,
        layer_height,
        support_head_front_diameter,
        support_head_penetration,
        support_head_width,
        support_pillar_diameter,
        support_base_diameter,
        support_base_height,
        support_critical_angle,
        support_max_bridge_length,
        support_max_pillar_link_distance,
        support_object_elevation,
        support_points_density_relative,
        support_points_minimal_distance,
        pad_wall_thickness,
        pad_wall_height,
        pad_brim_size,
        pad_max_merge_distance,
        pad_wall_slope,
        initial_layer_height,
        exposure_time,
        initial_exposure_time,
        material_density,
    );
    match k {
        "display_pixels_x" => p.display_pixels_x = count(k, v)?,
        "display_pixels_y" => p.display_pixels_y = count(k, v)?,
        "faded_layers" => p.faded_layers = count(k, v)?,
        "support_max_bridges_on_pillar" => p.support_max_bridges_on_pillar = count(k, v)?,
        "supports_enable" => p.supports_enable = flag(k, v)?,
        "support_buildplate_only" => p.support_buildplate_only = flag(k, v)?,
        "pad_enable" => p.pad_enable = flag(k, v)?,
        "material_print_speed" => {
            p.material_print_speed = match v.trim() {
                "fast" => PrintSpeed::Fast,
                "slow" => PrintSpeed::Slow,
                "high_viscosity" => PrintSpeed::HighViscosity,
                _ => {
                    return Err(invalid(
                        k,
                        format!("`{v}` is not one of fast, slow, high_viscosity"),
                    ));
                }
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Applies `.ini` text to `p`; returns the warnings about its keys.
pub(crate) fn apply(p: &mut SlaProfile, text: &str) -> Result<Vec<Warning>, ProfileError> {
    let mut unknown = Vec::new();
    let mut warnings = Vec::new();
    let pairs = pairs(text)?;
    super::check_technology(pairs.iter().map(|&(_, k, v)| (k, v)), "SLA")?;
    for (line, k, v) in pairs {
        if set(p, k, v)? || INERT.contains(&k) {
            continue;
        }
        if let Some((_, default)) = UNMODELLED.iter().find(|(name, _)| *name == k) {
            if !same_value(v, default) {
                warnings.push(Warning::new(
                    "unmodelled_profile_key",
                    format!(
                        "profile key `{k}` = {v} (line {line}) changes PrusaSlicer's result but the estimate does not model it; it assumes PrusaSlicer's default {default}"
                    ),
                ));
            }
            continue;
        }
        unknown.push(format!("`{k}` (line {line})"));
    }
    if !unknown.is_empty() {
        let n = unknown.len();
        let shown: Vec<String> = unknown.iter().take(12).cloned().collect();
        warnings.push(Warning::new(
            "unknown_profile_key",
            format!(
                "{n} key{} PrusaSlicer 2.5's SLA profiles do not have, ignored: {}{}",
                if n == 1 { "" } else { "s" },
                shown.join(", "),
                if n > shown.len() { ", …" } else { "" }
            ),
        ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_keys_take_prusaslicer_defaults() {
        let p = SlaProfile::from_ini_str("exposure_time = 3\n").unwrap();
        assert_eq!(p.exposure_time, 3.0);
        let d = SlaProfile::prusaslicer();
        assert_eq!(p.initial_exposure_time, d.initial_exposure_time);
        assert_eq!(p.layer_height, 0.3);
        assert_eq!(p.pad_wall_thickness, 2.0);
        assert!(p.load_warnings.is_empty(), "{:?}", p.load_warnings);
    }

    #[test]
    fn unknown_and_unmodelled_keys_are_reported_by_name() {
        let p = SlaProfile::from_ini_str(
            "[sla_print:x]\nlayer_height = 0.05\nsupport_density_at_45 = 250\nhollowing_enable = 1\nslicing_mode = regular\nprinter_model = SL1S\n",
        )
        .unwrap();
        let codes: Vec<&str> = p.load_warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["unmodelled_profile_key", "unknown_profile_key"]);
        assert!(p.load_warnings[0].message.contains("hollowing_enable"));
        assert!(p.load_warnings[1].message.contains("support_density_at_45"));
        // slicing_mode at its default and printer_model (inert) say nothing.
        assert!(
            !p.load_warnings
                .iter()
                .any(|w| w.message.contains("slicing_mode"))
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, key) in [
            ("layer_height = abc\n", "layer_height"),
            ("area_fill = 150\n", "area_fill"),
            ("material_print_speed = warp\n", "material_print_speed"),
            ("supports_enable = 2\n", "supports_enable"),
            ("faded_layers = -1\n", "faded_layers"),
            ("just some words\n", "line 1"),
        ] {
            let e = SlaProfile::from_ini_str(text).unwrap_err();
            assert!(e.to_string().contains(key), "{text:?}: {e}");
        }
    }

    #[test]
    fn reference_ini_is_clean_and_is_the_default() {
        let p = SlaProfile::from_ini_str(super::super::sla::REFERENCE_INI).unwrap();
        assert!(p.load_warnings.is_empty(), "{:?}", p.load_warnings);
        assert_eq!(p, SlaProfile::default());
        assert_eq!(p.layer_height, 0.05);
        assert_eq!(p.exposure_time, 2.5);
        assert_eq!(p.initial_exposure_time, 30.0);
    }

    #[test]
    fn toml_keeps_the_reference_for_unset_keys_and_rejects_unknown() {
        let p = SlaProfile::from_toml_str("exposure_time = 4.0\n").unwrap();
        assert_eq!(p.exposure_time, 4.0);
        assert_eq!(p.layer_height, 0.05);
        assert!(SlaProfile::from_toml_str("exposure_tme = 4.0\n").is_err());
    }
}
