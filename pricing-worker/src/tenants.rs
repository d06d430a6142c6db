//! The tenants file (`--tenants FILE`): per-tenant limits that take.lua enforces across
//! all workers.
//!
//! ```toml
//! # Limits of every tenant not listed below (each optional).
//! [default]
//! max_in_flight = 8
//!
//! [tenants.partner-42]
//! max_in_flight = 2     # jobs priced at once, across all workers
//! max_queued = 500      # jobs waiting; one more fails at once with quota_exceeded
//! rate_per_min = 120    # jobs started per minute; over it a job waits, it does not fail
//! burst = 10            # jobs that may start at once after an idle spell (default 1)
//! ```
//!
//! Every problem is reported with its field path, like `pricing price-book check`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::protocol::valid_tenant;

/// One tenant's limits; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Limit {
    /// Most jobs in flight across all workers.
    #[serde(rename = "f", skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u64>,
    /// Most jobs queued; a new job over it fails with `quota_exceeded`.
    #[serde(rename = "q", skip_serializing_if = "Option::is_none")]
    pub max_queued: Option<u64>,
    /// Jobs started per minute (a job over it waits).
    #[serde(rename = "r", skip_serializing_if = "Option::is_none")]
    pub rate_per_min: Option<f64>,
    /// Jobs that may start at once under the rate.
    #[serde(rename = "b", skip_serializing_if = "Option::is_none")]
    pub burst: Option<f64>,
}

impl Limit {
    fn is_empty(&self) -> bool {
        *self == Limit::default()
    }
}

/// The limits of every tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Limits {
    /// Limits of tenants not listed.
    #[serde(rename = "d")]
    pub default: Limit,
    /// Limits by tenant name.
    #[serde(rename = "t")]
    pub tenants: BTreeMap<String, Limit>,
}

/// A problem in the tenants file, with its field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// e.g. `tenants.partner-42.max_queued`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem of a tenants file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct TenantsErrors {
    /// Each problem.
    pub errors: Vec<FieldError>,
}

impl Limits {
    /// Reads and validates a tenants file.
    pub fn load(path: &Path) -> Result<Limits, TenantsErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| TenantsErrors {
            errors: vec![FieldError {
                path: path.display().to_string(),
                message: format!("cannot read the tenants file: {e}"),
            }],
        })?;
        Limits::parse(&text)
    }

    /// Parses and validates tenants TOML.
    pub fn parse(text: &str) -> Result<Limits, TenantsErrors> {
        let mut errors = Vec::new();
        let mut err = |path: &str, message: String| {
            errors.push(FieldError {
                path: path.to_string(),
                message,
            })
        };
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                err("(file)", format!("not valid TOML: {}", e.message()));
                return Err(TenantsErrors { errors });
            }
        };
        let mut limits = Limits::default();
        for (key, value) in &table {
            match key.as_str() {
                "default" => limits.default = limit(value, "default", &mut err),
                "tenants" => {
                    let Some(t) = value.as_table() else {
                        err("tenants", "must be a table of tenants".into());
                        continue;
                    };
                    for (name, v) in t {
                        let path = format!("tenants.{name}");
                        if !valid_tenant(name) {
                            err(
                                &path,
                                "a tenant name is 1 to 64 letters, digits, '.', '_', ':' or '-'"
                                    .into(),
                            );
                            continue;
                        }
                        let l = limit(v, &path, &mut err);
                        limits.tenants.insert(name.clone(), l);
                    }
                }
                other => err(
                    other,
                    "unknown key: expected [default] or [tenants.NAME]".into(),
                ),
            }
        }
        if errors.is_empty() {
            Ok(limits)
        } else {
            Err(TenantsErrors { errors })
        }
    }

    /// Whether no tenant has any limit.
    pub fn is_empty(&self) -> bool {
        self.default.is_empty() && self.tenants.values().all(Limit::is_empty)
    }

    /// The JSON take.lua reads (short keys), "" when there are no limits.
    pub fn to_script(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn limit(v: &toml::Value, path: &str, err: &mut impl FnMut(&str, String)) -> Limit {
    let mut l = Limit::default();
    let Some(t) = v.as_table() else {
        err(path, "must be a table of limits".into());
        return l;
    };
    for (k, v) in t {
        let p = format!("{path}.{k}");
        let positive = |v: &toml::Value| -> Option<f64> {
            let n = v.as_integer().map(|i| i as f64).or_else(|| v.as_float())?;
            (n.is_finite() && n > 0.0).then_some(n)
        };
        let count = |v: &toml::Value| v.as_integer().filter(|n| *n > 0).map(|n| n as u64);
        match k.as_str() {
            "max_in_flight" | "max_queued" => match count(v) {
                Some(n) if k == "max_in_flight" => l.max_in_flight = Some(n),
                Some(n) => l.max_queued = Some(n),
                None => err(&p, format!("must be a whole number above 0, not {v}")),
            },
            "rate_per_min" | "burst" => match positive(v) {
                Some(n) if k == "burst" => l.burst = Some(n),
                Some(n) => l.rate_per_min = Some(n),
                None => err(&p, format!("must be a number above 0, not {v}")),
            },
            _ => err(
                &p,
                "unknown limit: expected max_in_flight, max_queued, rate_per_min or burst".into(),
            ),
        }
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_with_defaults_and_tenants() {
        let l = Limits::parse(
            "[default]\nmax_in_flight = 4\n[tenants.partner-42]\nmax_queued = 5\nrate_per_min = 60\n",
        )
        .unwrap();
        assert_eq!(l.default.max_in_flight, Some(4));
        assert_eq!(l.tenants["partner-42"].max_queued, Some(5));
        assert_eq!(l.tenants["partner-42"].rate_per_min, Some(60.0));
        let j: serde_json::Value = serde_json::from_str(&l.to_script()).unwrap();
        assert_eq!(j["d"]["f"], 4);
        assert_eq!(j["t"]["partner-42"]["q"], 5);
        assert_eq!(Limits::parse("").unwrap().to_script(), "");
    }

    #[test]
    fn every_problem_has_its_path() {
        let e = Limits::parse(
            "[default]\nmax_in_flight = 0\n[tenants.a]\nmax_qeued = 3\nrate_per_min = -1\n[tenants.\"a b\"]\n[other]\n",
        )
        .unwrap_err();
        let paths: Vec<&str> = e.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "default.max_in_flight",
                "other",
                "tenants.a.max_qeued",
                "tenants.a.rate_per_min",
                "tenants.a b"
            ]
        );
        assert!(Limits::parse("not [ toml").is_err());
    }
}
