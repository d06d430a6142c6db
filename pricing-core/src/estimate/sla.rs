//! Resin (SLA/MSLA) estimate, following PrusaSlicer's SLA time model
//! (`SLAPrintSteps.cpp`, `merge_slices_and_eval_stats`).
//!
//! Time does not depend on volume but on layers: each layer costs its exposure (fading
//! linearly from `initial_exposure_time` to `exposure_time` over `faded_layers`), a tilt
//! or peel (slow when the layer covers more than `area_fill` % of the display, because a
//! large cured area sticks to the film) and a fixed delay; tower moves are added once.
//!
//! Resin is the part plus supports plus the pad. Supports are estimated from the faces
//! that face down more steeply than the overhang angle: their projected area is the
//! contact area, and the column under them (down to the platform, plus the elevation)
//! is filled by pillars at `support_density`. This ignores that a column may end on the
//! part below instead of the platform, so it errs on the side of more resin.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::{Estimate, EstimateError, Options, Role, RoleFigures, Technology, mass_g};
use crate::analysis::Part;
use crate::mesh::Mesh;
use crate::profile::sla::SlaProfile;
use crate::slice::areas::layer_areas_with;
use crate::warning::Warning;

/// Most layers an estimate will build; past it the units are surely wrong.
pub const MAX_LAYERS: u64 = 200_000;

/// Density used for `material_g` when the caller names no material, g/cm³ (a standard
/// resin). The quoter passes the material's density instead ([`Options`]).
pub const NOMINAL_RESIN_DENSITY: f64 = 1.1;

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Faces that need support: projected area (mm²) and the volume of the columns under
/// them down to z = 0 (mm³, before the support density).
pub(crate) fn overhangs(mesh: &Mesh, overhang_angle_deg: f64) -> (f64, f64) {
    let limit = overhang_angle_deg.to_radians().cos();
    mesh.triangles
        .par_iter()
        .map(|t| {
            let v = t.map(|i| {
                let p = mesh.positions.get(i as usize).copied().unwrap_or([0.0; 3]);
                [p[0] as f64, p[1] as f64, p[2] as f64]
            });
            let e1 = sub(v[1], v[0]);
            let e2 = sub(v[2], v[0]);
            let n = [
                e1[1] * e2[2] - e1[2] * e2[1],
                e1[2] * e2[0] - e1[0] * e2[2],
                e1[0] * e2[1] - e1[1] * e2[0],
            ];
            let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            if len.is_nan() || len <= 0.0 || n[2] / len >= -limit {
                return (0.0, 0.0);
            }
            let projected = 0.5 * -n[2];
            let zc = (v[0][2] + v[1][2] + v[2][2]) / 3.0;
            (projected, projected * zc.max(0.0))
        })
        .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// Estimates printing `part` (in mm, on the platform) in resin with `profile`, with or
/// without supports (without, the part is printed straight on the platform).
pub fn estimate(
    part: &Part,
    profile: &SlaProfile,
    supports: bool,
) -> Result<Estimate, EstimateError> {
    estimate_with_options(part, profile, supports, &Options::default())
}

/// [`estimate`] for a material of `options.density_g_cm3` ([`NOMINAL_RESIN_DENSITY`] when
/// `None`), polling `options.cancel` per chunk of triangles.
pub fn estimate_with_options(
    part: &Part,
    profile: &SlaProfile,
    supports: bool,
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
    let height = a.bbox_mm.size[2];
    let elevation = if supports {
        profile.support_object_elevation
    } else {
        0.0
    };
    let model_layers_f = (height / h).ceil().max(1.0);
    let support_layers_f = (elevation / h).ceil();
    let total = model_layers_f + support_layers_f;
    if total.is_nan() || total > MAX_LAYERS as f64 {
        return Err(EstimateError::TooManyLayers {
            layers: if total.is_finite() {
                total as u64
            } else {
                u64::MAX
            },
            limit: MAX_LAYERS,
        });
    }
    let (model_layers, support_layers) = (model_layers_f as usize, support_layers_f as usize);
    let areas = layer_areas_with(&part.mesh, h, model_layers, &options.cancel)?;

    let mut warnings = Vec::new();
    let (overhang_area, column) = overhangs(&part.mesh, profile.support_overhang_angle);
    let footprint = (a.bbox_mm.size[0] + 2.0 * profile.pad_margin)
        * (a.bbox_mm.size[1] + 2.0 * profile.pad_margin);
    let (contact, support_mm3, pad_mm3) = if supports {
        let s = (column + overhang_area * elevation) * profile.support_density;
        (overhang_area, s, footprint * profile.pad_thickness)
    } else {
        if overhang_area > 1.0 {
            warnings.push(Warning::new(
                "unsupported_overhangs",
                format!(
                    "{overhang_area:.0} mm² faces down more steeply than {}° and supports are off: the print may fail there",
                    profile.support_overhang_angle
                ),
            ));
        }
        (0.0, 0.0, 0.0)
    };

    let display = profile.display_mm[0] * profile.display_mm[1];
    let slow_above = display * profile.area_fill / 100.0;
    let pad_layers = if supports {
        ((profile.pad_thickness / h).ceil() as usize).min(support_layers)
    } else {
        0
    };
    let support_area = if supports && elevation > 0.0 {
        support_mm3 / (elevation + height)
    } else {
        0.0
    };
    let layer_time = |i: usize, area: f64| -> f64 {
        let exposure = if (i as u64) < u64::from(profile.faded_layers) {
            let f = i as f64 / f64::from(profile.faded_layers);
            profile.initial_exposure_time
                + (profile.exposure_time - profile.initial_exposure_time) * f
        } else {
            profile.exposure_time
        };
        let tilt = if area > slow_above {
            profile.slow_tilt_time
        } else {
            profile.fast_tilt_time
        };
        exposure + tilt + profile.delay_before_exposure
    };
    let mut support_s = 0.0;
    for i in 0..support_layers {
        let area = if i < pad_layers {
            footprint
        } else {
            support_area
        };
        support_s += layer_time(i, area);
    }
    let mut model_s = 0.0;
    for (k, area) in areas.iter().enumerate() {
        model_s += layer_time(support_layers + k, area.max(0.0) + support_area);
    }
    let print_time_s = model_s + support_s + profile.tower_moves_time;
    let model_mm3 = a.volume_mm3;
    let material_mm3 = model_mm3 + support_mm3 + pad_mm3;
    let mut by_role = BTreeMap::new();
    by_role.insert(
        Role::Model,
        RoleFigures {
            mm3: model_mm3,
            seconds: model_s + profile.tower_moves_time,
        },
    );
    by_role.insert(
        Role::Support,
        RoleFigures {
            mm3: support_mm3,
            seconds: support_s,
        },
    );
    by_role.insert(
        Role::Pad,
        RoleFigures {
            mm3: pad_mm3,
            seconds: 0.0,
        },
    );
    Ok(Estimate {
        technology: Technology::Sla,
        layers: model_layers + support_layers,
        layer_height_mm: h,
        print_time_s,
        material_mm3,
        material_g: mass_g(
            material_mm3,
            options.density_g_cm3.unwrap_or(NOMINAL_RESIN_DENSITY),
        ),
        support_mm3: support_mm3 + pad_mm3,
        support_contact_area_mm2: contact,
        by_role,
        occupied_mm3: None,
        warnings,
        powder_refresh_mm3: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Scaling, analyze};
    use crate::mesh::Format;

    fn cube(s: f32) -> Part {
        let mesh = crate::mesh::generate::cuboid([0.0; 3], [s as f64; 3]);
        analyze(mesh, Format::StlBinary, Scaling::Factor(1.0))
    }

    #[test]
    fn cube_supports_are_its_bottom_face() {
        let part = cube(20.0);
        let e = estimate(&part, &SlaProfile::default(), true).unwrap();
        approx::assert_relative_eq!(e.support_contact_area_mm2, 400.0, max_relative = 1e-9);
        assert_eq!(e.layers, 400 + 100);
        let off = estimate(&part, &SlaProfile::default(), false).unwrap();
        assert_eq!(off.layers, 400);
        assert_eq!(off.support_mm3, 0.0);
        assert!(off.print_time_s < e.print_time_s);
    }

    #[test]
    fn time_follows_prusaslicer_layer_model() {
        // 1 mm cube at 0.05 mm without supports: 20 layers, 10 fading, all fast tilt.
        let part = cube(1.0);
        let p = SlaProfile::default();
        let e = estimate(&part, &p, false).unwrap();
        let fade: f64 = (0..10)
            .map(|i| {
                p.initial_exposure_time
                    + (p.exposure_time - p.initial_exposure_time) * i as f64 / 10.0
            })
            .sum();
        let expected = fade + 10.0 * p.exposure_time + 20.0 * p.fast_tilt_time + p.tower_moves_time;
        approx::assert_relative_eq!(e.print_time_s, expected, max_relative = 1e-9);
    }
}
