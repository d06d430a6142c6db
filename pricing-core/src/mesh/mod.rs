//! Meshes: reading them from bytes or files, and the indexed [`Mesh`] every later stage uses.
//!
//! - [`read_bytes`] / [`read_path`] detect the format by content ([`format`]), parse it
//!   ([`stl_binary`], [`stl_ascii`], [`obj`]) under [`ReadLimits`], and weld corners into
//!   shared vertices ([`weld`]).
//! - [`topology`] finds shells, open and non-manifold edges, and repairs what is cheap and
//!   safe.

pub mod error;
pub mod format;
pub mod generate;
pub mod obj;
pub mod stl_ascii;
pub mod stl_binary;
pub mod topology;
pub mod weld;

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

pub use error::MeshError;
pub use format::Format;

use crate::cancel::Cancel;

use format::Detected;

/// An indexed triangle mesh, in the file's own units until scaled.
///
/// Positions are `f32` because that is what STL stores; every measurement sums in `f64`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    /// Unique vertex positions.
    pub positions: Vec<[f32; 3]>,
    /// Triangles as indices into `positions`, counter-clockwise seen from outside.
    pub triangles: Vec<[u32; 3]>,
}

impl Mesh {
    /// Welds a triangle soup: `triangle(t)` gives the corners of triangle `t`. The
    /// readers all end here.
    pub(crate) fn weld<F>(
        triangle_count: usize,
        triangle: F,
        cancel: &Cancel,
    ) -> Result<Mesh, MeshError>
    where
        F: Fn(usize) -> [[f32; 3]; 3] + Sync,
    {
        match weld::weld_with(triangle_count, triangle, cancel) {
            Ok(w) => Ok(Mesh {
                positions: w.positions,
                triangles: w.triangles,
            }),
            Err(weld::WeldError::NonFinite { corner }) => Err(MeshError::NonFinite {
                triangle: corner / 3,
            }),
            Err(weld::WeldError::TooManyTriangles) => Err(MeshError::TooManyTriangles {
                count: triangle_count as u64,
                limit: weld::MAX_TRIANGLES,
            }),
            Err(weld::WeldError::Cancelled) => Err(MeshError::Cancelled(crate::cancel::Cancelled)),
        }
    }

    /// Builds a mesh from a triangle soup (three corners per triangle), welding corners.
    pub fn from_triangles(triangles: &[[[f32; 3]; 3]]) -> Result<Mesh, MeshError> {
        Mesh::weld(triangles.len(), |t| triangles[t], &Cancel::never())
    }

    /// The corners of triangle `t`.
    #[inline]
    pub fn corners(&self, t: usize) -> [[f32; 3]; 3] {
        self.triangles[t].map(|v| self.positions[v as usize])
    }

    /// A copy scaled uniformly by `s` about the origin (e.g. inches to millimetres).
    pub fn scaled(&self, s: f64) -> Mesh {
        let mut m = self.clone();
        m.scale(s);
        m
    }

    /// Scales in place by `s` about the origin.
    pub fn scale(&mut self, s: f64) {
        self.transform(|p| p.map(|c| c * s));
    }

    /// Applies `f` to every position (rotation, translation, ...), in parallel.
    pub fn transform(&mut self, f: impl Fn([f64; 3]) -> [f64; 3] + Sync) {
        self.positions
            .par_iter_mut()
            .with_min_len(POSITIONS_PER_TASK)
            .for_each(|p| *p = f(p.map(|c| c as f64)).map(|c| c as f32));
    }

    /// Axis-aligned bounds `(min, max)`; `None` for a mesh without vertices.
    pub fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        // Min and max are exact, so the parallel reduction gives the same answer on
        // every run.
        self.positions
            .par_chunks(POSITIONS_PER_TASK)
            .map(|chunk| {
                let mut lo = [f32::INFINITY; 3];
                let mut hi = [f32::NEG_INFINITY; 3];
                for p in chunk {
                    for k in 0..3 {
                        lo[k] = lo[k].min(p[k]);
                        hi[k] = hi[k].max(p[k]);
                    }
                }
                (lo, hi)
            })
            .reduce_with(|(lo, hi), (l, h)| {
                (
                    [0, 1, 2].map(|k| lo[k].min(l[k])),
                    [0, 1, 2].map(|k| hi[k].max(h[k])),
                )
            })
            .map(|(lo, hi)| (lo.map(f64::from), hi.map(f64::from)))
    }
}

/// Positions per parallel task in [`Mesh::transform`] and [`Mesh::bounds`]: below this a
/// mesh is done on one thread.
const POSITIONS_PER_TASK: usize = 1 << 15;

/// Size limits that protect a process from hostile or accidental huge uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest file (after gzip decompression) in bytes.
    pub max_bytes: u64,
    /// Most triangles.
    pub max_triangles: u64,
}

impl Default for ReadLimits {
    /// 1 GiB and 20 million triangles: well past real print jobs (a 20M-triangle binary
    /// STL is 1 GB), small enough that one job cannot exhaust a worker's memory.
    fn default() -> Self {
        ReadLimits {
            max_bytes: 1 << 30,
            max_triangles: 20_000_000,
        }
    }
}

/// A mesh and the format it was read from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The welded mesh, in the file's units.
    pub mesh: Mesh,
    /// What the file was.
    pub format: Format,
    /// Whether the bytes were gzip-compressed.
    pub gzipped: bool,
}

/// Reads a mesh from bytes in memory, detecting the format from the content.
pub fn read_bytes(bytes: &[u8], limits: &ReadLimits) -> Result<Loaded, MeshError> {
    read_bytes_with(bytes, limits, &Cancel::never())
}

/// [`read_bytes`], polling `cancel` while inflating, parsing and welding (per chunk):
/// once cancelled it returns [`MeshError::Cancelled`].
pub fn read_bytes_with(
    bytes: &[u8],
    limits: &ReadLimits,
    cancel: &Cancel,
) -> Result<Loaded, MeshError> {
    cancel.check()?;
    if bytes.is_empty() {
        return Err(MeshError::Empty);
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(MeshError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    match format::detect(bytes) {
        Detected::Gzip => {
            let inflated = gunzip(bytes, limits.max_bytes, cancel)?;
            if inflated.is_empty() {
                return Err(MeshError::Empty);
            }
            // One level only: a gzip inside a gzip is not a mesh upload.
            match format::detect(&inflated) {
                Detected::Mesh(f) => parse_as(f, &inflated, limits, true, cancel),
                Detected::BrokenBinary => {
                    parse_as(Format::StlBinary, &inflated, limits, true, cancel)
                }
                Detected::Gzip | Detected::Unknown => Err(MeshError::UnknownFormat {
                    detail: format!("decompressed, {}", format::describe_start(&inflated)),
                }),
            }
        }
        Detected::Mesh(f) => parse_as(f, bytes, limits, false, cancel),
        Detected::BrokenBinary => parse_as(Format::StlBinary, bytes, limits, false, cancel),
        Detected::Unknown => Err(MeshError::UnknownFormat {
            detail: format::describe_start(bytes),
        }),
    }
}

/// Reads a mesh from a file. The size is checked before the file is read.
pub fn read_path(path: &Path, limits: &ReadLimits) -> Result<Loaded, MeshError> {
    let io = |source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limits.max_bytes {
        return Err(MeshError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` guards against a file that grows while it is read.
    file.take(limits.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    read_bytes(&bytes, limits)
}

fn parse_as(
    format: Format,
    bytes: &[u8],
    limits: &ReadLimits,
    gzipped: bool,
    cancel: &Cancel,
) -> Result<Loaded, MeshError> {
    let mesh = match format {
        Format::StlBinary => stl_binary::parse_with(bytes, limits, cancel)?,
        Format::StlAscii => stl_ascii::parse_with(bytes, limits, cancel)?,
        Format::Obj => obj::parse_with(bytes, limits, cancel)?,
    };
    if mesh.triangles.is_empty() {
        return Err(MeshError::NoTriangles);
    }
    Ok(Loaded {
        mesh,
        format,
        gzipped,
    })
}

/// Decompresses gzip, stopping at `limit` bytes so a zip bomb cannot exhaust memory,
/// and polling `cancel` every few MiB.
fn gunzip(bytes: &[u8], limit: u64, cancel: &Cancel) -> Result<Vec<u8>, MeshError> {
    const STEP: u64 = 8 << 20;
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes).take(limit + 1);
    loop {
        cancel.check()?;
        let before = out.len();
        (&mut decoder)
            .take(STEP)
            .read_to_end(&mut out)
            .map_err(|source| MeshError::Gzip { source })?;
        if out.len() == before {
            break;
        }
    }
    if out.len() as u64 > limit {
        return Err(MeshError::TooLarge {
            size: out.len() as u64,
            limit,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
