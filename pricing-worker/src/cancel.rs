//! Cancelling a pricing: an adapter for `pricing_core::cancel`.
//!
//! The core engineer is adding `pricing_core::cancel::Cancel` (`never`, `new`,
//! `with_deadline`, `cancel`, `is_cancelled`) and
//! `pricing_core::price::quote_bytes_with(.., &Cancel)`, which checks the token per layer
//! or chunk and fails with code `cancelled`. Until that is on main this module offers the
//! same API with the same semantics on the worker's side, and [`quote_bytes_with`]
//! checks the token around the whole pricing instead of inside it: a pricing that has
//! started runs to its end, and the worker's pools bound the damage (a pricing that does
//! not stop within the cancel grace gets its pool replaced, see `pools`). When core has
//! it, this module becomes `pub use pricing_core::cancel::Cancel;` and a call through.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use pricing_core::mesh::ReadLimits;
use pricing_core::price::{self, QuoteDocument, QuoteError, QuoteRequest, Quoter};

/// A cancellation token: set by [`Cancel::cancel`] or by passing its deadline. Cheap to
/// clone; clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Option<Arc<AtomicBool>>,
    deadline: Option<Instant>,
}

impl Cancel {
    /// A token that is never cancelled.
    pub fn never() -> Cancel {
        Cancel::default()
    }

    /// A token cancelled only by [`Cancel::cancel`].
    pub fn new() -> Cancel {
        Cancel {
            flag: Some(Arc::new(AtomicBool::new(false))),
            deadline: None,
        }
    }

    /// A token cancelled by [`Cancel::cancel`] or at `deadline`.
    pub fn with_deadline(deadline: Instant) -> Cancel {
        Cancel {
            deadline: Some(deadline),
            ..Cancel::new()
        }
    }

    /// Cancels every clone of this token (a no-op on [`Cancel::never`]).
    pub fn cancel(&self) {
        if let Some(f) = &self.flag {
            f.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the work should stop.
    pub fn is_cancelled(&self) -> bool {
        self.flag
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// The pricing was cancelled (code `cancelled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// `price::quote_bytes` under a token: `Err(Cancelled)` when the token is set before or
/// after the pricing (see the module docs: not yet inside it).
pub fn quote_bytes_with(
    quoter: &Quoter,
    file: &str,
    bytes: &[u8],
    request: &QuoteRequest,
    limits: &ReadLimits,
    cancel: &Cancel,
) -> Result<Result<QuoteDocument, QuoteError>, Cancelled> {
    if cancel.is_cancelled() {
        return Err(Cancelled);
    }
    let r = price::quote_bytes(quoter, file, bytes, request, limits);
    if cancel.is_cancelled() {
        return Err(Cancelled);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tokens() {
        assert!(!Cancel::never().is_cancelled());
        let c = Cancel::new();
        let d = c.clone();
        assert!(!d.is_cancelled());
        c.cancel();
        assert!(d.is_cancelled());
        assert!(Cancel::with_deadline(Instant::now()).is_cancelled());
        assert!(!Cancel::with_deadline(Instant::now() + Duration::from_secs(60)).is_cancelled());
    }
}
