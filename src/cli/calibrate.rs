//! `pricing calibrate DIR --out FILE.toml`: learn a printer from the shop's own G-code.
//!
//! DIR holds pairs that share a stem: a mesh (`.stl`, `.obj`, `.3mf`, gzipped too) and
//! the G-code the shop's slicer wrote for it (`.gcode`, `.gcode.gz`). Each pair is read
//! and estimated with the profile its G-code carries; `pricing_core::calibration` fits the
//! constants. The command prints a per-pair table (before, after, leave-one-out) and
//! writes the calibration TOML. A pair that cannot be used is one error line and the
//! rest go on; the exit code is then 3 (the file is still written when enough pairs are
//! left).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use pricing_core::analysis::{self, Scaling};
use pricing_core::calibration::pairs::{CalibrateError, describe_time};
use pricing_core::calibration::{
    CalibrateOptions, Calibrated, Pair, PairError, PairRow, SourceFile, calibrate,
};
use pricing_core::gcode;
use pricing_core::mesh;
use pricing_core::profile::fdm::FdmProfile;
use rayon::prelude::*;

use super::{EXIT_BAD_MESH, EXIT_OK, EXIT_USAGE, LimitArgs};

/// Arguments of `pricing calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Directory of pairs: `NAME.stl` (or .obj, .3mf, gzipped) with `NAME.gcode` (or .gcode.gz).
    pub dir: PathBuf,
    /// Where to write the calibration (TOML).
    #[arg(long)]
    pub out: PathBuf,
    /// CSV of the printers' real times, `stem,actual_s` a line: learn those instead of
    /// the slicer's estimates.
    #[arg(long, value_name = "FILE.csv")]
    pub actual: Option<PathBuf>,
    /// Profile of pairs whose G-code carries no configuration (Cura).
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Multiply mesh coordinates by this to get millimetres (slicers read files as mm).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Print the result as one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

const MESH_ENDINGS: [&str; 5] = [".stl", ".obj", ".3mf", ".stl.gz", ".obj.gz"];
const GCODE_ENDINGS: [&str; 2] = [".gcode", ".gcode.gz"];

/// Runs the command; returns the exit code.
pub fn run(args: &CalibrateArgs) -> i32 {
    if !(args.scale.is_finite() && args.scale > 0.0) {
        eprintln!(
            "error: --scale must be a positive number, not {}",
            args.scale
        );
        return EXIT_USAGE;
    }
    let (found, mut errors) = match find_pairs(&args.dir) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_USAGE;
        }
    };
    if found.is_empty() {
        eprintln!(
            "error: {} holds no pairs: put each mesh ({}) beside the G-code of the same name ({})",
            args.dir.display(),
            MESH_ENDINGS.join(", "),
            GCODE_ENDINGS.join(", ")
        );
        return EXIT_USAGE;
    }
    let actual = match &args.actual {
        None => None,
        Some(p) => match read_actual(p) {
            Ok(a) => Some(a),
            Err(msg) => {
                eprintln!("error: {}: {msg}", p.display());
                return EXIT_USAGE;
            }
        },
    };
    let fallback_profile = match &args.profile {
        None => None,
        Some(p) => match FdmProfile::load(p) {
            Ok(l) => Some(l.profile),
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return EXIT_USAGE;
            }
        },
    };
    let read: Vec<Result<Pair, PairError>> = found
        .par_iter()
        .map(|(stem, mesh, gcode)| read_pair(stem, mesh, gcode, args, actual.as_ref()))
        .collect();
    let mut pairs = Vec::new();
    for r in read {
        match r {
            Ok(p) => pairs.push(p),
            Err(e) => errors.push(e),
        }
    }
    let mut unknown_stems: Vec<String> = Vec::new();
    if let Some(a) = &actual {
        unknown_stems = a
            .keys()
            .filter(|s| !found.iter().any(|(stem, _, _)| stem == *s))
            .cloned()
            .collect();
    }
    let result = calibrate(pairs, &CalibrateOptions { fallback_profile });
    let mut c = match result {
        Ok(c) => c,
        Err(CalibrateError::TooFewPairs {
            usable,
            errors: more,
        }) => {
            errors.extend(more);
            print_errors(&errors);
            eprintln!(
                "error: {usable} usable pair{} in {}: at least {} are needed",
                if usable == 1 { "" } else { "s" },
                args.dir.display(),
                pricing_core::calibration::pairs::MIN_PAIRS
            );
            return EXIT_USAGE;
        }
        Err(e) => {
            print_errors(&errors);
            eprintln!("error: [{}] {e}", e.code());
            return EXIT_USAGE;
        }
    };
    errors.append(&mut c.errors);
    errors.sort_by(|a, b| a.stem.cmp(&b.stem));
    let header = format!(
        "pricing calibration, written by `pricing calibrate {}{}` (engine {}).\nApply it with `pricing estimate|quote --calibration {}`, or name it in a price-book machine: calibration = \"…\".",
        args.dir.display(),
        args.actual
            .as_ref()
            .map(|p| format!(" --actual {}", p.display()))
            .unwrap_or_default(),
        env!("CARGO_PKG_VERSION"),
        args.out.display()
    );
    let text = c.calibration.to_toml(&header);
    if let Err(e) = std::fs::write(&args.out, &text) {
        eprintln!("error: cannot write {}: {e}", args.out.display());
        return EXIT_USAGE;
    }
    if args.json {
        print_json(&c, &errors, &args.out);
    } else {
        print_table(&c, &args.out);
        for s in &unknown_stems {
            println!(
                "  warning [actual_without_pair]: {s} is in the --actual CSV but not a pair in the directory"
            );
        }
        print_errors(&errors);
    }
    if errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_BAD_MESH
    }
}

/// A stem with its mesh and G-code paths.
type FoundPair = (String, PathBuf, PathBuf);

/// `(stem, mesh, gcode)` of each complete pair, sorted by stem, and an error for each
/// stem that has only half a pair or two of one half.
fn find_pairs(dir: &Path) -> Result<(Vec<FoundPair>, Vec<PairError>), String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory of pairs", dir.display()));
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut meshes: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut gcodes: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        if !entry
            .file_type()
            .map(|t| t.is_file() || t.is_symlink())
            .unwrap_or(false)
        {
            continue;
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let lower = name.to_ascii_lowercase();
        let strip = |endings: &[&str]| {
            endings
                .iter()
                .filter(|e| lower.ends_with(*e))
                .map(|e| name[..name.len() - e.len()].to_string())
                .max_by_key(|s| std::cmp::Reverse(s.len()))
        };
        if let Some(stem) = strip(&GCODE_ENDINGS) {
            gcodes.entry(stem).or_default().push(path);
        } else if let Some(stem) = strip(&MESH_ENDINGS) {
            meshes.entry(stem).or_default().push(path);
        }
    }
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    let stems: std::collections::BTreeSet<&String> = meshes.keys().chain(gcodes.keys()).collect();
    for stem in stems {
        let err = |code: &str, message: String| PairError {
            stem: stem.clone(),
            code: code.into(),
            message,
        };
        match (
            meshes.get(stem).map(Vec::as_slice),
            gcodes.get(stem).map(Vec::as_slice),
        ) {
            (Some([m]), Some([g])) => pairs.push((stem.clone(), m.clone(), g.clone())),
            (None, Some(_)) => errors.push(err(
                "no_mesh",
                format!("a G-code but no mesh named {stem}.stl (or .obj, .3mf)"),
            )),
            (Some(_), None) => errors.push(err(
                "no_gcode",
                format!("a mesh but no G-code named {stem}.gcode (or .gcode.gz)"),
            )),
            (Some(m), Some(g)) => errors.push(err(
                "ambiguous_pair",
                format!(
                    "{} meshes and {} G-code files share the stem; keep one of each",
                    m.len(),
                    g.len()
                ),
            )),
            (None, None) => {}
        }
    }
    Ok((pairs, errors))
}

/// `stem,actual_s` lines; a first line whose time is not a number is a header.
fn read_actual(path: &Path) -> Result<BTreeMap<String, f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((stem, secs)) = line.split_once(',') else {
            return Err(format!(
                "line {}: expected `stem,actual_s`, got {line:?}",
                i + 1
            ));
        };
        let secs = secs.split(',').next().unwrap_or("").trim();
        match secs.parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 => {
                if out.insert(stem.trim().to_string(), s).is_some() {
                    return Err(format!("line {}: {} is listed twice", i + 1, stem.trim()));
                }
            }
            _ if i == 0 && out.is_empty() => {} // header
            _ => {
                return Err(format!(
                    "line {}: the time {secs:?} is not a positive number of seconds",
                    i + 1
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("no `stem,actual_s` rows".into());
    }
    Ok(out)
}

fn read_pair(
    stem: &str,
    mesh_path: &Path,
    gcode_path: &Path,
    args: &CalibrateArgs,
    actual: Option<&BTreeMap<String, f64>>,
) -> Result<Pair, PairError> {
    let fail = |code: &str, message: String| PairError {
        stem: stem.to_string(),
        code: code.to_string(),
        message,
    };
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let limits = args.limits.read_limits();
    let read = |p: &Path, cap: u64| -> Result<Vec<u8>, PairError> {
        let len = std::fs::metadata(p)
            .map_err(|e| fail("unreadable", format!("{}: {e}", name(p))))?
            .len();
        if len > cap {
            return Err(fail(
                "too_large",
                format!("{} is {len} bytes, over the limit of {cap}", name(p)),
            ));
        }
        std::fs::read(p).map_err(|e| fail("unreadable", format!("{}: {e}", name(p))))
    };
    let gcode_bytes = read(gcode_path, gcode::MAX_GCODE_BYTES)?;
    let report = gcode::read_bytes(&gcode_bytes)
        .map_err(|e| fail(e.code(), format!("{}: {e}", name(gcode_path))))?;
    let mesh_bytes = read(mesh_path, limits.max_bytes)?;
    let loaded = mesh::read_bytes(&mesh_bytes, &limits)
        .map_err(|e| fail(e.code(), format!("{}: {e}", name(mesh_path))))?;
    let part = analysis::analyze_loaded(loaded, Scaling::Factor(args.scale));
    let actual_s = match actual {
        None => None,
        Some(a) => Some(*a.get(stem).ok_or_else(|| {
            fail(
                "no_actual",
                "the --actual CSV has no time for this pair".to_string(),
            )
        })?),
    };
    let hash = |b: &[u8]| blake3::hash(b).to_hex().to_string();
    Ok(Pair {
        stem: stem.to_string(),
        part,
        gcode: report,
        actual_s,
        sources: vec![
            SourceFile {
                stem: stem.to_string(),
                file: name(mesh_path),
                blake3: hash(&mesh_bytes),
            },
            SourceFile {
                stem: stem.to_string(),
                file: name(gcode_path),
                blake3: hash(&gcode_bytes),
            },
        ],
    })
}

fn pct(p: f64, t: f64) -> String {
    format!("{:+.1}%", (p - t) / t * 100.0)
}

fn hms(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn print_table(c: &Calibrated, out: &Path) {
    let cal = &c.calibration;
    println!(
        "{:<16} {:>9} {:>9} {:>8} {:>8} {:>8} | {:>9} {:>8} {:>8} {:>8}",
        "pair",
        "target",
        "estimate",
        "before",
        "after",
        "loo",
        "filament",
        "before",
        "after",
        "loo"
    );
    for r in &c.rows {
        let PairRow {
            stem,
            target_s,
            before_s,
            after_s,
            loo_s,
            filament_target_mm3: ft,
            filament_before_mm3: fb,
            filament_after_mm3: fa,
            filament_loo_mm3: fl,
            ..
        } = r;
        println!(
            "{:<16} {:>9} {:>9} {:>8} {:>8} {:>8} | {:>6.0}mm³ {:>8} {:>8} {:>8}",
            stem,
            hms(*target_s),
            hms(*before_s),
            pct(*before_s, *target_s),
            pct(*after_s, *target_s),
            loo_s
                .map(|l| pct(l, *target_s))
                .unwrap_or_else(|| "-".into()),
            ft,
            pct(*fb, *ft),
            pct(*fa, *ft),
            fl.map(|l| pct(l, *ft)).unwrap_or_else(|| "-".into()),
        );
    }
    if let Some(f) = &cal.figures {
        let mp = |(m, p): (f64, f64)| format!("{:.1}% / {:.1}%", m * 100.0, p * 100.0);
        println!(
            "time      |error| median / p90: before {}, leave-one-out {}",
            mp(f.time_before),
            mp(f.time_loo)
        );
        println!(
            "filament  |error| median / p90: before {}, leave-one-out {}",
            mp(f.filament_before),
            mp(f.filament_loo)
        );
    }
    println!(
        "time model {} ({}), learnt from the {} time; tried: {}",
        cal.time.shape.as_str(),
        describe_time(&cal.time),
        cal.target.as_str(),
        c.scores
            .iter()
            .map(|s| format!("{} {:.1}%", s.shape.as_str(), s.rms * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "filament  walls ×{:.3}, fills ×{:.3}, support ×{:.3}, skirt ×{:.3}",
        cal.filament.walls, cal.filament.fills, cal.filament.support, cal.filament.skirt
    );
    let mut unmodelled = 0;
    for w in &c.warnings {
        if w.code == "unmodelled_profile_key" || w.code == "unknown_profile_key" {
            unmodelled += 1;
            continue;
        }
        println!("  warning [{}]: {}", w.code, w.message);
    }
    if unmodelled > 0 {
        println!(
            "  warning [unmodelled_profile_key]: {unmodelled} keys of the G-code's profile are not modelled or not known (`--json` lists them)"
        );
    }
    println!("wrote {}", out.display());
}

fn print_json(c: &Calibrated, errors: &[PairError], out: &Path) {
    let cal = &c.calibration;
    let doc = serde_json::json!({
        "out": out.display().to_string(),
        "time": {
            "shape": cal.time.shape.as_str(),
            "walls": cal.time.walls, "fills": cal.time.fills, "rest": cal.time.rest,
            "per_print_s": cal.time.per_print_s, "per_layer_s": cal.time.per_layer_s,
        },
        "filament": cal.filament,
        "target": cal.target,
        "figures": cal.figures,
        "rows": c.rows,
        "errors": errors,
        "warnings": c.warnings,
    });
    println!("{doc}");
}

fn print_errors(errors: &[PairError]) {
    for e in errors {
        eprintln!("error: {}: [{}] {}", e.stem, e.code, e.message);
    }
}
