//! `pricing quote`: price files from a price book, item by item.
//!
//! One file prints a readable breakdown (one per item and the order total for a file of
//! several items); several files or a directory run as a batch in parallel (a progress
//! bar on a terminal, each result written as it is done, a summary at the end, a failed
//! file is one error row and the batch goes on). `--json` prints one [`QuoteDocument`]
//! per line (the worker's result), `--csv` one row per item, `--compare` one file on
//! every machine and material that fits.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use pricing_core::calibration::MachineCalibration;
use pricing_core::cancel::Cancel;
use pricing_core::estimate::Estimate;
use pricing_core::price::{
    self, ItemDocument, LeadTime, Material, PriceBook, Process, Quote, QuoteDocument, QuoteError,
    QuoteRequest, Quoter,
};
use pricing_core::warning::Warning;

use super::inputs::Input;
use super::output::{self, Stream};
use super::profile_args::{self, ProfileArgs};
use super::{
    EXIT_BAD_MESH, EXIT_OK, EXIT_USAGE, Failure, ItemArgs, LimitArgs, OnOff, ScalingArgs, batch,
    hours, inputs, load, money_sum,
};

/// Arguments of `pricing quote`.
#[derive(Debug, Args)]
pub struct QuoteArgs {
    /// Mesh files (STL, OBJ, 3MF; STL and OBJ gzipped too) or directories of them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Material name from the price book (default: the book's default material).
    #[arg(long)]
    pub material: Option<String>,
    /// Machine name from the price book (default: the cheapest that fits).
    #[arg(long)]
    pub machine: Option<String>,
    /// Sets ordered of each file (an item placed twice in a 3MF is then 2 × N parts).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub quantity: u32,
    /// Lead time: standard, express or rush.
    #[arg(long, default_value = "standard", value_parser = parse_lead_time)]
    pub lead_time: LeadTime,
    /// Supports for FDM and resin [default: the `--profile`'s `support_material` and
    /// `support_material_auto` when it or `--set` sets them, otherwise on].
    #[arg(long, value_enum)]
    pub supports: Option<OnOff>,
    /// File units and scale.
    #[command(flatten)]
    pub scaling: ScalingArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub items: ItemArgs,
    /// An FDM profile for the FDM machines (the `--machine` only, when given) instead of
    /// the price book's.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Price book (TOML) replacing the embedded one; see `pricing price-book show`.
    #[arg(long)]
    pub price_book: Option<PathBuf>,
    /// A printer calibration from `pricing calibrate`, put on `--machine` (every FDM
    /// machine of the book when none is named): its profile and its constants.
    #[arg(long, value_name = "FILE.toml")]
    pub calibration: Option<PathBuf>,
    /// One JSON document per file per line, each written as soon as it is done.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// One CSV row per item, each written as soon as its file is done.
    #[arg(long)]
    pub csv: bool,
    /// Price one file on every machine and material that fits, as one table.
    #[arg(long)]
    pub compare: bool,
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
                output::error(Some(&p.display().to_string()), &e.to_string());
                return EXIT_USAGE;
            }
        },
    };
    let mut book = match &args.calibration {
        None => book,
        Some(p) => match MachineCalibration::load(p)
            .map_err(|e| e.to_string())
            .and_then(|(c, _)| {
                book.with_calibration(args.machine.as_deref(), c)
                    .map_err(|e| e.to_string())
            }) {
            Ok(b) => b,
            Err(e) => {
                output::error(Some(&p.display().to_string()), &e);
                return EXIT_USAGE;
            }
        },
    };
    if let Err(msg) = check_names(&book, args) {
        output::error(None, &msg);
        return EXIT_USAGE;
    }
    let mut from_profile = None;
    if args.profile.given() {
        match use_profile(&mut book, args) {
            Ok(said) => from_profile = said,
            Err(msg) => {
                output::error(None, &msg);
                return EXIT_USAGE;
            }
        }
    }
    let (supports, overridden) = profile_args::supports(args.supports, from_profile);
    if let Some(w) = &overridden {
        output::warn(w);
    }
    let quoter = Quoter::new(book);
    let request = QuoteRequest {
        material: args.material.clone(),
        machine: args.machine.clone(),
        quantity: args.quantity,
        lead_time: args.lead_time,
        supports,
        scale: None,
        units: None,
    };
    let files = match inputs::expand(&args.files) {
        Ok(f) => f,
        Err(msg) => {
            output::error(None, &msg);
            return EXIT_USAGE;
        }
    };
    if args.compare {
        return compare(args, &quoter, &request, &files);
    }
    run_batch(args, &quoter, &request, &files)
}

/// A material or machine missing from the book fails every file the same way: said
/// once, as a usage error. A machine that exists but does not print the material is the
/// file's failure (`machine_not_allowed`): which machine fits may depend on the part.
fn check_names(book: &PriceBook, args: &QuoteArgs) -> Result<(), String> {
    if let Some(m) = &args.material
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
        }
        .to_string());
    }
    if let Some(m) = &args.machine
        && book.machine(m).is_none()
    {
        return Err(QuoteError::UnknownMachine {
            name: m.clone(),
            known: book.machines.keys().cloned().collect::<Vec<_>>().join(", "),
        }
        .to_string());
    }
    Ok(())
}

/// Puts the `--profile`/`--set` profile on the price book's machines of its kind (or
/// the `--machine`): an FDM profile on the FDM machines, a resin `.ini`
/// (`printer_technology = SLA`) on the resin ones. Returns what the profile says about
/// supports (FDM; a resin profile's `supports_enable` is applied by its estimate).
fn use_profile(book: &mut PriceBook, args: &QuoteArgs) -> Result<Option<bool>, String> {
    let resin = args.profile.technology().is_some_and(|t| t == "SLA");
    let (used, supports) = if resin {
        (use_resin_profile(book, args)?, None)
    } else {
        let loaded = args.profile.fdm().map_err(|e| e.to_string())?;
        for w in &loaded.warnings {
            output::warn(w);
        }
        let used = put_on(book, args, |process| match process {
            Process::Fdm(p) => {
                **p = loaded.profile.clone();
                true
            }
            _ => false,
        });
        (used, loaded.supports)
    };
    let kind = if resin { "a resin (SLA)" } else { "an FDM" };
    if used.is_empty() {
        return Err(format!(
            "--profile and --set give {kind} profile, and {}",
            match &args.machine {
                Some(m) => format!("{m} is not a machine of that kind"),
                None => "the price book has no machine of that kind".into(),
            }
        ));
    }
    check_material_uses(book, args, &used, kind)?;
    output::warn(&Warning::new(
        "profile_override",
        format!(
            "{} priced with the given profile instead of the price book's; the quotes' pricing_version names the book only",
            used.join(", ")
        ),
    ));
    Ok(supports)
}

/// Loads the resin `--profile` and puts it on the resin machines; returns their names.
fn use_resin_profile(book: &mut PriceBook, args: &QuoteArgs) -> Result<Vec<String>, String> {
    // Its load warnings travel in each estimate's warnings.
    let profile = args.profile.sla()?;
    Ok(put_on(book, args, |process| match process {
        Process::Sla(p) => {
            **p = profile.clone();
            true
        }
        _ => false,
    }))
}

/// Runs `apply` on the process of every machine (or only the `--machine`); returns the
/// names of those it took.
fn put_on(
    book: &mut PriceBook,
    args: &QuoteArgs,
    mut apply: impl FnMut(&mut Process) -> bool,
) -> Vec<String> {
    let mut used = Vec::new();
    for m in book.machines.values_mut() {
        let chosen = args
            .machine
            .as_ref()
            .is_none_or(|name| name.eq_ignore_ascii_case(&m.name));
        if chosen && apply(&mut m.process) {
            used.push(m.name.clone());
        }
    }
    used
}

/// The material quoted (`--material`, or the book's default) must print on a machine the
/// profile went on; otherwise the profile would change nothing, and the quote would
/// come from the book's own profile without a word.
fn check_material_uses(
    book: &PriceBook,
    args: &QuoteArgs,
    used: &[String],
    kind: &str,
) -> Result<(), String> {
    let name = args.material.as_deref().unwrap_or(&book.default_material);
    let Some(material) = book.material(name) else {
        return Ok(()); // check_names and the quoter say what is wrong with it
    };
    let on_used = |m: &Material| {
        m.machines
            .iter()
            .any(|n| used.iter().any(|u| u.eq_ignore_ascii_case(n)))
    };
    if on_used(material) {
        return Ok(());
    }
    let fitting: Vec<&str> = book
        .materials
        .values()
        .filter(|m| on_used(m))
        .map(|m| m.name.as_str())
        .collect();
    Err(format!(
        "--profile gives {kind} profile for {}, and {}{} prints on {}: name a material they print with --material ({})",
        used.join(", "),
        material.name,
        if args.material.is_none() {
            " (the price book's default material)"
        } else {
            ""
        },
        material.machines.join(", "),
        if fitting.is_empty() {
            "the book has none".into()
        } else {
            fitting.join(", ")
        }
    ))
}

fn quote_input(
    input: &Input,
    args: &QuoteArgs,
    quoter: &Quoter,
    request: &QuoteRequest,
) -> Result<QuoteDocument, Failure> {
    let file = load(input, &args.scaling, &args.limits, &args.items)?;
    price::quote_file(quoter, &file, request, &Cancel::never()).map_err(|e| Failure::quote(&e))
}

fn run_batch(args: &QuoteArgs, quoter: &Quoter, request: &QuoteRequest, files: &[Input]) -> i32 {
    let started = Instant::now();
    let many = files.len() > 1;
    let readable_table = many && !args.json && !args.csv;
    let mut times: Vec<Duration> = Vec::new();
    let mut totals: Vec<f64> = Vec::new();
    let mut failed = 0;
    if args.csv {
        output::print(&csv::header());
    }
    if readable_table {
        output::println(&table_header(files));
    }
    batch::stream(
        files,
        "quoting",
        |input| quote_input(input, args, quoter, request),
        |input, result, took| {
            times.push(took);
            match &result {
                Ok(doc) => totals.push(doc.price.total),
                Err(f) => {
                    failed += 1;
                    output::error(Some(&input.name), &f.message);
                }
            }
            if args.json {
                output::println(&match &result {
                    Ok(doc) => serde_json::to_string(doc).unwrap_or_else(|e| {
                        Failure::new("internal", e.to_string()).json(&input.name)
                    }),
                    Err(f) => f.json(&input.name),
                });
            } else if args.csv {
                output::print(&csv::rows(&input.name, &result));
            } else if readable_table {
                output::print(&table_rows(files, &input.name, &result));
            } else if let Ok(doc) = &result {
                output::print(&detail(doc, took));
            }
        },
    );
    if many {
        times.sort();
        let median = times.get(times.len() / 2).copied().unwrap_or_default();
        let summary = format!(
            "priced {} of {} files in {:.2} s (median {:.1} ms per file), {} failed; total {:.2} {}",
            files.len() - failed,
            files.len(),
            started.elapsed().as_secs_f64(),
            median.as_secs_f64() * 1000.0,
            failed,
            money_sum(totals.iter().copied()),
            quoter.price_book().currency
        );
        // Machine-readable output keeps stdout clean; the summary goes to stderr.
        if args.json || args.csv {
            output::summary(&summary);
        } else if !output::quiet() {
            output::println(&format!("\n{summary}"));
        }
    }
    if failed == 0 { EXIT_OK } else { EXIT_BAD_MESH }
}

/// CSV through the `csv` crate: one row per item, every field quoted as needed.
mod csv {
    use super::{Failure, ItemDocument, QuoteDocument};

    const HEADER: [&str; 21] = [
        "file",
        "item",
        "quantity",
        "material",
        "machine",
        "technology",
        "lead_time",
        "lead_time_days",
        "unit_price",
        "total",
        "currency",
        "print_time_h",
        "material_g",
        "volume_cm3",
        "units",
        "scale_to_mm",
        "units_source",
        "warnings",
        "order_total",
        "error_code",
        "error_message",
    ];

    fn line(fields: &[String]) -> String {
        let mut w = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = w.write_record(fields);
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The header row.
    pub fn header() -> String {
        line(&HEADER.map(String::from))
    }

    fn item_row(file: &str, doc: &QuoteDocument, item: &ItemDocument) -> Vec<String> {
        let a = &item.analysis;
        let mut row = vec![
            file.to_string(),
            item.name.clone(),
            item.quantity.to_string(),
        ];
        match (&item.price, &item.estimate) {
            (Some(q), Some(e)) => row.extend([
                q.material.clone(),
                q.machine.clone(),
                q.technology.to_string(),
                q.lead_time.to_string(),
                q.lead_time_days.to_string(),
                format!("{:.2}", q.unit_price),
                format!("{:.2}", q.total),
                q.currency.clone(),
                format!("{:.3}", e.print_time_s / 3600.0),
                format!("{:.2}", e.material_g),
            ]),
            _ => row.extend(std::iter::repeat_n(String::new(), 10)),
        }
        let warnings: Vec<&str> = a
            .warnings
            .iter()
            .chain(item.price.iter().flat_map(|q| &q.warnings))
            .map(|w| w.code)
            .collect();
        row.extend([
            format!("{:.3}", a.volume_mm3 / 1000.0),
            a.units.detected.to_string(),
            a.units.scale_to_mm.to_string(),
            a.units.source.to_string(),
            warnings.join(";"),
            format!("{:.2}", doc.price.total),
            String::new(),
            String::new(),
        ]);
        row
    }

    /// The rows of one file: one per item, or one error row.
    pub fn rows(file: &str, result: &Result<QuoteDocument, Failure>) -> String {
        match result {
            Ok(doc) => doc
                .items
                .iter()
                .map(|item| line(&item_row(file, doc, item)))
                .collect(),
            Err(f) => {
                let mut row = vec![file.to_string()];
                row.extend(std::iter::repeat_n(String::new(), HEADER.len() - 3));
                row.extend([f.code.clone(), f.message.clone()]);
                line(&row)
            }
        }
    }
}

fn support_g(e: &Estimate) -> f64 {
    e.support_mm3 / e.material_mm3.max(f64::MIN_POSITIVE) * e.material_g
}

/// The breakdown of one order line: part, print, estimate, lines, total, warnings.
fn line_breakdown(out: &mut String, indent: &str, item: &ItemDocument, e: &Estimate, q: &Quote) {
    let a = &item.analysis;
    let s = a.bbox_mm.size;
    let mut w = |l: String| {
        out.push_str(format!("{indent}{l}").trim_end());
        out.push('\n');
    };
    w(format!(
        "part       {:.1} × {:.1} × {:.1} mm, {:.2} cm³, {} shell{}",
        s[0],
        s[1],
        s[2],
        a.volume_mm3 / 1000.0,
        a.shells,
        if a.shells == 1 { "" } else { "s" }
    ));
    w(format!(
        "print      {} on {} ({}), orientation {}",
        q.material, q.machine, q.technology, q.orientation
    ));
    w(format!(
        "estimate   {} layers × {:.2} mm, {}, {:.1} g material ({:.1} g support)",
        e.layers,
        e.layer_height_mm,
        hours(e.print_time_s),
        e.material_g,
        support_g(e)
    ));
    if let Some(o) = e.occupied_mm3 {
        w(format!("occupies   {:.1} cm³ of the build", o / 1000.0));
    }
    w(format!(
        "lead time  {}, {} working days",
        q.lead_time, q.lead_time_days
    ));
    w(String::new());
    for l in q.lines.iter().filter(|l| l.amount != 0.0) {
        w(format!("{:<26}{:>12.2} {}", l.label, l.amount, q.currency));
    }
    w("-".repeat(42));
    w(format!(
        "{:<26}{:>12.2} {}",
        format!("total ({} × {:.2})", q.quantity, q.unit_price),
        q.total,
        q.currency
    ));
    if !output::quiet() {
        for warning in a.warnings.iter().chain(&q.warnings) {
            w(output::warning_line(Stream::Stdout, warning));
        }
    }
}

/// The readable breakdown of one file: its one line, or each item's and the order.
fn detail(d: &QuoteDocument, took: Duration) -> String {
    let mut out = format!("{}\n", d.file);
    let q = &d.price;
    match (&d.estimate, d.items.as_slice()) {
        (Some(e), [only]) => line_breakdown(&mut out, "  ", only, e, q),
        _ => {
            let s = d.analysis.bbox_mm.size;
            out.push_str(&format!(
                "  plate      {:.1} × {:.1} × {:.1} mm, {} items, {} parts\n",
                s[0],
                s[1],
                s[2],
                d.items.len(),
                q.quantity
            ));
            if !output::quiet() {
                for w in &d.analysis.warnings {
                    out.push_str(&format!("  {}\n", output::warning_line(Stream::Stdout, w)));
                }
            }
            for (i, item) in d.items.iter().enumerate() {
                out.push_str(&format!(
                    "\n  item {}: {} ({} ×)\n",
                    i + 1,
                    item.name,
                    item.quantity
                ));
                if let (Some(e), Some(p)) = (&item.estimate, &item.price) {
                    line_breakdown(&mut out, "    ", item, e, p);
                }
            }
            out.push_str(&format!("\n  {}\n", "=".repeat(42)));
            for item in &d.items {
                if let Some(p) = &item.price {
                    out.push_str(&format!(
                        "  {:<26}{:>12.2} {}\n",
                        clip(&format!("{} × {}", item.quantity, item.name), 26),
                        p.total,
                        p.currency
                    ));
                }
            }
            out.push_str(&format!(
                "  {:<26}{:>12.2} {}\n",
                format!("order total ({} items)", d.items.len()),
                q.total,
                q.currency
            ));
        }
    }
    out.push_str(&format!(
        "\n  pricing {} · quoted in {:.1} ms\n",
        q.pricing_version,
        took.as_secs_f64() * 1000.0
    ));
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn name_width(files: &[Input]) -> usize {
    files
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60)
}

fn table_header(files: &[Input]) -> String {
    let width = name_width(files);
    format!(
        "{:<width$}  {:<16} {:<8} {:>9} {:>11} {:>11}",
        "file", "material", "machine", "time", "unit price", "total"
    )
}

/// A file's rows of the batch table: one for the file, and one per item when it has
/// several.
fn table_rows(files: &[Input], name: &str, r: &Result<QuoteDocument, Failure>) -> String {
    let width = name_width(files);
    let row = |label: &str, q: &Quote, e: Option<&Estimate>| {
        format!(
            "{:<width$}  {:<16} {:<8} {:>9} {:>11.2} {:>11.2} {}\n",
            label,
            clip(&q.material, 16),
            clip(&q.machine, 8),
            e.map(|e| hours(e.print_time_s)).unwrap_or_default(),
            q.unit_price,
            q.total,
            q.currency
        )
    };
    match r {
        Ok(d) => {
            let mut out = row(name, &d.price, d.estimate.as_ref());
            if d.estimate.is_none() {
                for item in &d.items {
                    if let Some(q) = &item.price {
                        out.push_str(&row(
                            &clip(&format!("  {} × {}", item.quantity, item.name), width),
                            q,
                            item.estimate.as_ref(),
                        ));
                    }
                }
            }
            out
        }
        Err(f) => format!("{name:<width$}  error ({})\n", f.code),
    }
}

fn compare(args: &QuoteArgs, quoter: &Quoter, request: &QuoteRequest, files: &[Input]) -> i32 {
    let [input] = files else {
        output::error(
            None,
            &format!(
                "--compare prices one file on every machine and material; got {} files",
                files.len()
            ),
        );
        return EXIT_USAGE;
    };
    let file = match load(input, &args.scaling, &args.limits, &args.items) {
        Ok(f) => f,
        Err(f) => {
            if args.json {
                output::println(&f.json(&input.name));
            }
            output::error(Some(&input.name), &f.message);
            return EXIT_BAD_MESH;
        }
    };
    // The whole file as one print: comparing machines is about the plate.
    let part = &file.whole;
    let options = quoter.compare(part, request);
    if options.is_empty() {
        let s = part.analysis.bbox_mm.size;
        let msg = format!(
            "fits no machine of the price book in any orientation (part {:.1} × {:.1} × {:.1} mm)",
            s[0], s[1], s[2]
        );
        if args.json {
            output::println(&Failure::new("does_not_fit", msg.clone()).json(&input.name));
        }
        output::error(Some(&input.name), &msg);
        return EXIT_BAD_MESH;
    }
    let name = input.name.as_str();
    let item_name = file.items.first().map(|i| i.name.as_str()).unwrap_or(name);
    if args.json || args.csv {
        if args.csv {
            output::print(&csv::header());
        }
        for (estimate, price) in options {
            let doc =
                QuoteDocument::one_print(name, item_name, part.analysis.clone(), estimate, price);
            if args.json {
                output::println(&serde_json::to_string(&doc).unwrap_or_default());
            } else {
                output::print(&csv::rows(name, &Ok(doc)));
            }
        }
        return EXIT_OK;
    }
    output::println(&format!(
        "{name}: {} part(s), {} lead time, every machine and material that fits",
        request.quantity, request.lead_time
    ));
    output::println(&format!(
        "  {:<16} {:<8} {:<4} {:>9} {:>10} {:>11} {:>11}",
        "material", "machine", "tech", "time", "material", "unit price", "total"
    ));
    for (e, q) in &options {
        output::println(&format!(
            "  {:<16} {:<8} {:<4} {:>9} {:>8.1} g {:>11.2} {:>11.2} {}",
            q.material,
            q.machine,
            q.technology.as_str(),
            hours(e.print_time_s),
            e.material_g,
            q.unit_price,
            q.total,
            q.currency
        ));
    }
    EXIT_OK
}
