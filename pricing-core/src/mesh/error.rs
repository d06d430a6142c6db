//! Why a file could not be read as a mesh.

use std::path::PathBuf;

/// Everything that can stop bytes from becoming a [`Mesh`](super::Mesh).
///
/// Each message names the problem and, where the user can do something about it, what to
/// do. [`MeshError::code`] gives a stable machine-readable code for JSON output and for
/// the worker's result records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeshError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path that was asked for.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
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
    /// An ASCII STL line that does not parse.
    #[error("ASCII STL syntax error on line {line}: {message}")]
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
    #[error("OBJ could not be read: {message}")]
    Obj {
        /// What the OBJ parser reported.
        message: String,
    },
    /// Parsed fine, but nothing to print.
    #[error("the file holds no triangles: there is nothing to print")]
    NoTriangles,
    /// Not STL, not OBJ.
    #[error(
        "unknown format: {detail}; expected binary or ASCII STL, or OBJ (optionally gzip-compressed)"
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
            MeshError::Empty => "empty",
            MeshError::TooLarge { .. } => "too_large",
            MeshError::Truncated { .. } => "truncated",
            MeshError::TooManyTriangles { .. } => "too_many_triangles",
            MeshError::AsciiSyntax { .. } => "ascii_syntax",
            MeshError::FacetVertexCount { .. } => "facet_not_triangle",
            MeshError::NonFinite { .. } => "non_finite",
            MeshError::Obj { .. } => "obj_syntax",
            MeshError::NoTriangles => "no_triangles",
            MeshError::UnknownFormat { .. } => "unknown_format",
            MeshError::Gzip { .. } => "gzip",
            MeshError::Cancelled(_) => "cancelled",
        }
    }
}
