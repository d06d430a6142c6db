//! Reader tests: every malformed input the readers must reject with a typed error, the
//! tolerant cases they must accept, and arbitrary bytes that must never panic.

use proptest::prelude::*;

use super::*;

fn limits() -> ReadLimits {
    ReadLimits::default()
}

/// A unit tetrahedron, outward facing.
fn tetra() -> Mesh {
    Mesh::from_triangles(&[
        [[0., 0., 0.], [0., 1., 0.], [1., 0., 0.]],
        [[0., 0., 0.], [1., 0., 0.], [0., 0., 1.]],
        [[0., 0., 0.], [0., 0., 1.], [0., 1., 0.]],
        [[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]],
    ])
    .expect("finite")
}

#[test]
fn binary_round_trip_welds_shared_vertices() {
    let bytes = stl_binary::write(&tetra());
    let loaded = read_bytes(&bytes, &limits()).expect("valid");
    assert_eq!(loaded.format, Format::StlBinary);
    assert_eq!(loaded.mesh.triangles.len(), 4);
    assert_eq!(loaded.mesh.positions.len(), 4);
}

#[test]
fn binary_header_starting_with_solid_is_read_as_binary() {
    let mut bytes = stl_binary::write(&tetra());
    bytes[..10].copy_from_slice(b"solid part");
    assert_eq!(
        read_bytes(&bytes, &limits()).expect("valid").format,
        Format::StlBinary
    );
}

#[test]
fn empty_file_is_an_empty_error() {
    assert!(matches!(read_bytes(&[], &limits()), Err(MeshError::Empty)));
}

#[test]
fn truncated_binary_names_the_declared_count_and_sizes() {
    let mut bytes = stl_binary::write(&tetra());
    bytes.truncate(bytes.len() - 7);
    let err = read_bytes(&bytes, &limits()).expect_err("truncated");
    match &err {
        MeshError::Truncated {
            declared,
            expected,
            actual,
        } => {
            assert_eq!((*declared, *expected, *actual), (4, 284, 277));
        }
        other => panic!("wrong error {other:?}"),
    }
    assert!(err.to_string().contains("truncated upload"));
}

#[test]
fn a_header_claiming_four_billion_triangles_does_not_allocate_for_them() {
    let mut bytes = stl_binary::write(&tetra());
    bytes[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
    // 284 bytes cannot be a cut-off 200 GB file: it is named as not an STL at all,
    // before anything is allocated.
    let err = read_bytes(&bytes, &limits()).expect_err("hostile count");
    assert!(matches!(err, MeshError::UnknownFormat { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("would declare 4294967295 triangles"),
        "{err}"
    );
    // A count a fair share of the bytes could hold is a truncated upload, checked
    // against the triangle limit first.
    bytes[80..84].copy_from_slice(&5u32.to_le_bytes());
    assert!(matches!(
        read_bytes(&bytes, &limits()),
        Err(MeshError::Truncated { declared: 5, .. })
    ));
    let strict = ReadLimits {
        max_triangles: 3,
        ..limits()
    };
    assert!(matches!(
        read_bytes(&bytes, &strict),
        Err(MeshError::TooManyTriangles { count: 5, .. })
    ));
}

#[test]
fn binary_with_zero_triangles_has_no_triangles() {
    let mut bytes = vec![0u8; 84];
    bytes[..5].copy_from_slice(b"solid");
    assert!(matches!(
        read_bytes(&bytes, &limits()),
        Err(MeshError::NoTriangles)
    ));
}

#[test]
fn nan_and_infinite_coordinates_are_rejected_with_the_triangle() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut bytes = stl_binary::write(&tetra());
        // Triangle 2, corner 1, y.
        let at = 84 + 2 * 50 + 12 + 12 + 4;
        bytes[at..at + 4].copy_from_slice(&bad.to_le_bytes());
        let err = read_bytes(&bytes, &limits()).expect_err("non-finite");
        assert!(
            matches!(err, MeshError::NonFinite { triangle: 2 }),
            "{err:?}"
        );
    }
}

#[test]
fn ascii_tolerates_multi_word_names_missing_names_and_missing_endsolid() {
    let facet = "facet normal 0 0 1\n outer loop\n vertex 0 0 0\n vertex 1 0 0\n vertex 0 1 0\n endloop\nendfacet\n";
    for text in [
        format!("solid my part v2 final\n{facet}endsolid my part v2 final\n"),
        format!("solid\n{facet}endsolid\n"),
        format!("solid part\n{facet}"),
        format!("SOLID x\r\n{}", facet.replace('\n', "\r\n")),
        format!("solid a\n{facet}endsolid a\nsolid b\n{facet}endsolid b\n"),
    ] {
        let loaded =
            read_bytes(text.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{e} for {text:?}"));
        assert_eq!(loaded.format, Format::StlAscii);
        assert!(!loaded.mesh.triangles.is_empty());
    }
}

#[test]
fn ascii_syntax_error_names_the_line() {
    let text = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 zero\n";
    match read_bytes(text.as_bytes(), &limits()) {
        Err(MeshError::AsciiSyntax { line: 4, message }) => {
            assert!(message.contains("zero"), "{message}")
        }
        other => panic!("wrong result {other:?}"),
    }
}

#[test]
fn ascii_facets_with_two_or_four_vertices_are_rejected() {
    for (n, line) in [(2, 6), (4, 8)] {
        let mut text = String::from("solid x\nfacet normal 0 0 1\nouter loop\n");
        for i in 0..n {
            text.push_str(&format!("vertex {i} 0 0\n"));
        }
        text.push_str("endloop\nendfacet\nendsolid\n");
        match read_bytes(text.as_bytes(), &limits()) {
            Err(MeshError::FacetVertexCount { line: l, vertices }) => {
                assert_eq!((l, vertices), (line, n));
            }
            other => panic!("wrong result {other:?}"),
        }
    }
}

#[test]
fn ascii_with_nan_is_rejected() {
    let text = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex nan 0 0\nvertex 0 1 0\nendloop\nendfacet\n";
    assert!(matches!(
        read_bytes(text.as_bytes(), &limits()),
        Err(MeshError::NonFinite { triangle: 0 })
    ));
}

#[test]
fn ascii_cut_off_inside_a_facet_is_an_error() {
    let text = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n";
    assert!(matches!(
        read_bytes(text.as_bytes(), &limits()),
        Err(MeshError::AsciiSyntax { .. })
    ));
}

#[test]
fn ascii_with_only_a_solid_line_has_no_triangles() {
    assert!(matches!(
        read_bytes(b"solid empty\nendsolid empty\n", &limits()),
        Err(MeshError::NoTriangles)
    ));
}

#[test]
fn obj_quads_negative_indices_groups_and_missing_mtl() {
    let text = "mtllib missing.mtl\no first\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nusemtl red\nf -4 -3 -2 -1\ng second\nv 0 0 1\nv 1 0 1\nv 0 1 1\nf 5 6 7\n";
    let loaded = read_bytes(text.as_bytes(), &limits()).expect("valid OBJ");
    assert_eq!(loaded.format, Format::Obj);
    // The quad becomes two triangles, plus one triangle in the second group.
    assert_eq!(loaded.mesh.triangles.len(), 3);
    assert_eq!(loaded.mesh.positions.len(), 7);
}

#[test]
fn obj_with_an_index_out_of_range_is_an_error_not_a_panic() {
    let text = "v 0 0 0\nv 1 0 0\nf 1 2 9\n";
    assert!(read_bytes(text.as_bytes(), &limits()).is_err());
}

#[test]
fn obj_with_a_texture_index_past_the_start_is_an_error_not_a_panic() {
    // Found by the fuzz target (fuzz/README.md): tobj overflows on a negative texture
    // index that reaches before the first `vt`, and panics where overflow checks are on
    // (as in this test build). The reader must still answer with a typed error.
    let text = "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1 2/-7 3\n";
    assert!(matches!(
        read_bytes(text.as_bytes(), &limits()),
        Err(MeshError::Obj { .. })
    ));
}

#[test]
fn obj_without_faces_has_no_triangles() {
    assert!(matches!(
        read_bytes(b"v 0 0 0\nv 1 0 0\n", &limits()),
        Err(MeshError::NoTriangles)
    ));
}

#[test]
fn unknown_format_says_what_it_saw() {
    let err = read_bytes(b"Dear customer, here is the part", &limits()).expect_err("prose");
    assert!(matches!(err, MeshError::UnknownFormat { .. }));
    assert!(err.to_string().contains("Dear customer"), "{err}");
}

#[test]
fn a_pdf_a_step_file_and_a_program_are_named() {
    let err = read_bytes(b"%PDF-1.7 not a mesh", &limits()).expect_err("pdf");
    assert_eq!(err.code(), "pdf_not_a_mesh");
    let err = read_bytes(b"ISO-10303-21;\nHEADER;\n", &limits()).expect_err("step");
    assert_eq!(err.code(), "step_not_supported");
    assert_eq!(
        err.to_string(),
        "STEP is not supported: export STL or 3MF from your CAD"
    );
    // An ELF whose size fits 84 + 50·n, as `/bin/true` happened to.
    let mut elf = vec![0u8; 84 + 50 * 7];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[80..84].copy_from_slice(&7u32.to_le_bytes());
    let err = read_bytes(&elf, &limits()).expect_err("program");
    assert_eq!(err.code(), "program_not_a_mesh");
}

#[test]
fn error_messages_stay_short_whatever_the_input() {
    // A 5 MB word where a number belongs (issue 14 saw a 50 MB message from 50 MB).
    let word = "x".repeat(5_000_000);
    let text = format!("solid a\nfacet normal 0 0 1\nouter loop\nvertex 0 0 {word}\n");
    let err = read_bytes(text.as_bytes(), &limits()).expect_err("syntax");
    assert!(
        err.to_string().len() < 400,
        "{} bytes",
        err.to_string().len()
    );
    let text = format!("solid a\n{word}\n");
    let err = read_bytes(text.as_bytes(), &limits()).expect_err("keyword");
    assert!(err.to_string().len() < 400);
    let err = read_bytes(word.as_bytes(), &limits()).expect_err("unknown");
    assert!(err.to_string().len() < 400);
    let obj = format!("o {word}\nv 0 0 0\nf 1 2 3\n");
    let err = read_bytes(obj.as_bytes(), &limits()).expect_err("obj");
    assert!(err.to_string().len() < 600, "{err}");
    for e in [
        MeshError::AsciiSyntax {
            line: 1,
            message: word.clone(),
        },
        MeshError::Obj {
            message: word.clone(),
        },
        MeshError::UnknownFormat {
            detail: word.clone(),
        },
        MeshError::Zip {
            detail: word.clone(),
        },
        MeshError::ThreeMf {
            part: word.clone(),
            detail: word.clone(),
        },
        MeshError::NotAFile {
            path: word.clone().into(),
            kind: "a FIFO",
        },
    ] {
        assert!(
            e.to_string().len() < 700,
            "{}: {}",
            e.code(),
            e.to_string().len()
        );
    }
}

#[test]
fn gzip_is_decompressed_and_a_bomb_is_capped() {
    use std::io::Write;
    let bytes = stl_binary::write(&tetra());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).expect("in memory");
    let gz = gz.finish().expect("in memory");
    let loaded = read_bytes(&gz, &limits()).expect("gzip");
    assert!(loaded.gzipped);
    assert_eq!(loaded.mesh.triangles.len(), 4);

    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(&vec![0u8; 4 << 20]).expect("in memory");
    let bomb = bomb.finish().expect("in memory");
    let small = ReadLimits {
        max_bytes: 1 << 20,
        ..limits()
    };
    assert!(matches!(
        read_bytes(&bomb, &small),
        Err(MeshError::TooLarge { .. })
    ));
}

#[test]
fn byte_limit_is_enforced_before_parsing() {
    let bytes = stl_binary::write(&tetra());
    let tiny = ReadLimits {
        max_bytes: 100,
        ..limits()
    };
    assert!(matches!(
        read_bytes(&bytes, &tiny),
        Err(MeshError::TooLarge {
            size: 284,
            limit: 100
        })
    ));
}

#[test]
fn every_error_has_a_distinct_code() {
    let errors = [
        MeshError::Empty,
        MeshError::NoTriangles,
        MeshError::NonFinite { triangle: 0 },
        MeshError::UnknownFormat { detail: "x".into() },
        MeshError::AsciiSyntax {
            line: 1,
            message: "x".into(),
        },
        MeshError::ZipWithoutModel { entries: 1 },
        MeshError::Zip { detail: "x".into() },
        MeshError::ThreeMf {
            part: "x".into(),
            detail: "x".into(),
        },
        MeshError::ArchiveLimit {
            what: "x",
            limit: 1,
        },
        MeshError::NotAFile {
            path: "x".into(),
            kind: "x",
        },
        MeshError::Unsupported {
            kind: Unsupported::Step,
        },
        MeshError::Unsupported {
            kind: Unsupported::Program,
        },
    ];
    let mut codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
}

fn valid_binary() -> Vec<u8> {
    stl_binary::write(&tetra())
}

fn valid_ascii() -> Vec<u8> {
    stl_ascii::write(&tetra(), "tetra").into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes give a mesh or a typed error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_bytes(&bytes, &limits());
    }

    /// Arbitrary text that looks like each format never panics either.
    #[test]
    fn arbitrary_text_with_format_keywords_never_panics(
        head in prop_oneof![Just("solid x\n"), Just("v 0 0 0\n"), Just("# c\nf 1 2 3\n")],
        body in "[ -~\n]{0,600}",
    ) {
        let text = format!("{head}{body}");
        let _ = read_bytes(text.as_bytes(), &limits());
    }

    /// Valid files with bytes flipped, cut or inserted never panic.
    #[test]
    fn mutated_valid_files_never_panic(
        ascii in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = if ascii { valid_ascii() } else { valid_binary() };
        for (at, value, kind) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = value,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, value),
            }
        }
        let _ = read_bytes(&bytes, &limits());
    }
}
