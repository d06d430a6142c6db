//! What PrusaSlicer 2.5 settings mean to the FDM estimate: every setting name it knows
//! for FFF printers, the ones that never change print time or material, and the ones
//! the estimate is right for only at some values.
//!
//! A key a profile sets is, in this order:
//! 1. read by the estimate ([`super::fdm::FdmProfile`]'s fields, minus those listed in
//!    [`NEUTRAL`] because the estimate does not use them): silently fine;
//! 2. in [`NEUTRAL`] at one of its values: fine (the feature is off, or at the value the
//!    fitted constants were fitted with, the reference profile's);
//! 3. in [`IGNORED`]: fine, it changes neither time nor material (G-code, notes, host,
//!    temperatures, fans, labels, multi-material settings of a single-extruder print);
//! 4. any other PrusaSlicer key: it changes time or material and the estimate does not
//!    model it: an `unmodelled_profile_key` warning;
//! 5. not a PrusaSlicer key at all (a typo such as `layer_heigth`): an
//!    `unknown_profile_key` warning.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Every setting name PrusaSlicer 2.5 defines for FFF printers, one per line
/// (regenerate with `scripts/prusaslicer_keys.sh`).
const KEYS: &str = include_str!("prusaslicer-2.5-fff-keys.txt");

/// Whether `key` is a PrusaSlicer 2.5 FFF setting.
pub(crate) fn is_prusaslicer_key(key: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| KEYS.lines().collect()).contains(key)
}

fn ignored(key: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| IGNORED.iter().copied().collect())
        .contains(key)
}

fn neutral(key: &str) -> Option<&'static [&'static str]> {
    static MAP: OnceLock<HashMap<&'static str, &'static [&'static str]>> = OnceLock::new();
    MAP.get_or_init(|| NEUTRAL.iter().copied().collect())
        .get(key)
        .copied()
}

/// Settings that change neither print time nor material of a single-extruder print.
pub(crate) const IGNORED: &[&str] = &[
    // Printer identity, bed, host, thumbnails.
    "printer_technology",
    "bed_shape",
    "bed_custom_texture",
    "bed_custom_model",
    "max_print_height", // the price book's build volume decides the fit
    "thumbnails",
    "thumbnails_format",
    "print_host",
    "printhost_apikey",
    "printhost_port",
    "printhost_cafile",
    "printhost_user",
    "printhost_password",
    "printhost_ssl_ignore_revoke",
    "printhost_authorization_type",
    "host_type",
    "preset_name",
    "preset_names",
    "physical_printer_settings_id",
    "printer_model",
    "printer_settings_id",
    "printer_variant",
    "printer_vendor",
    "printer_notes",
    "threads",
    "extruder_clearance_height",
    "extruder_clearance_radius",
    "extruder_offset",
    "extruder_colour",
    "high_current_on_filament_swap",
    "silent_mode", // the normal (first) machine limits are the ones estimated
    // G-code output.
    "gcode_flavor",
    "gcode_comments",
    "gcode_label_objects",
    "gcode_resolution",
    "gcode_substitutions",
    "extrusion_axis",
    "use_relative_e_distances",
    "use_volumetric_e",
    "output_filename_format",
    "post_process",
    "remaining_times",
    "z_offset",
    "start_gcode",
    "end_gcode",
    "before_layer_gcode",
    "layer_gcode",
    "toolchange_gcode",
    "between_objects_gcode",
    "color_change_gcode",
    "pause_print_gcode",
    "template_custom_gcode",
    "start_filament_gcode",
    "end_filament_gcode",
    "colorprint_heights",
    "notes",
    // Print and filament labels and compatibility.
    "print_settings_id",
    "filament_settings_id",
    "inherits",
    "inherits_cummulative",
    "compatible_printers",
    "compatible_printers_condition",
    "compatible_printers_condition_cummulative",
    "compatible_prints",
    "compatible_prints_condition",
    "compatible_prints_condition_cummulative",
    "default_filament_profile",
    "default_print_profile",
    "filament_vendor",
    "filament_type",
    "filament_colour",
    "filament_notes",
    "filament_soluble",
    "filament_spool_weight",
    "filament_cost",     // the price book prices material
    "filament_diameter", // turns volume into length only
    // Temperatures and fans (the slowdown for cooling is `slowdown_below_layer_time`).
    "temperature",
    "first_layer_temperature",
    "bed_temperature",
    "first_layer_bed_temperature",
    "standby_temperature_delta",
    "cooling",
    "fan_always_on",
    "fan_below_layer_time",
    "bridge_fan_speed",
    "disable_fan_first_layers",
    "full_fan_speed_layer",
    "max_fan_speed",
    "min_fan_speed",
    "min_print_speed",
    // Extruder-axis limits: retractions are timed from `retract_speed`.
    "machine_max_acceleration_retracting",
    "machine_max_acceleration_e",
    "machine_max_feedrate_e",
    "machine_max_jerk_e",
    "machine_min_extruding_rate",
    "machine_min_travel_rate",
    // Which extruder prints what: one extruder prints everything.
    "extruder",
    "perimeter_extruder",
    "infill_extruder",
    "solid_infill_extruder",
    "support_material_extruder",
    "support_material_interface_extruder",
    "ooze_prevention",
    "support_material_synchronize_layers",
    // Multi-material and wipe tower settings, used only with `wipe_tower` or
    // `single_extruder_multi_material` (both in NEUTRAL).
    "cooling_tube_length",
    "cooling_tube_retraction",
    "extra_loading_move",
    "parking_pos_retraction",
    "single_extruder_multi_material_priming",
    "filament_cooling_final_speed",
    "filament_cooling_initial_speed",
    "filament_cooling_moves",
    "filament_load_time",
    "filament_loading_speed",
    "filament_loading_speed_start",
    "filament_minimal_purge_on_wipe_tower",
    "filament_ramming_parameters",
    "filament_toolchange_delay",
    "filament_unload_time",
    "filament_unloading_speed",
    "filament_unloading_speed_start",
    "wipe_tower_bridging",
    "wipe_tower_brim_width",
    "wipe_tower_no_sparse_layers",
    "wipe_tower_rotation_angle",
    "wipe_tower_width",
    "wipe_tower_x",
    "wipe_tower_y",
    "wiping_volumes_extruders",
    "wiping_volumes_matrix",
    "wipe_into_infill",
    "wipe_into_objects",
    "mmu_segmented_region_max_width",
    "retract_length_toolchange",
    "retract_restart_extra_toolchange",
    // Settings that only act with another one that is in NEUTRAL.
    "avoid_crossing_perimeters_max_detour", // avoid_crossing_perimeters
    "brim_type",                            // brim_width
    "brim_separation",                      // brim_width
    "raft_contact_distance",                // raft_layers
    "raft_expansion",                       // raft_layers
    "first_layer_speed_over_raft",          // raft_layers
    "first_layer_acceleration_over_raft",   // raft_layers
    "ironing_type",                         // ironing
    "ironing_flowrate",                     // ironing
    "ironing_spacing",                      // ironing
    "ironing_speed",                        // ironing
    "fuzzy_skin_point_dist",                // fuzzy_skin
    "fuzzy_skin_thickness",                 // fuzzy_skin
    "duplicate_distance",                   // complete_objects (one part per estimate)
    "variable_layer_height",                // needs a height profile, which a file has not
    "wall_distribution_count",              // Arachne's details, fitted with it
    "wall_transition_angle",
    "wall_transition_filter_deviation",
    "wall_transition_length",
    "min_bead_width",
    "min_feature_size",
    // Directions and order: the raster model averages both fill directions and sums
    // the same lines in any order.
    "fill_angle",
    "bridge_angle",
    "support_material_angle",
    "external_perimeters_first",
    "infill_first",
    "seam_position",
    "seam_preferred_direction",
    "seam_preferred_direction_jitter",
    "clip_multipart_objects",
    "resolution",
    "slice_closing_radius",
    "support_material_closing_radius",
    "elefant_foot_compensation",
    "max_print_speed", // only caps speeds set to 0 (automatic), which validation refuses
    // Not estimate settings: the builder reads them into `LoadedProfile::supports`, the
    // default of the request's supports flag (the CLI's `--supports` overrides them).
    "support_material",
    "support_material_auto",
];

/// Settings the estimate does not model, silently fine at these values: the feature is
/// off, or at the value the fitted constants were fitted with (the reference
/// profile's, or PrusaSlicer 2.5's default where the reference does not set it).
/// Values compare as written, after trimming; `nil` is an unset filament override.
pub(crate) const NEUTRAL: &[(&str, &[&str])] = &[
    (
        "machine_limits_usage",
        &["time_estimate_only", "emit_to_gcode"],
    ),
    (
        "top_fill_pattern",
        &[
            "monotonic",
            "monotoniclines",
            "rectilinear",
            "alignedrectilinear",
        ],
    ),
    (
        "bottom_fill_pattern",
        &[
            "monotonic",
            "monotoniclines",
            "rectilinear",
            "alignedrectilinear",
        ],
    ),
    ("solid_infill_below_area", &["0"]),
    ("gap_fill_speed", &["40"]),
    ("gap_fill_enabled", &["1"]),
    ("brim_width", &["0"]),
    ("infill_every_layers", &["1"]),
    ("solid_infill_every_layers", &["0"]),
    ("infill_only_where_needed", &["0"]),
    ("infill_overlap", &["25%"]),
    ("infill_anchor", &["600%"]),
    ("infill_anchor_max", &["50"]),
    ("interface_shells", &["0"]),
    ("extra_perimeters", &["0", "1"]),
    ("thin_walls", &["0"]),
    ("thick_bridges", &["1"]),
    ("overhangs", &["1"]),
    ("perimeter_generator", &["arachne"]),
    ("extrusion_multiplier", &["1"]),
    ("bridge_flow_ratio", &["1"]),
    ("filament_max_volumetric_speed", &["0"]),
    ("slowdown_below_layer_time", &["0"]),
    ("avoid_crossing_perimeters", &["0"]),
    ("only_retract_when_crossing_perimeters", &["0"]),
    ("retract_layer_change", &["0"]),
    ("retract_before_wipe", &["0%"]),
    ("retract_restart_extra", &["0"]),
    ("retract_lift_above", &["0"]),
    ("retract_lift_below", &["0"]),
    ("deretract_speed", &["0"]),
    ("wipe", &["0"]),
    ("use_firmware_retraction", &["0"]),
    ("support_material_style", &["grid"]),
    (
        "support_material_pattern",
        &["rectilinear", "rectilinear-grid"],
    ),
    (
        "support_material_interface_pattern",
        &["rectilinear", "auto"],
    ),
    ("support_material_with_sheath", &["1"]),
    ("support_material_bottom_contact_distance", &["0"]),
    ("support_material_bottom_interface_layers", &["-1"]),
    ("support_material_interface_contact_loops", &["0"]),
    ("support_material_enforce_layers", &["0"]),
    ("dont_support_bridges", &["1"]),
    ("raft_layers", &["0"]),
    ("ironing", &["0"]),
    ("fuzzy_skin", &["none"]),
    ("spiral_vase", &["0"]),
    ("complete_objects", &["0"]),
    ("draft_shield", &["disabled", "0"]),
    ("min_skirt_length", &["0"]),
    ("wipe_tower", &["0"]),
    ("single_extruder_multi_material", &["0"]),
    ("slicing_mode", &["regular"]),
    ("xy_size_compensation", &["0"]),
    ("max_volumetric_extrusion_rate_slope_positive", &["0"]),
    ("max_volumetric_extrusion_rate_slope_negative", &["0"]),
    ("filament_deretract_speed", &["nil"]),
    ("filament_retract_before_travel", &["nil"]),
    ("filament_retract_before_wipe", &["nil"]),
    ("filament_retract_layer_change", &["nil"]),
    ("filament_retract_length", &["nil"]),
    ("filament_retract_lift", &["nil"]),
    ("filament_retract_lift_above", &["nil"]),
    ("filament_retract_lift_below", &["nil"]),
    ("filament_retract_restart_extra", &["nil"]),
    ("filament_retract_speed", &["nil"]),
    ("filament_wipe", &["nil"]),
];

/// How PrusaSlicer would read `key = value` for this estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyUse {
    /// The estimate reads it.
    Modelled,
    /// Fine as it is (ignored, or unmodelled at a neutral value).
    Harmless,
    /// A PrusaSlicer setting that changes time or material, not modelled.
    Unmodelled,
    /// Not a PrusaSlicer 2.5 FFF setting.
    Unknown,
}

/// Classifies `key = value`; `modelled` says whether the profile has a field for it.
pub(crate) fn key_use(key: &str, value: &str, modelled: bool) -> KeyUse {
    if let Some(ok) = neutral(key) {
        // Multi-extruder lists: the first extruder's value.
        let first = value.split(',').next().unwrap_or("").trim();
        return if ok.contains(&first) || ok.contains(&value.trim()) {
            KeyUse::Harmless
        } else {
            KeyUse::Unmodelled
        };
    }
    if modelled {
        KeyUse::Modelled
    } else if ignored(key) {
        KeyUse::Harmless
    } else if is_prusaslicer_key(key) {
        KeyUse::Unmodelled
    } else {
        KeyUse::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_name_only_prusaslicer_keys_and_none_twice() {
        let mut seen = std::collections::BTreeSet::new();
        for k in IGNORED.iter().chain(NEUTRAL.iter().map(|(k, _)| k)) {
            assert!(
                is_prusaslicer_key(k),
                "{k} is not a PrusaSlicer 2.5 FFF key"
            );
            assert!(seen.insert(*k), "{k} is listed twice");
        }
        assert!(KEYS.lines().count() > 300);
    }

    #[test]
    fn keys_are_classified_in_order() {
        assert_eq!(key_use("layer_height", "0.2", true), KeyUse::Modelled);
        assert_eq!(key_use("fill_pattern", "honeycomb", true), KeyUse::Modelled);
        assert_eq!(key_use("brim_width", "0", true), KeyUse::Harmless);
        assert_eq!(key_use("brim_width", "5", true), KeyUse::Unmodelled);
        assert_eq!(key_use("start_gcode", "G28", false), KeyUse::Harmless);
        assert_eq!(key_use("ironing", "1", false), KeyUse::Unmodelled);
        assert_eq!(key_use("ironing", "0", false), KeyUse::Harmless);
        assert_eq!(key_use("wipe", "0,0", false), KeyUse::Harmless);
        assert_eq!(key_use("layer_heigth", "0.2", false), KeyUse::Unknown);
    }
}
