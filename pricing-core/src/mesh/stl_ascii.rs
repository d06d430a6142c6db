//! ASCII STL, read tolerantly.
//!
//! Real exporters write `solid` names with several words or none, forget `endsolid`,
//! put several solids in one file, or vary case and spacing. Only what decides the
//! geometry is strict: a facet must hold exactly three `vertex` lines of three finite
//! numbers. Errors carry the 1-based line number.

use super::error::{MeshError, clip};
use super::{Mesh, ReadLimits};
use crate::cancel::Cancel;

/// Parses ASCII STL text.
pub fn parse(bytes: &[u8], limits: &ReadLimits) -> Result<Mesh, MeshError> {
    parse_with(bytes, limits, &Cancel::never())
}

/// [`parse`], polling `cancel` per chunk of work.
pub fn parse_with(bytes: &[u8], limits: &ReadLimits, cancel: &Cancel) -> Result<Mesh, MeshError> {
    let mut corners: Vec<[f32; 3]> = Vec::new();
    let mut in_facet_vertices: Option<usize> = None; // Some(count) between `outer loop` and `endloop`
    let mut in_facet = false;
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        // A large text file takes seconds to parse: poll the token every 64k lines.
        if index % (1 << 16) == 0 {
            cancel.check()?;
        }
        let text = std::str::from_utf8(raw).map_err(|_| MeshError::AsciiSyntax {
            line,
            message: "the line is not text (binary data in an ASCII STL?)".into(),
        })?;
        let mut words = text.split_ascii_whitespace();
        let Some(first) = words.next() else { continue };
        match first.to_ascii_lowercase().as_str() {
            // Names may hold any words; everything after the keyword is ignored.
            "solid" | "endsolid" => {
                if in_facet {
                    return Err(syntax(line, "`solid`/`endsolid` inside a facet"));
                }
            }
            "facet" => {
                if in_facet {
                    return Err(syntax(line, "`facet` before the previous `endfacet`"));
                }
                in_facet = true;
            }
            "outer" => {
                if !in_facet || in_facet_vertices.is_some() {
                    return Err(syntax(line, "`outer loop` outside a facet"));
                }
                in_facet_vertices = Some(0);
            }
            "vertex" => {
                let Some(count) = in_facet_vertices.as_mut() else {
                    return Err(syntax(line, "`vertex` outside `outer loop`"));
                };
                let mut p = [0f32; 3];
                for v in &mut p {
                    let word = words
                        .next()
                        .ok_or_else(|| syntax(line, "`vertex` needs three numbers"))?;
                    *v = word
                        .parse()
                        .map_err(|_| syntax(line, &format!("`{}` is not a number", clip(word))))?;
                }
                if words.next().is_some() {
                    return Err(syntax(line, "`vertex` has more than three numbers"));
                }
                *count += 1;
                if *count <= 3 {
                    corners.push(p);
                }
            }
            "endloop" => {
                let count = in_facet_vertices
                    .take()
                    .ok_or_else(|| syntax(line, "`endloop` without `outer loop`"))?;
                if count != 3 {
                    return Err(MeshError::FacetVertexCount {
                        line,
                        vertices: count,
                    });
                }
                if (corners.len() / 3) as u64 > limits.max_triangles {
                    return Err(MeshError::TooManyTriangles {
                        count: (corners.len() / 3) as u64,
                        limit: limits.max_triangles,
                    });
                }
            }
            "endfacet" => {
                if !in_facet || in_facet_vertices.is_some() {
                    return Err(syntax(line, "`endfacet` without a finished `outer loop`"));
                }
                in_facet = false;
            }
            other => {
                let shown: String = other.chars().take(24).collect();
                let cut = if shown.len() < other.len() { "…" } else { "" };
                return Err(syntax(
                    line,
                    &format!(
                        "unexpected `{shown}{cut}`; expected facet, outer loop, vertex, endloop, endfacet or endsolid"
                    ),
                ));
            }
        }
    }
    if in_facet {
        // The last facet never closed: the file was cut off.
        return Err(syntax(
            bytes.split(|&b| b == b'\n').count(),
            "the file ends inside a facet: truncated upload?",
        ));
    }
    if corners.is_empty() {
        return Err(MeshError::NoTriangles);
    }
    Mesh::weld(
        corners.len() / 3,
        |t| [corners[3 * t], corners[3 * t + 1], corners[3 * t + 2]],
        cancel,
    )
}

fn syntax(line: usize, message: &str) -> MeshError {
    MeshError::AsciiSyntax {
        line,
        message: message.to_string(),
    }
}

/// Writes ASCII STL text (for tests and fixtures).
pub fn write(mesh: &Mesh, name: &str) -> String {
    let mut out = format!("solid {name}\n");
    for t in &mesh.triangles {
        out.push_str("  facet normal 0 0 0\n    outer loop\n");
        for v in t {
            let [x, y, z] = mesh.positions[*v as usize];
            out.push_str(&format!("      vertex {x:e} {y:e} {z:e}\n"));
        }
        out.push_str("    endloop\n  endfacet\n");
    }
    out.push_str(&format!("endsolid {name}\n"));
    out
}
