//! `pricing analyze`: measure mesh files and their items.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use pricing_core::analysis::{Analysis, UnitsReport};
use pricing_core::price::AnalysisDocument;

use super::output::{self, Stream};
use super::{
    EXIT_BAD_MESH, EXIT_OK, EXIT_USAGE, ItemArgs, LimitArgs, ScalingArgs, batch, inputs, load,
};

/// Arguments of `pricing analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Mesh files (binary or ASCII STL, OBJ, 3MF; STL and OBJ gzip-compressed too) or
    /// directories to search for them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub scaling: ScalingArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub items: ItemArgs,
    /// One JSON object per file, one per line, each written as soon as it is done.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command; returns the exit code.
///
/// Directories are searched for meshes. Files are analysed in parallel and reported in
/// the order given as they are done; a file that fails is reported and the others go on.
pub fn run(args: &AnalyzeArgs) -> i32 {
    let files = match inputs::expand(&args.files) {
        Ok(f) => f,
        Err(msg) => {
            output::error(None, &msg);
            return EXIT_USAGE;
        }
    };
    let started = Instant::now();
    let mut failed = 0;
    let many = files.len() > 1;
    // A blank line between reports, not before the first.
    let mut reported = 0;
    // Only the documents travel to the printing thread: each file's repaired meshes are
    // dropped as soon as it is measured, so a folder of large files does not pile up.
    batch::stream(
        &files,
        "analysing",
        |input| {
            load(input, &args.scaling, &args.limits, &args.items).map(|f| AnalysisDocument::new(&f))
        },
        |input, result, took| match result {
            Ok(doc) => {
                if args.json {
                    match serde_json::to_string(&doc) {
                        Ok(s) => output::println(&s),
                        Err(e) => {
                            output::error(Some(&input.name), &format!("cannot write JSON: {e}"))
                        }
                    }
                } else {
                    if reported > 0 {
                        output::println("");
                    }
                    reported += 1;
                    output::print(&report(&doc));
                }
                if output::verbose() {
                    output::eprintln(&format!(
                        "{}: analysed in {:.1} ms",
                        input.name,
                        took.as_secs_f64() * 1000.0
                    ));
                }
            }
            Err(f) => {
                failed += 1;
                if args.json {
                    output::println(&f.json(&input.name));
                }
                output::error(Some(&input.name), &f.message);
            }
        },
    );
    if many {
        let summary = format!(
            "analysed {} of {} files in {:.2} s, {failed} failed",
            files.len() - failed,
            files.len(),
            started.elapsed().as_secs_f64()
        );
        if args.json {
            // JSON output keeps stdout to one object per file.
            output::summary(&summary);
        } else if !output::quiet() {
            output::println(&format!("\n{summary}"));
        }
    }
    if failed == 0 { EXIT_OK } else { EXIT_BAD_MESH }
}

/// The readable report of one file: the whole file, then each item when it has several.
pub fn report(doc: &AnalysisDocument) -> String {
    let mut out = format!("{}\n", doc.file);
    table(&mut out, "  ", &doc.analysis);
    if doc.items.len() > 1 || doc.items.iter().any(|i| i.quantity > 1) {
        out.push_str(&format!("  items          {}\n", doc.items.len()));
        for item in &doc.items {
            out.push_str(&format!("  item {} × {}\n", item.quantity, item.name));
            table(&mut out, "      ", &item.analysis);
        }
    }
    out
}

/// How the units were decided, in words: what the file declares, what the user gave,
/// or what was detected (and with `-v`, why).
pub fn units_line(u: &UnitsReport) -> String {
    let line = match u.source {
        "file" => format!(
            "{} declared by the file, ×{} to mm [file]",
            u.detected, u.scale_to_mm
        ),
        "units" => format!(
            "{} given by --units, ×{} to mm [units]",
            unit_of_scale(u.scale_to_mm),
            u.scale_to_mm
        ),
        "scale" => format!("×{} to mm given by --scale [scale]", u.scale_to_mm),
        _ => format!(
            "{} detected (confidence {:.2}), ×{} to mm [detected]",
            u.detected, u.confidence, u.scale_to_mm
        ),
    };
    let mut line = line;
    if matches!(u.source, "units" | "scale") && !u.reason.starts_with("the file declares") {
        line.push_str(&format!(
            "; the geometry suggests {} (confidence {:.2})",
            u.detected, u.confidence
        ));
    }
    if output::verbose() {
        line.push_str(&format!(" ({})", u.reason));
    }
    line
}

fn unit_of_scale(scale: f64) -> &'static str {
    [(1.0, "mm"), (10.0, "cm"), (1000.0, "m"), (25.4, "inch")]
        .iter()
        .find(|(f, _)| *f == scale)
        .map_or("a unit", |(_, name)| name)
}

fn table(out: &mut String, indent: &str, a: &Analysis) {
    let s = a.bbox_mm.size;
    let mut row = |k: &str, v: String| out.push_str(&format!("{indent}{k:<14} {v}\n"));
    row("format", a.format.to_string());
    row(
        "triangles",
        format!("{} ({} vertices)", a.triangles, a.vertices),
    );
    row("units", units_line(&a.units));
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
    if !output::quiet() {
        for w in &a.warnings {
            out.push_str(&format!(
                "{indent}{}\n",
                output::warning_line(Stream::Stdout, w)
            ));
        }
    }
}
