//! Bounds and escapes for every job-supplied string that reaches a result record, a
//! dead letter or a log line.
//!
//! A job controls its id, model URI, params and bytes, and error messages quote them
//! (a 50 MB word in an ASCII STL once gave a 50 MB message, stored for 7 days and
//! logged as one line). Everything here is bounded whatever the engine says; text
//! logs also get control characters escaped, so an id with a newline cannot forge a
//! log line.

use std::fmt;

/// Longest error message stored in a record or logged, bytes.
pub const MAX_MESSAGE: usize = 1024;
/// Longest job-supplied token quoted inside a worker message (a path, a key), bytes.
pub const MAX_TOKEN: usize = 160;
/// Longest job field copied into a dead letter (model URI, params), bytes.
pub const MAX_FIELD: usize = 4096;
/// Longest file name shown in a quote, bytes.
pub const MAX_NAME: usize = 1024;

/// The largest index ≤ `i` on a char boundary of `s`.
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest index ≥ `i` on a char boundary of `s`.
fn ceil_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// `s` cut to about `max` bytes keeping its head and its tail (where messages say what
/// to do), with the number of bytes cut in the middle.
pub fn bound(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let tail_len = max / 4;
    let head = &s[..floor_boundary(s, max - tail_len)];
    let tail = &s[ceil_boundary(s, s.len() - tail_len)..];
    let cut = s.len() - head.len() - tail.len();
    format!("{head}…[{cut} bytes cut]…{tail}")
}

/// An error message as stored and logged: at most about [`MAX_MESSAGE`] bytes.
pub fn message(s: &str) -> String {
    bound(s, MAX_MESSAGE)
}

/// A job-supplied token quoted inside a message: in double quotes, escaped like a
/// Rust string literal, at most about [`MAX_TOKEN`] bytes.
pub fn token(s: &str) -> String {
    format!("{:?}", bound(s, MAX_TOKEN))
}

/// A job field copied into a dead letter: at most about [`MAX_FIELD`] bytes.
pub fn field(s: &str) -> String {
    bound(s, MAX_FIELD)
}

/// A file name shown in a quote: at most about [`MAX_NAME`] bytes.
pub fn name(s: &str) -> String {
    bound(s, MAX_NAME)
}

/// Display wrapper for logs: control characters escaped (`\n`, `\u{1b}`), at most
/// about `max` bytes.
pub struct Escaped<'a> {
    s: &'a str,
    max: usize,
}

impl<'a> Escaped<'a> {
    /// `s` for a log line, at most about `max` bytes.
    pub fn new(s: &'a str, max: usize) -> Escaped<'a> {
        Escaped { s, max }
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bounded = bound(self.s, self.max);
        for c in bounded.chars() {
            if c.is_control() || c == '\\' {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// A job-supplied string (id, model URI, code) for a log field.
pub fn log(s: &str) -> Escaped<'_> {
    Escaped::new(s, MAX_TOKEN * 2)
}

/// A message for a log field.
pub fn log_message(s: &str) -> Escaped<'_> {
    Escaped::new(s, MAX_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_kept() {
        assert_eq!(message("unknown material \"X\""), "unknown material \"X\"");
    }

    #[test]
    fn long_strings_keep_head_and_tail_within_the_bound() {
        let long = format!(
            "unknown material \"{}\"; the price book has: PLA, PETG",
            "é".repeat(1_000_000)
        );
        let m = message(&long);
        assert!(m.len() <= MAX_MESSAGE + 40, "{}", m.len());
        assert!(m.starts_with("unknown material"));
        assert!(m.ends_with("the price book has: PLA, PETG"));
        assert!(m.contains("bytes cut"));
    }

    #[test]
    fn logs_cannot_forge_lines() {
        let s = log("A-1\n2026-12-01T00:00:00Z INFO job finished id=B-2\x1b[31m").to_string();
        assert!(!s.contains('\n') && !s.contains('\x1b'), "{s}");
        assert!(s.contains("\\n"));
    }

    #[test]
    fn tokens_are_escaped_and_bounded() {
        let t = token(&format!("a\"b\n{}", "x".repeat(10_000)));
        assert!(t.len() < MAX_TOKEN + 60, "{}", t.len());
        assert!(!t.contains('\n'));
    }
}
