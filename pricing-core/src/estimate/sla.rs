//! Resin (SLA/MSLA) estimate: PrusaSlicer 2.5's SLA print, stage by stage.
//!
//! 1. [`stack`]: the layer grid from the platform up, the part lifted by the support gap
//!    and the pad's thickness (`SLAPrint::Steps::slice_model`);
//! 2. the part's cross-sections (the layer cutter below) and [`columns`], the part seen
//!    from below, cell by cell;
//! 3. [`points`]: how many support points PrusaSlicer's force balance places in each
//!    layer, and whether their pillars reach the pad or land on the part;
//! 4. [`tree`]: heads, pillars, cones, bridges and braces sized from the support keys,
//!    the heads over the pad routed onto pillars and braced by [`pillars`];
//! 5. [`pad`]: the pad's outline from the pillar bases, its sloped wall and cavity;
//! 6. [`time`]: PrusaSlicer's per-layer time (exposure and fading, tilt chosen by the
//!    layer's cured area, delays, tower moves).
//!
//! Resin is the part's sections plus the tree plus the pad, as PrusaSlicer sums its
//! slices (`usedMaterial`). See `docs/accuracy.md` for how close this is.

pub mod columns;
pub mod island_grid;
pub mod islands;
pub mod pad;
pub mod pillars;
pub mod points;
pub mod stack;
pub mod time;
pub mod tree;

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

/// Density used for `material_g` when neither the caller ([`Options`]) nor the profile
/// (`material_density`) names one, g/cm³ (a standard resin).
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

/// Estimates printing `part` (in mm, on the platform) in resin with `profile`.
/// `supports` asks for supports; they are built only if the profile enables them too
/// (`supports_enable`), and the pad follows the profile's `pad_enable` either way, as
/// PrusaSlicer builds a pad under an unsupported part.
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
    let p = profile;
    let mut warnings = p.load_warnings.clone();
    let with_supports = supports && p.supports_enable;
    if supports && !p.supports_enable {
        warnings.push(Warning::new(
            "supports_off_in_profile",
            "supports were asked for but the profile sets supports_enable = 0: estimated without them",
        ));
    }
    let (h, h0) = (p.layer_height, p.initial_layer_height);
    let height = a.bbox_mm.size[2];
    let elevation = p.elevation(with_supports);
    let too_many = |layers: u64| EstimateError::TooManyLayers {
        layers,
        limit: MAX_LAYERS,
    };
    let layers = stack::layer_count(height, elevation, h0, h).ok_or(too_many(u64::MAX))?;
    if layers > MAX_LAYERS {
        return Err(too_many(layers));
    }
    let layers = layers as usize;
    let below = stack::first_part_layer(elevation, h0, h).min(layers);
    let part_layers = layers - below;
    // Sections at the layers' mid-planes from the part's bottom; PrusaSlicer's planes may
    // sit up to half a layer off these, which moves no volume on average.
    let areas = layer_areas_with(&part.mesh, h, part_layers.max(1), &options.cancel)?;
    let model_mm3: f64 = areas.iter().map(|x| x.max(0.0)).sum::<f64>() * h;

    let cols = columns::Columns::new(&part.mesh, a.bbox_mm.min, a.bbox_mm.max);
    let (tree, pad, contact) = if with_supports {
        let radius = points::poisson_radius(
            p.support_points_density_relative,
            p.support_points_minimal_distance,
        );
        // The balance island by island where the grid allows it, else with the whole
        // layer as one island. Pillars stand where PrusaSlicer's sampler puts points:
        // on each new island (the bottom first) its own points, for a small part a few
        // discs rather than its whole footprint.
        let placed = islands::place(&cols, &areas, h, p.support_points_density_relative);
        // Every head over the pad: its cell (the pad's seeds) and its layer (`None`: the
        // part's bottom), for the pillar routing.
        let mut heads: Vec<(u32, Option<usize>)> = Vec::new();
        let (surf, first, per_layer, new_island_area) = match placed {
            Some(placed) => {
                for isl in &placed.new_islands {
                    let layer = (isl.layer > 0).then_some(isl.layer);
                    heads.extend(
                        pad::sites(&cols, &isl.cells, isl.points, radius)
                            .into_iter()
                            .map(|c| (c, layer)),
                    );
                }
                let area = placed.new_island_area;
                (placed.surfaces, placed.first, placed.per_layer, area)
            }
            None => {
                let surf = points::surfaces(&cols, h, h0.max(h), areas.len());
                let (first, per_layer) =
                    points::place(&surf, &areas, p.support_points_density_relative);
                if first > 0.0 {
                    heads.extend(
                        pad::sites(&cols, &surf.bottom_cells, first as usize, radius)
                            .into_iter()
                            .map(|c| (c, None)),
                    );
                }
                (surf, first, per_layer, 0.0)
            }
        };
        // Above, a layer's few points on surfaces resting on the part below stand
        // somewhere on its ground-reaching share, about a point spacing apart.
        let mut by_layer: Vec<(u32, bool, u32)> = surf
            .ground_cells
            .iter()
            .map(|&(k, c, o)| (k, o, c))
            .collect();
        by_layer.sort_unstable();
        for group in by_layer.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
            let (k, overhang) = (group[0].0 as usize, group[0].1);
            let Some(l) = per_layer.get(k) else { continue };
            let s = &surf.layers[k];
            let placed = if overhang { l.overhang } else { l.slope };
            let ground = l.ground - l.new_island_ground;
            if !placed || ground <= 0.0 {
                continue;
            }
            // This kind's share of the layer's ground points.
            let kind_area = if overhang {
                s.overhang_ground
            } else {
                s.slope_ground
            };
            let n = (ground * kind_area
                / (s.overhang_ground + s.slope_ground).max(f64::MIN_POSITIVE))
            .ceil() as usize;
            let cells: Vec<u32> = group.iter().map(|g| g.2).collect();
            heads.extend(
                pad::sites(&cols, &cells, n, radius)
                    .into_iter()
                    .map(|c| (c, Some(k))),
            );
        }
        let sites: Vec<tree::GroundSite> = heads
            .iter()
            .map(|&(c, layer)| tree::GroundSite {
                x: ((c as usize % cols.nx) as f64 + 0.5) * cols.cell,
                y: ((c as usize / cols.nx) as f64 + 0.5) * cols.cell,
                layer,
            })
            .collect();
        let tree = tree::tree(p, h, first, &per_layer, &surf.layers, &sites);
        let seeds: Vec<u32> = heads.iter().map(|&(c, _)| c).collect();
        let pad = pad::pad(p, &cols, &seeds, 0.5 * p.support_base_diameter);
        // The area that holds support points: where the heads leave marks to sand.
        let cell = cols.cell_area();
        let held: f64 = surf.bottom_cells.len() as f64 * cell * (first > 0.0) as u8 as f64
            + new_island_area
            + surf
                .layers
                .iter()
                .zip(&per_layer)
                .map(|(s, l)| {
                    let o = if l.overhang {
                        s.overhang_ground + s.overhang_part
                    } else {
                        0.0
                    };
                    let sl = if l.slope {
                        s.slope_ground + s.slope_part
                    } else {
                        0.0
                    };
                    o + sl
                })
                .sum::<f64>();
        (tree, pad, held)
    } else {
        // Without supports PrusaSlicer builds the pad on the part's own bottom: the
        // sections of its lowest pad-height millimetres.
        let reach = p.pad_wall_thickness + p.pad_wall_height;
        let seeds: Vec<u32> = (0..cols.nx * cols.ny)
            .filter(|&c| cols.cell(c).first().is_some_and(|s| f64::from(s.z) < reach))
            .map(|c| c as u32)
            .collect();
        let pad = pad::pad(p, &cols, &seeds, 0.0);
        let (overhang_area, _) = overhangs(&part.mesh, 45.0);
        if overhang_area > 1.0 {
            warnings.push(Warning::new(
                "unsupported_overhangs",
                format!(
                    "{overhang_area:.0} mm² faces down more steeply than 45° and supports are off: the print may fail there"
                ),
            ));
        }
        (tree::Tree::default(), pad, 0.0)
    };
    let tree_mm3 = tree.mm3();
    let support_mm3 = tree_mm3 + pad.mm3;

    // Cured area per layer for the tilt: the pad's outline on its layers, the tree spread
    // evenly from the pad up to its highest head, the part's section.
    let pad_layers = if pad.mm3 > 0.0 {
        ((p.pad_wall_thickness + p.pad_wall_height) / h).ceil() as usize
    } else {
        0
    };
    let tree_top = below + (tree.top_z / h).ceil() as usize;
    let tree_layers = tree_top.saturating_sub(pad_layers).max(1);
    let tree_area = tree_mm3 / (tree_layers as f64 * h);
    let area_of = |i: usize| -> f64 {
        let mut s = if i < pad_layers { pad.top_mm2 } else { 0.0 };
        if i >= pad_layers && i < tree_top {
            s += tree_area;
        }
        if i >= below {
            s += areas.get(i - below).copied().unwrap_or(0.0).max(0.0);
        }
        s
    };
    let t = time::stack_time(p, layers, below, area_of);
    let density = if p.material_density > 0.0 {
        p.material_density
    } else {
        NOMINAL_RESIN_DENSITY
    };
    let material_mm3 = model_mm3 + support_mm3;
    let mut by_role = BTreeMap::new();
    by_role.insert(
        Role::Model,
        RoleFigures {
            mm3: model_mm3,
            seconds: t.part_s,
        },
    );
    by_role.insert(
        Role::Support,
        RoleFigures {
            mm3: tree_mm3,
            seconds: t.below_s,
        },
    );
    by_role.insert(
        Role::Pad,
        RoleFigures {
            mm3: pad.mm3,
            seconds: 0.0,
        },
    );
    Ok(Estimate {
        technology: Technology::Sla,
        layers,
        layer_height_mm: h,
        print_time_s: t.total_s(),
        material_mm3,
        material_g: mass_g(material_mm3, options.density_g_cm3.unwrap_or(density)),
        support_mm3,
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
    fn cube_stands_on_the_supports_and_the_pad() {
        // PrusaSlicer's stack for a 20 mm cube with the reference profile: the part's 400
        // layers on 5 mm of supports (100 layers) on a 2 mm pad (40 layers) = 540, as its
        // own export counts (the old model forgot the pad: 500).
        let part = cube(20.0);
        let p = SlaProfile::default();
        let e = estimate(&part, &p, true).unwrap();
        assert_eq!(e.layers, 540);
        // The pad is at least the cube's footprint, 2 mm thick.
        let pad = e.by_role[&Role::Pad].mm3;
        assert!(pad > 400.0 * 2.0 && pad < 32.0 * 32.0 * 2.0, "{pad}");
        // The bottom needs about 400 × 1.5 / 11.1 = 55 points: a tree of a few hundred mm³.
        let tree = e.by_role[&Role::Support].mm3;
        assert!(tree > 100.0 && tree < 1000.0, "{tree}");
        // Supports off: the pad stays (PrusaSlicer pads an unsupported part), 440 layers.
        let off = estimate(&part, &p, false).unwrap();
        assert_eq!(off.layers, 440);
        assert_eq!(off.by_role[&Role::Support].mm3, 0.0);
        assert!(off.by_role[&Role::Pad].mm3 > 800.0);
        assert!(off.print_time_s < e.print_time_s);
    }

    #[test]
    fn time_follows_prusaslicer_layer_model() {
        // 1 mm cube at 0.05 mm, no supports and no pad: 20 layers, 3 initial, 11 fading
        // (30 → 2.5 s in steps of 2.5 s), all fast tilts, 0.25 s of tower per layer.
        let part = cube(1.0);
        let p = SlaProfile {
            pad_enable: false,
            ..SlaProfile::default()
        };
        let e = estimate(&part, &p, false).unwrap();
        assert_eq!(e.layers, 20);
        let fade: f64 = (1..=11).map(|k| 30.0 - 2.5 * k as f64).sum();
        let expected = 3.0 * 30.0 + fade + 6.0 * 2.5 + 20.0 * (p.fast_tilt_time + 0.25);
        approx::assert_relative_eq!(e.print_time_s, expected, max_relative = 1e-9);
    }

    #[test]
    fn profile_warnings_reach_the_estimate() {
        let p = SlaProfile::from_ini_str("layer_height = 0.05\nhollowing_enable = 1\n").unwrap();
        let e = estimate(&cube(5.0), &p, true).unwrap();
        assert!(
            e.warnings
                .iter()
                .any(|w| w.code == "unmodelled_profile_key")
        );
    }
}
