//! `pricing submit`, `pricing status`, `pricing queue ...`: talk to the Redis job queue.
//! Not built yet (worker issue).

use clap::{Args, Subcommand};

/// Arguments of `pricing submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {}

/// Arguments of `pricing status`.
#[derive(Debug, Args)]
pub struct StatusArgs {}

/// Subcommands of `pricing queue`.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {}

/// Runs `pricing submit`; returns the exit code.
pub fn run_submit(_args: &SubmitArgs) -> i32 {
    eprintln!("error: `pricing submit` is not built yet");
    super::EXIT_USAGE
}

/// Runs `pricing status`; returns the exit code.
pub fn run_status(_args: &StatusArgs) -> i32 {
    eprintln!("error: `pricing status` is not built yet");
    super::EXIT_USAGE
}

/// Runs `pricing queue ...`; returns the exit code.
pub fn run_queue(_command: &QueueCommand) -> i32 {
    super::EXIT_USAGE
}
