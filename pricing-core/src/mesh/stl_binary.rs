//! Binary STL: an 80-byte header, a little-endian `u32` triangle count, then 50 bytes per
//! triangle (normal, three corners, attribute word).
//!
//! The corners are read straight out of the caller's bytes by the welder, so no
//! intermediate triangle list is built: peak memory is the file plus the indexed mesh.
//! `benches/parse.rs` compares this against `stl_io`.

use super::error::MeshError;
use super::{Mesh, ReadLimits};
use crate::cancel::Cancel;

/// Bytes before the first triangle.
pub const HEADER_LEN: usize = 84;
/// Bytes per triangle record.
pub const RECORD_LEN: usize = 50;

/// The triangle count a binary header declares, if the data is long enough to hold one.
pub fn declared_count(bytes: &[u8]) -> Option<u64> {
    let raw: [u8; 4] = bytes.get(80..84)?.try_into().ok()?;
    Some(u32::from_le_bytes(raw) as u64)
}

/// Whether the size arithmetic `84 + 50·n` holds exactly for the declared `n`.
pub fn size_matches(bytes: &[u8]) -> bool {
    declared_count(bytes)
        .is_some_and(|n| HEADER_LEN as u64 + RECORD_LEN as u64 * n == bytes.len() as u64)
}

/// Parses a binary STL. Bytes past the declared triangles are ignored (some exporters pad
/// files); too few bytes is [`MeshError::Truncated`].
pub fn parse(bytes: &[u8], limits: &ReadLimits) -> Result<Mesh, MeshError> {
    parse_with(bytes, limits, &Cancel::never())
}

/// [`parse`], polling `cancel` per chunk of work.
pub fn parse_with(bytes: &[u8], limits: &ReadLimits, cancel: &Cancel) -> Result<Mesh, MeshError> {
    let declared = declared_count(bytes).ok_or(MeshError::Truncated {
        declared: 0,
        expected: HEADER_LEN as u64,
        actual: bytes.len() as u64,
    })?;
    // Check the count against the limit and the size before allocating anything for it:
    // a hostile header may claim four billion triangles.
    if declared > limits.max_triangles {
        return Err(MeshError::TooManyTriangles {
            count: declared,
            limit: limits.max_triangles,
        });
    }
    let expected = HEADER_LEN as u64 + RECORD_LEN as u64 * declared;
    if (bytes.len() as u64) < expected {
        return Err(MeshError::Truncated {
            declared,
            expected,
            actual: bytes.len() as u64,
        });
    }
    let n = declared as usize;
    if n == 0 {
        return Err(MeshError::NoTriangles);
    }
    let records = &bytes[HEADER_LEN..HEADER_LEN + n * RECORD_LEN];
    // One slice (one bounds check) per record: normal (12 bytes), then the corners.
    let triangle = |t: usize| {
        let at = t * RECORD_LEN + 12;
        let mut corners = [[0f32; 3]; 3];
        if let Some(record) = records.get(at..at + 36) {
            for (c, bytes) in corners
                .as_flattened_mut()
                .iter_mut()
                .zip(record.chunks_exact(4))
            {
                *c = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            }
        }
        corners
    };
    Mesh::weld(n, triangle, cancel)
}

/// Writes a binary STL (normals computed, attribute zero). Used by tests, benches and the
/// fixture generator; kept here so the format lives in one place.
pub fn write(mesh: &Mesh) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + RECORD_LEN * mesh.triangles.len());
    let mut header = [b' '; 80];
    header[..22].copy_from_slice(b"binary STL by pricing ");
    out.extend_from_slice(&header);
    out.extend_from_slice(&(mesh.triangles.len() as u32).to_le_bytes());
    for t in &mesh.triangles {
        let [a, b, c] = t.map(|v| mesh.positions[v as usize]);
        let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        let mut n = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        if len > 0.0 {
            n = n.map(|x| x / len);
        }
        for p in [n, a, b, c] {
            for x in p {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0, 0]);
    }
    out
}
