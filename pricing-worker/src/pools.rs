//! Where pricing runs: two rayon pools, one for urgent jobs and one shared by normal and
//! bulk, each with a thread per core.
//!
//! With one global pool a heavy or stuck job's parallel loops hold every pool thread and
//! an urgent job's loops queue behind them (an urgent 5 ms cube took 1.6-7.1 s while two
//! heavy bulk jobs ran). With a pool of its own, an urgent job has threads that are not
//! busy, and the OS shares the cores between the two pools' threads instead of rayon
//! queueing one job's tasks behind another's.
//!
//! A pricing runs under a [`Cancel`] with its wall-time deadline; at the limit the token
//! is set and the pricing gets `cancel_grace` to stop. One that does not stop is
//! abandoned: its thread is counted in `pricing_worker_stuck_threads` and its pool is
//! replaced by a fresh one, so the jobs after it have threads again. The worker never
//! exits for it (no restart takes innocent in-flight jobs down with it).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use rayon::ThreadPool;

use crate::cancel::Cancel;
use crate::metrics::Metrics;
use crate::protocol::Priority;

/// Which pool a job prices in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Urgent jobs.
    Urgent,
    /// Normal and bulk jobs.
    Shared,
}

impl Lane {
    /// The lane of a priority.
    pub fn of(p: Priority) -> Lane {
        match p {
            Priority::Urgent => Lane::Urgent,
            Priority::Normal | Priority::Bulk => Lane::Shared,
        }
    }

    fn index(self) -> usize {
        match self {
            Lane::Urgent => 0,
            Lane::Shared => 1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Lane::Urgent => "pricing-urgent",
            Lane::Shared => "pricing",
        }
    }
}

/// How a pricing ended.
#[derive(Debug)]
pub enum Ran<T> {
    /// It returned.
    Done(T),
    /// It panicked (the message).
    Panicked(String),
    /// It ran past the limit (or waited for a thread that long); `stopped` says whether
    /// it stopped within the cancel grace.
    TimedOut {
        /// Whether the pricing stopped after the cancel.
        stopped: bool,
    },
    /// No pool thread could be had.
    NoPool(String),
}

const RUNNING: u8 = 0;
const ABANDONED: u8 = 1;
const FINISHED: u8 = 2;

/// The two pools.
pub struct Pools {
    threads: usize,
    lanes: [Mutex<Arc<ThreadPool>>; 2],
    metrics: Arc<Metrics>,
}

fn build(lane: Lane, threads: usize) -> Result<ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("{}-{i}", lane.name()))
        .build()
}

impl Pools {
    /// Two pools of `threads` threads each.
    pub fn new(threads: usize, metrics: Arc<Metrics>) -> Result<Pools, String> {
        let threads = threads.max(1);
        let make = |lane| {
            build(lane, threads)
                .map(|p| Mutex::new(Arc::new(p)))
                .map_err(|e| format!("cannot start the {} pool: {e}", lane.name()))
        };
        Ok(Pools {
            threads,
            lanes: [make(Lane::Urgent)?, make(Lane::Shared)?],
            metrics,
        })
    }

    fn pool(&self, lane: Lane) -> Option<Arc<ThreadPool>> {
        self.lanes[lane.index()].lock().ok().map(|p| Arc::clone(&p))
    }

    /// Replaces `lane`'s pool if it is still `old` (a pricing in it would not stop).
    fn replace(&self, lane: Lane, old: &Arc<ThreadPool>) {
        let Ok(mut slot) = self.lanes[lane.index()].lock() else {
            return;
        };
        if Arc::ptr_eq(&slot, old)
            && let Ok(fresh) = build(lane, self.threads)
        {
            // The old pool's threads end once their work returns (if ever).
            *slot = Arc::new(fresh);
        }
    }

    /// Runs `f` in `lane`'s pool with a token that expires `limit` after it starts.
    pub fn run<T: Send + 'static>(
        &self,
        lane: Lane,
        limit: Duration,
        cancel_grace: Duration,
        f: impl FnOnce(&Cancel) -> T + Send + 'static,
    ) -> Ran<T> {
        let Some(pool) = self.pool(lane) else {
            return Ran::NoPool("the pool lock is poisoned".into());
        };
        enum Msg<T> {
            Started(Cancel, Instant),
            Done(std::thread::Result<T>),
        }
        let (tx, rx) = mpsc::sync_channel::<Msg<T>>(2);
        let state = Arc::new(AtomicU8::new(RUNNING));
        // Set when the job gave up waiting for a thread: then the pricing is skipped.
        let skip = Cancel::new();
        {
            let state = Arc::clone(&state);
            let metrics = Arc::clone(&self.metrics);
            let skip = skip.clone();
            pool.spawn(move || {
                if skip.is_cancelled() {
                    return;
                }
                let start = Instant::now();
                let cancel = Cancel::with_deadline(start + limit);
                let _ = tx.send(Msg::Started(cancel.clone(), start));
                let r = std::panic::catch_unwind(AssertUnwindSafe(|| f(&cancel)));
                if state.swap(FINISHED, Ordering::SeqCst) == ABANDONED {
                    metrics.stuck_threads.fetch_sub(1, Ordering::Relaxed);
                }
                let _ = tx.send(Msg::Done(r));
            });
        }
        let (cancel, start) = match rx.recv_timeout(limit) {
            Ok(Msg::Started(c, s)) => (c, s),
            Ok(Msg::Done(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Ran::NoPool("the pricing thread ended without starting".into());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Every thread of the pool is busy past a whole limit: give up the wait.
                skip.cancel();
                self.replace(lane, &pool);
                return Ran::TimedOut { stopped: true };
            }
        };
        let left = (start + limit).saturating_duration_since(Instant::now());
        let done = |m: Msg<T>| match m {
            Msg::Done(Ok(v)) => Ran::Done(v),
            Msg::Done(Err(p)) => Ran::Panicked(panic_text(&*p)),
            Msg::Started(..) => Ran::NoPool("started twice".into()),
        };
        match rx.recv_timeout(left) {
            Ok(m) => return done(m),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Ran::Panicked("the pricing thread ended without an answer".into());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        cancel.cancel();
        match rx.recv_timeout(cancel_grace) {
            Ok(Msg::Done(Ok(_))) | Ok(Msg::Done(Err(_))) => Ran::TimedOut { stopped: true },
            _ => {
                if state
                    .compare_exchange(RUNNING, ABANDONED, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    self.metrics.stuck_threads.fetch_add(1, Ordering::Relaxed);
                    self.replace(lane, &pool);
                    Ran::TimedOut { stopped: false }
                } else {
                    Ran::TimedOut { stopped: true }
                }
            }
        }
    }
}

/// The message of a caught panic.
pub fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pools() -> Pools {
        Pools::new(2, Arc::new(Metrics::default())).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn results_panics_and_cancelled_runs() {
        let p = pools();
        let l = Duration::from_secs(5);
        let g = Duration::from_millis(200);
        assert!(matches!(p.run(Lane::Shared, l, g, |_| 7), Ran::Done(7)));
        assert!(matches!(
            p.run(Lane::Shared, l, g, |_| -> u8 { panic!("boom") }),
            Ran::Panicked(m) if m == "boom"
        ));
        // A loop that honours the token stops at the limit. Two endings are right, and
        // which one comes is a race: the run's timer fires first and cancels it
        // (`TimedOut { stopped: true }`), or the loop sees its own deadline first and
        // returns (`Done`; a real pricing then returns its `cancelled` error, which the
        // job maps to a timeout). Either way it stopped on the token, not before the
        // limit, and no thread is counted stuck.
        let began = Instant::now();
        let r = p.run(Lane::Shared, Duration::from_millis(100), g, |c| {
            while !c.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            "stopped on the token"
        });
        assert!(
            matches!(
                r,
                Ran::TimedOut { stopped: true } | Ran::Done("stopped on the token")
            ),
            "{r:?}"
        );
        assert!(
            began.elapsed() >= Duration::from_millis(100),
            "not before the limit"
        );
        assert_eq!(p.metrics.stuck_threads.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_deaf_pricing_is_abandoned_and_its_pool_replaced() {
        let p = pools();
        let g = Duration::from_millis(50);
        let before = p.pool(Lane::Shared).map(|a| Arc::as_ptr(&a) as usize);
        let r = p.run(Lane::Shared, Duration::from_millis(50), g, |_| {
            std::thread::sleep(Duration::from_millis(600));
        });
        assert!(matches!(r, Ran::TimedOut { stopped: false }), "{r:?}");
        assert_eq!(p.metrics.stuck_threads.load(Ordering::Relaxed), 1);
        let after = p.pool(Lane::Shared).map(|a| Arc::as_ptr(&a) as usize);
        assert_ne!(before, after, "a fresh pool for the next jobs");
        // The next job runs at once on the fresh pool.
        assert!(matches!(
            p.run(Lane::Shared, Duration::from_secs(5), g, |_| 1),
            Ran::Done(1)
        ));
        // When the deaf one ends at last, the gauge goes back down.
        std::thread::sleep(Duration::from_millis(800));
        assert_eq!(p.metrics.stuck_threads.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn an_urgent_job_runs_while_the_shared_pool_is_saturated() {
        let p = Arc::new(pools());
        let busy = {
            let p = Arc::clone(&p);
            std::thread::spawn(move || {
                p.run(
                    Lane::Shared,
                    Duration::from_secs(10),
                    Duration::from_secs(1),
                    |c| {
                        let until = Instant::now() + Duration::from_millis(1500);
                        rayon::broadcast(|_| while Instant::now() < until && !c.is_cancelled() {});
                    },
                )
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        // A parallel loop in the urgent pool finishes while every shared thread spins.
        let r = p.run(
            Lane::Urgent,
            Duration::from_secs(10),
            Duration::from_secs(1),
            |_| {
                use rayon::prelude::*;
                (0..1000u64).into_par_iter().sum::<u64>()
            },
        );
        assert!(matches!(r, Ran::Done(499_500)));
        assert!(!busy.is_finished(), "the shared pool was still saturated");
        let _ = busy.join();
    }
}
