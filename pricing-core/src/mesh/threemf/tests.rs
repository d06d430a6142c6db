//! 3MF reader tests on packages built in memory: units, transforms, components,
//! instances, the production extension, non-printable items, slicer names, limits and
//! refusals.

use super::write::{mesh_object, model, package, transform};
use super::*;
use crate::mesh::generate::cuboid;
use crate::mesh::read_bytes;

fn limits() -> ReadLimits {
    ReadLimits::default()
}

/// Volume of a welded mesh (outward triangles), in its units.
fn volume(mesh: &Mesh) -> f64 {
    mesh.triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|v| mesh.positions[v as usize].map(f64::from));
            (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                + a[2] * (b[0] * c[1] - b[1] * c[0]))
                / 6.0
        })
        .sum()
}

fn cube10() -> Mesh {
    cuboid([0.0; 3], [10.0; 3])
}

fn one_part(unit: &str, resources: &str, build: &str) -> Vec<u8> {
    let m = model(unit, resources, build);
    package("3D/3dmodel.model", &[("3D/3dmodel.model", m.as_bytes())])
}

const ID: [[f64; 4]; 3] = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
];

fn item(object: u32, m: [[f64; 4]; 3]) -> String {
    format!(
        "  <item objectid=\"{object}\" transform=\"{}\"/>\n",
        transform(m)
    )
}

#[test]
fn one_object_in_millimetres() {
    let bytes = one_part(
        "millimeter",
        &mesh_object(1, Some("Cube"), &cube10()),
        &item(1, ID),
    );
    let l = read_bytes(&bytes, &limits()).expect("valid 3MF");
    assert_eq!(l.format, Format::ThreeMf);
    assert_eq!(l.declared_unit, Some(Unit::Mm));
    assert_eq!(l.items.len(), 1);
    assert_eq!(l.items[0].name.as_deref(), Some("Cube"));
    assert_eq!(l.items[0].quantity, 1);
    assert!(l.items[0].mesh.is_none());
    assert!((volume(&l.mesh) - 1000.0).abs() < 1e-9);
    assert!(l.warnings.is_empty());
}

#[test]
fn every_unit_comes_out_in_millimetres() {
    for (unit, mm) in [
        ("micron", 0.001),
        ("millimeter", 1.0),
        ("centimeter", 10.0),
        ("inch", 25.4),
        ("foot", 304.8),
        ("meter", 1000.0),
    ] {
        let bytes = one_part(unit, &mesh_object(1, None, &cube10()), &item(1, ID));
        let l = read_bytes(&bytes, &limits()).expect("valid 3MF");
        let expected = 1000.0 * mm * mm * mm;
        assert!(
            (volume(&l.mesh) - expected).abs() < expected * 1e-6,
            "{unit}: {}",
            volume(&l.mesh)
        );
        assert_eq!(l.declared_unit.map(Unit::to_mm), Some(mm));
    }
}

#[test]
fn instances_rotated_are_one_item_scaled_or_mirrored_are_not() {
    let (s, c) = (0.6f64.sin(), 0.6f64.cos());
    let rotated = [[c, -s, 0.0, 40.0], [s, c, 0.0, 5.0], [0.0, 0.0, 1.0, 0.0]];
    let scaled = [
        [2.0, 0.0, 0.0, 80.0],
        [0.0, 2.0, 0.0, 0.0],
        [0.0, 0.0, 2.0, 0.0],
    ];
    let mirrored = [
        [-1.0, 0.0, 0.0, -20.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
    ];
    let build = [
        item(1, ID),
        item(1, rotated),
        item(1, scaled),
        item(1, mirrored),
    ]
    .concat();
    let bytes = one_part(
        "millimeter",
        &mesh_object(1, Some("Block"), &cube10()),
        &build,
    );
    let l = read_bytes(&bytes, &limits()).expect("valid 3MF");
    let q: Vec<u32> = l.items.iter().map(|i| i.quantity).collect();
    assert_eq!(q, vec![2, 1, 1]);
    let v: Vec<f64> = l.items.iter().map(|i| volume(l.item_mesh(i))).collect();
    assert!((v[0] - 1000.0).abs() < 1e-3, "{v:?}");
    assert!((v[1] - 8000.0).abs() < 1e-2, "{v:?}");
    // The mirror keeps the mesh facing outward: positive volume.
    assert!((v[2] - 1000.0).abs() < 1e-3, "{v:?}");
    // The plate holds all four instances.
    assert!(
        (volume(&l.mesh) - 11000.0).abs() < 1e-1,
        "{}",
        volume(&l.mesh)
    );
    assert!(l.items.iter().all(|i| i.name.as_deref() == Some("Block")));
}

#[test]
fn an_assembly_of_components_is_flattened_with_its_transforms() {
    let small = cuboid([0.0; 3], [1.0, 2.0, 3.0]);
    let shift = |x: f64| {
        [
            [1.0, 0.0, 0.0, x],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
        ]
    };
    let twice = [
        [2.0, 0.0, 0.0, 0.0],
        [0.0, 2.0, 0.0, 0.0],
        [0.0, 0.0, 2.0, 0.0],
    ];
    let resources = format!(
        "{}  <object id=\"2\" name=\"Pair\"><components><component objectid=\"1\"/><component objectid=\"1\" transform=\"{}\"/></components></object>\n  <object id=\"3\" name=\"Assembly\"><components><component objectid=\"2\" transform=\"{}\"/></components></object>\n",
        mesh_object(1, Some("Brick"), &small),
        transform(shift(5.0)),
        transform(twice)
    );
    let bytes = one_part("millimeter", &resources, &item(3, ID));
    let l = read_bytes(&bytes, &limits()).expect("valid 3MF");
    assert_eq!(l.items.len(), 1);
    assert_eq!(l.items[0].name.as_deref(), Some("Assembly"));
    // Two bricks of 6 mm³, scaled ×2: 2 · 6 · 8.
    assert!((volume(&l.mesh) - 96.0).abs() < 1e-6, "{}", volume(&l.mesh));
    let (lo, hi) = l.mesh.bounds().expect("vertices");
    assert_eq!((lo[0], hi[0]), (0.0, 12.0));
}

#[test]
fn a_component_cycle_and_a_missing_object_are_errors() {
    let cycle = "  <object id=\"1\"><components><component objectid=\"2\"/></components></object>\n  <object id=\"2\"><components><component objectid=\"1\"/></components></object>\n";
    let err =
        read_bytes(&one_part("millimeter", cycle, &item(1, ID)), &limits()).expect_err("cycle");
    assert_eq!(err.code(), "3mf_invalid");
    assert!(err.to_string().contains("contains itself"), "{err}");
    let err = read_bytes(
        &one_part("millimeter", &mesh_object(1, None, &cube10()), &item(7, ID)),
        &limits(),
    )
    .expect_err("missing");
    assert!(err.to_string().contains("object 7"), "{err}");
}

#[test]
fn deep_nesting_is_refused() {
    // 40 objects each holding the next: deeper than the component cap.
    let mut resources = mesh_object(100, None, &cube10());
    for i in 0..40 {
        let next = if i == 39 { 100 } else { i + 1 };
        resources.push_str(&format!(
            "  <object id=\"{i}\"><components><component objectid=\"{next}\"/></components></object>\n"
        ));
    }
    let err =
        read_bytes(&one_part("millimeter", &resources, &item(0, ID)), &limits()).expect_err("deep");
    assert!(err.to_string().contains("nested"), "{err}");
    // XML nesting past the parser's cap.
    let deep = format!("{}{}", "<x>".repeat(100), "</x>".repeat(100));
    let m = model("millimeter", &mesh_object(1, None, &cube10()), &item(1, ID))
        .replace(" <build>", &format!(" {deep}\n <build>"));
    let bytes = package("3D/3dmodel.model", &[("3D/3dmodel.model", m.as_bytes())]);
    let err = read_bytes(&bytes, &limits()).expect_err("deep XML");
    assert!(err.to_string().contains("nested more than"), "{err}");
}

#[test]
fn non_printable_items_are_skipped_with_a_warning() {
    let resources = [
        mesh_object(1, Some("Part"), &cube10()),
        mesh_object(2, Some("Helper"), &cuboid([0.0; 3], [1.0; 3])),
    ]
    .concat();
    let build = format!("{}  <item objectid=\"2\" printable=\"0\"/>\n", item(1, ID));
    let l = read_bytes(&one_part("millimeter", &resources, &build), &limits()).expect("valid 3MF");
    assert_eq!(l.items.len(), 1);
    assert_eq!(l.warnings.len(), 1);
    assert_eq!(l.warnings[0].code, "non_printable_skipped");
    assert!(l.warnings[0].message.contains("Helper"));
    assert!((volume(&l.mesh) - 1000.0).abs() < 1e-9);
}

#[test]
fn production_paths_lead_to_objects_in_other_parts() {
    // As Bambu Studio writes it: the root holds an assembly whose component lives in
    // 3D/Objects/object_1.model; its relationships file names that part.
    let sub = model("millimeter", &mesh_object(1, None, &cube10()), "");
    let root_resources = "  <object id=\"2\" name=\"Bracket\" partnumber=\"BR-7\"><components><component p:path=\"/3D/Objects/object_1.model\" objectid=\"1\"/></components></object>\n";
    let shift = [
        [1.0, 0.0, 0.0, 128.0],
        [0.0, 1.0, 0.0, 128.0],
        [0.0, 0.0, 1.0, 5.0],
    ];
    let root = model("millimeter", root_resources, &item(2, shift));
    let bytes = package(
        "3D/3dmodel.model",
        &[
            ("3D/3dmodel.model", root.as_bytes()),
            ("3D/Objects/object_1.model", sub.as_bytes()),
        ],
    );
    let l = read_bytes(&bytes, &limits()).expect("valid 3MF");
    assert_eq!(l.items[0].name.as_deref(), Some("Bracket"));
    assert_eq!(l.items[0].part_number.as_deref(), Some("BR-7"));
    assert!((volume(&l.mesh) - 1000.0).abs() < 1e-6);
    assert_eq!(l.mesh.bounds().map(|b| b.0), Some([128.0, 128.0, 5.0]));
}

#[test]
fn slicer_configs_name_objects_and_drop_modifiers() {
    // PrusaSlicer: one mesh of two volumes, the second a modifier.
    let two = {
        let mut m = cube10();
        let extra = cuboid([20.0; 3], [21.0; 3]);
        let base = m.positions.len() as u32;
        m.positions.extend(extra.positions);
        m.triangles
            .extend(extra.triangles.iter().map(|t| t.map(|v| v + base)));
        m
    };
    let root = model("millimeter", &mesh_object(1, None, &two), &item(1, ID));
    let config = br#"<?xml version="1.0" encoding="UTF-8"?>
<config><object id="1" instances_count="1"><metadata type="object" key="name" value="knob.stl"/>
<volume firstid="0" lastid="11"><metadata type="volume" key="volume_type" value="ModelPart"/></volume>
<volume firstid="12" lastid="23"><metadata type="volume" key="volume_type" value="ParameterModifier"/></volume>
</object></config>"#;
    let bytes = package(
        "3D/3dmodel.model",
        &[
            ("3D/3dmodel.model", root.as_bytes()),
            ("Metadata/Slic3r_PE_model.config", config),
        ],
    );
    let l = read_bytes(&bytes, &limits()).expect("valid 3MF");
    assert_eq!(l.items[0].name.as_deref(), Some("knob.stl"));
    assert!((volume(&l.mesh) - 1000.0).abs() < 1e-9);
    assert_eq!(l.warnings[0].code, "modifier_skipped");
}

#[test]
fn a_zip_without_a_model_is_named() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("readme.txt", options).expect("in memory");
    std::io::Write::write_all(&mut zip, b"hello").expect("in memory");
    let bytes = zip.finish().expect("in memory").into_inner();
    let err = read_bytes(&bytes, &limits()).expect_err("no model");
    assert_eq!(err.code(), "zip_without_model");
    assert!(
        err.to_string().starts_with("a ZIP without a 3D model"),
        "{err}"
    );
    // Relationships that name no model are the same.
    let bytes = package("3D/none.model", &[("Metadata/x.txt", b"x")]);
    let err = read_bytes(&bytes, &limits()).expect_err("dangling");
    assert_eq!(err.code(), "3mf_invalid");
}

#[test]
fn a_bomb_is_refused_by_its_declared_size_and_while_it_streams() {
    // 8 MiB of vertices under a 1 MiB limit.
    let mut resources = String::from("  <object id=\"1\"><mesh><vertices>\n");
    let line = "<vertex x=\"0\" y=\"0\" z=\"0\"/>\n";
    resources.push_str(&line.repeat((8 << 20) / line.len()));
    resources.push_str("</vertices><triangles></triangles></mesh></object>\n");
    let bytes = one_part("millimeter", &resources, &item(1, ID));
    assert!(bytes.len() < 1 << 20);
    let small = ReadLimits {
        max_bytes: 1 << 20,
        ..limits()
    };
    let err = read_bytes(&bytes, &small).expect_err("bomb");
    assert_eq!(err.code(), "archive_limit");
    assert!(err.to_string().contains("inflates past"), "{err}");
    // A token past its cap, streamed.
    let huge = format!(
        "  <object id=\"1\" name=\"{}\"></object>\n",
        "a".repeat(package::MAX_TOKEN as usize + 10)
    );
    let err = read_bytes(&one_part("millimeter", &huge, ""), &limits()).expect_err("token");
    assert_eq!(err.code(), "archive_limit");
}

#[test]
fn the_capped_reader_stops_at_the_budget() {
    use std::io::Read;
    let hit = Hit::default();
    let data = vec![b' '; 10_000];
    let mut r = package::Capped::new_for_test(&data[..], 1000, 5000, &hit);
    let mut out = Vec::new();
    assert!(r.read_to_end(&mut out).is_err());
    assert_eq!(hit.error().map(|e| e.code()), Some("archive_limit"));
}

#[test]
fn too_many_vertices_or_triangles_are_refused() {
    let few = ReadLimits {
        max_triangles: 5,
        ..limits()
    };
    let bytes = one_part("millimeter", &mesh_object(1, None, &cube10()), &item(1, ID));
    let err = read_bytes(&bytes, &few).expect_err("limit");
    assert_eq!(err.code(), "too_many_vertices");
    let nine = ReadLimits {
        max_triangles: 9,
        ..limits()
    };
    assert_eq!(
        read_bytes(&bytes, &nine).expect_err("limit").code(),
        "too_many_triangles"
    );
    // Instances multiply: 12 triangles × 3 items over a limit of 30.
    let build = [item(1, ID), item(1, ID), item(1, ID)].concat();
    let bytes = one_part("millimeter", &mesh_object(1, None, &cube10()), &build);
    let thirty = ReadLimits {
        max_triangles: 30,
        ..limits()
    };
    assert_eq!(
        read_bytes(&bytes, &thirty).expect_err("instances").code(),
        "too_many_triangles"
    );
}

#[test]
fn malformed_models_are_typed_errors() {
    for (resources, build, says) in [
        ("  <object id=\"x\"></object>\n", "", "id=\"x\""),
        (
            "  <object id=\"1\"><mesh><vertices><vertex x=\"0\" y=\"0\" z=\"0\"/></vertices><triangles><triangle v1=\"0\" v2=\"0\" v3=\"5\"/></triangles></mesh></object>\n",
            "  <item objectid=\"1\"/>\n",
            "refers to vertex 5",
        ),
        (
            &mesh_object(1, None, &cube10()),
            "  <item objectid=\"1\" transform=\"1 0 0 0 1 0\"/>\n",
            "6 numbers",
        ),
    ] {
        let err = read_bytes(&one_part("millimeter", resources, build), &limits())
            .expect_err("malformed");
        assert_eq!(err.code(), "3mf_invalid", "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
    let err = read_bytes(
        &one_part("furlong", &mesh_object(1, None, &cube10()), &item(1, ID)),
        &limits(),
    )
    .expect_err("unit");
    assert!(err.to_string().contains("furlong"), "{err}");
}

#[test]
fn rigid_motion_test() {
    let r = nalgebra::Rotation3::from_euler_angles(0.3, -1.1, 2.0).into_inner();
    let i = Matrix3::identity();
    assert!(differ_by_rigid_motion(&i, &r));
    assert!(differ_by_rigid_motion(&(r * 2.0), &(r * r * 2.0)));
    assert!(!differ_by_rigid_motion(&i, &(r * 1.01)));
    assert!(!differ_by_rigid_motion(
        &i,
        &Matrix3::from_diagonal(&[-1.0, 1.0, 1.0].into())
    ));
    assert!(!differ_by_rigid_motion(&Matrix3::zeros(), &i));
}
