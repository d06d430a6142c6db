//! Powder-bed (SLS/MJF) estimate.
//!
//! No supports: the unfused powder holds the part. A build's fixed costs (warm-up,
//! cool-down and recoating every layer of the build height) are shared by the parts
//! nested in it, so a part pays its share by occupied volume: its bounding box grown by
//! the part spacing, over the usable build volume (build volume × packing density), as
//! bureaus charge. It also pays its own scan time (layer area / scan rate).

use std::collections::BTreeMap;

use super::{Estimate, EstimateError, Options, Role, RoleFigures, Technology, mass_g};
use crate::analysis::Part;
use crate::profile::sls::SlsProfile;
use crate::slice::areas::layer_areas_with;
use crate::warning::Warning;

/// Density used for `material_g` when the caller names no material, g/cm³ (PA12 as
/// sintered). The quoter passes the material's density instead ([`Options`]).
pub const NOMINAL_POWDER_DENSITY: f64 = 1.01;

/// Estimates printing `part` with `profile` on a machine whose build volume is
/// `build_volume_mm` (x, y, z).
pub fn estimate(
    part: &Part,
    profile: &SlsProfile,
    build_volume_mm: [f64; 3],
) -> Result<Estimate, EstimateError> {
    estimate_with_options(part, profile, build_volume_mm, &Options::default())
}

/// [`estimate`] for a material of `options.density_g_cm3` ([`NOMINAL_POWDER_DENSITY`]
/// when `None`), polling `options.cancel` per chunk of triangles.
pub fn estimate_with_options(
    part: &Part,
    profile: &SlsProfile,
    build_volume_mm: [f64; 3],
    options: &Options,
) -> Result<Estimate, EstimateError> {
    let a = &part.analysis;
    if !a.has_volume() {
        return Err(EstimateError::NoVolume {
            volume_mm3: a.volume_mm3,
            area_mm2: a.area_mm2,
        });
    }
    let h = profile.layer_height;
    let layers_f = (a.bbox_mm.size[2] / h).ceil().max(1.0);
    let build_layers_f = (build_volume_mm[2] / h).ceil().max(1.0);
    let limit = super::sla::MAX_LAYERS as f64;
    if layers_f.is_nan() || build_layers_f.is_nan() || layers_f > limit || build_layers_f > limit {
        return Err(EstimateError::TooManyLayers {
            layers: if layers_f.is_finite() {
                layers_f as u64
            } else {
                u64::MAX
            },
            limit: super::sla::MAX_LAYERS,
        });
    }
    let layers = layers_f as usize;
    let areas = layer_areas_with(&part.mesh, h, layers, &options.cancel)?;
    let fused_area: f64 = areas.iter().map(|x| x.max(0.0)).sum();
    let scan_s = fused_area / profile.scan_rate;

    let s = profile.part_spacing;
    let occupied: f64 = a.bbox_mm.size.iter().map(|d| d + 2.0 * s).product();
    let usable: f64 = build_volume_mm.iter().product::<f64>() * profile.packing_density;
    let share = if usable > 0.0 { occupied / usable } else { 1.0 };
    let build_s =
        profile.warmup_time + profile.cooldown_time + build_layers_f * profile.recoat_time;
    let shared_s = share * build_s;
    let mut warnings = Vec::new();
    if share > 1.0 {
        warnings.push(Warning::new(
            "build_share_over_one",
            format!(
                "the part occupies {:.0}% of a build's usable volume: it is charged more than a full build",
                share * 100.0
            ),
        ));
    }
    let volume = a.volume_mm3;
    let lost = (occupied - volume).max(0.0) * profile.powder_loss;
    let mut by_role = BTreeMap::new();
    by_role.insert(
        Role::Model,
        RoleFigures {
            mm3: volume,
            seconds: scan_s + shared_s,
        },
    );
    by_role.insert(
        Role::PowderRefresh,
        RoleFigures {
            mm3: lost,
            seconds: 0.0,
        },
    );
    Ok(Estimate {
        technology: Technology::Sls,
        layers,
        layer_height_mm: h,
        print_time_s: scan_s + shared_s,
        material_mm3: volume,
        material_g: mass_g(
            volume,
            options.density_g_cm3.unwrap_or(NOMINAL_POWDER_DENSITY),
        ),
        support_mm3: 0.0,
        support_contact_area_mm2: 0.0,
        by_role,
        occupied_mm3: Some(occupied),
        warnings,
        powder_refresh_mm3: lost,
    })
}
