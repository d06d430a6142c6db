//! `pricing price-book ...`: check a price book, or print the embedded one.

use std::path::PathBuf;

use clap::Subcommand;
use pricing_core::price::{EMBEDDED_TOML, PriceBook};

use super::output::{self, errln, outln};
use super::{EXIT_OK, EXIT_USAGE};

/// Subcommands of `pricing price-book`.
#[derive(Debug, Subcommand)]
pub enum PriceBookCommand {
    /// Validate a price book; lists every problem with its field path (exit 2 if any).
    Check {
        /// The price book (TOML).
        file: PathBuf,
    },
    /// Print the embedded default price book: a starting point for your own.
    Show,
}

/// Runs the command; returns the exit code.
pub fn run(command: &PriceBookCommand) -> i32 {
    match command {
        PriceBookCommand::Check { file } => match PriceBook::load(file) {
            Ok(book) => {
                outln!(
                    "{}: ok: {} machines, {} materials, currency {}, pricing version {}",
                    file.display(),
                    book.machines.len(),
                    book.materials.len(),
                    book.currency,
                    book.pricing_version()
                );
                EXIT_OK
            }
            Err(errors) => {
                let n = errors.errors.len();
                errln!(
                    "error: {}: {n} problem{}:",
                    file.display(),
                    if n == 1 { "" } else { "s" }
                );
                for e in &errors.errors {
                    errln!("  {e}");
                }
                EXIT_USAGE
            }
        },
        PriceBookCommand::Show => {
            output::print(EMBEDDED_TOML);
            EXIT_OK
        }
    }
}
