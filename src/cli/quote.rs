//! `pricing quote`: price files from a price book.
//!
//! One file prints a readable breakdown; several files or a directory run as a batch in
//! parallel (a progress bar on a terminal, a summary at the end, a failed file is one
//! error row and the batch goes on). `--json` prints one [`QuoteDocument`] per line (the
//! worker's result), `--csv` one row per file, `--compare` one file on every machine and
//! material that fits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use pricing_core::analysis::Part;
use pricing_core::calibration::MachineCalibration;
use pricing_core::cancel::Cancel;
use pricing_core::estimate::Estimate;
use pricing_core::price::{
    self, LeadTime, PriceBook, Quote, QuoteDocument, QuoteError, QuoteRequest, Quoter,
};
use rayon::prelude::*;

use super::{
    EXIT_BAD_MESH, EXIT_OK, EXIT_USAGE, LimitArgs, ScalingArgs, error_json, expand_inputs,
    load_part, progress_bar,
};

/// Arguments of `pricing quote`.
#[derive(Debug, Args)]
pub struct QuoteArgs {
    /// Mesh files (STL, OBJ, optionally gzipped) or directories of them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Material name from the price book (default: the book's default material).
    #[arg(long)]
    pub material: Option<String>,
    /// Machine name from the price book (default: the cheapest that fits).
    #[arg(long)]
    pub machine: Option<String>,
    /// Parts per file.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub quantity: u32,
    /// Lead time: standard, express or rush.
    #[arg(long, default_value = "standard", value_parser = parse_lead_time)]
    pub lead_time: LeadTime,
    /// Supports for FDM and resin.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub supports: OnOff,
    /// File units and scale.
    #[command(flatten)]
    pub scaling: ScalingArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Price book (TOML) replacing the embedded one; see `pricing price-book show`.
    #[arg(long)]
    pub price_book: Option<PathBuf>,
    /// A printer calibration from `pricing calibrate`, put on `--machine` (every FDM
    /// machine of the book when none is named): its profile and its constants.
    #[arg(long, value_name = "FILE.toml")]
    pub calibration: Option<PathBuf>,
    /// One JSON document per file per line.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// One CSV row per file.
    #[arg(long)]
    pub csv: bool,
    /// Price one file on every machine and material that fits, as one table.
    #[arg(long)]
    pub compare: bool,
}

/// `--supports on|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    /// Build supports.
    On,
    /// No supports.
    Off,
}

fn parse_lead_time(s: &str) -> Result<LeadTime, String> {
    s.parse()
}

/// Runs the command; returns the exit code.
pub fn run(args: &QuoteArgs) -> i32 {
    let book = match &args.price_book {
        None => PriceBook::embedded(),
        Some(p) => match PriceBook::load(p) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return EXIT_USAGE;
            }
        },
    };
    let book = match &args.calibration {
        None => book,
        Some(p) => match MachineCalibration::load(p)
            .map_err(|e| e.to_string())
            .and_then(|(c, _)| {
                book.with_calibration(args.machine.as_deref(), c)
                    .map_err(|e| e.to_string())
            }) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return EXIT_USAGE;
            }
        },
    };
    let quoter = Quoter::new(book);
    let request = QuoteRequest {
        material: args.material.clone(),
        machine: args.machine.clone(),
        quantity: args.quantity,
        lead_time: args.lead_time,
        supports: args.supports == OnOff::On,
        scale: None,
        units: None,
    };
    // Name errors (unknown material or machine) would fail every file the same way: say
    // so once, as a usage error.
    if let Err(e) = check_names(&quoter, &request) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let files = match expand_inputs(&args.files) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_USAGE;
        }
    };
    if args.compare {
        return compare(args, &quoter, &request, &files);
    }
    batch(args, &quoter, &request, &files)
}

fn check_names(quoter: &Quoter, request: &QuoteRequest) -> Result<(), QuoteError> {
    let book = quoter.price_book();
    if let Some(m) = &request.material
        && book.material(m).is_none()
    {
        return Err(QuoteError::UnknownMaterial {
            name: m.clone(),
            known: book
                .materials
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if let Some(m) = &request.machine
        && book.machine(m).is_none()
    {
        return Err(QuoteError::UnknownMachine {
            name: m.clone(),
            known: book.machines.keys().cloned().collect::<Vec<_>>().join(", "),
        });
    }
    Ok(())
}

fn load(path: &Path, args: &QuoteArgs) -> Result<Part, QuoteError> {
    Ok(load_part(path, args.scaling.scaling(), &args.limits)?)
}

fn quote_file(
    path: &Path,
    args: &QuoteArgs,
    quoter: &Quoter,
    request: &QuoteRequest,
) -> Result<QuoteDocument, QuoteError> {
    let part = load(path, args)?;
    price::quote_part(
        quoter,
        &path.display().to_string(),
        part,
        request,
        &Cancel::never(),
    )
}

fn batch(args: &QuoteArgs, quoter: &Quoter, request: &QuoteRequest, files: &[PathBuf]) -> i32 {
    let started = Instant::now();
    let bar = progress_bar(files.len(), "quoting");
    let results: Vec<(Result<QuoteDocument, QuoteError>, Duration)> = files
        .par_iter()
        .map(|f| {
            let t = Instant::now();
            let r = quote_file(f, args, quoter, request);
            bar.inc(1);
            (r, t.elapsed())
        })
        .collect();
    bar.finish_and_clear();
    let wall = started.elapsed();

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // A closed pipe (`| head`) is not an error worth a panic: stop writing.
    let _ = if args.json {
        write_json(&mut out, files, &results)
    } else if args.csv {
        write_csv(&mut out, files, &results)
    } else if files.len() == 1 {
        match &results[0].0 {
            Ok(doc) => write_detail(&mut out, doc, results[0].1),
            Err(e) => writeln!(out, "{}: error: {e}", files[0].display()),
        }
    } else {
        write_table(&mut out, files, &results)
    };
    let failed = results.iter().filter(|r| r.0.is_err()).count();
    if files.len() > 1 {
        let mut times: Vec<Duration> = results.iter().map(|r| r.1).collect();
        times.sort();
        let median = times[times.len() / 2];
        let total: f64 = results
            .iter()
            .filter_map(|r| r.0.as_ref().ok())
            .map(|d| d.price.total)
            .sum();
        let summary = format!(
            "priced {} of {} files in {:.2} s (median {:.1} ms per file), {} failed; total {:.2} {}",
            files.len() - failed,
            files.len(),
            wall.as_secs_f64(),
            median.as_secs_f64() * 1000.0,
            failed,
            total,
            quoter.price_book().currency
        );
        // Machine-readable output keeps stdout clean; the summary goes to stderr.
        if args.json || args.csv {
            eprintln!("{summary}");
        } else {
            let _ = writeln!(out, "\n{summary}");
        }
    }
    if failed == 0 { EXIT_OK } else { EXIT_BAD_MESH }
}

type Row = (Result<QuoteDocument, QuoteError>, Duration);

fn write_json(out: &mut impl Write, files: &[PathBuf], rows: &[Row]) -> std::io::Result<()> {
    for (f, (r, _)) in files.iter().zip(rows) {
        match r {
            Ok(doc) => match serde_json::to_string(doc) {
                Ok(s) => writeln!(out, "{s}")?,
                Err(e) => writeln!(
                    out,
                    "{}",
                    error_json(&f.display().to_string(), "internal", &e.to_string())
                )?,
            },
            Err(e) => writeln!(
                out,
                "{}",
                error_json(&f.display().to_string(), e.code(), &e.to_string())
            )?,
        }
    }
    Ok(())
}

const CSV_HEADER: &str = "file,material,machine,technology,quantity,lead_time,lead_time_days,unit_price,total,currency,print_time_h,material_g,volume_cm3,error_code,error_message";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(out: &mut impl Write, files: &[PathBuf], rows: &[Row]) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for (f, (r, _)) in files.iter().zip(rows) {
        let file = csv_field(&f.display().to_string());
        match r {
            Ok(d) => writeln!(
                out,
                "{file},{}",
                csv_quote(&d.estimate, &d.price, d.analysis.volume_mm3)
            )?,
            Err(e) => writeln!(
                out,
                "{file},,,,,,,,,,,,,{},{}",
                e.code(),
                csv_field(&e.to_string())
            )?,
        }
    }
    Ok(())
}

fn csv_quote(e: &Estimate, q: &Quote, volume_mm3: f64) -> String {
    format!(
        "{},{},{},{},{},{},{:.2},{:.2},{},{:.3},{:.2},{:.3},,",
        csv_field(&q.material),
        csv_field(&q.machine),
        q.technology,
        q.quantity,
        q.lead_time,
        q.lead_time_days,
        q.unit_price,
        q.total,
        q.currency,
        e.print_time_s / 3600.0,
        e.material_g,
        volume_mm3 / 1000.0
    )
}

fn hours(s: f64) -> String {
    let m = (s / 60.0).round() as i64;
    format!("{}h {:02}m", m / 60, m % 60)
}

fn write_detail(out: &mut impl Write, d: &QuoteDocument, took: Duration) -> std::io::Result<()> {
    let a = &d.analysis;
    let e = &d.estimate;
    let q = &d.price;
    let s = a.bbox_mm.size;
    writeln!(out, "{}", d.file)?;
    writeln!(
        out,
        "  part       {:.1} × {:.1} × {:.1} mm, {:.2} cm³, {} shell{}",
        s[0],
        s[1],
        s[2],
        a.volume_mm3 / 1000.0,
        a.shells,
        if a.shells == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "  print      {} on {} ({}), orientation {}",
        q.material, q.machine, q.technology, q.orientation
    )?;
    writeln!(
        out,
        "  estimate   {} layers × {:.2} mm, {}, {:.1} g material ({:.1} g support)",
        e.layers,
        e.layer_height_mm,
        hours(e.print_time_s),
        e.material_g,
        e.support_mm3 / e.material_mm3.max(f64::MIN_POSITIVE) * e.material_g
    )?;
    if let Some(o) = e.occupied_mm3 {
        writeln!(out, "  occupies   {:.1} cm³ of the build", o / 1000.0)?;
    }
    writeln!(
        out,
        "  lead time  {}, {} working days",
        q.lead_time, q.lead_time_days
    )?;
    writeln!(out)?;
    for l in q.lines.iter().filter(|l| l.amount != 0.0) {
        writeln!(out, "  {:<26}{:>12.2} {}", l.label, l.amount, q.currency)?;
    }
    writeln!(out, "  {}", "-".repeat(42))?;
    writeln!(
        out,
        "  {:<26}{:>12.2} {}",
        format!("total ({} × {:.2})", q.quantity, q.unit_price),
        q.total,
        q.currency
    )?;
    for w in a.warnings.iter().chain(&q.warnings) {
        writeln!(out, "  warning: {}", w.message)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "  pricing {} · quoted in {:.1} ms",
        q.pricing_version,
        took.as_secs_f64() * 1000.0
    )
}

fn write_table(out: &mut impl Write, files: &[PathBuf], rows: &[Row]) -> std::io::Result<()> {
    let width = files
        .iter()
        .map(|f| f.display().to_string().chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    writeln!(
        out,
        "{:<width$}  {:<16} {:<8} {:>9} {:>11} {:>11}",
        "file", "material", "machine", "time", "unit price", "total"
    )?;
    for (f, (r, _)) in files.iter().zip(rows) {
        let name = f.display().to_string();
        match r {
            Ok(d) => writeln!(
                out,
                "{:<width$}  {:<16} {:<8} {:>9} {:>11.2} {:>11.2} {}",
                name,
                d.price.material,
                d.price.machine,
                hours(d.estimate.print_time_s),
                d.price.unit_price,
                d.price.total,
                d.price.currency
            )?,
            Err(e) => writeln!(out, "{:<width$}  error ({}): {e}", name, e.code())?,
        }
    }
    Ok(())
}

fn compare(args: &QuoteArgs, quoter: &Quoter, request: &QuoteRequest, files: &[PathBuf]) -> i32 {
    let [file] = files else {
        eprintln!(
            "error: --compare prices one file on every machine and material; got {} files",
            files.len()
        );
        return EXIT_USAGE;
    };
    let part = match load(file, args) {
        Ok(p) => p,
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    error_json(&file.display().to_string(), e.code(), &e.to_string())
                );
            } else {
                eprintln!("{}: error: {e}", file.display());
            }
            return EXIT_BAD_MESH;
        }
    };
    let options = quoter.compare(&part, request);
    if options.is_empty() {
        eprintln!(
            "{}: fits no machine of the price book in any orientation (part {:.1} × {:.1} × {:.1} mm)",
            file.display(),
            part.analysis.bbox_mm.size[0],
            part.analysis.bbox_mm.size[1],
            part.analysis.bbox_mm.size[2]
        );
        return EXIT_BAD_MESH;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let name = file.display().to_string();
    let _ = (|| -> std::io::Result<()> {
        if args.json {
            for (estimate, price) in options {
                let doc = QuoteDocument::new(&name, part.analysis.clone(), estimate, price);
                writeln!(out, "{}", serde_json::to_string(&doc).unwrap_or_default())?;
            }
        } else if args.csv {
            writeln!(out, "{CSV_HEADER}")?;
            for (e, q) in &options {
                writeln!(
                    out,
                    "{},{}",
                    csv_field(&name),
                    csv_quote(e, q, part.analysis.volume_mm3)
                )?;
            }
        } else {
            writeln!(
                out,
                "{name}: {} part(s), {} lead time, every machine and material that fits",
                request.quantity, request.lead_time
            )?;
            writeln!(
                out,
                "  {:<16} {:<8} {:<4} {:>9} {:>10} {:>11} {:>11}",
                "material", "machine", "tech", "time", "material", "unit price", "total"
            )?;
            for (e, q) in &options {
                writeln!(
                    out,
                    "  {:<16} {:<8} {:<4} {:>9} {:>8.1} g {:>11.2} {:>11.2} {}",
                    q.material,
                    q.machine,
                    q.technology.as_str(),
                    hours(e.print_time_s),
                    e.material_g,
                    q.unit_price,
                    q.total,
                    q.currency
                )?;
            }
        }
        Ok(())
    })();
    EXIT_OK
}
