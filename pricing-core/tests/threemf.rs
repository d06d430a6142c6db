//! 3MF end to end through the library: the committed fixtures (hand-made by
//! `scripts/make_3mf_fixtures.py` and written by PrusaSlicer 2.5) give every item's true
//! volume within 0.5% and its name, and two properties: a 3MF of one object is analysed
//! exactly like the STL of the same mesh, and a build transform changes the volume by its
//! determinant and nothing else.

use std::path::PathBuf;

use pricing_core::analysis::{Analysis, Scaling, analyze, analyze_declared};
use pricing_core::mesh::threemf::write;
use pricing_core::mesh::{self, Format, Mesh, ReadLimits, generate, stl_binary};
use proptest::prelude::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/3mf")
}

#[test]
fn every_fixture_item_has_its_true_volume_and_its_name() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("expected.json")).expect("expected.json"),
    )
    .expect("valid JSON");
    let files = expected.as_object().expect("an object of files");
    assert!(files.len() >= 11, "{} fixtures", files.len());
    for (file, items) in files {
        let loaded = mesh::read_path(&fixtures().join(file), &ReadLimits::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(loaded.format, Format::ThreeMf);
        let items = items.as_array().expect("items");
        assert_eq!(
            loaded.items.len(),
            items.len(),
            "{file}: {:?}",
            loaded.items
        );
        for (item, want) in loaded.items.iter().zip(items) {
            let (name, quantity, volume) = (
                want[0].as_str().expect("name"),
                want[1].as_u64().expect("quantity"),
                want[2].as_f64().expect("volume"),
            );
            let part = analyze_declared(
                loaded.item_mesh(item).clone(),
                loaded.format,
                loaded.declared_unit,
                Scaling::Auto,
            );
            let v = part.analysis.volume_mm3;
            assert!(
                (v - volume).abs() <= 0.005 * volume,
                "{file} {name}: {v} mm³, true {volume}"
            );
            assert_eq!(item.name.as_deref(), Some(name), "{file}");
            assert_eq!(item.quantity as u64, quantity, "{file} {name}");
            assert_eq!(part.analysis.units.source, "file");
        }
    }
}

#[test]
fn the_zip_without_a_model_is_refused_by_name() {
    let err = mesh::read_path(
        &fixtures().join("zip-without-model.zip"),
        &ReadLimits::default(),
    )
    .expect_err("no model");
    assert_eq!(err.code(), "zip_without_model");
}

#[test]
fn non_printable_items_leave_a_warning_in_the_analysis() {
    let loaded = mesh::read_path(
        &fixtures().join("non-printable.3mf"),
        &ReadLimits::default(),
    )
    .expect("valid");
    let part = pricing_core::analysis::analyze_loaded(loaded, Scaling::Auto);
    assert!(
        part.analysis
            .warnings
            .iter()
            .any(|w| w.code == "non_printable_skipped")
    );
    assert!((part.analysis.volume_mm3 - 1000.0).abs() < 1e-6);
}

#[test]
fn a_bomb_inflating_to_one_and_a_half_gib_is_refused() {
    // Built in a temp dir: one model part of 1.5 GiB of vertices, deflated to a few MiB.
    // The central directory declares the size, so it is refused before inflating.
    use std::io::Write;
    let dir = tempfile_dir();
    let path = dir.join("bomb.3mf");
    {
        let file = std::fs::File::create(&path).expect("temp file");
        let mut zip = zip::ZipWriter::new(file);
        let fast = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(true);
        zip.start_file("_rels/.rels", fast).expect("write");
        zip.write_all(b"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Target=\"/3D/3dmodel.model\" Id=\"r\" Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/></Relationships>").expect("write");
        zip.start_file("3D/3dmodel.model", fast).expect("write");
        zip.write_all(b"<model unit=\"millimeter\" xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\"><resources><object id=\"1\"><mesh><vertices>").expect("write");
        let chunk = "<vertex x=\"1.5\" y=\"2.5\" z=\"3.5\"/>\n".repeat(30_000);
        let mut written = 0u64;
        while written < 3 << 29 {
            zip.write_all(chunk.as_bytes()).expect("write");
            written += chunk.len() as u64;
        }
        zip.write_all(
            b"</vertices></mesh></object></resources><build><item objectid=\"1\"/></build></model>",
        )
        .expect("write");
        zip.finish().expect("write");
    }
    assert!(std::fs::metadata(&path).expect("written").len() < 64 << 20);
    let err = mesh::read_path(&path, &ReadLimits::default()).expect_err("bomb");
    assert_eq!(err.code(), "archive_limit");
    assert!(
        err.to_string().contains("inflates past the byte limit"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pricing-3mf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The figures of an analysis that do not depend on where the mesh came from.
fn geometry(a: &Analysis) -> impl PartialEq + std::fmt::Debug {
    (
        a.triangles,
        a.vertices,
        a.bbox_mm,
        a.volume_mm3.to_bits(),
        a.area_mm2.to_bits(),
        a.centroid_mm.map(f64::to_bits),
        a.shells,
        a.watertight,
        (a.open_edges, a.non_manifold_edges, a.inconsistent_edges),
        a.repairs,
        a.warnings
            .iter()
            .filter(|w| !w.code.starts_with("units_"))
            .cloned()
            .collect::<Vec<_>>(),
    )
}

fn shape(torus: bool, a: f64, b: f64, c: f64) -> Mesh {
    if torus {
        generate::torus([a, b, c], 20.0 + a.abs(), 4.0 + b.abs() / 10.0, 40, 20)
    } else {
        generate::cuboid([a, b, c], [a + 10.0 + b.abs(), b + 5.0, c + 1.0 + a.abs()])
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A 3MF holding one object is the same analysis as the STL of the same mesh.
    #[test]
    fn a_one_object_3mf_is_analysed_like_the_stl(
        torus in any::<bool>(),
        a in -50.0f64..50.0, b in -50.0f64..50.0, c in -50.0f64..50.0,
    ) {
        let mesh = shape(torus, a, b, c);
        let stl = mesh::read_bytes(&stl_binary::write(&mesh), &ReadLimits::default()).expect("stl");
        let tmf = mesh::read_bytes(&write::single(&mesh, "part"), &ReadLimits::default()).expect("3mf");
        prop_assert_eq!(&tmf.mesh, &stl.mesh);
        let s = analyze(stl.mesh, stl.format, Scaling::Factor(1.0));
        let t = analyze_declared(tmf.mesh, tmf.format, tmf.declared_unit, Scaling::Auto);
        prop_assert_eq!(geometry(&t.analysis), geometry(&s.analysis));
    }

    /// A build transform scales the volume by its determinant's magnitude, and a rigid
    /// one not at all.
    #[test]
    fn a_build_transform_changes_the_volume_by_its_determinant(
        torus in any::<bool>(),
        angles in prop::array::uniform3(-3.2f64..3.2),
        scales in prop::array::uniform3(0.3f64..3.0),
        mirror in any::<bool>(),
        shift in prop::array::uniform3(-300.0f64..300.0),
    ) {
        let mesh = shape(torus, 1.0, 2.0, 3.0);
        let base = analyze(mesh.clone(), Format::StlBinary, Scaling::Factor(1.0)).analysis.volume_mm3;
        let r = nalgebra::Rotation3::from_euler_angles(angles[0], angles[1], angles[2]).into_inner();
        let d = nalgebra::Matrix3::from_diagonal(&nalgebra::Vector3::new(
            if mirror { -scales[0] } else { scales[0] }, scales[1], scales[2]));
        let l = r * d;
        let m = [0, 1, 2].map(|i| [l[(i, 0)], l[(i, 1)], l[(i, 2)], shift[i]]);
        let model = write::model(
            "millimeter",
            &write::mesh_object(1, Some("part"), &mesh),
            &format!("  <item objectid=\"1\" transform=\"{}\"/>\n", write::transform(m)),
        );
        let bytes = write::package("3D/3dmodel.model", &[("3D/3dmodel.model", model.as_bytes())]);
        let loaded = mesh::read_bytes(&bytes, &ReadLimits::default()).expect("3mf");
        let part = analyze_declared(loaded.mesh, loaded.format, loaded.declared_unit, Scaling::Auto);
        let det = l.determinant().abs();
        let v = part.analysis.volume_mm3;
        prop_assert!((v - base * det).abs() <= 1e-3 * base * det, "{} vs {} × {}", v, base, det);
        prop_assert_eq!(part.analysis.repairs.flipped_shells, 0);
    }
}

fn quoter() -> &'static pricing_core::price::Quoter {
    static Q: std::sync::OnceLock<pricing_core::price::Quoter> = std::sync::OnceLock::new();
    Q.get_or_init(|| pricing_core::price::Quoter::new(pricing_core::price::PriceBook::embedded()))
}

/// A plate of `sizes.len()` cuboids side by side, each its own object and build item.
fn plate(sizes: &[[f64; 3]]) -> Vec<u8> {
    let mut resources = String::new();
    let mut build = String::new();
    let mut x = 0.0;
    for (i, s) in sizes.iter().enumerate() {
        let id = i as u32 + 1;
        let cube = generate::cuboid([x, 0.0, 0.0], [x + s[0], s[1], s[2]]);
        x += s[0] + 5.0;
        resources.push_str(&write::mesh_object(id, Some(&format!("part {id}")), &cube));
        build.push_str(&format!("  <item objectid=\"{id}\"/>\n"));
    }
    let model = write::model("millimeter", &resources, &build);
    write::package(
        "3D/3dmodel.model",
        &[("3D/3dmodel.model", model.as_bytes())],
    )
}

/// The sum (issue 10's bar) on a committed plate: the file's total is at least the sum
/// of its items' totals.
#[test]
fn a_multi_object_files_total_is_at_least_its_items_sum() {
    use pricing_core::price::{QuoteRequest, quote_bytes};
    for name in [
        "several-objects.3mf",
        "prusaslicer-two-objects.3mf",
        "instances.3mf",
    ] {
        let bytes = std::fs::read(fixtures().join(name)).expect("fixture");
        let doc = quote_bytes(
            quoter(),
            name,
            &bytes,
            &QuoteRequest::default(),
            &ReadLimits::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(doc.items.len() >= 2 || doc.items[0].quantity >= 2, "{name}");
        let sum: f64 = doc
            .items
            .iter()
            .filter_map(|i| i.price.as_ref())
            .map(|p| p.total)
            .sum();
        assert!(
            doc.price.total >= sum - 1e-9,
            "{name}: {} < {sum}",
            doc.price.total
        );
        let lines: f64 = doc.price.lines.iter().map(|l| l.amount).sum();
        assert!(
            (lines - doc.price.total).abs() < 1e-6,
            "{name}: lines {lines}"
        );
        assert!(
            doc.estimate.is_none(),
            "{name}: several prints have no one estimate"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any plate of 2–4 objects: the order total is the sum of the item totals (no
    /// order-level fee), each item priced as the STL of its own mesh would be.
    #[test]
    fn a_plates_total_is_the_sum_of_its_items_priced_alone(
        sizes in prop::collection::vec(prop::array::uniform3(2.0f64..40.0), 2..5),
        quantity in 1u32..30,
    ) {
        use pricing_core::price::{QuoteRequest, quote_bytes};
        let request = QuoteRequest { quantity, ..QuoteRequest::default() };
        let doc = quote_bytes(quoter(), "plate.3mf", &plate(&sizes), &request, &ReadLimits::default())
            .expect("quotes");
        prop_assert_eq!(doc.items.len(), sizes.len());
        let mut sum = 0.0;
        let mut x = 0.0;
        for (item, s) in doc.items.iter().zip(&sizes) {
            // Where `plate` put it, so the slicer sees the same coordinates.
            let alone = generate::cuboid([x, 0.0, 0.0], [x + s[0], s[1], s[2]]);
            x += s[0] + 5.0;
            let stl = quote_bytes(quoter(), "alone.stl", &stl_binary::write(&alone), &QuoteRequest { scale: Some(1.0), ..request.clone() }, &ReadLimits::default())
                .expect("quotes");
            let price = item.price.as_ref().expect("priced");
            prop_assert_eq!(price.total, stl.price.total);
            prop_assert_eq!(item.quantity, quantity);
            sum += price.total;
        }
        prop_assert!(doc.price.total >= sum - 1e-9);
        prop_assert!((doc.price.total - sum).abs() < 1e-6);
    }
}
