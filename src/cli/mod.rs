//! The subcommands, and what they share: loading files, unit options, exit codes.

pub mod analyze;
pub mod batch;
pub mod calibrate;
pub mod estimate;
pub mod generate;
pub mod inputs;
pub mod output;
pub mod price_book;
pub mod profile_args;
pub mod queue;
pub mod quote;

use clap::Args;
use pricing_core::analysis::Scaling;
use pricing_core::cancel::Cancel;
use pricing_core::mesh::{self, MeshError, ReadLimits};
use pricing_core::price::{AnalysedFile, QuoteError, analyze_file};
use pricing_core::units::Unit;

use inputs::Input;

/// Exit code: every file was processed (warnings allowed).
pub const EXIT_OK: i32 = 0;
/// Exit code: the queue commands could not reach Redis or the job failed.
pub const EXIT_QUEUE: i32 = 1;
/// Exit code: bad usage or configuration (clap also exits with 2).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: a file could not be read, estimated or priced.
pub const EXIT_BAD_MESH: i32 = 3;

/// How file units become millimetres.
#[derive(Debug, Clone, Args)]
pub struct ScalingArgs {
    /// Units the file is drawn in; `auto` detects them from the geometry (a 3MF declares
    /// its own).
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

/// Size limits for reading meshes: the defaults protect against hostile or broken
/// uploads, and an engineer who knowingly opens a huge scan can raise them.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest file to read, in MiB (after gzip decompression).
    #[arg(long, value_name = "MIB", default_value_t = ReadLimits::default().max_bytes >> 20,
          value_parser = clap::value_parser!(u64).range(1..=1 << 24))]
    pub max_file_mib: u64,
    /// Most triangles a mesh may have.
    #[arg(long, value_name = "N", default_value_t = ReadLimits::default().max_triangles,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_triangles: u64,
}

impl LimitArgs {
    /// The limits these options ask for.
    pub fn read_limits(&self) -> ReadLimits {
        ReadLimits {
            max_bytes: self.max_file_mib << 20,
            max_triangles: self.max_triangles,
        }
    }
}

/// How a file becomes items.
#[derive(Debug, Clone, Args)]
pub struct ItemArgs {
    /// Make each separate body of an STL or OBJ (or each OBJ object/group) an item of
    /// its own, priced as its own line; without it such a file is one print. A 3MF's
    /// build items are always its items.
    #[arg(long)]
    pub split_bodies: bool,
}

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Why one file failed: a stable code (the JSON's `error.code`) and the message.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Stable code.
    pub code: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Failure {
    /// A failure with a code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Failure {
        Failure {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// From a mesh error; a limit is named by the flag that raises it.
    pub fn mesh(e: &MeshError) -> Failure {
        Failure::new(e.code(), with_flag(e.code(), e.to_string()))
    }

    /// From a quote error (a mesh limit named by its flag, as [`Failure::mesh`]).
    pub fn quote(e: &QuoteError) -> Failure {
        Failure::new(e.code(), with_flag(e.code(), e.to_string()))
    }

    /// The JSON line written for a file that failed.
    pub fn json(&self, file: &str) -> String {
        serde_json::json!({"file": file, "error": {"code": self.code, "message": self.message}})
            .to_string()
    }
}

/// The core's "raise the limit" names the CLI flag that does it.
fn with_flag(code: &str, message: String) -> String {
    let flag = match code {
        "too_many_triangles" | "too_many_vertices" => "--max-triangles N",
        "too_large" => "--max-file-mib MIB",
        _ => return message,
    };
    if message.contains("raise the limit") {
        message.replace("raise the limit", &format!("raise the limit with {flag}"))
    } else {
        format!("{message} (raise the limit with {flag})")
    }
}

/// Reads one input and measures it and its items.
pub fn load(
    input: &Input,
    scaling: &ScalingArgs,
    limits: &LimitArgs,
    items: &ItemArgs,
) -> Result<AnalysedFile, Failure> {
    if let Some(problem) = &input.problem {
        return Err(problem.clone());
    }
    let mut loaded = mesh::read_path(&input.path, &limits.read_limits()).map_err(|e| {
        // The error line names the file already: once is enough.
        let mut f = Failure::mesh(&e);
        f.message = f
            .message
            .replacen(&format!(" {}:", input.path.display()), ":", 1);
        f
    })?;
    if items.split_bodies {
        loaded.split_bodies();
    }
    analyze_file(&input.name, loaded, scaling.scaling(), &Cancel::never())
        .map_err(|e| Failure::new("cancelled", e.to_string()))
}

/// Formats hours and minutes, `1h 05m`.
pub fn hours(s: f64) -> String {
    let m = (s / 60.0).round().max(0.0) as i64;
    format!("{}h {:02}m", m / 60, m % 60)
}

/// A sum of money that never prints as `-0.00`.
pub fn money_sum(values: impl Iterator<Item = f64>) -> f64 {
    // `f64: Sum` starts from -0.0, so an empty batch would print `-0.00`.
    values.fold(0.0, |a, b| a + b)
}
