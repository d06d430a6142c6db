//! Meshes: reading them from bytes or files, and the indexed [`Mesh`] every later stage uses.
//!
//! - [`read_bytes`] / [`read_path`] detect the format by content ([`format`]), parse it
//!   ([`stl_binary`], [`stl_ascii`], [`obj`], [`threemf`]) under [`ReadLimits`], and weld
//!   corners into shared vertices ([`weld`]). A file that is not a mesh is refused for
//!   what it is ([`MeshError::Unsupported`]).
//! - The result, [`Loaded`], holds the whole file as one [`Mesh`] (what is priced as one
//!   print) and the file's [`Item`]s: every build item of a 3MF, or the one whole file;
//!   [`Loaded::split_bodies`] makes each body of an STL or OBJ (or each OBJ object or
//!   group) an item ([`bodies`]).
//! - [`topology`] finds shells, open and non-manifold edges, and repairs what is cheap and
//!   safe.

pub mod bodies;
pub mod error;
pub mod format;
pub mod generate;
pub mod obj;
pub mod stl_ascii;
pub mod stl_binary;
pub mod threemf;
pub mod topology;
pub mod weld;

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

pub use error::{MeshError, Unsupported};
pub use format::Format;

use crate::cancel::Cancel;
use crate::units::Unit;
use crate::warning::Warning;
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

/// One thing the customer orders from a file: a build item of a 3MF (or several of one
/// object, see below), a body of a split STL, an OBJ group, or the whole file.
///
/// **Instances.** Build items that place the same object (and part number) count as one
/// item with `quantity` N when their transforms differ only by a rigid motion (a
/// rotation and a translation, no mirror): the same part is printed N times, wherever it
/// lies on the plate. Build items of one object with different scales, shears or a mirror
/// are different parts and become separate items. The test is on the linear parts `A`, `B`
/// of the two transforms: `B·A⁻¹` must be orthonormal with determinant +1 (to 1e-6).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The name the file gives: the 3MF object's `name` (or the slicer's name for it in
    /// `Metadata/`), the OBJ object or group; `None` when the file names none (the caller
    /// names it after the file).
    pub name: Option<String>,
    /// The 3MF part number (`partnumber` of the build item, else of the object).
    pub part_number: Option<String>,
    /// How many are printed.
    pub quantity: u32,
    /// The item's own mesh, one instance of it, in the same units as [`Loaded::mesh`]
    /// (millimetres for a 3MF, after its transform and unit). `None` when the item is the
    /// whole file, so a one-part upload is not held twice: use [`Loaded::item_mesh`].
    pub mesh: Option<Mesh>,
}

/// A read file: its whole mesh, its format, and its items.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The whole file as one welded mesh: for STL and OBJ in the file's units, as read;
    /// for a 3MF every printable build item (each instance) placed by its transform, in
    /// millimetres. This is what is priced as one print.
    pub mesh: Mesh,
    /// What the file was.
    pub format: Format,
    /// Whether the bytes were gzip-compressed.
    pub gzipped: bool,
    /// The unit the file declares (a 3MF's model `unit`), already applied: `mesh` and the
    /// items are then in millimetres and the unit must not be detected again. `None` for
    /// STL and OBJ, which carry no unit.
    pub declared_unit: Option<Unit>,
    /// What the customer orders: for a 3MF every printable build item, otherwise the one
    /// whole file (see [`Loaded::split_bodies`]).
    pub items: Vec<Item>,
    /// Notes from reading (a skipped non-printable item, a skipped modifier), each with
    /// a code.
    pub warnings: Vec<Warning>,
    /// OBJ objects and groups as named triangle ranges of `mesh`, for
    /// [`Loaded::split_bodies`].
    obj_groups: Vec<(String, std::ops::Range<usize>)>,
}

impl Loaded {
    /// The mesh of `item` (one instance): its own, or the whole file's.
    pub fn item_mesh<'a>(&'a self, item: &'a Item) -> &'a Mesh {
        item.mesh.as_ref().unwrap_or(&self.mesh)
    }

    /// Makes each separate part of an STL or OBJ an item (for `--split-bodies`): an
    /// OBJ's objects and groups when it has two or more (what its author declared wins),
    /// otherwise each body, a cavity staying with the body around it
    /// ([`bodies::split`]). A 3MF is left as it is: its build items already are its
    /// parts. `mesh` is not changed, so the whole-file figures stay as they were.
    pub fn split_bodies(&mut self) {
        if self.format == Format::ThreeMf {
            return;
        }
        let parts: Vec<(Option<String>, Mesh)> = if self.obj_groups.len() >= 2 {
            self.obj_groups
                .iter()
                .map(|(name, range)| {
                    let tris: Vec<u32> = (range.start as u32..range.end as u32).collect();
                    (Some(name.clone()), bodies::extract(&self.mesh, &tris))
                })
                .collect()
        } else {
            let mut found = bodies::split(&self.mesh);
            if found.len() < 2 {
                return;
            }
            found
                .drain(..)
                .map(|b| (None, bodies::extract(&self.mesh, &b)))
                .collect()
        };
        self.items = parts
            .into_iter()
            .map(|(name, mesh)| Item {
                name,
                part_number: None,
                quantity: 1,
                mesh: Some(mesh),
            })
            .collect();
    }

    fn whole(mesh: Mesh, format: Format, gzipped: bool) -> Loaded {
        Loaded {
            mesh,
            format,
            gzipped,
            declared_unit: None,
            items: vec![Item {
                name: None,
                part_number: None,
                quantity: 1,
                mesh: None,
            }],
            warnings: Vec::new(),
            obj_groups: Vec::new(),
        }
    }
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
                Detected::Unsupported(kind) => Err(MeshError::Unsupported { kind }),
                Detected::Zip => threemf::read(&inflated, limits).map(|mut l| {
                    l.gzipped = true;
                    l
                }),
                Detected::Gzip | Detected::Unknown => Err(MeshError::UnknownFormat {
                    detail: format!("decompressed, {}", format::describe_start(&inflated)),
                }),
            }
        }
        Detected::Zip => threemf::read(bytes, limits),
        Detected::Mesh(f) => parse_as(f, bytes, limits, false, cancel),
        Detected::BrokenBinary => parse_as(Format::StlBinary, bytes, limits, false, cancel),
        Detected::Unsupported(kind) => Err(MeshError::Unsupported { kind }),
        Detected::Unknown => Err(MeshError::UnknownFormat {
            detail: format::describe_start(bytes),
        }),
    }
}

/// Reads a mesh from a file. Anything that is not a regular file (a FIFO, a device such
/// as `/dev/zero`, a socket, a directory) is refused before it is opened for reading, so
/// nothing blocks in `open` or streams forever; the size is checked before the file is
/// read.
pub fn read_path(path: &Path, limits: &ReadLimits) -> Result<Loaded, MeshError> {
    let bytes = file_bytes::read(path, limits.max_bytes)?;
    read_bytes(&bytes, limits)
}

mod file_bytes;

fn parse_as(
    format: Format,
    bytes: &[u8],
    limits: &ReadLimits,
    gzipped: bool,
    cancel: &Cancel,
) -> Result<Loaded, MeshError> {
    let mut obj_groups = Vec::new();
    let mesh = match format {
        Format::StlBinary => stl_binary::parse_with(bytes, limits, cancel)?,
        Format::StlAscii => stl_ascii::parse_with(bytes, limits, cancel)?,
        Format::Obj => {
            let (mesh, groups) = obj::parse_with_groups(bytes, limits, cancel)?;
            obj_groups = groups;
            mesh
        }
        Format::ThreeMf => return threemf::read(bytes, limits),
    };
    if mesh.triangles.is_empty() {
        return Err(MeshError::NoTriangles);
    }
    let mut loaded = Loaded::whole(mesh, format, gzipped);
    loaded.obj_groups = obj_groups;
    Ok(loaded)
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
