//! `pricing quote`: price files from a price book. Not built yet (quote issue).

use clap::Args;

/// Arguments of `pricing quote`.
#[derive(Debug, Args)]
pub struct QuoteArgs {}

/// Runs the command; returns the exit code.
pub fn run(_args: &QuoteArgs) -> i32 {
    eprintln!("error: `pricing quote` is not built yet");
    super::EXIT_USAGE
}
