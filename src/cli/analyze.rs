//! `pricing analyze`: measure mesh files.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use pricing_core::analysis::Analysis;
use pricing_core::mesh::MeshError;
use rayon::prelude::*;
use serde::Serialize;

use super::{
    EXIT_BAD_MESH, EXIT_OK, EXIT_USAGE, LimitArgs, ScalingArgs, error_json, expand_inputs,
    load_part, progress_bar,
};

/// Arguments of `pricing analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Mesh files (binary or ASCII STL, OBJ, 3MF; STL and OBJ gzip-compressed too) or directories to
    /// search for them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub scaling: ScalingArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
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
///
/// Directories are searched for meshes. Files are analysed in parallel and reported in
/// the order given; a file that fails is reported and the others go on.
pub fn run(args: &AnalyzeArgs) -> i32 {
    let files = match expand_inputs(&args.files) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_USAGE;
        }
    };
    let bar = progress_bar(files.len(), "analysing");
    let started = Instant::now();
    // Only the analysis is kept: the repaired mesh of each file is dropped at once, so a
    // folder of large files does not pile up in memory.
    let results: Vec<Result<Analysis, MeshError>> = files
        .par_iter()
        .map(|path| {
            let r = load_part(path, args.scaling.scaling(), &args.limits).map(|part| part.analysis);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();

    let mut failed = 0;
    for (path, result) in files.iter().zip(&results) {
        let file = path.display().to_string();
        match result {
            Ok(analysis) => {
                if args.json {
                    let line = Line { file, analysis };
                    match serde_json::to_string(&line) {
                        Ok(s) => println!("{s}"),
                        Err(e) => eprintln!("{}: cannot write JSON: {e}", path.display()),
                    }
                } else {
                    if files.len() > 1 {
                        println!();
                    }
                    print!("{}", table(&file, analysis));
                }
            }
            Err(e) => {
                failed += 1;
                if args.json {
                    println!("{}", error_json(&file, e.code(), &e.to_string()));
                }
                eprintln!("error: {file}: {e}");
            }
        }
    }
    if files.len() > 1 {
        let summary = format!(
            "analysed {} of {} files in {:.2} s, {failed} failed",
            files.len() - failed,
            files.len(),
            started.elapsed().as_secs_f64()
        );
        // JSON output keeps stdout to one object per file.
        if args.json {
            eprintln!("{summary}");
        } else {
            println!("\n{summary}");
        }
    }
    if failed == 0 { EXIT_OK } else { EXIT_BAD_MESH }
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
    let r = &a.repairs;
    if r.dropped_degenerate + r.reoriented_triangles + r.flipped_shells > 0 {
        row(
            "repaired",
            format!(
                "{} degenerate triangles dropped, {} triangles reoriented, {} shells turned outward",
                r.dropped_degenerate, r.reoriented_triangles, r.flipped_shells
            ),
        );
    }
    if a.warnings.is_empty() {
        row("warnings", "none".into());
    }
    for w in &a.warnings {
        out.push_str(&format!("  warning [{}] {}\n", w.code, w.message));
    }
    out
}
