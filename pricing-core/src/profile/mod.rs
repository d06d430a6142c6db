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
    /// The `.ini` is for another kind of printer (`printer_technology`).
    #[error(
        "the profile is for {} (printer_technology = {found}), and {} profile is asked for: give it to {}",
        technology_name(found),
        technology_name(wanted),
        technology_use(found)
    )]
    WrongTechnology {
        /// The file's `printer_technology` (`SLA`, `FFF`, ...).
        found: String,
        /// What the caller reads: `FFF` or `SLA`.
        wanted: &'static str,
    },
}

fn technology_name(t: &str) -> &'static str {
    match t.to_ascii_uppercase().as_str() {
        "FFF" => "an FDM (filament) printer",
        "SLA" => "a resin (SLA) printer",
        _ => "another kind of printer",
    }
}

fn technology_use(t: &str) -> &'static str {
    match t.to_ascii_uppercase().as_str() {
        "FFF" => "an FDM machine (`pricing estimate --technology fdm`)",
        "SLA" => {
            "a resin machine (`pricing quote --material` a resin, or `pricing estimate --technology sla`)"
        }
        _ => "a machine of that kind",
    }
}

/// The `printer_technology` a PrusaSlicer `.ini` declares (`FFF`, `SLA`): the flat
/// file's key, or for a config bundle the one value its printer presets agree on. `None`
/// when the file does not say (or is not an `.ini` at all).
pub fn ini_printer_technology(text: &str) -> Option<String> {
    let of = |pairs: &ini::Pairs| declared(ini::strs(pairs)).map(str::to_ascii_uppercase);
    match ini::parse(text).ok()? {
        ini::IniFile::Flat(pairs) => of(&pairs),
        ini::IniFile::Bundle(sections) => {
            let mut found = sections
                .iter()
                .filter(|s| s.kind == "printer")
                .filter_map(|s| of(&s.pairs));
            let first = found.next()?;
            found.all(|t| t == first).then_some(first)
        }
    }
}

/// The value of `printer_technology` among `pairs` (key, value), trimmed.
fn declared<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<&'a str> {
    pairs
        .into_iter()
        .find(|(k, _)| *k == "printer_technology")
        .map(|(_, v)| v.trim())
}

/// Refuses `pairs` (key, value) that declare another `printer_technology` than
/// `wanted`. Both loaders call it: the FDM builder with its parsed pairs, the SLA one
/// with its own line-numbered ones.
pub(crate) fn check_technology<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    wanted: &'static str,
) -> Result<(), ProfileError> {
    match declared(pairs) {
        Some(v) if !v.eq_ignore_ascii_case(wanted) => Err(ProfileError::WrongTechnology {
            found: v.to_ascii_uppercase(),
            wanted,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ini_says_its_technology_and_the_other_loader_refuses_it() {
        assert_eq!(
            ini_printer_technology("layer_height = 0.05\nprinter_technology = SLA\n").as_deref(),
            Some("SLA")
        );
        assert_eq!(ini_printer_technology("layer_height = 0.2\n"), None);
        // A bundle: its printer presets' one value; none when they disagree.
        let bundle = |b: &str| {
            format!(
                "[printer:A]\nprinter_technology = FFF\n[printer:B]\nprinter_technology = {b}\n"
            )
        };
        assert_eq!(
            ini_printer_technology(&bundle("FFF")).as_deref(),
            Some("FFF")
        );
        assert_eq!(ini_printer_technology(&bundle("SLA")), None);
        let fdm = ProfileBuilder::new().load_ini("printer_technology = SLA\nlayer_height = 0.05\n");
        assert!(
            matches!(fdm, Err(ProfileError::WrongTechnology { ref found, wanted: "FFF" }) if found == "SLA"),
            "{fdm:?}"
        );
        let sla = sla::SlaProfile::from_ini_str("printer_technology = FFF\n");
        assert!(
            matches!(sla, Err(ProfileError::WrongTechnology { .. })),
            "{sla:?}"
        );
        // The builder still reads an FFF file.
        assert!(
            ProfileBuilder::new()
                .load_ini("printer_technology = FFF\n")
                .is_ok()
        );
    }
}
