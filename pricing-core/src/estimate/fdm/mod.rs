//! FDM estimate: PrusaSlicer 2.5's layer model, material and print time, in milliseconds.
//!
//! The estimate runs PrusaSlicer's stages in order, one module each:
//!
//! 1. [`layers`](self) (`Slicing`): layer heights, mid-heights and the raster frame; the
//!    layers are then cut at mid-height ([`crate::slice`]).
//! 2. `flow` (`Flow.cpp`): widths and spacings, the volumetric cap, each role's motion.
//! 3. `perimeters` (`PerimeterGenerator`): the external and inner perimeter bands and the
//!    infill region, erosions of each section on a bit raster.
//! 4. `surfaces` (`prepare_infill`): top skins, bridges (over air, and the internal
//!    bridge PrusaSlicer lays over sparse infill), solid and sparse infill, from
//!    comparing a layer's infill region with its neighbours' (k - bottom .. k + top),
//!    which also reproduces `ensure_vertical_shell_thickness` on sloped walls.
//! 5. [`support`] (`SupportMaterial`, grid style), with its parameters derived from the
//!    profile.
//! 6. `time` (`GCodeProcessor`, through the planner in [`motion`]): perimeters on the
//!    exact cut polygons, fills and support lines from the raster's run lengths, plus
//!    travel, retractions, z-lifts and layer changes; `totals` sums volumes (a solid
//!    region of area A costs A·h, sparse infill density·A·h (the honeycomb more: `fill`),
//!    perimeters loop length × s·h, bridges round threads of nozzle diameter) and times
//!    per [`Role`].
//! 7. `skirt`.
//!
//! A few global constants are fitted against PrusaSlicer on the corpus; each is in
//! [`Calibration`] with its physical reason, beside the fixed constants the stages use
//! (see `docs/accuracy.md`).

mod calibration;
mod fill;
mod flow;
mod layers;
pub mod motion;
mod perimeters;
mod skirt;
pub mod support;
mod support_layers;
mod surfaces;
mod time;
mod totals;

pub use calibration::{
    AUTO_SUPPORT_THRESHOLD_DEG, BRIDGE_EXTRA_SPACING_MM, COARSE_PIXEL_FACTOR, Calibration,
    FILL_DIRECTION, FRAME_MARGIN_MM, INFILL_OVERLAP, INTERNAL_BRIDGE_OPENING_NOZZLES, MAX_LAYERS,
    MAX_RASTER_SIDE, MIN_PIXEL_MM, MIN_RAFT_DENSITY, MIN_SPACING_MM, RASTER_BUDGET_BITS,
    SHELL_OPENING_SPACINGS, SMALL_PERIMETER_MM, SUPPORT_DIRECTION, SUPPORT_MARGIN_MM,
    TOUR_HOP_FACTOR,
};

use super::{Estimate, EstimateError, Options, Role, Technology, mass_g};
use crate::analysis::Part;
use crate::cancel::Cancel;
use crate::profile::fdm::FdmProfile;
use crate::slice::{self, SliceError};
use crate::warning::Warning;

use fill::SparseFill;
use flow::{Motions, Widths};
use perimeters::{LayerSharing, Offsets, Runs};
use support::SupportParams;
use time::Travel;
use totals::RoleTotals;

/// Estimates printing `part` (in mm, on the bed) with `profile`, with or without supports.
pub fn estimate(
    part: &Part,
    profile: &FdmProfile,
    supports: bool,
) -> Result<Estimate, EstimateError> {
    estimate_with(part, profile, supports, &Calibration::default())
}

/// [`estimate`] with explicit calibration constants (the accuracy test refits them).
pub fn estimate_with(
    part: &Part,
    profile: &FdmProfile,
    supports: bool,
    cal: &Calibration,
) -> Result<Estimate, EstimateError> {
    estimate_with_options(part, profile, supports, cal, &Options::default())
}

/// [`estimate_with`] for a material of `options.density_g_cm3` (the profile's
/// `filament_density` when `None`), polling `options.cancel` per layer.
pub fn estimate_with_options(
    part: &Part,
    profile: &FdmProfile,
    supports: bool,
    cal: &Calibration,
    options: &Options,
) -> Result<Estimate, EstimateError> {
    let density = options.density_g_cm3.unwrap_or(profile.filament_density);
    estimate_layers(
        part,
        profile,
        supports,
        cal,
        LayerSharing::Runs,
        density,
        &options.cancel,
    )
}

/// The pipeline.
fn estimate_layers(
    part: &Part,
    pr: &FdmProfile,
    supports: bool,
    cal: &Calibration,
    sharing: LayerSharing,
    density_g_cm3: f64,
    cancel: &Cancel,
) -> Result<Estimate, EstimateError> {
    let a = &part.analysis;
    if !a.has_volume() {
        return Err(EstimateError::NoVolume {
            volume_mm3: a.volume_mm3,
            area_mm2: a.area_mm2,
        });
    }
    let mut warnings: Vec<Warning> = Vec::new();
    let layers = layers::plan(a, pr, supports, &mut warnings)?;
    let (grid, pixel) = (&layers.grid, layers.grid.pixel);
    let w = Widths::new(pr, &layers);
    let motions = Motions::new(pr, w, &layers);

    let timing = |k: usize, c: &slice::Contour<'_>| time::perimeter_times(&motions, k, c);
    let sections =
        slice::slice(&part.mesh, grid, &layers.z_mid, &timing, cancel).map_err(|e| match e {
            SliceError::TooManyCuts { cuts } => EstimateError::TooComplex {
                work: cuts,
                limit: slice::MAX_CUTS,
            },
            SliceError::Cancelled(c) => EstimateError::Cancelled(c),
        })?;
    let patched: usize = sections.iter().map(|s| s.patched_rows).sum();
    if patched > 0 {
        warnings.push(Warning::new(
            "contour_gaps",
            format!(
                "{patched} raster rows crossed gaps in the sliced contours (open edges) and were patched from neighbouring rows"
            ),
        ));
    }

    let travel = Travel::new(pr, &motions, grid);
    let sparse = SparseFill::new(
        pr.pattern(),
        pr.fill_density / 100.0,
        w.inf_s,
        [motions.fills(0).sparse, motions.fills(1).sparse],
        &|d| travel.glide(d),
    );
    if let Some(why) = pr.pattern().approximation() {
        warnings.push(Warning::new(
            "approximate_fill_pattern",
            format!("fill_pattern = {}: {why}", pr.pattern()),
        ));
    }

    let offsets = Offsets::new(pr, &w);
    let runs = Runs::new(&sections, sharing);
    let bands = perimeters::bands(&sections, &runs, &offsets, pixel, cancel)?;
    let figures = surfaces::layer_figures(
        &sections, &bands, &runs, pr, &w, &motions, &sparse, pixel, cancel,
    )?;
    // The bands are a full raster set; release them before supports build theirs, so the
    // two never coexist (this keeps peak memory under 3× the file on large lattices).
    drop(bands);

    let mut support_gap_layers = 0;
    let support = if supports {
        let params = SupportParams::from_profile(pr, &layers);
        support_gap_layers = params.gap_layers;
        let inputs = totals::SupportInputs {
            pr,
            cal,
            layers: &layers,
            w: &w,
            motions: &motions,
        };
        let measure = |k: usize, l: &support::SupportLayer| totals::support_figures(&inputs, k, l);
        support::generate(
            &part.mesh,
            grid,
            &layers.z_mid,
            &sections,
            &params,
            cancel,
            &measure,
        )?
    } else {
        support::Supports {
            layers: Vec::new(),
            flange: None,
        }
    };

    // Supports are printed on layers of their own heights (`support_layers`).
    let marks: Vec<support_layers::Marks> = support
        .layers
        .iter()
        .map(|l| support_layers::Marks {
            contact: l.contact_px > 0,
            dense: l.dense_contact,
            landing: l.landing_px > 0,
        })
        .collect();
    let support_shares = support_layers::schedule(
        &layers,
        &marks,
        &support_layers::SupportHeights::from_profile(pr, support_gap_layers),
    );

    let mut totals = RoleTotals::new();
    let contact_px = totals::add_layers(
        &mut totals,
        &totals::Inputs {
            pr,
            cal,
            layers: &layers,
            sections: &sections,
            figures: &figures,
            supports: &support.layers,
            support_shares: &support_shares,
            w: &w,
            offsets: &offsets,
            travel: &travel,
            sparse: &sparse,
        },
    );
    skirt::add(
        &mut totals,
        pr,
        &layers,
        &sections,
        support.flange.as_ref(),
        &w,
        &motions,
    );

    let support_mm3 = totals.get(Role::Support).mm3 + totals.get(Role::SupportInterface).mm3;
    let by_role = totals.into_map();
    let material: f64 = by_role.values().map(|r| r.mm3).sum();
    let time: f64 = by_role.values().map(|r| r.seconds).sum();
    Ok(Estimate {
        technology: Technology::Fdm,
        layers: layers.count(),
        layer_height_mm: layers.height,
        print_time_s: time,
        material_mm3: material,
        material_g: mass_g(material, density_g_cm3),
        support_mm3,
        support_contact_area_mm2: contact_px as f64 * layers.pixel_area(),
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
    use crate::mesh::{Format, Mesh};

    fn box_mesh(sx: f32, sy: f32, sz: f32) -> Mesh {
        crate::mesh::generate::cuboid([0.0; 3], [sx as f64, sy as f64, sz as f64])
    }

    fn part(m: Mesh) -> Part {
        analyze(m, Format::StlBinary, Scaling::Factor(1.0))
    }

    #[test]
    fn cube_layers_and_material_follow_the_slicer_model() {
        let e = estimate(
            &part(box_mesh(20., 20., 20.)),
            &FdmProfile::default(),
            false,
        )
        .expect("cube estimates");
        assert_eq!(e.layers, 100);
        // Shells: 80 mm of contour × 100 layers × 2 loops of 0.407 × 0.2 mm ≈ 1300 mm³.
        let walls = e.by_role[&Role::ExternalPerimeter].mm3 + e.by_role[&Role::Perimeter].mm3;
        assert!((walls - 1300.0).abs() < 80.0, "{walls}");
        // Material is between the sparse shell and the solid volume.
        assert!(
            e.material_mm3 > 2000.0 && e.material_mm3 < 8000.0,
            "{}",
            e.material_mm3
        );
        assert_eq!(e.support_mm3, 0.0);
        // A box has no overhang: supports on changes nothing but the skirt.
        let s = estimate(&part(box_mesh(20., 20., 20.)), &FdmProfile::default(), true)
            .expect("cube estimates");
        assert_eq!(s.support_mm3, 0.0);
        assert!(e.print_time_s > 600.0 && e.print_time_s < 3000.0);
    }

    fn merged(meshes: &[Mesh]) -> Mesh {
        let mut out = Mesh::default();
        for m in meshes {
            let base = out.positions.len() as u32;
            out.positions.extend_from_slice(&m.positions);
            out.triangles
                .extend(m.triangles.iter().map(|t| t.map(|v| v + base)));
        }
        out
    }

    /// The support walk drops each layer's rasters once measured: every layer must still
    /// be measured once, in layer order, and layer 0 after its flange is made (with and
    /// without `buildplate_only`, which keeps every layer to the end).
    #[test]
    fn every_support_layer_is_measured_once_in_layer_order() {
        use crate::mesh::generate::cuboid;
        let tee = part(merged(&[
            cuboid([8.0, 8.0, 0.0], [12.0, 12.0, 10.0]),
            cuboid([0.0, 0.0, 10.0], [20.0, 20.0, 13.0]),
        ]));
        let pr = FdmProfile::default();
        let layers = layers::plan(&tee.analysis, &pr, true, &mut Vec::new()).expect("plans");
        let untimed = |_: usize, _: &slice::Contour<'_>| (0.0, 0.0);
        let sections = slice::slice(
            &tee.mesh,
            &layers.grid,
            &layers.z_mid,
            &untimed,
            &Cancel::never(),
        )
        .expect("slices");
        let pixels = |b: &Option<slice::Bitmap>| b.as_ref().map_or(0, |b| b.count());
        for buildplate_only in [false, true] {
            let params = SupportParams {
                buildplate_only,
                ..SupportParams::from_profile(&pr, &layers)
            };
            let s = support::generate(
                &tee.mesh,
                &layers.grid,
                &layers.z_mid,
                &sections,
                &params,
                &Cancel::never(),
                &|k, l| (k, pixels(&l.base), pixels(&l.interface)),
            )
            .expect("supports");
            let order: Vec<usize> = s.layers.iter().map(|m| m.0).collect();
            assert_eq!(order, (0..sections.len()).collect::<Vec<_>>());
            // The tee's arms stand on the bed: columns reach layer 0 either way.
            assert!(
                s.layers.iter().skip(1).any(|m| m.1 > 0),
                "{buildplate_only}"
            );
            let flange = s.flange.as_ref().map_or(0, |b| b.count());
            assert!(flange > 0);
            assert_eq!(
                (s.layers[0].1, s.layers[0].2),
                (flange, 0),
                "measured with the flange"
            );
        }
    }

    /// Sharing work along runs of identical sections must not change a single figure:
    /// a stepped tower (long runs that change twice), a T (an overhang: supports,
    /// bridges, internal bridges at the step) and a torus (no runs at all).
    #[test]
    fn sharing_identical_layers_changes_no_figure() {
        use crate::mesh::generate::{cuboid, torus};
        let tower = merged(&[
            cuboid([0.0; 3], [30.0, 30.0, 6.0]),
            cuboid([5.0, 5.0, 6.0], [25.0, 25.0, 14.0]),
            cuboid([10.0, 10.0, 14.0], [20.0, 20.0, 19.0]),
        ]);
        let tee = merged(&[
            cuboid([8.0, 8.0, 0.0], [12.0, 12.0, 10.0]),
            cuboid([0.0, 0.0, 10.0], [20.0, 20.0, 13.0]),
        ]);
        let ring = torus([0.0, 0.0, 4.0], 12.0, 4.0, 48, 24);
        let profile = FdmProfile::default();
        let cal = Calibration::default();
        for (name, mesh) in [("tower", tower), ("tee", tee), ("torus", ring)] {
            let p = part(mesh);
            for supports in [false, true] {
                let run = |sharing| {
                    estimate_layers(
                        &p,
                        &profile,
                        supports,
                        &cal,
                        sharing,
                        profile.filament_density,
                        &Cancel::never(),
                    )
                };
                let shared = run(LayerSharing::Runs);
                let alone = run(LayerSharing::None);
                let shared = shared.expect("estimates");
                assert_eq!(
                    shared,
                    alone.expect("estimates"),
                    "{name}, supports {supports}"
                );
                assert!(shared.material_mm3 > 0.0, "{name}");
            }
        }
    }

    /// The bar: changing `fill_pattern` changes the estimate. The material stays
    /// within a few percent (every pattern extrudes the set density), the time moves.
    #[test]
    fn the_pattern_changes_the_time_not_the_material() {
        let p = part(box_mesh(40., 40., 20.));
        let run = |name: &str| {
            let profile = FdmProfile {
                fill_pattern: name.into(),
                ..FdmProfile::default()
            };
            estimate(&p, &profile, false).expect("box estimates")
        };
        let patterns = [
            "gyroid",
            "rectilinear",
            "grid",
            "honeycomb",
            "line",
            "cubic",
        ];
        let all: Vec<Estimate> = patterns.iter().map(|n| run(n)).collect();
        for (i, a) in all.iter().enumerate() {
            let sparse = |e: &Estimate| e.by_role[&Role::SparseInfill].seconds;
            for (j, b) in all.iter().enumerate().skip(i + 1) {
                assert_ne!(
                    sparse(a),
                    sparse(b),
                    "{} and {} time alike",
                    patterns[i],
                    patterns[j]
                );
            }
            // The same material but for the honeycomb, whose walls are drawn twice
            // (`fill::FillGeometry::extrusion`).
            let m = a.material_mm3 / all[0].material_mm3;
            if patterns[i] == "honeycomb" {
                assert!(m > 1.05, "{}: {m}", patterns[i]);
            } else {
                assert!((m - 1.0).abs() < 0.02, "{}: {m}", patterns[i]);
            }
        }
        // Waves are slower than straight lines.
        let sparse = |e: &Estimate| e.by_role[&Role::SparseInfill].seconds;
        assert!(sparse(&all[0]) > sparse(&all[1]));
        // An approximated pattern says so.
        let lightning = run("lightning");
        assert!(
            lightning
                .warnings
                .iter()
                .any(|w| w.code == "approximate_fill_pattern")
        );
        assert!(
            all[0]
                .warnings
                .iter()
                .all(|w| w.code != "approximate_fill_pattern")
        );
    }

    #[test]
    fn a_unit_mistake_is_refused_not_sliced_forever() {
        let err = estimate(
            &part(box_mesh(10., 10., 25_400.)),
            &FdmProfile::default(),
            true,
        )
        .expect_err("too tall");
        assert_eq!(err.code(), "too_many_layers");
    }

    #[test]
    fn a_huge_footprint_gets_coarser_pixels_and_a_warning() {
        let e = estimate(
            &part(box_mesh(2000., 2000., 2.)),
            &FdmProfile::default(),
            false,
        )
        .expect("plate estimates");
        assert!(e.warnings.iter().any(|w| w.code == "coarse_raster"));
        assert!(e.material_mm3 > 0.5 * 2000.0 * 2000.0 * 2.0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Whatever triangles come in, the estimate returns (a figure or an error) and
        /// never panics.
        #[test]
        fn arbitrary_triangle_soups_never_panic(
            coords in proptest::collection::vec(-50.0f32..50.0, 9..300),
            supports in proptest::bool::ANY,
        ) {
            let tris: Vec<[[f32; 3]; 3]> = coords
                .chunks_exact(9)
                .map(|c| [[c[0], c[1], c[2]], [c[3], c[4], c[5]], [c[6], c[7], c[8]]])
                .collect();
            if let Ok(m) = Mesh::from_triangles(&tris) {
                let p = part(m);
                if let Ok(e) = estimate(&p, &FdmProfile::default(), supports) {
                    proptest::prop_assert!(e.material_mm3.is_finite() && e.material_mm3 >= 0.0);
                    proptest::prop_assert!(e.print_time_s.is_finite() && e.print_time_s >= 0.0);
                }
            }
        }
    }

    #[test]
    fn tiny_parts_still_estimate() {
        let e = estimate(&part(box_mesh(0.5, 0.5, 0.1)), &FdmProfile::default(), true)
            .expect("tiny part estimates");
        assert_eq!(e.layers, 1);
        assert!(e.material_mm3 > 0.0);
    }
}
