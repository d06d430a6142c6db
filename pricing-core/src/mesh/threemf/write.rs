//! Writing small 3MF packages, for tests, benches and property tests (the committed
//! fixtures come from `scripts/make_3mf_fixtures.py` and from PrusaSlicer). Kept here so
//! the format lives in one place, like `stl_binary::write`.

use std::io::Write;

use crate::mesh::Mesh;

/// The `<object>` element of a mesh object. Coordinates are written in Rust's shortest
/// round-trip form, so reading them back gives the same `f32` bits.
pub fn mesh_object(id: u32, name: Option<&str>, mesh: &Mesh) -> String {
    let mut s = format!("  <object id=\"{id}\" type=\"model\"");
    if let Some(n) = name {
        s.push_str(&format!(" name=\"{}\"", escape(n)));
    }
    s.push_str(">\n   <mesh>\n    <vertices>\n");
    for p in &mesh.positions {
        s.push_str(&format!(
            "     <vertex x=\"{}\" y=\"{}\" z=\"{}\"/>\n",
            p[0], p[1], p[2]
        ));
    }
    s.push_str("    </vertices>\n    <triangles>\n");
    for t in &mesh.triangles {
        s.push_str(&format!(
            "     <triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>\n",
            t[0], t[1], t[2]
        ));
    }
    s.push_str("    </triangles>\n   </mesh>\n  </object>\n");
    s
}

/// A 3MF transform attribute value from a column-vector affine matrix (row-major 3×4:
/// `[a b c tx; d e f ty; g h i tz]`).
pub fn transform(m: [[f64; 4]; 3]) -> String {
    // 3MF lists m00 m01 m02 m10 ... m32 of the row-vector form, the transpose.
    let mut v = Vec::with_capacity(12);
    for col in 0..4 {
        for row in m.iter() {
            v.push(format!("{}", row[col]));
        }
    }
    v.join(" ")
}

/// A model part: `unit`, the resources XML, the build items XML.
pub fn model(unit: &str, resources: &str, build: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model unit=\"{unit}\" xml:lang=\"en-US\" xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\" xmlns:p=\"http://schemas.microsoft.com/3dmanufacturing/production/2015/06\">\n <resources>\n{resources} </resources>\n <build>\n{build} </build>\n</model>\n"
    )
}

/// A package: `[Content_Types].xml`, `_rels/.rels` pointing at `model_path`, and the
/// given parts (`(name, bytes)`, the model part among them).
pub fn package(model_path: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"model\" ContentType=\"application/vnd.ms-package.3dmanufacturing-3dmodel+xml\"/></Types>\n";
    let rels = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Target=\"/{model_path}\" Id=\"rel0\" Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/></Relationships>\n"
    );
    let mut all: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", content_types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
    ];
    all.extend_from_slice(parts);
    for (name, bytes) in all {
        // Writing to memory cannot fail but for a bug; an empty package then fails the
        // caller's read, which is what a test would report.
        if zip.start_file(name, options).is_err() || zip.write_all(bytes).is_err() {
            return Vec::new();
        }
    }
    zip.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// A one-object 3MF in millimetres: the mesh as object 1, one build item with no
/// transform.
pub fn single(mesh: &Mesh, name: &str) -> Vec<u8> {
    let m = model(
        "millimeter",
        &mesh_object(1, Some(name), mesh),
        "  <item objectid=\"1\"/>\n",
    );
    package("3D/3dmodel.model", &[("3D/3dmodel.model", m.as_bytes())])
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
