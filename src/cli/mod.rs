//! The subcommands, and what they share: loading files, unit options, exit codes.

pub mod analyze;
pub mod calibrate;
pub mod estimate;
pub mod price_book;
pub mod queue;
pub mod quote;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

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

/// Reads and analyses one file.
pub fn load_part(path: &Path, scaling: Scaling, limits: &LimitArgs) -> Result<Part, MeshError> {
    let loaded = mesh::read_path(path, &limits.read_limits())?;
    Ok(analysis::analyze_loaded(loaded, scaling))
}

/// The JSON line written for a file that failed.
pub fn error_json(file: &str, code: &str, message: &str) -> String {
    serde_json::json!({"file": file, "error": {"code": code, "message": message}}).to_string()
}

/// File endings a directory is searched for (case-insensitive).
const MESH_EXTENSIONS: [&str; 5] = [".stl", ".obj", ".stl.gz", ".obj.gz", ".3mf"];

/// Files as given, directories replaced by the meshes in them (recursively, sorted).
/// A directory without meshes is a usage error: the user named the wrong folder.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("cannot list {}: {e}", p.display()))?;
            if found.is_empty() {
                return Err(format!(
                    "{} holds no mesh files ({})",
                    p.display(),
                    MESH_EXTENSIONS.join(", ")
                ));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // `file_type` does not follow links, so a link to a directory is not walked and
        // a link cycle cannot recurse without end. Linked files are read as usual.
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if MESH_EXTENSIONS.iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// A progress bar on stderr for batches of two or more files, hidden when stderr is not
/// a terminal (pipes and CI logs stay clean).
pub fn progress_bar(n: usize, verb: &str) -> indicatif::ProgressBar {
    if n < 2 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    let template =
        format!("{{spinner}} {verb} [{{bar:30}}] {{pos}}/{{len}} files {{elapsed_precise}}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
