//! Wavefront OBJ through `tobj`.
//!
//! Polygons are triangulated by tobj, negative (relative) indices resolve to absolute ones,
//! every object and group is kept, and a missing `.mtl` is ignored: materials do not change
//! what is printed. Positions are welded again by value, because OBJ files often repeat a
//! position under several indices (one per object or per seam) and topology must see them
//! as one vertex.

use std::io::Cursor;

use super::error::{MeshError, clipped};
use super::{Mesh, ReadLimits};
use crate::cancel::Cancel;

/// Named triangle ranges: an OBJ's objects and groups.
pub type Groups = Vec<(String, std::ops::Range<usize>)>;

/// Parses OBJ text.
pub fn parse(bytes: &[u8], limits: &ReadLimits) -> Result<Mesh, MeshError> {
    parse_with(bytes, limits, &Cancel::never())
}

/// [`parse`], polling `cancel` per chunk of work.
pub fn parse_with(bytes: &[u8], limits: &ReadLimits, cancel: &Cancel) -> Result<Mesh, MeshError> {
    parse_with_groups(bytes, limits, cancel).map(|(mesh, _)| mesh)
}

/// Parses OBJ text, and names the triangle range of every object and group (tobj's
/// models, in file order) that has triangles. The welded mesh keeps the triangles in
/// that order, so the ranges index its `triangles`.
pub fn parse_with_groups(
    bytes: &[u8],
    limits: &ReadLimits,
    cancel: &Cancel,
) -> Result<(Mesh, Groups), MeshError> {
    let options = tobj::LoadOptions {
        triangulate: true,
        single_index: false,
        ignore_points: true,
        ignore_lines: true,
    };
    let mut reader = Cursor::new(bytes);
    // Materials never affect geometry: refuse every .mtl so none is opened from disk
    // (a hostile file could name any path) and tobj carries on without them.
    let no_materials = |_: &std::path::Path| Err(tobj::LoadError::OpenFileFailed);
    // tobj is third-party code running on untrusted input; a panic inside it must become
    // an error, never a crash of the caller (the worker prices many files per process).
    let loaded =
        std::panic::catch_unwind(move || tobj::load_obj_buf(&mut reader, &options, no_materials))
            .map_err(|_| MeshError::Obj {
            message: "the OBJ parser failed on this file (malformed face or index?)".into(),
        })?;
    let (models, _materials) = loaded.map_err(|e| MeshError::Obj {
        message: clipped(&e.to_string()),
    })?;

    let total_corners: usize = models.iter().map(|m| m.mesh.indices.len()).sum();
    let triangles = (total_corners / 3) as u64;
    if triangles > limits.max_triangles {
        return Err(MeshError::TooManyTriangles {
            count: triangles,
            limit: limits.max_triangles,
        });
    }
    let mut corners: Vec<[f32; 3]> = Vec::with_capacity(total_corners);
    let mut groups = Vec::new();
    for model in &models {
        let first = corners.len() / 3;
        let p = &model.mesh.positions;
        for &i in &model.mesh.indices {
            let at = i as usize * 3;
            let xyz = p.get(at..at + 3).ok_or_else(|| MeshError::Obj {
                message: format!(
                    "object `{}` refers to vertex {} but has only {}",
                    clipped(&model.name),
                    i as usize + 1,
                    p.len() / 3
                ),
            })?;
            corners.push([xyz[0], xyz[1], xyz[2]]);
        }
        let end = corners.len() / 3;
        if end > first {
            let name = if model.name.is_empty() {
                format!("group {}", groups.len() + 1)
            } else {
                model.name.clone()
            };
            groups.push((name, first..end));
        }
    }
    // tobj yields whole triangles after triangulation; a stray remainder would be a bug
    // in it, and dropping it is safer than indexing past it.
    corners.truncate(corners.len() / 3 * 3);
    if corners.is_empty() {
        return Err(MeshError::NoTriangles);
    }
    let mesh = Mesh::weld(
        corners.len() / 3,
        |t| [corners[3 * t], corners[3 * t + 1], corners[3 * t + 2]],
        cancel,
    )?;
    // Ranges past a truncated remainder (never expected) are cut to the mesh.
    let n = mesh.triangles.len();
    let groups = groups
        .into_iter()
        .map(|(name, r)| (name, r.start.min(n)..r.end.min(n)))
        .filter(|(_, r)| !r.is_empty())
        .collect();
    Ok((mesh, groups))
}
