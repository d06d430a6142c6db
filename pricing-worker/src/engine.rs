//! The one place the worker calls the pricing engine.
//!
//! A job is priced exactly as `pricing quote --json` prices a file: its `params` JSON
//! deserialises into [`QuoteRequest`] (unknown fields are rejected, so a typo fails the
//! job instead of quoting something else), and [`price::quote_bytes`] reads, analyses,
//! estimates and prices the bytes with the embedded price book. Input errors are
//! permanent (no retry) and keep the engine's own error code.

use pricing_core::mesh::ReadLimits;
use pricing_core::price::{self, PriceBook, QuoteRequest, Quoter};

/// Part of the content-cache key: a cached result is only reused by the same engine.
/// The embedded price book is compiled in, so the crate version pins it; bump the suffix
/// when the output changes without a version bump.
pub const ENGINE_VERSION: &str = concat!("quote/", env!("CARGO_PKG_VERSION"), "/1");

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

/// Parses a job's `params`: absent or blank means defaults; anything but a JSON object
/// of known quote options is a permanent `bad_params` error.
pub fn parse_params(params: Option<&str>) -> Result<QuoteRequest, EngineError> {
    let Some(text) = params.filter(|t| !t.trim().is_empty()) else {
        return Ok(QuoteRequest::default());
    };
    serde_json::from_str::<QuoteRequest>(text).map_err(|e| {
        EngineError::permanent(
            "bad_params",
            format!(
                "params is not a valid JSON object of quote options ({e}); send e.g. {{\"quantity\":3,\"material\":\"PLA\"}}"
            ),
        )
    })
}

/// The configured pricing engine. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Engine {
    limits: ReadLimits,
    quoter: std::sync::Arc<Quoter>,
}

impl Engine {
    /// An engine with the embedded price book whose mesh reader refuses files over
    /// `max_bytes`.
    pub fn new(max_bytes: u64) -> Engine {
        Engine {
            limits: ReadLimits {
                max_bytes,
                ..ReadLimits::default()
            },
            quoter: std::sync::Arc::new(Quoter::new(PriceBook::embedded())),
        }
    }

    /// Prices `bytes` (a model named `file`) with `params`; returns the quote JSON, the
    /// same document `pricing quote --json` prints.
    pub fn price(
        &self,
        file: &str,
        bytes: &[u8],
        params: Option<&str>,
    ) -> Result<serde_json::Value, EngineError> {
        let request = parse_params(params)?;
        let doc =
            price::quote_bytes(&self.quoter, file, bytes, &request, &self.limits).map_err(|e| {
                EngineError {
                    code: e.code().to_string(),
                    message: e.to_string(),
                    permanent: e.is_permanent(),
                }
            })?;
        serde_json::to_value(&doc).map_err(|e| {
            EngineError::permanent("serialize", format!("cannot write the quote: {e}"))
        })
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

    /// The total price in a quote document, for the `done` event.
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
        let e = parse_params(Some("{not json")).unwrap_err();
        assert_eq!(e.code, "bad_params");
        assert!(e.permanent);
        let e = parse_params(Some(r#"{"quantiy":3}"#)).unwrap_err();
        assert_eq!(e.code, "bad_params");
        assert!(parse_params(Some(r#"{"quantity":3,"material":"PLA"}"#)).is_ok());
        assert!(parse_params(None).is_ok());
    }

    #[test]
    fn invalid_mesh_is_permanent_with_the_mesh_code() {
        let e = Engine::new(1 << 20).price("x.stl", b"", None).unwrap_err();
        assert_eq!(e.code, "empty");
        assert!(e.permanent);
    }
}
