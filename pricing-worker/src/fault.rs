//! Test-only fault injection (feature `fault-injection`).
//!
//! A model whose bytes start with a line `#fault:<directive>` makes the pricing
//! misbehave before the rest of the bytes are priced:
//! - `#fault:sleep=MS` sleeps MS milliseconds (a slow job, no CPU);
//! - `#fault:spin=MS` keeps every thread of its pricing pool busy for MS milliseconds,
//!   checking the cancel token each millisecond as the engine does per layer (a heavy
//!   CPU-bound job: the one that starved urgent work in a shared pool);
//! - `#fault:spin` the same until cancelled (a runaway CPU-bound job);
//! - `#fault:hang` sleeps an hour, deaf to the token (an engine that cannot be
//!   cancelled);
//! - `#fault:abort` aborts the whole process (a model that crashes its worker);
//! - `#fault:panic` panics (caught: the job fails with `engine_panic`);
//! - `#fault:panic-outside` panics in the job's own code, before the pricing starts
//!   ([`outside_pricing`]: a bug in the worker, not the engine).
//!
//! Anything after the directive on its line is ignored (tests add a nonce there so the
//! content cache does not answer). Without the feature the bytes go to the engine as
//! they are, and `#fault:` is just an unknown format.

use crate::cancel::Cancel;

/// Applies a directive at the start of `bytes`, returning the bytes after its line.
#[cfg(feature = "fault-injection")]
pub fn apply(bytes: Vec<u8>, cancel: &Cancel) -> Vec<u8> {
    use std::time::{Duration, Instant};
    const TAG: &[u8] = b"#fault:";
    if !bytes.starts_with(TAG) {
        return bytes;
    }
    let end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len());
    let line = String::from_utf8_lossy(&bytes[TAG.len()..end]).to_string();
    let directive = line.split_whitespace().next().unwrap_or("");
    let spin = |until: Option<Instant>| {
        // Every thread of the current pool, like a parallel layer loop.
        rayon::broadcast(|_| {
            let mut x: u64 = 1;
            while !cancel.is_cancelled() && until.is_none_or(|u| Instant::now() < u) {
                let t = Instant::now();
                while t.elapsed() < Duration::from_millis(1) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            x
        });
    };
    if let Some(ms) = directive.strip_prefix("sleep=") {
        let ms: u64 = ms.parse().unwrap_or(0);
        std::thread::sleep(Duration::from_millis(ms));
    } else if let Some(ms) = directive.strip_prefix("spin=") {
        let ms: u64 = ms.parse().unwrap_or(0);
        spin(Some(Instant::now() + Duration::from_millis(ms)));
    } else if directive == "spin" {
        spin(None);
    } else if directive == "abort" {
        eprintln!("fault injection: aborting the worker");
        std::process::abort();
    } else if directive == "panic" {
        panic!("fault injection: panic");
    } else if directive == "hang" {
        std::thread::sleep(Duration::from_secs(3600));
    }
    bytes.get(end + 1..).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Panics if `bytes` start with `#fault:panic-outside` (called on the job thread, outside
/// the pricing pool and its catch).
#[cfg(feature = "fault-injection")]
pub fn outside_pricing(bytes: &[u8]) {
    if bytes.starts_with(b"#fault:panic-outside") {
        panic!("fault injection: panic outside the pricing");
    }
}

/// Without the feature: nothing.
#[cfg(not(feature = "fault-injection"))]
pub fn outside_pricing(_bytes: &[u8]) {}

/// Without the feature: the bytes unchanged.
#[cfg(not(feature = "fault-injection"))]
pub fn apply(bytes: Vec<u8>, _cancel: &Cancel) -> Vec<u8> {
    bytes
}
