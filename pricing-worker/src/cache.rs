//! The content cache: a quote stored under a hash of the engine version and price book
//! (`Engine::pricing_version`), the validated request and the model bytes, answered to
//! repeats at once. A reloaded price book has another hash, so a reload never serves an
//! old price.
//!
//! The key is made from the *validated, canonical* request ([`Request::canonical`]), so
//! malformed params never reach it (they fail with `bad_params` first) and two params
//! texts share an entry only when they ask for the same quote. The old key parsed the
//! params leniently and fell back to "no params" for invalid JSON, so a truncated
//! request for 50 PETG parts was answered with the cached quote for 1 PLA part.

use redis::RedisResult;

use crate::engine::{PricedQuote, Request};
use crate::protocol::Keys;
use crate::queue::RedisConn;

/// The cache hash of `bytes` priced for `request` by the engine whose
/// `pricing_version` is `version`.
pub fn hash(version: &str, bytes: &[u8], request: &Request) -> String {
    let mut h = blake3::Hasher::new();
    h.update(version.as_bytes());
    h.update(&[0]);
    h.update(request.canonical().as_bytes());
    h.update(&[0]);
    h.update(bytes);
    h.finalize().to_hex().to_string()
}

/// The cached quote under `hash`, if any. Errors count as a miss: the job is priced.
pub fn get(conn: &mut RedisConn, keys: &Keys, hash: &str) -> Option<PricedQuote> {
    let hit: Option<String> = conn
        .run(|c| redis::cmd("GET").arg(keys.cache(hash)).query(c))
        .ok()
        .flatten();
    hit.and_then(|h| serde_json::from_str(&h).ok())
}

/// Stores `quote` under `hash` for `ttl`. Best effort: a failed write costs a re-pricing
/// later, nothing else.
pub fn put(
    conn: &mut RedisConn,
    keys: &Keys,
    hash: &str,
    quote: &PricedQuote,
    ttl: std::time::Duration,
) {
    let Ok(text) = serde_json::to_string(quote) else {
        return;
    };
    let _: RedisResult<()> = conn.run(|c| {
        redis::cmd("SET")
            .arg(keys.cache(hash))
            .arg(text)
            .arg("EX")
            .arg(ttl.as_secs().max(1))
            .query(c)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_params;

    #[test]
    fn the_hash_follows_model_and_canonical_request() {
        let r = |p: Option<&str>| parse_params(p).unwrap();
        let a = hash("v", b"m", &r(None));
        assert_eq!(a, hash("v", b"m", &r(Some("{}"))));
        assert_eq!(a, hash("v", b"m", &r(Some("  "))));
        assert_ne!(a, hash("v", b"n", &r(None)));
        // Another price book, another key.
        assert_ne!(a, hash("w", b"m", &r(None)));
        assert_ne!(
            a,
            hash("v", b"m", &r(Some(r#"{"quantity":50,"material":"PETG"}"#)))
        );
        assert_eq!(
            hash("v", b"m", &r(Some(r#"{"quantity":2,"material":"PETG"}"#))),
            hash("v", b"m", &r(Some(r#"{"material":"PETG","quantity":2}"#)))
        );
    }
}
