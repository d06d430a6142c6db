//! The calibration file: TOML that a person can read and audit.
//!
//! ```toml
//! # pricing calibration: ...
//! engine_version = "0.1.0"
//! target = "slicer"            # or "actual": the printers' logged times
//!
//! [time]                       # t = walls·T_walls + fills·T_fills + rest·T_rest
//! shape = "factor_per_print"   #     + per_print_s + per_layer_s·layers
//! walls = 1.08
//! fills = 1.08
//! rest = 1.08
//! per_print_s = 31.0
//! per_layer_s = 0.0
//!
//! [filament]                   # mm³ of each role group × its scale
//! walls = 1.01
//! fills = 0.98
//! support = 1.0
//! skirt = 1.0
//!
//! [fit]                        # |error| before and leave-one-out, median and p90
//! pairs = 7
//! time_before = [0.16, 0.25]
//! time_loo = [0.03, 0.06]
//! filament_before = [0.014, 0.05]
//! filament_loo = [0.01, 0.02]
//!
//! [[sources]]                  # every mesh and G-code, with blake3 of its bytes
//! stem = "gear_a"
//! file = "gear_a.gcode.gz"
//! blake3 = "…"
//!
//! [profile]                    # the FDM profile the pairs were sliced with
//! layer_height = 0.25
//! ```
//!
//! Reading checks every field and reports all problems at once, each with its path.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::fit::{TimeConstants, TimeShape};
use super::{FilamentScales, FitFigures, MachineCalibration, SourceFile, Target};
use crate::profile::{ProfileBuilder, ProfileError};
use crate::warning::Warning;

/// Why a calibration file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrationFileError {
    /// The file could not be read.
    #[error("cannot read calibration {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The TOML does not parse.
    #[error("calibration TOML: {0}")]
    Toml(String),
    /// Fields are missing or out of range.
    #[error("the calibration has {} problem{}:{}", problems.len(), if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(|(k, m)| format!("\n  {k}: {m}")).collect::<String>())]
    Fields {
        /// (field path, what is wrong).
        problems: Vec<(String, String)>,
    },
    /// The embedded profile does not load.
    #[error("the calibration's [profile]: {0}")]
    Profile(#[from] ProfileError),
}

impl CalibrationFileError {
    /// A short stable code.
    pub fn code(&self) -> &'static str {
        match self {
            CalibrationFileError::Io { .. } => "calibration_unreadable",
            CalibrationFileError::Toml(_) => "calibration_toml",
            CalibrationFileError::Fields { .. } => "calibration_fields",
            CalibrationFileError::Profile(_) => "calibration_profile",
        }
    }
}

impl MachineCalibration {
    /// The calibration as TOML; `header` is written as comment lines at the top (the
    /// command that made it, say).
    pub fn to_toml(&self, header: &str) -> String {
        let mut root = Table::new();
        root.insert("engine_version".into(), self.engine_version.clone().into());
        root.insert("target".into(), self.target.as_str().into());
        let t = &self.time;
        let mut time = Table::new();
        time.insert("shape".into(), t.shape.as_str().into());
        for (k, v) in [
            ("walls", t.walls),
            ("fills", t.fills),
            ("rest", t.rest),
            ("per_print_s", t.per_print_s),
            ("per_layer_s", t.per_layer_s),
        ] {
            time.insert(k.into(), round(v).into());
        }
        root.insert("time".into(), time.into());
        let f = &self.filament;
        let mut fil = Table::new();
        for (k, v) in [
            ("walls", f.walls),
            ("fills", f.fills),
            ("support", f.support),
            ("skirt", f.skirt),
        ] {
            fil.insert(k.into(), round(v).into());
        }
        root.insert("filament".into(), fil.into());
        if let Some(fig) = &self.figures {
            let mut t = Table::new();
            t.insert("pairs".into(), (fig.pairs as i64).into());
            for (k, (m, p)) in [
                ("time_before", fig.time_before),
                ("time_loo", fig.time_loo),
                ("filament_before", fig.filament_before),
                ("filament_loo", fig.filament_loo),
            ] {
                t.insert(
                    k.into(),
                    Value::Array(vec![round(m).into(), round(p).into()]),
                );
            }
            root.insert("fit".into(), t.into());
        }
        let sources: Vec<Value> = self
            .sources
            .iter()
            .map(|s| {
                let mut t = Table::new();
                t.insert("stem".into(), s.stem.clone().into());
                t.insert("file".into(), s.file.clone().into());
                t.insert("blake3".into(), s.blake3.clone().into());
                Value::Table(t)
            })
            .collect();
        root.insert("sources".into(), Value::Array(sources));
        if let Ok(Value::Table(p)) = Value::try_from(&self.profile) {
            root.insert("profile".into(), p.into());
        }
        let mut out: String = header.lines().map(|l| format!("# {l}\n")).collect();
        out.push_str(&toml::to_string(&root).unwrap_or_default());
        out
    }

    /// Reads a calibration file; its hash is blake3 of the bytes.
    pub fn load(path: &Path) -> Result<(MachineCalibration, Vec<Warning>), CalibrationFileError> {
        let bytes = std::fs::read(path).map_err(|source| CalibrationFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        MachineCalibration::from_toml_str(&text)
    }

    /// Reads calibration TOML. Warnings: the engine version differs from this one (the
    /// constants were fitted on another estimator), profile keys not modelled.
    pub fn from_toml_str(
        text: &str,
    ) -> Result<(MachineCalibration, Vec<Warning>), CalibrationFileError> {
        let root: Table = toml::from_str(text)
            .map_err(|e| CalibrationFileError::Toml(e.to_string().trim().replace('\n', " ")))?;
        let mut r = Reader::default();
        r.keys(
            &root,
            "",
            &[
                "engine_version",
                "target",
                "time",
                "filament",
                "fit",
                "sources",
                "profile",
            ],
        );
        let engine_version = r.string(&root, "", "engine_version").unwrap_or_default();
        let target = match r.string(&root, "", "target").as_deref() {
            Some("slicer") => Target::Slicer,
            Some("actual") => Target::Actual,
            Some(other) => {
                r.err(
                    "target",
                    format!("expected \"slicer\" or \"actual\", got {other:?}"),
                );
                Target::Slicer
            }
            None => Target::Slicer,
        };
        let time_t = r.table(&root, "time");
        r.keys(
            &time_t,
            "time",
            &[
                "shape",
                "walls",
                "fills",
                "rest",
                "per_print_s",
                "per_layer_s",
            ],
        );
        let shape = match r.string(&time_t, "time", "shape") {
            Some(s) => TimeShape::parse(&s).unwrap_or_else(|| {
                r.err(
                    "time.shape",
                    format!(
                        "unknown shape {s:?}; expected one of {}",
                        TimeShape::ALL.map(|t| t.as_str()).join(", ")
                    ),
                );
                TimeShape::Factor
            }),
            None => TimeShape::Factor,
        };
        let time = TimeConstants {
            shape,
            walls: r.num(&time_t, "time", "walls", true),
            fills: r.num(&time_t, "time", "fills", true),
            rest: r.num(&time_t, "time", "rest", true),
            per_print_s: r.num(&time_t, "time", "per_print_s", false),
            per_layer_s: r.num(&time_t, "time", "per_layer_s", false),
        };
        let fil_t = r.table(&root, "filament");
        r.keys(&fil_t, "filament", &["walls", "fills", "support", "skirt"]);
        let filament = FilamentScales {
            walls: r.num(&fil_t, "filament", "walls", true),
            fills: r.num(&fil_t, "filament", "fills", true),
            support: r.num(&fil_t, "filament", "support", true),
            skirt: r.num(&fil_t, "filament", "skirt", true),
        };
        let figures = root.get("fit").and_then(Value::as_table).map(|t| {
            let pair = |k: &str| {
                t.get(k)
                    .and_then(Value::as_array)
                    .map(|a| {
                        let x = |i: usize| a.get(i).and_then(Value::as_float).unwrap_or(f64::NAN);
                        (x(0), x(1))
                    })
                    .unwrap_or((f64::NAN, f64::NAN))
            };
            FitFigures {
                pairs: t
                    .get("pairs")
                    .and_then(Value::as_integer)
                    .unwrap_or(0)
                    .max(0) as usize,
                time_before: pair("time_before"),
                time_loo: pair("time_loo"),
                filament_before: pair("filament_before"),
                filament_loo: pair("filament_loo"),
            }
        });
        let mut sources = Vec::new();
        if let Some(list) = root.get("sources").and_then(Value::as_array) {
            for (i, v) in list.iter().enumerate() {
                let path = format!("sources[{i}]");
                let Some(t) = v.as_table() else {
                    r.err(&path, "expected a table with stem, file and blake3");
                    continue;
                };
                sources.push(SourceFile {
                    stem: r.string(t, &path, "stem").unwrap_or_default(),
                    file: r.string(t, &path, "file").unwrap_or_default(),
                    blake3: r.string(t, &path, "blake3").unwrap_or_default(),
                });
            }
        }
        let profile_t = r.table(&root, "profile");
        if !r.problems.is_empty() {
            return Err(CalibrationFileError::Fields {
                problems: r.problems,
            });
        }
        let loaded = ProfileBuilder::new().load_toml_table(&profile_t)?.build()?;
        let mut warnings = loaded.warnings;
        if engine_version != env!("CARGO_PKG_VERSION") {
            warnings.push(Warning::new(
                "calibration_engine_version",
                format!(
                    "the calibration was fitted by engine {engine_version}, this is {}: its constants correct another estimator; run `pricing calibrate` again",
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        Ok((
            MachineCalibration {
                time,
                filament,
                profile: loaded.profile,
                target,
                engine_version,
                sources,
                figures,
                hash: blake3::hash(text.as_bytes()).to_hex().to_string(),
            },
            warnings,
        ))
    }
}

/// Six significant digits: enough for any figure here, and a file a person can read.
fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 6 - (x.abs().log10().floor() as i32) - 1;
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

#[derive(Default)]
struct Reader {
    problems: Vec<(String, String)>,
}

impl Reader {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push((path.into(), message.into()));
    }

    fn keys(&mut self, t: &Table, path: &str, known: &[&str]) {
        for k in t.keys() {
            if !known.contains(&k.as_str()) {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                self.err(
                    p,
                    format!("unknown key; expected one of: {}", known.join(", ")),
                );
            }
        }
    }

    fn table(&mut self, t: &Table, key: &str) -> Table {
        match t.get(key) {
            Some(Value::Table(t)) => t.clone(),
            Some(_) => {
                self.err(key, "expected a table");
                Table::new()
            }
            None => {
                self.err(key, "missing");
                Table::new()
            }
        }
    }

    fn string(&mut self, t: &Table, path: &str, key: &str) -> Option<String> {
        let p = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        match t.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.err(p, "expected a string");
                None
            }
            None => {
                self.err(p, "missing");
                None
            }
        }
    }

    /// A constant: a scale (> 0) or an added time (≥ 0).
    fn num(&mut self, t: &Table, path: &str, key: &str, scale: bool) -> f64 {
        let p = format!("{path}.{key}");
        let x = match t.get(key) {
            Some(Value::Float(f)) => *f,
            Some(Value::Integer(i)) => *i as f64,
            Some(_) => {
                self.err(p, "expected a number");
                return if scale { 1.0 } else { 0.0 };
            }
            None => {
                self.err(p, "missing");
                return if scale { 1.0 } else { 0.0 };
            }
        };
        let ok = x.is_finite()
            && if scale {
                x > 0.0 && x < 10.0
            } else {
                (0.0..1e6).contains(&x)
            };
        if !ok {
            self.err(
                p,
                if scale {
                    format!("a scale must be > 0 and < 10, got {x}")
                } else {
                    format!("an added time must be ≥ 0 s and < 1e6 s, got {x}")
                },
            );
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::fdm::FdmProfile;

    #[test]
    fn a_calibration_round_trips_through_its_file() {
        let profile = FdmProfile {
            layer_height: 0.25,
            fill_pattern: "grid".into(),
            ..FdmProfile::default()
        };
        let cal = MachineCalibration {
            time: TimeConstants {
                shape: TimeShape::FactorPerPrint,
                walls: 1.18,
                fills: 1.18,
                rest: 1.18,
                per_print_s: 30.0,
                per_layer_s: 0.0,
            },
            filament: FilamentScales::uniform(0.99),
            sources: vec![SourceFile {
                stem: "a".into(),
                file: "a.gcode".into(),
                blake3: "00".into(),
            }],
            ..MachineCalibration::identity(profile)
        };
        let text = cal.to_toml("made by a test");
        assert!(text.starts_with("# made by a test\n"), "{text}");
        let (back, warnings) = MachineCalibration::from_toml_str(&text).expect("reads back");
        // Only what any profile with these keys says (the estimate ignores the pattern).
        assert!(
            warnings.iter().all(|w| w.code == "unmodelled_profile_key"),
            "{warnings:?}"
        );
        assert_eq!(back.time, cal.time);
        assert_eq!(back.filament, cal.filament);
        assert_eq!(back.profile, cal.profile);
        assert_eq!(back.sources, cal.sources);
        assert_eq!(back.hash.len(), 64);
    }

    #[test]
    fn every_bad_field_is_named() {
        let e = MachineCalibration::from_toml_str(
            "engine_version = \"0.1.0\"\ntarget = \"guess\"\n[time]\nshape = \"magic\"\nwalls = -1\nfills = 1\nrest = 1\nper_print_s = 0\nper_layer_s = 0\ncolour = 1\n[filament]\nwalls = 1\nfills = 1\nsupport = 1\n[profile]\n",
        )
        .expect_err("bad");
        let msg = e.to_string();
        for needle in [
            "target",
            "time.shape",
            "time.walls",
            "time.colour",
            "filament.skirt",
        ] {
            assert!(msg.contains(needle), "{needle} in {msg}");
        }
        assert_eq!(
            MachineCalibration::from_toml_str("x = ")
                .expect_err("toml")
                .code(),
            "calibration_toml"
        );
    }
}
