//! `--profile`, `--preset` and `--set`: bringing your own slicer profile, shared by
//! `estimate` and `quote` (see `docs/profiles.md`).

use std::path::PathBuf;

use clap::Args;
use pricing_core::profile::sla::SlaProfile;
use pricing_core::profile::{LoadedProfile, PresetChoice, ProfileBuilder, ProfileError};
use pricing_core::warning::Warning;

use super::OnOff;

/// Profile options.
#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    /// Printer profile: a PrusaSlicer `.ini` (a flat export or a config bundle with
    /// `--preset`) or the project's `.toml`; default: the reference profile.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// The preset of a config bundle to read, `printer:NAME`, `filament:NAME` or
    /// `print:NAME` (repeat for each kind the bundle holds).
    #[arg(long, value_name = "KIND:NAME", requires = "profile", value_parser = parse_preset)]
    pub preset: Vec<(String, String)>,
    /// Overrides one FDM profile key after the profile, like PrusaSlicer's `--key value`
    /// (repeatable), e.g. `--set layer_height=0.3 --set fill_density=20%`.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, String)>,
}

fn parse_preset(s: &str) -> Result<(String, String), String> {
    let (kind, name) = s
        .split_once(':')
        .ok_or_else(|| format!("expected KIND:NAME, e.g. print:0.20mm QUALITY, got `{s}`"))?;
    let kind = kind.trim().to_ascii_lowercase();
    if !["printer", "filament", "print"].contains(&kind.as_str()) {
        return Err(format!(
            "the preset kind is printer, filament or print, not `{kind}`"
        ));
    }
    Ok((kind, name.trim().to_string()))
}

fn parse_set(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, e.g. layer_height=0.3, got `{s}`"))?;
    if k.trim().is_empty() {
        return Err(format!("`{s}` names no key"));
    }
    Ok((k.trim().to_string(), v.trim().to_string()))
}

impl ProfileArgs {
    /// Whether any profile option was given (otherwise the price book's machines keep
    /// their own profiles).
    pub fn given(&self) -> bool {
        self.profile.is_some() || !self.set.is_empty()
    }

    /// The `printer_technology` (`FFF`, `SLA`) the `--profile` `.ini` declares, if it does.
    /// A file that cannot be read says nothing here; its loader reports why.
    pub fn technology(&self) -> Option<String> {
        let text = pricing_core::text_file::read(self.profile.as_ref()?).ok()?;
        pricing_core::profile::ini_printer_technology(&text)
    }

    /// The resin profile these options give: the `--profile` file (a PrusaSlicer SLA
    /// `.ini` or the project's `.toml`), or PrusaSlicer's SL1S-class default without one.
    /// `--set` and `--preset` take FDM keys, so they are refused here.
    pub fn sla(&self) -> Result<SlaProfile, String> {
        if !self.set.is_empty() || !self.preset.is_empty() {
            return Err("--set and --preset take FDM keys; a resin profile is one SLA .ini or .toml given with --profile".into());
        }
        match &self.profile {
            Some(p) => SlaProfile::load(p).map_err(|e| format!("{}: {e}", p.display())),
            None => Ok(SlaProfile::default()),
        }
    }

    /// The FDM profile these options make, with the loader's warnings (unknown and
    /// unmodelled keys) and what the sources say about supports.
    pub fn fdm(&self) -> Result<LoadedProfile, ProfileError> {
        let mut b = ProfileBuilder::new();
        if let Some(path) = &self.profile {
            b = if self.preset.is_empty() {
                b.load_path(path)?
            } else {
                let text =
                    pricing_core::text_file::read(path).map_err(|source| ProfileError::Io {
                        path: path.clone(),
                        source,
                    })?;
                let mut choice = PresetChoice::default();
                for (kind, name) in &self.preset {
                    let slot = match kind.as_str() {
                        "printer" => &mut choice.printer,
                        "filament" => &mut choice.filament,
                        _ => &mut choice.print,
                    };
                    *slot = Some(name.clone());
                }
                b.load_ini_bundle(&text, &choice)?
            };
        }
        for (k, v) in &self.set {
            b = b.set(k, v)?;
        }
        b.build()
    }
}

/// Supports on or off: an explicit `--supports` first, then the profile's
/// `support_material` and `support_material_auto`, then on (a quote should not miss the
/// supports an overhang needs). An explicit choice against the profile's is warned about
/// (`supports_override`): nothing the profile says is dropped without a word.
pub fn supports(explicit: Option<OnOff>, profile: Option<bool>) -> (bool, Option<Warning>) {
    match (explicit, profile) {
        (Some(choice), Some(said)) if (choice == OnOff::On) != said => (
            choice == OnOff::On,
            Some(Warning::new(
                "supports_override",
                format!(
                    "--supports {} overrides the profile's supports ({})",
                    if choice == OnOff::On { "on" } else { "off" },
                    if said {
                        "support_material = 1, support_material_auto = 1"
                    } else {
                        "off: support_material = 0 or support_material_auto = 0"
                    }
                ),
            )),
        ),
        (Some(choice), _) => (choice == OnOff::On, None),
        (None, Some(said)) => (said, None),
        (None, None) => (true, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_choice_wins_and_says_so_when_it_overrides_the_profile() {
        let silent = |e, p| {
            let (on, warning) = supports(e, p);
            assert!(warning.is_none(), "{e:?} {p:?}");
            on
        };
        assert!(silent(None, None));
        assert!(!silent(None, Some(false)));
        assert!(silent(None, Some(true)));
        assert!(!silent(Some(OnOff::Off), None));
        assert!(silent(Some(OnOff::On), Some(true)));
        let (on, warning) = supports(Some(OnOff::On), Some(false));
        assert!(on);
        assert_eq!(warning.map(|w| w.code), Some("supports_override"));
        let (on, warning) = supports(Some(OnOff::Off), Some(true));
        assert!(!on);
        assert!(warning.is_some());
    }
}
