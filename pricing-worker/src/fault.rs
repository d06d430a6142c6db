//! Test-only fault injection (feature `fault-injection`).
//!
//! A model whose bytes start with a line `#fault:<directive>` makes the pricing thread
//! misbehave before the rest of the bytes are priced:
//! - `#fault:sleep=MS` sleeps MS milliseconds (a slow job);
//! - `#fault:abort` aborts the whole process (a model that crashes its worker);
//! - `#fault:panic` panics (caught: the job fails with `engine_panic`);
//! - `#fault:hang` sleeps an hour (a hung engine, for the wall-time limit).
//!
//! Anything after the directive on its line is ignored (tests add a nonce there so the
//! content cache does not answer). Without the feature the bytes go to the engine as
//! they are, and `#fault:` is just an unknown format.

/// Applies a directive at the start of `bytes`, returning the bytes after its line.
#[cfg(feature = "fault-injection")]
pub fn apply(bytes: Vec<u8>) -> Vec<u8> {
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
    if let Some(ms) = directive.strip_prefix("sleep=") {
        let ms: u64 = ms.parse().unwrap_or(0);
        std::thread::sleep(std::time::Duration::from_millis(ms));
    } else if directive == "abort" {
        eprintln!("fault injection: aborting the worker");
        std::process::abort();
    } else if directive == "panic" {
        panic!("fault injection: panic");
    } else if directive == "hang" {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
    bytes.get(end + 1..).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Without the feature: the bytes unchanged.
#[cfg(not(feature = "fault-injection"))]
pub fn apply(bytes: Vec<u8>) -> Vec<u8> {
    bytes
}
