//! Failures and what to do about them: permanent or transient, backoff with jitter, and
//! the one attempts counter's rules (docs/protocol.md, "Attempts" and "Poison").

use std::time::Duration;

use crate::protocol::ErrorInfo;
use crate::sanitize;

/// Why a job could not be priced, split the way retries need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Fail now, never retry.
    Permanent(ErrorInfo),
    /// Retry with backoff (then dead-letter).
    Transient(ErrorInfo),
}

/// An [`ErrorInfo`] with its message bounded: the only way the worker makes one.
pub fn info(code: &str, message: &str) -> ErrorInfo {
    ErrorInfo {
        code: sanitize::bound(code, 64),
        message: sanitize::message(message),
    }
}

/// A permanent [`JobError`].
pub fn permanent(code: &str, message: &str) -> JobError {
    JobError::Permanent(info(code, message))
}

/// A transient [`JobError`].
pub fn transient(code: &str, message: &str) -> JobError {
    JobError::Transient(info(code, message))
}

/// Exponential backoff with full jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    n: u32,
}

impl Backoff {
    /// Starting at `base`, doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Backoff {
        Backoff { base, max, n: 0 }
    }

    /// The next delay.
    pub fn next_delay(&mut self) -> Duration {
        let d = jittered(self.base, self.max, self.n, fastrand::f64());
        self.n = self.n.saturating_add(1);
        d
    }

    /// Whether any delay was handed out since the last reset.
    pub fn failing(&self) -> bool {
        self.n > 0
    }

    /// Back to `base`.
    pub fn reset(&mut self) {
        self.n = 0;
    }
}

/// `base · 2^n`, capped at `max`, times `0.5 + r/2` for `r` in [0, 1): retries of many
/// jobs that failed together do not come back together.
pub fn jittered(base: Duration, max: Duration, n: u32, r: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << n.min(20)).min(max);
    exp.mul_f64(0.5 + r.clamp(0.0, 1.0) * 0.5)
}

/// What to do with a job whose attempt was just counted by start.lua.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtStart {
    /// Price it.
    Price,
    /// Dead-letter it as `poison`: its workers died while holding it alone this often.
    Poison,
    /// Dead-letter it: this start is past the attempts limit (the previous ones ended in
    /// a worker that stopped without a result).
    Exhausted,
}

/// The rules at start: `alone` deaths ≥ `max_deliveries` is poison; an attempt past
/// `max_attempts` is one too many.
pub fn at_start(attempts: u32, alone: u32, max_attempts: u32, max_deliveries: u32) -> AtStart {
    if alone >= max_deliveries {
        AtStart::Poison
    } else if attempts > max_attempts {
        AtStart::Exhausted
    } else {
        AtStart::Price
    }
}

/// After a transient failure of attempt `attempts`: `Some(delay)` to retry after, or
/// `None` to dead-letter (the attempts are used up).
pub fn after_transient(
    attempts: u32,
    max_attempts: u32,
    base: Duration,
    max: Duration,
    r: f64,
) -> Option<Duration> {
    (attempts < max_attempts).then(|| jittered(base, max, attempts.saturating_sub(1), r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_to_full_and_doubles_to_the_cap() {
        let b = Duration::from_millis(100);
        let m = Duration::from_secs(2);
        assert_eq!(jittered(b, m, 0, 0.0), Duration::from_millis(50));
        assert!(jittered(b, m, 0, 0.999) < Duration::from_millis(100));
        assert_eq!(jittered(b, m, 3, 0.0), Duration::from_millis(400));
        assert_eq!(jittered(b, m, 10, 0.0), Duration::from_secs(1));
        assert!(jittered(b, m, 40, 0.999) < m);
        let mut bo = Backoff::new(b, m);
        assert!(!bo.failing());
        for n in 0..30 {
            let d = bo.next_delay();
            let cap = b.saturating_mul(1 << n.min(20)).min(m);
            assert!(d >= cap / 2 && d < cap, "{n}: {d:?}");
        }
        assert!(bo.failing());
        bo.reset();
        assert!(bo.next_delay() < b);
    }

    #[test]
    fn one_attempts_counter_decides_retries_and_dead_letters() {
        let b = Duration::from_millis(500);
        let m = Duration::from_secs(60);
        // max 5: attempts 1-4 retry, the 5th failure dead-letters.
        for a in 1..5 {
            assert!(after_transient(a, 5, b, m, 0.5).is_some(), "{a}");
        }
        assert_eq!(after_transient(5, 5, b, m, 0.5), None);
        // A start past the limit (the 5th attempt's worker died) is one too many.
        assert_eq!(at_start(5, 0, 5, 3), AtStart::Price);
        assert_eq!(at_start(6, 0, 5, 3), AtStart::Exhausted);
        // Poison counts deaths alone only.
        assert_eq!(at_start(3, 2, 5, 3), AtStart::Price);
        assert_eq!(at_start(4, 3, 5, 3), AtStart::Poison);
    }

    #[test]
    fn infos_are_bounded() {
        let i = info("x", &"y".repeat(1 << 20));
        assert!(i.message.len() < 2 * sanitize::MAX_MESSAGE);
    }
}
