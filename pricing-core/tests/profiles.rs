//! FDM profiles as PrusaSlicer writes them.
//!
//! `fixtures/profiles/reference-full-prusaslicer-2.5.ini` is the reference profile as
//! PrusaSlicer 2.5 saves it in full (all 260 keys it knows, defaults included):
//! `prusa-slicer --load pricing-core/src/profile/fdm-reference.ini --save FILE`.

use pricing_core::analysis::{Scaling, analyze};
use pricing_core::estimate::fdm;
use pricing_core::mesh::{Format, generate};
use pricing_core::profile::ProfileBuilder;
use pricing_core::profile::fdm::FdmProfile;

fn full_export() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/profiles/reference-full-prusaslicer-2.5.ini"
    ))
    .expect("fixture")
}

/// Every key of a full PrusaSlicer export is read, known harmless, or neutral at the
/// reference's values: no warning, and the profile prints exactly as the reference does.
#[test]
fn prusaslicers_full_export_of_the_reference_loads_silently_and_estimates_the_same() {
    let loaded = FdmProfile::from_ini_str(&full_export()).expect("loads");
    assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    let reference = FdmProfile::default();
    let p = &loaded.profile;
    // The export writes PrusaSlicer's default XY gap as 50% of the external width, which
    // the reference leaves at 0 (automatic): the same gap.
    assert_eq!(p.support_xy_gap(), reference.support_xy_gap());
    assert_eq!(
        FdmProfile {
            support_material_xy_spacing: reference.support_material_xy_spacing,
            ..p.clone()
        },
        reference
    );
    let part = analyze(
        generate::torus([20.0, 20.0, 4.0], 12.0, 4.0, 48, 24),
        Format::StlBinary,
        Scaling::Factor(1.0),
    );
    for supports in [false, true] {
        assert_eq!(
            fdm::estimate(&part, p, supports).expect("estimates"),
            fdm::estimate(&part, &reference, supports).expect("estimates")
        );
    }
}

/// Changing a PrusaSlicer setting the estimate ignores is said, per key.
#[test]
fn an_edited_export_names_what_the_estimate_ignores() {
    let edited = full_export()
        .replace("ironing = 0", "ironing = 1")
        .replace("wipe_tower = 0", "wipe_tower = 1")
        .replace("\ntemperature = 200", "\ntemperature = 215")
        .replace(
            "layer_height = 0.2\n",
            "layer_height = 0.2\nlayer_heigth = 0.1\n",
        );
    let loaded = ProfileBuilder::new()
        .load_ini(&edited)
        .expect("parses")
        .build()
        .expect("loads");
    let got: Vec<(&str, bool)> = loaded
        .warnings
        .iter()
        .map(|w| (w.code, w.message.contains("layer_heigth")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("unmodelled_profile_key", false),
            ("unknown_profile_key", true),
            ("unmodelled_profile_key", false)
        ],
        "{:#?}",
        loaded.warnings
    );
}
