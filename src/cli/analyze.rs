//! `pricing analyze`: measure mesh files.

use std::path::PathBuf;

use clap::Args;
use pricing_core::analysis::Analysis;
use serde::Serialize;

use super::{EXIT_BAD_MESH, EXIT_OK, ScalingArgs, error_json, load_part};

/// Arguments of `pricing analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Mesh files (binary or ASCII STL, OBJ; gzip-compressed too).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub scaling: ScalingArgs,
    /// One JSON object per file, one per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    file: String,
    #[serde(flatten)]
    analysis: &'a Analysis,
}

/// Runs the command; returns the exit code.
pub fn run(args: &AnalyzeArgs) -> i32 {
    let mut code = EXIT_OK;
    for path in &args.files {
        let file = path.display().to_string();
        match load_part(path, args.scaling.scaling()) {
            Ok(part) => {
                if args.json {
                    let line = Line {
                        file,
                        analysis: &part.analysis,
                    };
                    match serde_json::to_string(&line) {
                        Ok(s) => println!("{s}"),
                        Err(e) => eprintln!("{}: cannot write JSON: {e}", path.display()),
                    }
                } else {
                    print!("{}", table(&file, &part.analysis));
                }
            }
            Err(e) => {
                code = EXIT_BAD_MESH;
                if args.json {
                    println!("{}", error_json(&file, e.code(), &e.to_string()));
                }
                eprintln!("error: {file}: {e}");
            }
        }
    }
    code
}

/// The readable report for one file.
pub fn table(file: &str, a: &Analysis) -> String {
    let s = a.bbox_mm.size;
    let mut out = format!("{file}\n");
    let mut row = |k: &str, v: String| out.push_str(&format!("  {k:<14} {v}\n"));
    row("format", a.format.to_string());
    row(
        "triangles",
        format!("{} ({} vertices)", a.triangles, a.vertices),
    );
    row(
        "units",
        format!(
            "{} detected (confidence {:.2}), ×{} to mm [{}]",
            a.units.detected, a.units.confidence, a.units.scale_to_mm, a.units.source
        ),
    );
    row(
        "size",
        format!("{:.2} × {:.2} × {:.2} mm", s[0], s[1], s[2]),
    );
    row(
        "volume",
        format!("{:.2} mm³ ({:.2} cm³)", a.volume_mm3, a.volume_mm3 / 1000.0),
    );
    row("area", format!("{:.2} mm²", a.area_mm2));
    row(
        "shells",
        format!(
            "{}, {}",
            a.shells,
            if a.watertight {
                "watertight"
            } else {
                "NOT watertight"
            }
        ),
    );
    row(
        "edges",
        format!(
            "{} open, {} non-manifold, {} inconsistently oriented",
            a.open_edges, a.non_manifold_edges, a.inconsistent_edges
        ),
    );
    if a.warnings.is_empty() {
        row("warnings", "none".into());
    }
    for w in &a.warnings {
        out.push_str(&format!("  warning [{}] {}\n", w.code, w.message));
    }
    out
}
