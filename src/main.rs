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
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Analyze(args) => cli::analyze::run(&args),
    };
    std::process::exit(code);
}
