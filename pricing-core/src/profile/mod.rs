//! Process profiles: the machine and material parameters that decide material and time.
//!
//! - [`fdm`]: PrusaSlicer's FDM keys, loaded from `.ini` files, bundles or TOML through
//!   [`ProfileBuilder`] (layering and overrides, every problem at once, warnings for keys
//!   it does not model); [`ini`](self) reads PrusaSlicer's `.ini` syntax into serde, and
//!   `prusaslicer` knows which PrusaSlicer keys matter.
//! - [`sla`], [`sls`]: resin and powder-bed parameters.

mod builder;
pub mod fdm;
mod ini;
pub mod pattern;
mod prusaslicer;
pub mod sla;
mod sla_ini;
pub mod sls;

use std::fmt;

pub use builder::{LoadedProfile, PresetChoice, ProfileBuilder};

/// One problem with one key of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    /// The key as in the source (or `line N` for a line that is not `key = value`).
    pub key: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {}: {source}", path.display())]
    Io {
        /// The path asked for.
        path: std::path::PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A value is missing, malformed or out of range.
    #[error("profile key `{key}`: {message}")]
    Invalid {
        /// The offending key (as in the file).
        key: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// Every problem found in the sources, in one run.
    #[error(
        "the profile has {} problem{}:{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(|p| format!("\n  {p}")).collect::<String>()
    )]
    Problems {
        /// The problems, by key.
        problems: Vec<KeyProblem>,
    },
    /// A PrusaSlicer config bundle was given without choosing its presets.
    #[error(
        "the file is a PrusaSlicer config bundle, not one profile; choose a preset of each kind it holds ({presets})"
    )]
    ChoosePreset {
        /// The bundle's presets by kind, e.g. `print: 0.20mm QUALITY, 0.15mm SPEED; printer: MK3S`.
        presets: String,
    },
    /// The chosen preset is not in the bundle.
    #[error("the bundle has no {kind} preset {name:?}; its {kind} presets are: {known}")]
    UnknownPreset {
        /// `printer`, `filament` or `print`.
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The bundle's presets of that kind.
        known: String,
    },
    /// An override names a key that is not a PrusaSlicer setting.
    #[error("`{key}` is not a PrusaSlicer 2.5 FDM setting{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownKey {
        /// The key given.
        key: String,
        /// The closest modelled key, when one is close.
        suggestion: Option<String>,
    },
    /// The TOML does not parse.
    #[error("profile TOML: {0}")]
    Toml(String),
}
