//! Why a file could not be read as a mesh.
//!
//! Every message is bounded: text taken from the file (a token, an object name, a parser's
//! complaint) is quoted through [`clip`], so a 50 MB word in an upload gives a message of
//! a few hundred bytes, not 50 MB in a result record and a log line (issue 14).

use std::fmt;
use std::path::PathBuf;

/// Characters of file-supplied text a message quotes at most.
pub const QUOTE_CHARS: usize = 120;

/// Characters a description the reader composed (from bounded parts) may take.
pub const DETAIL_CHARS: usize = 480;

/// Text shown at most so many characters long, with the length of what was cut.
pub struct Clipped<'a>(&'a str, usize);

/// Quotes `s` in an error message without letting it grow the message without bound.
pub fn clip(s: &str) -> Clipped<'_> {
    Clipped(s, QUOTE_CHARS)
}

/// Bounds a description the reader composed itself ([`DETAIL_CHARS`]).
pub fn clip_detail(s: &str) -> Clipped<'_> {
    Clipped(s, DETAIL_CHARS)
}

impl fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(self.1) {
            None => f.write_str(self.0),
            Some((end, _)) => write!(f, "{}… ({} bytes in all)", &self.0[..end], self.0.len()),
        }
    }
}

/// `s` clipped to [`QUOTE_CHARS`] characters, as an owned string (for messages built
/// before they are stored in an error).
pub fn clipped(s: &str) -> String {
    clip(s).to_string()
}

/// A file that is something other than a mesh we read, named for what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unsupported {
    /// STEP (ISO 10303-21), a CAD exchange format.
    Step,
    /// IGES, an older CAD exchange format.
    Iges,
    /// Parasolid transmit file (`.x_t`, `.x_b`).
    Parasolid,
    /// AMF (Additive Manufacturing File), XML.
    Amf,
    /// PLY (Stanford polygon file).
    Ply,
    /// G-code: an already sliced print.
    Gcode,
    /// A Blender project.
    Blend,
    /// Autodesk FBX.
    Fbx,
    /// glTF or GLB.
    Gltf,
    /// A program: ELF, PE (Windows), Mach-O, or a script starting with `#!`.
    Program,
    /// An image: PNG, JPEG, GIF, WebP, BMP or TIFF.
    Image,
    /// A PDF document.
    Pdf,
}

impl Unsupported {
    /// The stable code of the refusal.
    pub fn code(self) -> &'static str {
        match self {
            Unsupported::Step => "step_not_supported",
            Unsupported::Iges => "iges_not_supported",
            Unsupported::Parasolid => "parasolid_not_supported",
            Unsupported::Amf => "amf_not_supported",
            Unsupported::Ply => "ply_not_supported",
            Unsupported::Gcode => "gcode_not_supported",
            Unsupported::Blend => "blend_not_supported",
            Unsupported::Fbx => "fbx_not_supported",
            Unsupported::Gltf => "gltf_not_supported",
            Unsupported::Program => "program_not_a_mesh",
            Unsupported::Image => "image_not_a_mesh",
            Unsupported::Pdf => "pdf_not_a_mesh",
        }
    }

    /// What the file is and what to do instead.
    pub fn advice(self) -> &'static str {
        match self {
            Unsupported::Step => "STEP is not supported: export STL or 3MF from your CAD",
            Unsupported::Iges => "IGES is not supported: export STL or 3MF from your CAD",
            Unsupported::Parasolid => "Parasolid is not supported: export STL or 3MF from your CAD",
            Unsupported::Amf => {
                "AMF is not supported: save the model as 3MF or STL (most slicers and CAD tools convert it)"
            }
            Unsupported::Ply => {
                "PLY is not supported: convert it to STL or OBJ (e.g. in MeshLab or Blender)"
            }
            Unsupported::Gcode => {
                "this is G-code, an already sliced print, not a model: send the STL, OBJ or 3MF it was sliced from"
            }
            Unsupported::Blend => {
                "this is a Blender project, not a mesh: export STL, OBJ or 3MF from Blender"
            }
            Unsupported::Fbx => "FBX is not supported: export STL, OBJ or 3MF",
            Unsupported::Gltf => "glTF is not supported: export STL, OBJ or 3MF",
            Unsupported::Program => {
                "this is a program (an executable or a script), not a mesh: send the model file"
            }
            Unsupported::Image => {
                "this is an image, not a mesh: send the model file (STL, OBJ or 3MF)"
            }
            Unsupported::Pdf => {
                "this is a PDF document, not a mesh: send the model file (STL, OBJ or 3MF)"
            }
        }
    }
}

/// Everything that can stop bytes from becoming a [`Mesh`](super::Mesh).
///
/// Each message names the problem and, where the user can do something about it, what to
/// do. [`MeshError::code`] gives a stable machine-readable code for JSON output and for
/// the worker's result records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeshError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", clip(&path.to_string_lossy()))]
    Io {
        /// The path that was asked for.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The path is a device, a FIFO, a socket or a directory: not a file to read.
    #[error(
        "{} is {kind}, not a regular file: send the model file itself",
        clip(&path.to_string_lossy())
    )]
    NotAFile {
        /// The path that was asked for.
        path: PathBuf,
        /// What it is instead, e.g. "a FIFO (named pipe)".
        kind: &'static str,
    },
    /// Zero bytes.
    #[error("the file is empty (0 bytes): the upload probably failed, send the model again")]
    Empty,
    /// Over the configured byte limit.
    #[error(
        "the file is {size} bytes, over the limit of {limit} bytes: simplify the mesh or raise the limit"
    )]
    TooLarge {
        /// Bytes in the file (or decompressed so far).
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A binary STL whose triangle count does not fit its size.
    #[error(
        "binary STL declares {declared} triangles, which needs {expected} bytes, but the file holds {actual}: truncated upload? Send the file again"
    )]
    Truncated {
        /// Triangle count in the header.
        declared: u64,
        /// Bytes that count needs (84 + 50 per triangle).
        expected: u64,
        /// Bytes actually present.
        actual: u64,
    },
    /// More triangles than the configured limit.
    #[error(
        "the mesh has {count} triangles, over the limit of {limit}: decimate it or raise the limit"
    )]
    TooManyTriangles {
        /// Triangles found or declared.
        count: u64,
        /// The configured limit.
        limit: u64,
    },
    /// More vertices than the reader keeps for the triangle limit (a 3MF vertex list).
    #[error(
        "the mesh has more than {limit} vertices, over the limit (as many as the triangle limit): decimate it or raise the limit"
    )]
    TooManyVertices {
        /// The limit.
        limit: u64,
    },
    /// An ASCII STL line that does not parse.
    #[error("ASCII STL syntax error on line {line}: {}", clip_detail(message))]
    AsciiSyntax {
        /// 1-based line number.
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// A facet with other than three vertices.
    #[error(
        "ASCII STL facet ending on line {line} has {vertices} vertices; STL facets must be triangles: re-export the model as triangles"
    )]
    FacetVertexCount {
        /// 1-based line of the facet's `endloop`.
        line: usize,
        /// Vertices found in the facet.
        vertices: usize,
    },
    /// NaN or infinite coordinates.
    #[error(
        "triangle {triangle} has a coordinate that is not a finite number (NaN or infinity): the exporter wrote a broken file, repair or re-export it"
    )]
    NonFinite {
        /// 0-based index of the first triangle with a bad coordinate.
        triangle: usize,
    },
    /// The OBJ parser rejected the file.
    #[error("OBJ could not be read: {}", clip_detail(message))]
    Obj {
        /// What the OBJ parser reported.
        message: String,
    },
    /// Parsed fine, but nothing to print.
    #[error("the file holds no triangles: there is nothing to print")]
    NoTriangles,
    /// A known kind of file that is not a mesh we read (STEP, G-code, a program, ...).
    #[error("{}", kind.advice())]
    Unsupported {
        /// What the file is.
        kind: Unsupported,
    },
    /// A ZIP archive that holds no 3MF model.
    #[error(
        "a ZIP without a 3D model: it holds {entries} entries but no 3MF model part (no 3D model relationship in _rels/.rels, no 3D/3dmodel.model); send the STL, OBJ or 3MF itself, not an archive"
    )]
    ZipWithoutModel {
        /// Entries in the archive.
        entries: usize,
    },
    /// A ZIP (or 3MF package) that cannot be read as an archive.
    #[error(
        "the ZIP archive is corrupt or uses an unsupported feature: {}; export the 3MF again",
        clip_detail(detail)
    )]
    Zip {
        /// What went wrong.
        detail: String,
    },
    /// A 3MF archive past one of the reader's caps (a zip bomb, or an absurd package).
    #[error("the 3MF {what} (limit {limit}): refused; a zip bomb or a broken export?")]
    ArchiveLimit {
        /// Which cap, e.g. "inflates past the byte limit".
        what: &'static str,
        /// The cap.
        limit: u64,
    },
    /// A 3MF whose model does not follow the specification.
    #[error(
        "3MF model {}: {}; export the 3MF again",
        clip(part),
        clip_detail(detail)
    )]
    ThreeMf {
        /// The model part, e.g. `/3D/3dmodel.model`.
        part: String,
        /// What is wrong, with the element or object concerned.
        detail: String,
    },
    /// Not STL, not OBJ, not 3MF, and nothing else we can name.
    #[error(
        "unknown format: {}; expected binary or ASCII STL, OBJ or 3MF (STL and OBJ may be gzip-compressed)",
        clip_detail(detail)
    )]
    UnknownFormat {
        /// What the first bytes looked like.
        detail: String,
    },
    /// A gzip stream that does not decompress.
    #[error("the gzip stream is corrupt: {source}")]
    Gzip {
        /// The decompressor's complaint.
        #[source]
        source: std::io::Error,
    },
    /// The caller cancelled the read (or its deadline passed).
    #[error(transparent)]
    Cancelled(#[from] crate::cancel::Cancelled),
}

impl MeshError {
    /// A short stable code, e.g. `truncated`, for JSON and for the worker's results.
    pub fn code(&self) -> &'static str {
        match self {
            MeshError::Io { .. } => "io",
            MeshError::NotAFile { .. } => "not_a_file",
            MeshError::Empty => "empty",
            MeshError::TooLarge { .. } => "too_large",
            MeshError::Truncated { .. } => "truncated",
            MeshError::TooManyTriangles { .. } => "too_many_triangles",
            MeshError::TooManyVertices { .. } => "too_many_vertices",
            MeshError::AsciiSyntax { .. } => "ascii_syntax",
            MeshError::FacetVertexCount { .. } => "facet_not_triangle",
            MeshError::NonFinite { .. } => "non_finite",
            MeshError::Obj { .. } => "obj_syntax",
            MeshError::NoTriangles => "no_triangles",
            MeshError::Unsupported { kind } => kind.code(),
            MeshError::ZipWithoutModel { .. } => "zip_without_model",
            MeshError::Zip { .. } => "zip_corrupt",
            MeshError::ArchiveLimit { .. } => "archive_limit",
            MeshError::ThreeMf { .. } => "3mf_invalid",
            MeshError::UnknownFormat { .. } => "unknown_format",
            MeshError::Gzip { .. } => "gzip",
            MeshError::Cancelled(_) => "cancelled",
        }
    }
}
