//! Geometric invariants of the analysis: volume and area do not change under rotation and
//! translation, and scale by s³ and s² under uniform scaling. Checked on analytic shapes
//! (exact volumes) and on generated tori, for random motions.

use pricing_core::analysis::{Scaling, analyze};
use pricing_core::mesh::{Format, Mesh, generate};
use proptest::prelude::*;

fn measure(mesh: Mesh) -> (f64, f64) {
    let part = analyze(mesh, Format::StlBinary, Scaling::Factor(1.0));
    (part.analysis.volume_mm3, part.analysis.area_mm2)
}

/// Rotation about a unit axis by an angle (Rodrigues), then a translation.
fn rigid(axis: [f64; 3], angle: f64, shift: [f64; 3]) -> impl Fn([f64; 3]) -> [f64; 3] {
    let n = (axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]).sqrt();
    let k = if n > 1e-9 {
        axis.map(|a| a / n)
    } else {
        [0.0, 0.0, 1.0]
    };
    let (s, c) = angle.sin_cos();
    move |p: [f64; 3]| {
        let dot = k[0] * p[0] + k[1] * p[1] + k[2] * p[2];
        let cross = [
            k[1] * p[2] - k[2] * p[1],
            k[2] * p[0] - k[0] * p[2],
            k[0] * p[1] - k[1] * p[0],
        ];
        [0, 1, 2].map(|i| p[i] * c + cross[i] * s + k[i] * dot * (1.0 - c) + shift[i])
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

#[test]
fn a_box_has_its_exact_volume_and_area() {
    let (v, a) = measure(generate::cuboid([1.0, 2.0, 3.0], [11.0, 7.0, 5.0]));
    assert!(close(v, 10.0 * 5.0 * 2.0, 1e-12), "{v}");
    assert!(close(a, 2.0 * (50.0 + 20.0 + 10.0), 1e-12), "{a}");
}

#[test]
fn a_fine_torus_approaches_its_analytic_volume() {
    let (v, _) = measure(generate::torus([0.0; 3], 20.0, 5.0, 400, 200));
    let exact = 2.0 * std::f64::consts::PI.powi(2) * 20.0 * 25.0;
    assert!(close(v, exact, 1e-3), "{v} vs {exact}");
}

#[test]
fn the_gyroid_lattice_is_closed_and_encloses_the_field_s_inside() {
    let (size, cell, t) = (20.0, 10.0, 0.6);
    let part = analyze(
        generate::gyroid_lattice(size, cell, t, 40),
        Format::StlBinary,
        Scaling::Factor(1.0),
    );
    let a = &part.analysis;
    assert!(
        a.watertight,
        "{} open, {} non-manifold",
        a.open_edges, a.non_manifold_edges
    );
    assert_eq!(a.inconsistent_edges, 0);
    // The enclosed volume against a fine midpoint count of where the field is inside.
    let k = std::f64::consts::TAU / cell;
    let m = 200;
    let h = size / m as f64;
    let inside = (0..m * m * m)
        .filter(|i| {
            let [x, y, z] = [i / (m * m), (i / m) % m, i % m].map(|c| (c as f64 + 0.5) * h);
            let g = (k * x).sin() * (k * y).cos()
                + (k * y).sin() * (k * z).cos()
                + (k * z).sin() * (k * x).cos();
            g.abs() < t
        })
        .count();
    let expected = inside as f64 * h * h * h;
    assert!(
        close(a.volume_mm3, expected, 0.03),
        "{} vs {expected}",
        a.volume_mm3
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn volume_and_area_are_invariant_under_rotation_and_translation(
        axis in prop::array::uniform3(-1.0f64..1.0),
        angle in 0.0f64..std::f64::consts::TAU,
        shift in prop::array::uniform3(-200.0f64..200.0),
        torus in any::<bool>(),
    ) {
        let mesh = if torus {
            generate::torus([3.0, -2.0, 10.0], 15.0, 4.0, 48, 24)
        } else {
            generate::cuboid([0.0, 0.0, 0.0], [30.0, 20.0, 10.0])
        };
        let (v0, a0) = measure(mesh.clone());
        let mut moved = mesh;
        moved.transform(rigid(axis, angle, shift));
        let (v1, a1) = measure(moved);
        // f32 positions round by ~1e-7 relative after the motion.
        prop_assert!(close(v1, v0, 1e-5), "volume {} vs {}", v1, v0);
        prop_assert!(close(a1, a0, 1e-5), "area {} vs {}", a1, a0);
    }

    #[test]
    fn volume_scales_by_s_cubed_and_area_by_s_squared(s in 0.05f64..40.0) {
        let mesh = generate::torus([0.0, 0.0, 5.0], 15.0, 4.0, 48, 24);
        let (v0, a0) = measure(mesh.clone());
        let part = analyze(mesh, Format::StlBinary, Scaling::Factor(s));
        prop_assert!(close(part.analysis.volume_mm3, v0 * s.powi(3), 1e-5));
        prop_assert!(close(part.analysis.area_mm2, a0 * s.powi(2), 1e-5));
    }
}

#[test]
fn an_inside_out_shell_is_flipped_and_measured_positive() {
    let mut mesh = generate::cuboid([0.0; 3], [10.0, 10.0, 10.0]);
    for t in &mut mesh.triangles {
        t.swap(1, 2);
    }
    let part = analyze(mesh, Format::StlBinary, Scaling::Factor(1.0));
    assert_eq!(part.analysis.repairs.flipped_shells, 1);
    assert!(close(part.analysis.volume_mm3, 1000.0, 1e-12));
    assert!(
        part.analysis
            .warnings
            .iter()
            .any(|w| w.code == "shells_flipped")
    );
}

#[test]
fn a_cavity_inside_a_solid_is_kept_as_a_void() {
    let mut mesh = generate::cuboid([0.0; 3], [10.0, 10.0, 10.0]);
    let mut cavity = generate::cuboid([4.0; 3], [6.0; 3]);
    for t in &mut cavity.triangles {
        t.swap(1, 2);
    }
    let base = mesh.positions.len() as u32;
    mesh.positions.extend(cavity.positions);
    mesh.triangles
        .extend(cavity.triangles.iter().map(|t| t.map(|v| v + base)));
    let part = analyze(mesh, Format::StlBinary, Scaling::Factor(1.0));
    assert_eq!(part.analysis.repairs.flipped_shells, 0);
    assert!(close(part.analysis.volume_mm3, 1000.0 - 8.0, 1e-12));
}

#[test]
fn one_flipped_triangle_is_reoriented_to_match_its_neighbours() {
    let mut mesh = generate::cuboid([0.0; 3], [10.0, 10.0, 10.0]);
    mesh.triangles[3].swap(1, 2);
    let part = analyze(mesh, Format::StlBinary, Scaling::Factor(1.0));
    assert_eq!(part.analysis.repairs.reoriented_triangles, 1);
    assert_eq!(part.analysis.inconsistent_edges, 3);
    assert!(close(part.analysis.volume_mm3, 1000.0, 1e-12));
}

#[test]
fn a_box_with_a_missing_face_has_open_edges_and_is_not_watertight() {
    let mut mesh = generate::cuboid([0.0; 3], [10.0, 10.0, 10.0]);
    mesh.triangles.truncate(10);
    let part = analyze(mesh, Format::StlBinary, Scaling::Factor(1.0));
    assert!(!part.analysis.watertight);
    assert_eq!(part.analysis.open_edges, 4);
    assert!(
        part.analysis
            .warnings
            .iter()
            .any(|w| w.code == "open_edges")
    );
}

#[test]
fn the_part_is_dropped_on_the_bed() {
    let mesh = generate::cuboid([5.0, 5.0, -7.0], [15.0, 15.0, 3.0]);
    let part = analyze(mesh, Format::StlBinary, Scaling::Factor(1.0));
    assert_eq!(part.analysis.bbox_mm.min[2], 0.0);
    assert_eq!(part.analysis.bbox_mm.max[2], 10.0);
    assert_eq!(part.analysis.bbox_mm.min[0], 5.0);
}

#[test]
fn an_invalid_scale_factor_falls_back_to_detection() {
    for bad in [0.0, -2.0, f64::NAN, f64::INFINITY] {
        let part = analyze(
            generate::cuboid([0.0; 3], [20.0, 20.0, 20.0]),
            Format::StlBinary,
            Scaling::Factor(bad),
        );
        assert_eq!(part.analysis.units.source, "detected");
        assert!(close(part.analysis.volume_mm3, 8000.0, 1e-12));
    }
}

#[test]
fn the_bumpy_bench_torus_is_closed_with_the_expected_triangle_count() {
    let mesh = generate::bumpy_torus(100, 50);
    assert_eq!(mesh.triangles.len(), 2 * 100 * 50);
    let part = analyze(mesh, Format::StlBinary, Scaling::Factor(1.0));
    assert!(part.analysis.watertight);
    assert_eq!(part.analysis.shells, 1);
    assert!(part.analysis.volume_mm3 > 0.0);
}
