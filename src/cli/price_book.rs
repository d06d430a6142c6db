//! `pricing price-book ...`: price book tools. Not built yet (quote issue).

use clap::Subcommand;

/// Subcommands of `pricing price-book`.
#[derive(Debug, Subcommand)]
pub enum PriceBookCommand {}

/// Runs the command; returns the exit code.
pub fn run(_command: &PriceBookCommand) -> i32 {
    super::EXIT_USAGE
}
