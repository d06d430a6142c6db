//! The one place the worker calls the pricing engine.
//!
//! **Adapter, to be switched at merge.** The worker must store exactly the JSON of
//! `pricing quote --json`. That function (`pricing_core::price::quote_bytes` with a
//! `Quoter`, a `QuoteRequest` deserialised from the job's `params`, and `QuoteError`'s
//! `code()`/`is_permanent()`) is being built on another branch. Until it lands this adapter
//! reads the mesh, analyses it and runs the FDM estimate, returning
//! `{"file", "analysis", "estimate"}`. At merge only [`Engine::price`],
//! [`Engine::new`], [`ENGINE_VERSION`] and [`Params`] change; the rest of the worker sees
//! the same signature.

use pricing_core::analysis::{self, Scaling};
use pricing_core::estimate::fdm;
use pricing_core::mesh::{self, ReadLimits};
use pricing_core::profile::fdm::FdmProfile;
use pricing_core::units::Unit;
use serde::Deserialize;

/// Part of the content-cache key: a cached result is only reused by the same engine.
/// Bump the suffix when the adapter's output changes without a crate version bump.
pub const ENGINE_VERSION: &str = concat!("estimate-adapter/", env!("CARGO_PKG_VERSION"), "/1");

/// Why the engine could not price a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EngineError {
    /// Stable code (the engine's own, e.g. `truncated`, or `bad_params`).
    pub code: String,
    /// What is wrong and what to do.
    pub message: String,
    /// Permanent: the same input will fail again, so do not retry.
    pub permanent: bool,
}

impl EngineError {
    fn permanent(code: &str, message: impl Into<String>) -> EngineError {
        EngineError {
            code: code.to_string(),
            message: message.into(),
            permanent: true,
        }
    }
}

/// The job's `params`, with the same fields as `pricing quote`'s options.
///
/// Mirrors `QuoteRequest` (which denies unknown fields), so a typo in a field name fails
/// the job now rather than quoting something else. The adapter only uses `supports`,
/// `scale` and `units`; the others are accepted for the quote engine.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Material name from the price book.
    pub material: Option<String>,
    /// Machine name from the price book.
    pub machine: Option<String>,
    /// Copies to print.
    pub quantity: Option<u32>,
    /// Lead-time tier.
    pub lead_time: Option<String>,
    /// Print with supports (default true).
    pub supports: Option<bool>,
    /// Multiply coordinates by this to get millimetres.
    pub scale: Option<f64>,
    /// Units the file is drawn in: auto, mm, cm, m, inch.
    pub units: Option<String>,
}

impl Params {
    /// Parses a `params` field: absent means defaults; anything but a JSON object with
    /// known fields is a permanent `bad_params` error.
    pub fn parse(params: Option<&str>) -> Result<Params, EngineError> {
        let Some(text) = params else {
            return Ok(Params::default());
        };
        if text.trim().is_empty() {
            return Ok(Params::default());
        }
        serde_json::from_str::<Params>(text).map_err(|e| {
            EngineError::permanent(
                "bad_params",
                format!(
                    "params is not a valid JSON object of quote options ({e}); send e.g. {{\"quantity\":3,\"material\":\"PLA\"}}"
                ),
            )
        })
    }

    fn scaling(&self) -> Result<Scaling, EngineError> {
        if let Some(s) = self.scale {
            if s.is_finite() && s > 0.0 {
                return Ok(Scaling::Factor(s));
            }
            return Err(EngineError::permanent(
                "bad_params",
                format!("params.scale must be a positive number, not {s}"),
            ));
        }
        Ok(match self.units.as_deref() {
            None | Some("auto") => Scaling::Auto,
            Some("mm") => Scaling::Unit(Unit::Mm),
            Some("cm") => Scaling::Unit(Unit::Cm),
            Some("m") => Scaling::Unit(Unit::M),
            Some("inch") => Scaling::Unit(Unit::Inch),
            Some(other) => {
                return Err(EngineError::permanent(
                    "bad_params",
                    format!("params.units must be auto, mm, cm, m or inch, not `{other}`"),
                ));
            }
        })
    }
}

/// The configured pricing engine. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Engine {
    limits: ReadLimits,
    profile: FdmProfile,
}

impl Engine {
    /// An engine whose mesh reader refuses files over `max_bytes`.
    pub fn new(max_bytes: u64) -> Engine {
        Engine {
            limits: ReadLimits {
                max_bytes,
                ..ReadLimits::default()
            },
            profile: FdmProfile::default(),
        }
    }

    /// Prices `bytes` (a model named `file`) with `params`; returns the quote JSON.
    pub fn price(
        &self,
        file: &str,
        bytes: &[u8],
        params: Option<&str>,
    ) -> Result<serde_json::Value, EngineError> {
        let params = Params::parse(params)?;
        let scaling = params.scaling()?;
        let loaded = mesh::read_bytes(bytes, &self.limits)
            .map_err(|e| EngineError::permanent(e.code(), e.to_string()))?;
        let part = analysis::analyze(loaded.mesh, loaded.format, scaling);
        let estimate = fdm::estimate(&part, &self.profile, params.supports.unwrap_or(true))
            .map_err(|e| EngineError::permanent(e.code(), e.to_string()))?;
        Ok(serde_json::json!({
            "file": file,
            "analysis": part.analysis,
            "estimate": estimate,
        }))
    }

    /// Sets the `file` of a cached document to this job's model name, so a cache hit is
    /// byte-identical to pricing the model afresh.
    pub fn rename(&self, doc: &mut serde_json::Value, file: &str) {
        if let Some(obj) = doc.as_object_mut()
            && obj.contains_key("file")
        {
            obj.insert("file".into(), serde_json::Value::String(file.into()));
        }
    }

    /// The total price in a quote document, for the `done` event. `None` until the
    /// quote engine lands (the estimate has no price).
    pub fn total_price(&self, doc: &serde_json::Value) -> Option<String> {
        let v = doc
            .get("total")
            .or_else(|| doc.get("price").and_then(|p| p.get("total")))?;
        match v {
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_params_are_permanent() {
        let e = Params::parse(Some("{not json")).unwrap_err();
        assert_eq!(e.code, "bad_params");
        assert!(e.permanent);
        let e = Params::parse(Some(r#"{"quantiy":3}"#)).unwrap_err();
        assert_eq!(e.code, "bad_params");
        assert!(Params::parse(Some(r#"{"quantity":3,"material":"PLA"}"#)).is_ok());
        assert!(Params::parse(None).is_ok());
    }

    #[test]
    fn invalid_mesh_is_permanent_with_the_mesh_code() {
        let e = Engine::new(1 << 20).price("x.stl", b"", None).unwrap_err();
        assert_eq!(e.code, "empty");
        assert!(e.permanent);
    }
}
