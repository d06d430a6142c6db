//! FDM estimate.
//!
//! PLACEHOLDER: the signature is final; the body is a crude volume-based stand-in that the
//! layer model (slicing, supports, motion planning) replaces before this lands.

use std::collections::BTreeMap;

use super::{Estimate, EstimateError, RoleFigures, Technology};
use crate::analysis::Part;
use crate::profile::fdm::FdmProfile;

/// Estimates printing `part` (in mm, on the bed) with `profile`, with or without supports.
pub fn estimate(
    part: &Part,
    profile: &FdmProfile,
    supports: bool,
) -> Result<Estimate, EstimateError> {
    let a = &part.analysis;
    if !a.has_volume() {
        return Err(EstimateError::NoVolume {
            volume_mm3: a.volume_mm3,
            area_mm2: a.area_mm2,
        });
    }
    let layers = (a.bbox_mm.size[2] / profile.layer_height).ceil().max(1.0) as usize;
    let material = a.volume_mm3 * 0.4 + a.area_mm2 * 0.9;
    let support = if supports { material * 0.1 } else { 0.0 };
    let total = material + support;
    let seconds = total / 4.0;
    let mut by_role = BTreeMap::new();
    by_role.insert(
        "sparse_infill",
        RoleFigures {
            mm3: material,
            seconds,
        },
    );
    Ok(Estimate {
        technology: Technology::Fdm,
        layers,
        layer_height_mm: profile.layer_height,
        print_time_s: seconds,
        material_mm3: total,
        material_g: total / 1000.0 * profile.filament_density,
        support_mm3: support,
        support_contact_area_mm2: 0.0,
        by_role,
        occupied_mm3: None,
        warnings: Vec::new(),
    })
}
