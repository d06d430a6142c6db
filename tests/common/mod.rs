//! Helpers shared by the CLI's integration tests: running the binary, reading its
//! output, and finding the committed fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the CLI package's manifest directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/NAME`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// `fixtures/corpus`.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus")
}

/// The `pricing` binary under test, run from the repository root (so relative fixture
/// paths work), without the caller's `NO_COLOR` (colour tests set it themselves; piped
/// output has no colour either way).
pub fn pricing() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pricing"));
    c.current_dir(root()).env_remove("NO_COLOR");
    c
}

/// Runs `pricing ARGS` to completion.
pub fn output(args: &[&str]) -> Output {
    pricing().args(args).output().expect("run pricing")
}

/// Runs `pricing ARGS`: the exit code (-1 when killed by a signal), stdout and stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    exit_and_text(pricing().args(args))
}

/// Runs a prepared command: the exit code (-1 when killed by a signal), stdout, stderr.
pub fn exit_and_text(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("run pricing");
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
