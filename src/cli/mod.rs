//! The subcommands, and what they share: loading files, unit options, exit codes.

pub mod analyze;
pub mod estimate;
pub mod price_book;
pub mod queue;
pub mod quote;

use std::path::Path;

use clap::Args;
use pricing_core::analysis::{self, Part, Scaling};
use pricing_core::mesh::{self, MeshError, ReadLimits};
use pricing_core::units::Unit;

/// Exit code: every file was processed (warnings allowed).
pub const EXIT_OK: i32 = 0;
/// Exit code: bad usage or configuration (clap also exits with 2).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: a file could not be read as a mesh.
pub const EXIT_BAD_MESH: i32 = 3;

/// How file units become millimetres.
#[derive(Debug, Clone, Args)]
pub struct ScalingArgs {
    /// Units the file is drawn in; `auto` detects them from the geometry.
    #[arg(long, value_enum, default_value_t = UnitsArg::Auto, conflicts_with = "scale")]
    pub units: UnitsArg,
    /// Multiply coordinates by this factor to get millimetres (overrides --units).
    #[arg(long, value_parser = parse_scale)]
    pub scale: Option<f64>,
}

impl ScalingArgs {
    /// The scaling these options ask for.
    pub fn scaling(&self) -> Scaling {
        match (self.scale, self.units) {
            (Some(s), _) => Scaling::Factor(s),
            (None, UnitsArg::Auto) => Scaling::Auto,
            (None, UnitsArg::Mm) => Scaling::Unit(Unit::Mm),
            (None, UnitsArg::Cm) => Scaling::Unit(Unit::Cm),
            (None, UnitsArg::M) => Scaling::Unit(Unit::M),
            (None, UnitsArg::Inch) => Scaling::Unit(Unit::Inch),
        }
    }
}

/// The `--units` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UnitsArg {
    /// Detect from the geometry.
    Auto,
    /// Millimetres.
    Mm,
    /// Centimetres.
    Cm,
    /// Metres.
    M,
    /// Inches.
    Inch,
}

fn parse_scale(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("the scale must be a positive number, not {s}"))
    }
}

/// Reads and analyses one file.
pub fn load_part(path: &Path, scaling: Scaling) -> Result<Part, MeshError> {
    let loaded = mesh::read_path(path, &ReadLimits::default())?;
    Ok(analysis::analyze(loaded.mesh, loaded.format, scaling))
}

/// The JSON line written for a file that failed.
pub fn error_json(file: &str, code: &str, message: &str) -> String {
    serde_json::json!({"file": file, "error": {"code": code, "message": message}}).to_string()
}
