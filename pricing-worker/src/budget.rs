//! The memory budget: jobs are admitted against it by an estimate made from the model's
//! size before its bytes are read.
//!
//! Pricing a model peaks at about 9× its size (a 265 MB random STL peaked at 2.4 GB;
//! the raster and topology tables grow with the triangles, not the file), so three
//! large models at once could take 7.2 GB. A job reserves its estimate before reading
//! the model and waits while the others' reservations leave too little; a job whose
//! estimate exceeds the whole budget runs when nothing else holds any, so every valid
//! model is still priced.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Bytes of memory per byte of model, measured peak ÷ file size rounded up (9×).
pub const BYTES_PER_MODEL_BYTE: u64 = 10;
/// What any pricing takes beside the model (price book, rasters of a small part).
pub const BASE_BYTES: u64 = 8 << 20;

/// The estimate for a model of `size` bytes (decompressed size for gzip).
pub fn estimate(size: u64) -> u64 {
    BASE_BYTES.saturating_add(size.saturating_mul(BYTES_PER_MODEL_BYTE))
}

/// The decompressed size a gzip stream declares in its trailer (ISIZE, mod 4 GiB), if
/// `bytes` is gzip.
pub fn gzip_declared_size(bytes: &[u8]) -> Option<u64> {
    if bytes.len() < 18 || bytes[0] != 0x1f || bytes[1] != 0x8b {
        return None;
    }
    let t = &bytes[bytes.len() - 4..];
    Some(u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as u64)
}

/// The budget of one process.
#[derive(Debug)]
pub struct Budget {
    total: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// A job's share of the budget, given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<Budget>,
    bytes: u64,
}

impl Budget {
    /// A budget of `total` bytes.
    pub fn new(total: u64) -> Arc<Budget> {
        Arc::new(Budget {
            total,
            used: Mutex::new(0),
            freed: Condvar::new(),
        })
    }

    /// Bytes reserved now.
    pub fn used(&self) -> u64 {
        self.used.lock().map_or(0, |u| *u)
    }

    /// Whether `bytes` may be added to `used`: it fits, or nothing else is held.
    fn admits(&self, used: u64, bytes: u64) -> bool {
        used == 0 || used.saturating_add(bytes) <= self.total
    }

    /// Reserves `bytes`, waiting while they do not fit; `None` once `give_up` says so
    /// (shutdown), checked every 50 ms.
    pub fn reserve(
        self: &Arc<Self>,
        bytes: u64,
        give_up: &dyn Fn() -> bool,
    ) -> Option<Reservation> {
        let mut used = self.used.lock().ok()?;
        while !self.admits(*used, bytes) {
            if give_up() {
                return None;
            }
            used = self
                .freed
                .wait_timeout(used, Duration::from_millis(50))
                .ok()?
                .0;
        }
        *used += bytes;
        Some(Reservation {
            budget: Arc::clone(self),
            bytes,
        })
    }

    /// Whether `bytes` would be admitted at once (for tests and the metrics).
    pub fn would_admit(&self, bytes: u64) -> bool {
        self.used.lock().is_ok_and(|u| self.admits(*u, bytes))
    }
}

impl Reservation {
    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Grows the reservation to `bytes` (a gzip model turned out larger). Never holds
    /// part while waiting for more, so two growing jobs cannot deadlock: if the extra
    /// does not fit at once, the reservation is given back and `bytes` reserved anew.
    pub fn grow(self, bytes: u64, give_up: &dyn Fn() -> bool) -> Option<Reservation> {
        if bytes <= self.bytes {
            return Some(self);
        }
        let budget = Arc::clone(&self.budget);
        {
            let mut used = budget.used.lock().ok()?;
            let others = used.saturating_sub(self.bytes);
            if others == 0 || others.saturating_add(bytes) <= budget.total {
                *used = others + bytes;
                let mut me = self;
                me.bytes = bytes;
                return Some(me);
            }
        }
        drop(self);
        budget.reserve(bytes, give_up)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Ok(mut used) = self.budget.used.lock() {
            *used = used.saturating_sub(self.bytes);
        }
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_wait_for_room_and_a_huge_one_runs_alone() {
        let b = Budget::new(100);
        let never = || false;
        let a = b.reserve(60, &never).unwrap();
        assert!(!b.would_admit(50));
        assert!(b.would_admit(40));
        let b2 = Arc::clone(&b);
        let waiter = std::thread::spawn(move || b2.reserve(50, &|| false).map(|r| r.bytes()));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(b.used(), 60, "the second job waits");
        drop(a);
        assert_eq!(waiter.join().ok().flatten(), Some(50));
        assert_eq!(b.used(), 0);
        // Larger than the whole budget: admitted when nothing else is held.
        let big = b.reserve(1000, &never).unwrap();
        assert!(!b.would_admit(1));
        drop(big);
        // Shutdown stops a wait.
        let _hold = b.reserve(90, &never).unwrap();
        assert!(b.reserve(20, &|| true).is_none());
    }

    #[test]
    fn growing_never_holds_and_waits() {
        let b = Budget::new(100);
        let r = b.reserve(10, &|| false).unwrap();
        let r = r.grow(80, &|| false).unwrap();
        assert_eq!(b.used(), 80);
        drop(r);
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn estimates() {
        assert_eq!(estimate(0), BASE_BYTES);
        assert_eq!(estimate(265 << 20), BASE_BYTES + (2650 << 20));
        let mut gz = vec![0x1f, 0x8b];
        gz.extend([0u8; 12]);
        gz.extend(1_000_000u32.to_le_bytes());
        assert_eq!(gzip_declared_size(&gz), Some(1_000_000));
        assert_eq!(gzip_declared_size(b"solid x"), None);
    }
}
