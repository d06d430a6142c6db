//! Cooperative cancellation: a token the caller holds and the engine polls.
//!
//! A [`Cancel`] is a shared flag plus an optional deadline. The caller keeps a clone and
//! calls [`Cancel::cancel`] (or lets the deadline pass); the engine calls
//! [`Cancel::check`] between chunks of work (per layer, per chunk of triangles, per
//! pass), never per triangle, so the polling costs nothing measurable while a cancelled
//! job stops within the time of one chunk. A cancelled call returns an error whose
//! `code()` is `cancelled` ([`crate::estimate::EstimateError::Cancelled`],
//! [`crate::mesh::MeshError::Cancelled`], [`crate::price::QuoteError::Cancelled`]).
//!
//! ```
//! use pricing_core::cancel::Cancel;
//! use std::time::{Duration, Instant};
//!
//! let never = Cancel::never(); // no allocation; is_cancelled() is always false
//! assert!(!never.is_cancelled());
//!
//! let job = Cancel::new();
//! let handle = job.clone(); // e.g. kept by the thread that watches the wall time
//! handle.cancel();
//! assert!(job.is_cancelled());
//!
//! let timed = Cancel::with_deadline(Instant::now() + Duration::from_secs(60));
//! assert!(!timed.is_cancelled()); // until the deadline passes, or someone cancels it
//! timed.cancel();
//! assert!(timed.is_cancelled());
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// A cancellation token: cheap to clone (one `Arc`), `Send + Sync`.
///
/// `Cancel::default()` is [`Cancel::never`], so structs and callers that do not care get
/// a token that is never cancelled and costs one `None` check per poll.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    /// `None` for [`Cancel::never`]: nothing to allocate, nothing to read.
    shared: Option<Arc<Shared>>,
}

#[derive(Debug)]
struct Shared {
    /// Set by [`Cancel::cancel`] from any clone, or by the first poll past the deadline
    /// (so later polls skip the clock).
    cancelled: AtomicBool,
    deadline: Option<Instant>,
}

/// The error of a call that was cancelled. Its message names no stage: the caller who
/// cancelled knows why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled: the job was stopped before it finished (cancelled or past its deadline)")]
pub struct Cancelled;

impl Cancel {
    /// A token that is never cancelled; no allocation.
    pub const fn never() -> Cancel {
        Cancel { shared: None }
    }

    /// A token cancelled by [`Cancel::cancel`] on any of its clones.
    pub fn new() -> Cancel {
        Cancel::shared(None)
    }

    /// A token that is also cancelled once `deadline` has passed.
    pub fn with_deadline(deadline: Instant) -> Cancel {
        Cancel::shared(Some(deadline))
    }

    fn shared(deadline: Option<Instant>) -> Cancel {
        Cancel {
            shared: Some(Arc::new(Shared {
                cancelled: AtomicBool::new(false),
                deadline,
            })),
        }
    }

    /// Cancels this token and every clone of it. Does nothing on [`Cancel::never`].
    pub fn cancel(&self) {
        if let Some(s) = &self.shared {
            s.cancelled.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the token was cancelled or its deadline has passed.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        let Some(s) = &self.shared else {
            return false;
        };
        // Relaxed is enough: the flag carries no data, and a poll that misses a store
        // sees it at the next chunk.
        if s.cancelled.load(Ordering::Relaxed) {
            return true;
        }
        match s.deadline {
            Some(d) if Instant::now() >= d => {
                s.cancelled.store(true, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// `Err(Cancelled)` once cancelled: `cancel.check()?` between chunks of work.
    #[inline]
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// The deadline, if the token has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.shared.as_ref().and_then(|s| s.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn never_is_never_cancelled_even_when_asked() {
        let c = Cancel::never();
        c.cancel();
        assert!(!c.is_cancelled());
        assert_eq!(c.check(), Ok(()));
        assert!(!Cancel::default().is_cancelled());
        assert_eq!(Cancel::default().deadline(), None);
    }

    #[test]
    fn a_clone_cancels_every_other_clone_across_threads() {
        let c = Cancel::new();
        let clones: Vec<Cancel> = (0..4).map(|_| c.clone()).collect();
        assert!(clones.iter().all(|k| !k.is_cancelled()));
        let remote = clones[2].clone();
        std::thread::spawn(move || remote.cancel())
            .join()
            .expect("thread runs");
        assert!(c.is_cancelled());
        assert!(clones.iter().all(Cancel::is_cancelled));
        assert_eq!(c.check(), Err(Cancelled));
    }

    #[test]
    fn the_deadline_cancels_once_it_passes() {
        let later = Cancel::with_deadline(Instant::now() + Duration::from_secs(3600));
        assert!(!later.is_cancelled());
        later.cancel();
        assert!(later.is_cancelled(), "cancel() works with a deadline too");
        let Some(earlier) = Instant::now().checked_sub(Duration::from_millis(1)) else {
            return; // a clock this close to its origin cannot express a past deadline
        };
        let past = Cancel::with_deadline(earlier);
        assert!(past.is_cancelled());
        assert_eq!(past.check(), Err(Cancelled));
        assert!(past.deadline().is_some());
    }

    #[test]
    fn the_token_is_send_sync_clone_debug_default() {
        fn assert_traits<T: Clone + Send + Sync + std::fmt::Debug + Default>() {}
        assert_traits::<Cancel>();
    }
}
