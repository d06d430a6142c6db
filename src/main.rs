//! `pricing`: analyse, estimate and quote 3D-printing jobs from the command line.
//!
//! This file only parses arguments and dispatches; each subcommand lives in `cli/`.

mod cli;

use clap::{Parser, Subcommand};

/// Quote 3D-printing jobs from STL and OBJ files in milliseconds.
#[derive(Debug, Parser)]
#[command(name = "pricing", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check and measure mesh files: units, size, volume, area, shells, watertightness.
    Analyze(cli::analyze::AnalyzeArgs),
    /// Estimate an FDM print: layers, filament, supports and print time.
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
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Analyze(args) => cli::analyze::run(&args),
        Command::Estimate(args) => cli::estimate::run(&args),
        Command::Quote(args) => cli::quote::run(&args),
        Command::Calibrate(args) => cli::calibrate::run(&args),
        Command::PriceBook(command) => cli::price_book::run(&command),
        Command::Submit(args) => cli::queue::run_submit(&args),
        Command::Status(args) => cli::queue::run_status(&args),
        Command::Queue(command) => cli::queue::run_queue(&command),
    };
    std::process::exit(code);
}
