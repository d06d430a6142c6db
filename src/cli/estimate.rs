//! `pricing estimate`: the FDM estimate for one file. Not built yet (FDM estimate issue).

use clap::Args;

/// Arguments of `pricing estimate`.
#[derive(Debug, Args)]
pub struct EstimateArgs {}

/// Runs the command; returns the exit code.
pub fn run(_args: &EstimateArgs) -> i32 {
    eprintln!("error: `pricing estimate` is not built yet");
    super::EXIT_USAGE
}
