//! Building an FDM profile from sources the way PrusaSlicer layers them.
//!
//! ```
//! use pricing_core::profile::{PresetChoice, ProfileBuilder};
//!
//! let loaded = ProfileBuilder::new() // over the reference profile
//!     .load_ini("layer_height = 0.15\nfill_density = 20%\nironing = 1\n")?
//!     .set("perimeters", "3")?       // like `--perimeters 3`, applied last
//!     .build()?;
//! assert_eq!(loaded.profile.layer_height, 0.15);
//! assert_eq!(loaded.profile.perimeters, 3);
//! // PrusaSlicer irons top surfaces; the estimate does not: said, not silent.
//! assert_eq!(loaded.warnings[0].code, "unmodelled_profile_key");
//!
//! let bundle = "[printer:MK4]\nnozzle_diameter = 0.6\n[print:Draft]\nlayer_height = 0.3\n";
//! let draft = ProfileBuilder::new()
//!     .load_ini_bundle(bundle, &PresetChoice {
//!         printer: Some("MK4".into()),
//!         print: Some("Draft".into()),
//!         ..PresetChoice::default()
//!     })?
//!     .build()?;
//! assert_eq!(draft.profile.nozzle_diameter, 0.6);
//! # Ok::<(), pricing_core::profile::ProfileError>(())
//! ```
//!
//! - Each source (`load_*`) sets keys over the ones before, as PrusaSlicer's `--load`
//!   does (printer, filament, print); [`ProfileBuilder::set`] overrides come last. Keys
//!   no source sets keep the reference profile's values ([`ProfileBuilder::new`]), and
//!   keys the reference does not set either keep PrusaSlicer's defaults.
//! - PrusaSlicer's percentages resolve on the final values, as PrusaSlicer resolves them:
//!   a speed given as a percentage of another speed, an extrusion width (or the first
//!   layer height) as a percentage of the layer height, the support XY gap as a share of
//!   the external perimeter width. `fill_density` and `raft_first_layer_density` are in
//!   percent; any other key refuses a `%`.
//! - [`ProfileBuilder::build`] reports every problem of every source at once, and returns
//!   the profile with a warning for each key that is misspelt (`unknown_profile_key`) or
//!   that PrusaSlicer knows but the estimate does not model (`unmodelled_profile_key`,
//!   see `profile::prusaslicer`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use super::fdm::{FdmProfile, REFERENCE_INI};
use super::ini::{self, IniFile, Pairs, Section};
use super::prusaslicer::{KeyUse, is_prusaslicer_key, key_use};
use super::{KeyProblem, ProfileError};
use crate::warning::Warning;

/// A profile and what its sources said that the estimate does not use.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedProfile {
    /// The profile, validated.
    pub profile: FdmProfile,
    /// Keys that are unknown or not modelled (codes `unknown_profile_key`,
    /// `unmodelled_profile_key`), and bundle inheritance that could not be followed.
    pub warnings: Vec<Warning>,
    /// Whether the sources ask for supports (`support_material` and
    /// `support_material_auto`), or `None` when none of them says: the reference
    /// profile's own `support_material = 0` is not a choice the user made. The caller's
    /// explicit choice (the CLI's `--supports`) wins over it.
    pub supports: Option<bool>,
}

/// Which presets of a PrusaSlicer config bundle to read. A bundle holding presets of a
/// kind must have one of that kind chosen: a bundle is many profiles, not one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresetChoice {
    /// The `[printer:NAME]` preset.
    pub printer: Option<String>,
    /// The `[filament:NAME]` preset.
    pub filament: Option<String>,
    /// The `[print:NAME]` preset.
    pub print: Option<String>,
}

/// Layers profile sources and overrides; [`ProfileBuilder::build`] makes the profile.
#[derive(Debug, Clone)]
pub struct ProfileBuilder {
    /// Every key set so far, with its value and where it came from.
    entries: BTreeMap<String, Entry>,
    /// The sources, in load order (`Entry::source` indexes it).
    sources: Vec<String>,
    warnings: Vec<Warning>,
}

#[derive(Debug, Clone)]
struct Entry {
    value: String,
    source: usize,
}

/// Keys PrusaSlicer accepts as a percentage of another key, resolved in this order (a
/// base comes before the keys that are a percentage of it).
const PERCENT_OF: &[(&str, &str)] = &[
    ("small_perimeter_speed", "perimeter_speed"),
    ("external_perimeter_speed", "perimeter_speed"),
    ("solid_infill_speed", "infill_speed"),
    ("top_solid_infill_speed", "solid_infill_speed"),
    ("support_material_interface_speed", "support_material_speed"),
    ("gap_fill_speed", "infill_speed"),
    // One first-layer speed for every role here; PrusaSlicer scales each role's speed.
    ("first_layer_speed", "perimeter_speed"),
    ("first_layer_height", "layer_height"),
    ("extrusion_width", "layer_height"),
    ("perimeter_extrusion_width", "layer_height"),
    ("external_perimeter_extrusion_width", "layer_height"),
    ("infill_extrusion_width", "layer_height"),
    ("solid_infill_extrusion_width", "layer_height"),
    ("top_infill_extrusion_width", "layer_height"),
    ("support_material_extrusion_width", "layer_height"),
    ("first_layer_extrusion_width", "first_layer_height"),
];

/// Keys whose unit is the percent: `15%` and `15` mean the same.
const PERCENT_UNIT: &[&str] = &["fill_density", "raft_first_layer_density"];

/// Most levels of `inherits` followed in a bundle (vendor bundles use two or three).
const MAX_INHERITS_DEPTH: usize = 16;

/// The profile's keys, as serde's derive lists them: the field list is the struct's, not
/// a second copy.
fn fields() -> &'static BTreeSet<&'static str> {
    static FIELDS: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    FIELDS.get_or_init(|| ini::struct_fields::<FdmProfile>().iter().copied().collect())
}

/// PrusaSlicer's default of a numeric key (a percentage's base no source sets).
fn default_number(key: &str) -> f64 {
    match toml::Value::try_from(FdmProfile::base()) {
        Ok(toml::Value::Table(t)) => match t.get(key) {
            Some(toml::Value::Float(f)) => *f,
            Some(toml::Value::Integer(i)) => *i as f64,
            _ => 0.0,
        },
        _ => 0.0,
    }
}

impl Default for ProfileBuilder {
    fn default() -> Self {
        ProfileBuilder::new()
    }
}

impl ProfileBuilder {
    /// A builder over the reference profile (`fdm-reference.ini`).
    pub fn new() -> ProfileBuilder {
        let b = ProfileBuilder {
            entries: BTreeMap::new(),
            sources: Vec::new(),
            warnings: Vec::new(),
        };
        match ini::parse(REFERENCE_INI) {
            Ok(IniFile::Flat(pairs)) => b.apply(pairs, "the reference profile"),
            // The embedded file is flat and tested to load; never reached.
            _ => b,
        }
    }

    fn apply(mut self, pairs: Pairs, source: &str) -> ProfileBuilder {
        let source_index = self.sources.len();
        self.sources.push(source.to_string());
        for (key, value) in pairs {
            self.entries.insert(
                key,
                Entry {
                    value,
                    source: source_index,
                },
            );
        }
        self
    }

    /// Loads a `.ini` (flat PrusaSlicer export) or `.toml` file, by extension.
    pub fn load_path(self, path: &Path) -> Result<ProfileBuilder, ProfileError> {
        let text = crate::text_file::read(path).map_err(|source| ProfileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        match ext.as_str() {
            "ini" => self.load_ini_from(&name, &text),
            "toml" => self.load_toml(&text),
            _ => Err(ProfileError::Invalid {
                key: "(file)".into(),
                message: format!(
                    "{}: unknown profile extension; use .ini (PrusaSlicer) or .toml",
                    path.display()
                ),
            }),
        }
    }

    /// Loads a flat PrusaSlicer `.ini` export over the keys so far. A config bundle is
    /// refused with the list of its presets ([`ProfileBuilder::load_ini_bundle`] reads it).
    pub fn load_ini(self, text: &str) -> Result<ProfileBuilder, ProfileError> {
        self.load_ini_from("the .ini", text)
    }

    fn load_ini_from(self, source: &str, text: &str) -> Result<ProfileBuilder, ProfileError> {
        match ini::parse(text).map_err(line_problems)? {
            IniFile::Flat(pairs) => {
                super::check_technology(ini::strs(&pairs), "FFF")?;
                Ok(self.apply(pairs, source))
            }
            IniFile::Bundle(sections) => Err(ProfileError::ChoosePreset {
                presets: list_presets(&sections),
            }),
        }
    }

    /// Loads the chosen presets of a PrusaSlicer config bundle (printer, then filament,
    /// then print, each with the presets it `inherits` from the same bundle). A flat file
    /// loads as [`ProfileBuilder::load_ini`] does.
    pub fn load_ini_bundle(
        mut self,
        text: &str,
        choice: &PresetChoice,
    ) -> Result<ProfileBuilder, ProfileError> {
        let sections = match ini::parse(text).map_err(line_problems)? {
            IniFile::Flat(pairs) => {
                super::check_technology(ini::strs(&pairs), "FFF")?;
                return Ok(self.apply(pairs, "the .ini"));
            }
            IniFile::Bundle(s) => s,
        };
        let kinds: [(&'static str, &Option<String>); 3] = [
            ("printer", &choice.printer),
            ("filament", &choice.filament),
            ("print", &choice.print),
        ];
        if kinds
            .iter()
            .any(|(kind, chosen)| chosen.is_none() && presets_of(&sections, kind).next().is_some())
        {
            return Err(ProfileError::ChoosePreset {
                presets: list_presets(&sections),
            });
        }
        for (kind, chosen) in kinds {
            let Some(name) = chosen else { continue };
            let mut warnings = Vec::new();
            let pairs = resolve_preset(&sections, kind, name, 0, &mut warnings)?;
            super::check_technology(ini::strs(&pairs), "FFF")?;
            self.warnings.extend(warnings);
            self = self.apply(pairs, &format!("[{kind}:{name}]"));
        }
        Ok(self)
    }

    /// Loads the project's TOML (the `.ini` key names, typed values) over the keys so far.
    pub fn load_toml(self, text: &str) -> Result<ProfileBuilder, ProfileError> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| ProfileError::Toml(e.to_string().trim().replace('\n', " ")))?;
        self.load_toml_table(&table)
    }

    /// [`ProfileBuilder::load_toml`] from a parsed table (a price book's inline profile).
    /// TOML is the project's own format: a key that is not a profile field is a problem,
    /// not a warning.
    pub fn load_toml_table(self, table: &toml::Table) -> Result<ProfileBuilder, ProfileError> {
        let mut pairs = Vec::new();
        let mut problems = Vec::new();
        for (key, v) in table {
            if !fields().contains(key.as_str()) {
                problems.push(KeyProblem {
                    key: key.clone(),
                    message: format!(
                        "unknown key{}",
                        suggest(key)
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default()
                    ),
                });
                continue;
            }
            let text = match v {
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => if *b { "1" } else { "0" }.to_string(),
                toml::Value::String(s) => s.clone(),
                other => {
                    problems.push(KeyProblem {
                        key: key.clone(),
                        message: format!(
                            "expected a number, a boolean or a string, got a {}",
                            other.type_str()
                        ),
                    });
                    continue;
                }
            };
            pairs.push((key.clone(), text));
        }
        if !problems.is_empty() {
            return Err(ProfileError::Problems { problems });
        }
        Ok(self.apply(pairs, "the TOML"))
    }

    /// Overrides one key, after every source (PrusaSlicer's `--key value`). A key that
    /// is not a PrusaSlicer setting is refused at once, with the closest key it knows.
    pub fn set(self, key: &str, value: &str) -> Result<ProfileBuilder, ProfileError> {
        let key = key.trim();
        if !fields().contains(key) && !is_prusaslicer_key(key) {
            return Err(ProfileError::UnknownKey {
                key: key.to_string(),
                suggestion: suggest(key),
            });
        }
        Ok(self.apply(
            vec![(key.to_string(), value.trim().to_string())],
            &format!("the override {key}={}", value.trim()),
        ))
    }

    /// Whether a source other than the reference profile turns supports on or off,
    /// as PrusaSlicer does: `support_material` enables them and `support_material_auto`
    /// places them under overhangs (off, only painted enforcers get supports, and a
    /// mesh file carries none; that case is warned about).
    fn supports(
        &self,
        problems: &mut Vec<KeyProblem>,
        warnings: &mut Vec<Warning>,
    ) -> Option<bool> {
        // Source 0 is the reference profile every builder starts from.
        let user_set = |key: &str| self.entries.get(key).filter(|e| e.source > 0);
        user_set("support_material").or(user_set("support_material_auto"))?;
        let mut flag = |key: &str| -> bool {
            let Some(e) = self.entries.get(key) else {
                return true;
            };
            ini::flag(&e.value).unwrap_or_else(|| {
                problems.push(KeyProblem {
                    key: key.to_string(),
                    message: format!("`{}` is not 0 or 1", short(&e.value)),
                });
                false
            })
        };
        let (enabled, auto) = (flag("support_material"), flag("support_material_auto"));
        if enabled && !auto {
            warnings.push(Warning::new(
                "support_enforcers_only",
                "support_material = 1 with support_material_auto = 0 supports only what is painted with support enforcers in PrusaSlicer, which a mesh file does not carry: estimated without supports (pass --supports on to have them under every overhang)",
            ));
        }
        Some(enabled && auto)
    }

    /// The profile, or every problem of every source.
    pub fn build(mut self) -> Result<LoadedProfile, ProfileError> {
        let mut problems = Vec::new();
        let mut warnings = std::mem::take(&mut self.warnings);
        let supports = self.supports(&mut problems, &mut warnings);
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        for (key, e) in &self.entries {
            let field = fields().contains(key.as_str());
            match key_use(key, &e.value, field) {
                KeyUse::Unknown => warnings.push(Warning::new(
                    "unknown_profile_key",
                    format!(
                        "`{key}` (in {}) is not a PrusaSlicer 2.5 FDM setting{}; it is ignored",
                        self.sources[e.source],
                        suggest(key)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default()
                    ),
                )),
                KeyUse::Unmodelled => warnings.push(Warning::new(
                    "unmodelled_profile_key",
                    format!(
                        "`{key} = {}` (in {}) changes print time or material in PrusaSlicer, but the estimate does not model it; it is ignored",
                        short(&e.value),
                        self.sources[e.source]
                    ),
                )),
                KeyUse::Modelled | KeyUse::Harmless => {}
            }
            if field {
                model.insert(key.clone(), e.value.clone());
            }
        }
        resolve_percentages(&mut model, &mut problems);
        // Type errors, each key on its own so that all are found; then ranges on the rest.
        let mut profile = ini::from_map::<FdmProfile>(&model);
        if profile.is_err() {
            let mut bad = Vec::new();
            for (k, v) in &model {
                let one = BTreeMap::from([(k.clone(), v.clone())]);
                if let Err(e) = ini::from_map::<FdmProfile>(&one) {
                    problems.push(KeyProblem {
                        key: k.clone(),
                        message: e.0,
                    });
                    bad.push(k.clone());
                }
            }
            for k in bad {
                model.remove(&k);
            }
            profile = ini::from_map::<FdmProfile>(&model);
        }
        let profile = match profile {
            Ok(p) => p,
            Err(e) => {
                problems.push(KeyProblem {
                    key: "(profile)".into(),
                    message: e.0,
                });
                FdmProfile::base()
            }
        };
        let mut range = profile.problems();
        // A key already reported as malformed is not reported again with its default.
        range.retain(|r| !problems.iter().any(|p| p.key == r.key));
        problems.extend(range);
        if !problems.is_empty() {
            return Err(ProfileError::Problems { problems });
        }
        Ok(LoadedProfile {
            profile,
            warnings,
            supports,
        })
    }
}

/// Rewrites PrusaSlicer's percentages as the absolute values they mean; a `%` where
/// PrusaSlicer takes none is a problem.
fn resolve_percentages(model: &mut BTreeMap<String, String>, problems: &mut Vec<KeyProblem>) {
    let percent = |v: &str| ini::first(v).ends_with('%');
    for (key, base) in PERCENT_OF {
        let Some(x) = model
            .get(*key)
            .filter(|v| percent(v))
            .and_then(|v| ini::number(v))
        else {
            continue;
        };
        let b = model
            .get(*base)
            .filter(|v| !percent(v))
            .and_then(|v| ini::number(v))
            .unwrap_or_else(|| default_number(base));
        model.insert(key.to_string(), (b * (x / 100.0)).to_string());
    }
    // A share of the external perimeter width, which may itself be automatic: kept as a
    // negative fraction for `FdmProfile::support_xy_gap` to resolve.
    if let Some(x) = model
        .get("support_material_xy_spacing")
        .filter(|v| percent(v))
        .and_then(|v| ini::number(v))
    {
        model.insert(
            "support_material_xy_spacing".into(),
            (-x / 100.0).to_string(),
        );
    }
    let refused: Vec<String> = model
        .iter()
        .filter(|(k, v)| percent(v) && !PERCENT_UNIT.contains(&k.as_str()))
        .map(|(k, _)| k.clone())
        .collect();
    for k in refused {
        let v = model.remove(&k).unwrap_or_default();
        problems.push(KeyProblem {
            message: format!("`{v}`: this key takes no percentage; give it in its unit"),
            key: k,
        });
    }
}

/// The presets of `kind` a user can choose (PrusaSlicer's `*template*` presets are only
/// inherited from).
fn presets_of<'a>(sections: &'a [Section], kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    sections
        .iter()
        .filter(move |s| s.kind == kind && !s.name.starts_with('*'))
        .map(|s| s.name.as_str())
}

/// `printer: A, B; filament: C; print: D, E`, at most 20 names per kind.
fn list_presets(sections: &[Section]) -> String {
    let kinds: Vec<String> = ["printer", "filament", "print"]
        .iter()
        .filter_map(|kind| {
            let names: Vec<&str> = presets_of(sections, kind).collect();
            if names.is_empty() {
                return None;
            }
            let mut shown = names
                .iter()
                .take(20)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > 20 {
                shown.push_str(&format!(" and {} more", names.len() - 20));
            }
            Some(format!("{kind}: {shown}"))
        })
        .collect();
    if kinds.is_empty() {
        "it holds no printer, filament or print preset".into()
    } else {
        kinds.join("; ")
    }
}

/// The keys of preset `name` of `kind`, over those of the presets it inherits from.
fn resolve_preset(
    sections: &[Section],
    kind: &'static str,
    name: &str,
    depth: usize,
    warnings: &mut Vec<Warning>,
) -> Result<Pairs, ProfileError> {
    let Some(section) = sections.iter().find(|s| s.kind == kind && s.name == name) else {
        if depth > 0 {
            warnings.push(Warning::new(
                "unknown_profile_parent",
                format!(
                    "a {kind} preset inherits from {name:?}, which the bundle does not hold; its own keys are read without it"
                ),
            ));
            return Ok(Vec::new());
        }
        return Err(ProfileError::UnknownPreset {
            kind,
            name: name.to_string(),
            known: {
                let known: Vec<&str> = presets_of(sections, kind).collect();
                if known.is_empty() {
                    "(none)".into()
                } else {
                    known.join(", ")
                }
            },
        });
    };
    let mut pairs = Vec::new();
    if let Some((_, parents)) = section.pairs.iter().find(|(k, _)| k == "inherits") {
        if depth >= MAX_INHERITS_DEPTH {
            warnings.push(Warning::new(
                "unknown_profile_parent",
                format!("{kind} preset {name:?} inherits more than {MAX_INHERITS_DEPTH} levels deep (a cycle?); the deeper parents are not read"),
            ));
        } else {
            for parent in parents.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                pairs.extend(resolve_preset(sections, kind, parent, depth + 1, warnings)?);
            }
        }
    }
    pairs.extend(section.pairs.iter().cloned());
    Ok(pairs)
}

fn line_problems(lines: Vec<ini::LineError>) -> ProfileError {
    ProfileError::Problems {
        problems: lines
            .into_iter()
            .map(|l| KeyProblem {
                key: format!("line {}", l.line),
                message: format!("`{}`: expected `key = value`", l.text),
            })
            .collect(),
    }
}

/// The value as shown in a warning: at most 60 characters.
fn short(v: &str) -> String {
    let mut s: String = v.chars().take(60).collect();
    if v.chars().count() > 60 {
        s.push('…');
    }
    s
}

/// The profile key closest to `key` by edit distance, when it is a likely typo.
fn suggest(key: &str) -> Option<String> {
    let limit = (key.chars().count() / 4).clamp(1, 3);
    fields()
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(l: &LoadedProfile) -> Vec<(&str, &str)> {
        l.warnings
            .iter()
            .map(|w| (w.code, w.message.as_str()))
            .collect()
    }

    #[test]
    fn supports_are_said_only_by_the_user_s_sources_and_read_as_booleans() {
        let said = |pairs: &[(&str, &str)]| {
            let mut b = ProfileBuilder::new();
            for (k, v) in pairs {
                b = b.set(k, v).expect("a PrusaSlicer key");
            }
            b.build().map(|l| l.supports)
        };
        // The reference profile's own `support_material = 0` is no choice.
        assert_eq!(said(&[]).ok(), Some(None));
        assert_eq!(said(&[("support_material", "1")]).ok(), Some(Some(true)));
        assert_eq!(
            said(&[("support_material", "false")]).ok(),
            Some(Some(false))
        );
        assert_eq!(
            said(&[("support_material", "1"), ("support_material_auto", "0")]).ok(),
            Some(Some(false))
        );
        match said(&[("support_material", "yes")]) {
            Err(ProfileError::Problems { problems }) => {
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].key, "support_material");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_misspelt_key_is_named_with_the_key_it_resembles() {
        let l = ProfileBuilder::new()
            .load_ini("layer_heigth = 0.1\n")
            .unwrap()
            .build()
            .unwrap();
        let w = codes(&l);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].0, "unknown_profile_key");
        assert!(
            w[0].1.contains("`layer_heigth`") && w[0].1.contains("`layer_height`"),
            "{}",
            w[0].1
        );
        assert_eq!(l.profile.layer_height, 0.2, "a typo sets nothing");
    }

    #[test]
    fn prusaslicer_keys_we_do_not_model_warn_unless_harmless() {
        let l = ProfileBuilder::new()
            .load_ini(
                "ironing = 1\nwipe_tower = 0\nstart_gcode = G28 ; home\nbed_temperature = 60\nfill_pattern = honeycomb\nfilament_retract_length = nil\nextrusion_multiplier = 0.95\n",
            )
            .unwrap()
            .build()
            .unwrap();
        let w = codes(&l);
        let named: Vec<&str> = w
            .iter()
            .map(|(c, m)| {
                assert_eq!(*c, "unmodelled_profile_key", "{m}");
                m.split('`')
                    .nth(1)
                    .and_then(|s| s.split(" =").next())
                    .unwrap_or("")
            })
            .collect();
        assert_eq!(named, vec!["extrusion_multiplier", "ironing"]);
    }

    #[test]
    fn later_sources_and_overrides_win_and_percentages_resolve_on_the_final_values() {
        let l = ProfileBuilder::new()
            .load_ini("support_material_speed = 40\nsupport_material_interface_speed = 50%\n")
            .unwrap()
            .load_ini("support_material_speed = 80\nlayer_height = 0.25\n")
            .unwrap()
            .set("external_perimeter_extrusion_width", "180%")
            .unwrap()
            .set("layer_height", "0.3")
            .unwrap()
            .build()
            .unwrap();
        let p = &l.profile;
        assert_eq!(p.support_material_speed, 80.0);
        assert_eq!(p.support_material_interface_speed, 40.0);
        assert_eq!(p.layer_height, 0.3);
        approx::assert_relative_eq!(
            p.external_perimeter_extrusion_width,
            0.54,
            max_relative = 1e-12
        );
        let e = ProfileBuilder::new()
            .set("layer_heigth", "0.1")
            .unwrap_err();
        assert!(e.to_string().contains("did you mean `layer_height`"), "{e}");
        let e = ProfileBuilder::new()
            .load_ini("infill_speed = 50%\n")
            .unwrap()
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("infill_speed"), "{e}");
    }

    const BUNDLE: &str = "\
[printer:*common*]
machine_max_jerk_x = 9
[printer:MK4 0.6]
inherits = *common*
nozzle_diameter = 0.6
[printer:MK4 0.4]
inherits = *common*
[filament:PETG]
filament_density = 1.27
[print:Draft]
layer_height = 0.3
inherits = Base
[print:Fine]
layer_height = 0.1
[presets]
print = Fine
";

    #[test]
    fn a_bundle_is_refused_with_its_presets_unless_they_are_chosen() {
        let e = ProfileBuilder::new().load_ini(BUNDLE).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("printer: MK4 0.6, MK4 0.4")
                && msg.contains("print: Draft, Fine")
                && msg.contains("filament: PETG"),
            "{msg}"
        );
        assert!(
            !msg.contains("*common*"),
            "templates are not choices: {msg}"
        );
        let half = PresetChoice {
            print: Some("Fine".into()),
            ..PresetChoice::default()
        };
        assert!(matches!(
            ProfileBuilder::new().load_ini_bundle(BUNDLE, &half),
            Err(ProfileError::ChoosePreset { .. })
        ));
        let choice = PresetChoice {
            printer: Some("MK4 0.6".into()),
            filament: Some("PETG".into()),
            print: Some("Draft".into()),
        };
        let l = ProfileBuilder::new()
            .load_ini_bundle(BUNDLE, &choice)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(l.profile.nozzle_diameter, 0.6);
        assert_eq!(l.profile.machine_max_jerk_x, 9.0, "inherited from *common*");
        assert_eq!(l.profile.filament_density, 1.27);
        assert_eq!(l.profile.layer_height, 0.3);
        assert_eq!(
            codes(&l)
                .iter()
                .filter(|(c, _)| *c == "unknown_profile_parent")
                .count(),
            1
        );
        let wrong = PresetChoice {
            print: Some("Normal".into()),
            ..choice
        };
        let e = ProfileBuilder::new()
            .load_ini_bundle(BUNDLE, &wrong)
            .unwrap_err();
        assert!(e.to_string().contains("Draft, Fine"), "{e}");
    }

    #[test]
    fn the_profile_keys_are_prusaslicer_keys() {
        assert!(fields().len() > 70);
        for k in fields() {
            assert!(is_prusaslicer_key(k), "{k}");
        }
    }
}
