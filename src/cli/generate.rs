//! `pricing completions`, `pricing man`, `pricing schema`: files generated from the
//! CLI's own definitions, so they cannot drift from it.

use clap::{Args, CommandFactory, ValueEnum};
use pricing_core::price::{AnalysisDocument, EstimateDocument, QuoteDocument};

use super::output;
use super::{EXIT_OK, EXIT_USAGE};

/// Arguments of `pricing completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

/// Arguments of `pricing schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which document: the quote (`docs/quote.schema.json`), the analysis or the estimate.
    #[arg(value_enum, default_value_t = SchemaKind::Quote)]
    pub document: SchemaKind,
}

/// The documents with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// One line of `pricing quote --json` (what the worker stores).
    Quote,
    /// One line of `pricing analyze --json`.
    Analysis,
    /// One line of `pricing estimate --json` (less its `elapsed_ms`).
    Estimate,
}

/// Prints the completion script for `shell` (`pricing completions bash > /etc/bash_completion.d/pricing`).
pub fn completions<C: CommandFactory>(args: &CompletionsArgs) -> i32 {
    let mut cmd = C::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "pricing", &mut buf);
    output::print(&String::from_utf8_lossy(&buf));
    EXIT_OK
}

/// Prints the man page in roff (`pricing man | man -l -`).
pub fn man<C: CommandFactory>() -> i32 {
    let cmd = C::command();
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut buf) {
        output::error(None, &format!("cannot render the man page: {e}"));
        return EXIT_USAGE;
    }
    output::print(&String::from_utf8_lossy(&buf));
    EXIT_OK
}

/// The JSON Schema of one document, pretty-printed with a final newline (the text of
/// `docs/quote.schema.json`).
pub fn schema_text(kind: SchemaKind) -> String {
    let schema = match kind {
        SchemaKind::Quote => schemars::schema_for!(QuoteDocument),
        SchemaKind::Analysis => schemars::schema_for!(AnalysisDocument),
        SchemaKind::Estimate => schemars::schema_for!(EstimateDocument),
    };
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// Prints a document's JSON Schema.
pub fn schema(args: &SchemaArgs) -> i32 {
    output::print(&schema_text(args.document));
    EXIT_OK
}
