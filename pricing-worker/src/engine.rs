//! The one place the worker calls the pricing engine.
//!
//! A job is priced exactly as `pricing quote --json` prices a file: its `params` JSON
//! deserialises into [`QuoteRequest`] and is validated (unknown fields, bad values:
//! `bad_params`, before the model is read or the cache consulted), and
//! `price::quote_bytes` reads, analyses, estimates and prices the bytes with the
//! embedded price book. The result stays typed: a [`QuoteDocument`], turned into a
//! [`PricedQuote`] (its parts serialised once, its total a number) for the record and
//! the cache. Input errors are permanent (no retry) and keep the engine's own code;
//! every message is bounded and never echoes model bytes.

use pricing_core::mesh::{MeshError, ReadLimits};
use pricing_core::price::{PriceBook, QuoteDocument, QuoteError, QuoteRequest, Quoter};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::cancel::{self, Cancel, Cancelled};
use crate::sanitize;

/// Part of the content-cache key: a cached result is only reused by the same engine.
/// The embedded price book is compiled in, so the crate version pins it; bump the suffix
/// when the output changes without a version bump.
pub const ENGINE_VERSION: &str = concat!("quote/", env!("CARGO_PKG_VERSION"), "/3");

/// Why the engine could not price a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EngineError {
    /// Stable code (the engine's own, e.g. `truncated`, or `bad_params`, `cancelled`).
    pub code: String,
    /// What is wrong and what to do (bounded).
    pub message: String,
    /// Permanent: the same input will fail again, so do not retry.
    pub permanent: bool,
}

impl EngineError {
    fn permanent(code: &str, message: &str) -> EngineError {
        EngineError {
            code: code.to_string(),
            message: sanitize::message(message),
            permanent: true,
        }
    }

    fn from_quote(e: &QuoteError) -> EngineError {
        let message = match e {
            // The detail quotes the model's first bytes: never echo a blob's content.
            QuoteError::Mesh(MeshError::UnknownFormat { .. }) => {
                "unknown format: the bytes are not binary or ASCII STL, nor OBJ, nor a gzip of one; send the model as STL or OBJ".to_string()
            }
            other => other.to_string(),
        };
        EngineError {
            code: e.code().to_string(),
            message: sanitize::message(&message),
            permanent: e.is_permanent(),
        }
    }
}

/// A validated quote request and its canonical text (the cache key's part).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What to quote.
    pub quote: QuoteRequest,
}

impl Request {
    /// The canonical form of the request: every field, typed, in declaration order
    /// (`Debug` of the parsed struct, so a field added to `QuoteRequest` is in it).
    /// Two params texts give the same canonical form exactly when they ask for the same
    /// quote; malformed params never get this far.
    pub fn canonical(&self) -> String {
        format!("{:?}", self.quote)
    }
}

/// Parses and validates a job's `params`: absent or blank means defaults; anything but a
/// JSON object of known quote options with valid values is a permanent `bad_params`
/// error (values out of range keep the engine's code, `invalid_request`).
pub fn parse_params(params: Option<&str>) -> Result<Request, EngineError> {
    let quote = match params.filter(|t| !t.trim().is_empty()) {
        None => QuoteRequest::default(),
        Some(text) => serde_json::from_str::<QuoteRequest>(text).map_err(|e| {
            EngineError::permanent(
                "bad_params",
                &format!(
                    "params is not a valid JSON object of quote options ({e}); send e.g. {{\"quantity\":3,\"material\":\"PLA\"}}"
                ),
            )
        })?,
    };
    quote.validate().map_err(|e| EngineError::from_quote(&e))?;
    Ok(Request { quote })
}

/// A priced quote as the worker stores and caches it: the [`QuoteDocument`]'s parts
/// after `file`, each serialised once, and the total as a number. The file name is
/// given when it is written ([`PricedQuote::named`]), so a cache hit carries its own
/// job's name without rewriting any JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PricedQuote {
    /// The quote's total price (`price.total`), for the `done` event.
    pub total: f64,
    analysis: Box<RawValue>,
    estimate: Box<RawValue>,
    price: Box<RawValue>,
    items: Box<RawValue>,
}

/// A [`PricedQuote`] with its file name: serialises exactly as [`QuoteDocument`] does.
#[derive(Debug, Serialize)]
pub struct NamedQuote<'a> {
    file: &'a str,
    analysis: &'a RawValue,
    estimate: &'a RawValue,
    price: &'a RawValue,
    items: &'a RawValue,
}

impl PricedQuote {
    /// From the engine's document.
    pub fn from_document(doc: &QuoteDocument) -> Result<PricedQuote, EngineError> {
        let raw = |r: serde_json::Result<Box<RawValue>>| {
            r.map_err(|e| {
                EngineError::permanent("serialize", &format!("cannot write the quote: {e}"))
            })
        };
        Ok(PricedQuote {
            total: doc.price.total,
            analysis: raw(serde_json::value::to_raw_value(&doc.analysis))?,
            estimate: raw(serde_json::value::to_raw_value(&doc.estimate))?,
            price: raw(serde_json::value::to_raw_value(&doc.price))?,
            items: raw(serde_json::value::to_raw_value(&doc.items))?,
        })
    }

    /// The document for a job whose model is named `file`.
    pub fn named<'a>(&'a self, file: &'a str) -> NamedQuote<'a> {
        NamedQuote {
            file,
            analysis: &self.analysis,
            estimate: &self.estimate,
            price: &self.price,
            items: &self.items,
        }
    }

    /// The total as the event carries it (the same digits as in the quote's JSON).
    pub fn total_text(&self) -> String {
        serde_json::to_string(&self.total).unwrap_or_default()
    }
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
        Engine::with_book(max_bytes, PriceBook::embedded())
    }

    /// An engine that prices with `book` (the shop's `--price-book`).
    pub fn with_book(max_bytes: u64, book: PriceBook) -> Engine {
        Engine {
            limits: ReadLimits {
                max_bytes,
                ..ReadLimits::default()
            },
            quoter: std::sync::Arc::new(Quoter::new(book)),
        }
    }

    /// The price book it prices with.
    pub fn book(&self) -> &PriceBook {
        self.quoter.price_book()
    }

    /// Engine version and price book hash: what every quote carries as
    /// `pricing_version`, and part of the content-cache key, so a quote cached under one
    /// book is never served under another.
    pub fn pricing_version(&self) -> String {
        format!("{ENGINE_VERSION}|{}", self.book().pricing_version())
    }

    /// Prices `bytes` (a model named `file`) with `params`, never cancelled: the same
    /// document `pricing quote --json` prints (for tests and benches).
    pub fn price(
        &self,
        file: &str,
        bytes: &[u8],
        params: Option<&str>,
    ) -> Result<QuoteDocument, EngineError> {
        let request = parse_params(params)?;
        self.price_request(file, bytes, &request, &Cancel::never())
    }

    /// Prices `bytes` for a validated request under `cancel` (code `cancelled`).
    pub fn price_request(
        &self,
        file: &str,
        bytes: &[u8],
        request: &Request,
        cancel: &Cancel,
    ) -> Result<QuoteDocument, EngineError> {
        match cancel::quote_bytes_with(
            &self.quoter,
            file,
            bytes,
            &request.quote,
            &self.limits,
            cancel,
        ) {
            Ok(Ok(doc)) => Ok(doc),
            Ok(Err(e)) => Err(EngineError::from_quote(&e)),
            Err(Cancelled) => Err(EngineError {
                code: "cancelled".into(),
                message: "the pricing was cancelled".into(),
                permanent: false,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/cube-20mm.stl"
        ))
        .unwrap_or_default()
    }

    #[test]
    fn malformed_params_are_permanent_bad_params() {
        for bad in [
            "{not json",
            r#"{"quantity":50,"material":"PETG""#,
            r#"{"quantity":NaN}"#,
            r#"{"quantity":3} trailing"#,
            r#"{"quantiy":3}"#,
            "[1,2]",
        ] {
            let e = parse_params(Some(bad)).unwrap_err();
            assert_eq!(e.code, "bad_params", "{bad}");
            assert!(e.permanent);
        }
        assert!(parse_params(Some(r#"{"quantity":3,"material":"PLA"}"#)).is_ok());
        assert!(parse_params(None).is_ok());
        assert_eq!(
            parse_params(Some(r#"{"quantity":0}"#)).unwrap_err().code,
            "invalid_request"
        );
    }

    #[test]
    fn canonical_requests_tell_apart_exactly_what_differs() {
        let c = |p: &str| parse_params(Some(p)).unwrap().canonical();
        assert_eq!(
            c(r#"{"quantity":3,"material":"PLA"}"#),
            c(r#"{ "material" : "PLA", "quantity": 3 }"#)
        );
        assert_eq!(c("{}"), parse_params(None).unwrap().canonical());
        assert_ne!(c(r#"{"quantity":3}"#), c(r#"{"quantity":4}"#));
        assert_ne!(c(r#"{"scale":1.0}"#), c(r#"{"scale":1.0000000001}"#));
        assert_ne!(c("{}"), c(r#"{"supports":false}"#));
    }

    #[test]
    fn invalid_mesh_is_permanent_with_the_mesh_code_and_no_bytes_echoed() {
        let e = Engine::new(1 << 20).price("x.stl", b"", None).unwrap_err();
        assert_eq!(e.code, "empty");
        assert!(e.permanent);
        let e = Engine::new(1 << 20)
            .price("x", b"SECRET-SESSION-TOKEN-0123456789", None)
            .unwrap_err();
        assert_eq!(e.code, "unknown_format");
        assert!(!e.message.contains("SECRET"), "{}", e.message);
    }

    #[test]
    fn a_priced_quote_serialises_exactly_as_the_document() {
        let doc = Engine::new(1 << 20)
            .price("cube.stl", &cube(), None)
            .unwrap();
        let q = PricedQuote::from_document(&doc).unwrap();
        assert_eq!(
            serde_json::to_string(&q.named("cube.stl")).unwrap(),
            serde_json::to_string(&doc).unwrap()
        );
        assert_eq!(q.total, doc.price.total);
        // Through the cache's JSON and back: the same bytes.
        let back: PricedQuote = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap();
        assert_eq!(
            serde_json::to_string(&back.named("b")).unwrap(),
            serde_json::to_string(&q.named("b")).unwrap()
        );
    }

    #[test]
    fn a_huge_material_name_gives_a_bounded_message() {
        let params = format!(r#"{{"material":"{}"}}"#, "M".repeat(2 << 20));
        let r = parse_params(Some(&params)).unwrap();
        let e = Engine::new(1 << 20)
            .price_request("cube.stl", &cube(), &r, &Cancel::never())
            .unwrap_err();
        assert_eq!(e.code, "unknown_material");
        assert!(
            e.message.len() < 2 * sanitize::MAX_MESSAGE,
            "{}",
            e.message.len()
        );
    }
}
