//! Where and how the CLI writes: results on stdout, errors and progress on stderr, one
//! format for each.
//!
//! - A result line goes through [`print`]: a closed pipe (`pricing analyze DIR | head -1`)
//!   ends the process quietly with exit 0, as `head` asked for no more.
//! - An error is `error: FILE: message` on stderr ([`error`]), the file named once.
//! - A warning is `warning[code]: message` ([`warning_line`]), in reports and on stderr.
//! - `--color auto|always|never` and `NO_COLOR` decide the colour of those prefixes;
//!   `-q` drops warnings, summaries and the progress bar, `-v` adds timings and reasons.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use pricing_core::warning::Warning;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// How much to say, from `-q` and `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Results and errors only.
    Quiet,
    /// Results, errors, warnings and summaries.
    Normal,
    /// Also timings and the reasons behind decisions.
    Verbose,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    color: ColorChoice,
    verbosity: Verbosity,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Sets colour and verbosity once, from the global flags.
pub fn init(color: ColorChoice, verbosity: Verbosity) {
    let _ = SETTINGS.set(Settings { color, verbosity });
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or(Settings {
        color: ColorChoice::Auto,
        verbosity: Verbosity::Normal,
    })
}

/// The verbosity asked for.
pub fn verbosity() -> Verbosity {
    settings().verbosity
}

/// Whether `-q` was given.
pub fn quiet() -> bool {
    verbosity() == Verbosity::Quiet
}

/// Whether `-v` was given.
pub fn verbose() -> bool {
    verbosity() == Verbosity::Verbose
}

/// The two streams, for the colour decision.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// Results.
    Stdout,
    /// Errors, summaries, progress.
    Stderr,
}

/// Whether to colour what goes to `stream`: `always`, or `auto` on a terminal without
/// `NO_COLOR` (any non-empty value, <https://no-color.org>).
pub fn color(stream: Stream) -> bool {
    match settings().color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let tty = match stream {
                Stream::Stdout => std::io::stdout().is_terminal(),
                Stream::Stderr => std::io::stderr().is_terminal(),
            };
            tty && !no_color
        }
    }
}

/// `text` in bold red (`31`) or yellow (`33`) when `stream` is coloured.
fn paint(stream: Stream, ansi: &str, text: &str) -> String {
    if color(stream) {
        format!("\x1b[1;{ansi}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Writes `text` to stdout as it is (the caller ends lines). A closed pipe ends the
/// process quietly; any other write error ends it with a message and exit 1.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(super::EXIT_OK);
        }
        let _ = writeln!(std::io::stderr(), "error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// [`print`] with a newline.
pub fn println(line: &str) {
    print(&format!("{line}\n"));
}

/// Writes a line to stderr; a closed stderr is ignored (nothing is left to tell).
pub fn eprintln(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `error: FILE: message` on stderr (or `error: message` when no file is concerned).
pub fn error(file: Option<&str>, message: &str) {
    let prefix = paint(Stream::Stderr, "31", "error");
    match file {
        Some(f) => eprintln(&format!("{prefix}: {f}: {message}")),
        None => eprintln(&format!("{prefix}: {message}")),
    }
}

/// `warning[code]: message`, coloured for `stream`.
pub fn warning_line(stream: Stream, w: &Warning) -> String {
    let prefix = paint(stream, "33", &format!("warning[{}]", w.code));
    format!("{prefix}: {}", w.message)
}

/// A warning on stderr, unless `-q`.
pub fn warn(w: &Warning) {
    if !quiet() {
        eprintln(&warning_line(Stream::Stderr, w));
    }
}

/// A summary line on stderr, unless `-q`.
pub fn summary(line: &str) {
    if !quiet() {
        eprintln(line);
    }
}

/// `println!` through [`println`]: a closed pipe ends the process quietly.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::cli::output::println(&format!($($t)*))
    };
}
pub(crate) use outln;

/// `eprintln!` through [`eprintln`]: a closed stderr is no panic.
macro_rules! errln {
    ($($t:tt)*) => {
        $crate::cli::output::eprintln(&format!($($t)*))
    };
}
pub(crate) use errln;
