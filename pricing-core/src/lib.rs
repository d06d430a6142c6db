//! # pricing-core
//!
//! Quotes 3D-printing jobs from mesh files in milliseconds.
//!
//! The data flows one way: bytes → [`mesh::Mesh`] ([`mesh::read_bytes`]) →
//! [`analysis::Part`] ([`analysis::analyze`]: repaired, in millimetres, on the bed, with its
//! [`analysis::Analysis`]).
//!
//! ```
//! use pricing_core::{analysis, mesh};
//!
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/cube-20mm.stl")).unwrap();
//! let loaded = mesh::read_bytes(&bytes, &mesh::ReadLimits::default()).unwrap();
//! let part = analysis::analyze(loaded.mesh, loaded.format, analysis::Scaling::Auto);
//! assert!((part.analysis.volume_mm3 - 8000.0).abs() < 1e-6);
//! ```
#![warn(missing_docs)]

pub mod analysis;
pub mod calibration;
pub mod cancel;
pub mod estimate;
pub mod fit;
pub mod gcode;
pub mod mesh;
pub mod price;
pub mod profile;
pub mod slice;
pub mod text_file;
pub mod units;
pub mod warning;
