//! `--profile`, `--preset` and `--set`: bringing your own slicer profile, shared by
//! `estimate` and `quote` (see `docs/profiles.md`).

use std::path::PathBuf;

use clap::Args;
use pricing_core::profile::fdm::FdmProfile;
use pricing_core::profile::{PresetChoice, ProfileBuilder, ProfileError};
use pricing_core::warning::Warning;

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

    /// The FDM profile these options make, with the loader's warnings (unknown and
    /// unmodelled keys).
    pub fn fdm(&self) -> Result<(FdmProfile, Vec<Warning>), ProfileError> {
        let mut b = ProfileBuilder::new();
        if let Some(path) = &self.profile {
            b = if self.preset.is_empty() {
                b.load_path(path)?
            } else {
                let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
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
        let loaded = b.build()?;
        Ok((loaded.profile, loaded.warnings))
    }
}
