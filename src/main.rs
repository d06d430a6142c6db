//! `pricing`: analyse, estimate and quote 3D-printing jobs from the command line.
//!
//! This file only parses arguments and dispatches; each subcommand lives in `cli/`.

mod cli;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use cli::output::{self, ColorChoice, Verbosity};

/// Quote 3D-printing jobs from STL, OBJ and 3MF files in milliseconds.
#[derive(Debug, Parser)]
#[command(name = "pricing", version, about, long_about = None)]
struct Cli {
    /// Results and errors only: no warnings, summaries or progress bar.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also timings and the reasons behind decisions (units).
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Colour the error and warning prefixes: auto (on a terminal, unless NO_COLOR is
    /// set), always or never.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check and measure mesh files: units, size, volume, area, shells, watertightness.
    Analyze(cli::analyze::AnalyzeArgs),
    /// Estimate prints (FDM or resin): layers, material, supports and print time.
    Estimate(cli::estimate::EstimateArgs),
    /// Learn a printer from pairs of a mesh and its G-code: time and filament constants.
    Calibrate(cli::calibrate::CalibrateArgs),
    /// Price files from a price book (FDM, resin, powder bed).
    Quote(cli::quote::QuoteArgs),
    /// Check or show price books.
    #[command(subcommand)]
    PriceBook(cli::price_book::PriceBookCommand),
    /// Put a pricing job on the Redis queue.
    Submit(cli::queue::SubmitArgs),
    /// Show a queued job's status and result.
    Status(cli::queue::StatusArgs),
    /// Inspect the Redis job queue.
    #[command(subcommand)]
    Queue(cli::queue::QueueCommand),
    /// Print a shell completion script.
    Completions(cli::generate::CompletionsArgs),
    /// Print the man page (roff): `pricing man | man -l -`.
    Man,
    /// Print the JSON Schema of a document (`docs/quote.schema.json`).
    Schema(cli::generate::SchemaArgs),
}

/// `-V`: the engine and the embedded price book, as the quotes carry them.
fn version() -> String {
    let book = pricing_core::price::PriceBook::embedded();
    format!(
        "{} (engine pricing-core {}, embedded price book {}: quotes say {})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_VERSION"),
        book.hash().get(..16).unwrap_or(book.hash()),
        book.pricing_version()
    )
}

fn main() {
    let matches = Cli::command().version(version()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };
    output::init(cli.color, verbosity);
    let code = match cli.command {
        Command::Analyze(args) => cli::analyze::run(&args),
        Command::Estimate(args) => cli::estimate::run(&args),
        Command::Quote(args) => cli::quote::run(&args),
        Command::Calibrate(args) => cli::calibrate::run(&args),
        Command::PriceBook(command) => cli::price_book::run(&command),
        Command::Submit(args) => cli::queue::run_submit(&args),
        Command::Status(args) => cli::queue::run_status(&args),
        Command::Queue(command) => cli::queue::run_queue(&command),
        Command::Completions(args) => cli::generate::completions::<Cli>(&args),
        Command::Man => cli::generate::man::<Cli>(),
        Command::Schema(args) => cli::generate::schema(&args),
    };
    std::process::exit(code);
}
