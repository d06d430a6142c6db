//! The dispatcher: fetches a job when a slot is free, in priority order with the
//! starvation guards, runs suspects alone, and drains on shutdown.
//!
//! Slots: `concurrency` slots for any job, plus `urgent_slots` only urgent jobs may take,
//! so a burst of long bulk jobs never leaves an urgent job without a slot.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tracing::{error, info, warn};

use crate::job;
use crate::maintenance;
use crate::protocol::Priority;
use crate::protocol::{now_ms, rfc3339_ms};
use crate::queue::RedisConn;
use crate::queue::scripts::{Take, Took};
use crate::queue::streams::{self, Entry};
use crate::retry::Backoff;
use crate::runner::{Exit, Shared};

/// The order in which fetch number `n` looks at the streams.
///
/// Urgent first, then normal, then bulk, except on the guard turns: every `every`-th
/// fetch prefers bulk and, half a period later, normal, over anything more urgent. So
/// neither is starved by a sustained flood above it (12,114 urgent jobs once started in
/// 30 s while 200 bulk and 200 normal jobs waited), and an urgent job waits at most for
/// two guard fetches in `every`. `every` 0 turns the guards off.
pub fn fetch_order(n: u64, every: u64) -> [Priority; 3] {
    use Priority::{Bulk, Normal, Urgent};
    if every == 0 {
        return [Urgent, Normal, Bulk];
    }
    let turn = n % every;
    if turn == every - 1 {
        [Bulk, Normal, Urgent]
    } else if every >= 2 && turn == every / 2 - 1 {
        [Normal, Bulk, Urgent]
    } else {
        [Urgent, Normal, Bulk]
    }
}

/// How often urgent streams are looked at while only the urgent slots are free.
const URGENT_POLL: Duration = Duration::from_millis(20);

/// What a finished job thread reports.
struct Done {
    suspect: bool,
}

/// The dispatcher's own state.
struct Slots {
    running: usize,
    /// A suspect is running alone: nothing else may start.
    alone: bool,
}

impl Slots {
    fn finished(&mut self, d: Done) {
        self.running = self.running.saturating_sub(1);
        if d.suspect {
            self.alone = false;
        }
    }

    /// Streams a new job may come from now: `None` when no slot is free. Any job may
    /// take one of the `concurrency` slots; the `urgent_slots` beyond them take only
    /// urgent jobs.
    fn allowed(&self, concurrency: usize, urgent_slots: usize) -> Option<&'static [Priority]> {
        if self.alone || self.running >= concurrency + urgent_slots {
            None
        } else if self.running < concurrency {
            Some(&Priority::ALL)
        } else {
            Some(&[Priority::Urgent])
        }
    }
}

/// Runs the dispatcher until shutdown; then drains within the grace period.
pub fn run(shared: &Arc<Shared>, conn: &mut RedisConn) -> Exit {
    let cfg = &shared.cfg;
    let keys = &shared.keys;
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let mut slots = Slots {
        running: 0,
        alone: false,
    };
    let mut buffer: Vec<Entry> = Vec::new();
    let mut groups_ok = false;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    let mut last_maintenance: Option<Instant> = None;
    let mut fetches: u64 = 0;

    let mut last_sort = Instant::now();
    let threads = JobThreads::default();
    // When a take last found the urgent stream empty: looking again within
    // `URGENT_POLL` cannot find more than the poll would, so the urgent slot's poll
    // starts from there instead of taking again right after every job start (that second
    // take cost one take.lua per job).
    let mut urgent_empty_at: Option<Instant> = None;

    while !shared.shutdown.load(Ordering::Relaxed) {
        while let Ok(d) = done_rx.try_recv() {
            slots.finished(d);
        }
        if shared.reload.swap(false, Ordering::Relaxed) {
            info!("SIGHUP: reloading the price book and the tenants file");
            shared.live.reload(cfg, &shared.metrics);
        }
        let Some(allowed) = slots.allowed(cfg.concurrency, cfg.urgent_slots) else {
            if let Ok(d) = done_rx.recv_timeout(Duration::from_millis(50)) {
                slots.finished(d);
            }
            // Busy: still sort new entries now and then, so a job over its tenant's
            // queue cap fails at once rather than when a slot frees.
            if groups_ok && last_sort.elapsed() >= SORT_WHILE_BUSY {
                last_sort = Instant::now();
                if let Err(e) = take(shared, conn, &[]) {
                    groups_ok = false;
                    redis_down(shared, &mut backoff, &e);
                }
            }
            continue;
        };
        if !groups_ok {
            match streams::ensure_groups(conn, keys) {
                Ok(()) => {
                    if backoff.failing() {
                        info!("connected to redis again");
                    }
                    groups_ok = true;
                    backoff.reset();
                    shared.metrics.redis_ok();
                }
                Err(e) => {
                    redis_down(shared, &mut backoff, &e);
                    continue;
                }
            }
        }
        let free = (cfg.concurrency + cfg.urgent_slots).saturating_sub(slots.running);
        if last_maintenance.is_none_or(|t| t.elapsed() >= cfg.reclaim_interval) {
            match maintenance::run(shared, conn, &mut buffer, free) {
                Ok(()) => last_maintenance = Some(Instant::now()),
                Err(e) => {
                    groups_ok = false;
                    redis_down(shared, &mut backoff, &e);
                    continue;
                }
            }
        }
        // A suspect runs alone: stop starting anything until the others are done.
        if let Some(i) = buffer.iter().position(Entry::suspect) {
            if slots.running > 0 {
                if let Ok(d) = done_rx.recv_timeout(Duration::from_millis(200)) {
                    slots.finished(d);
                }
                continue;
            }
            let e = buffer.remove(i);
            info!(entry = %e.entry_id, priority = %e.priority, "running a job claimed back from a stopped worker alone");
            start(shared, &threads, e, &mut slots, &done_tx);
            continue;
        }
        let order: Vec<Priority> = fetch_order(fetches, cfg.bulk_every)
            .into_iter()
            .filter(|p| allowed.contains(p))
            .collect();
        // Entries claimed back (or handed back) first, then the tenants' turns.
        let from_buffer = order
            .iter()
            .find_map(|p| buffer.iter().position(|e| e.priority == *p));
        if from_buffer.is_none()
            && allowed.len() < Priority::ALL.len()
            && let Some(left) = urgent_empty_at
                .map(|t| URGENT_POLL.saturating_sub(t.elapsed()))
                .filter(|l| !l.is_zero())
        {
            // Only the urgent slots are free and urgent was empty a moment ago: wait for
            // a job to finish or the poll interval, as `idle` would after a take.
            if let Ok(d) = done_rx.recv_timeout(left) {
                slots.finished(d);
            }
            continue;
        }
        let next = match from_buffer {
            Some(i) => Some(buffer.remove(i)),
            None => {
                last_sort = Instant::now();
                let asked = Instant::now();
                let took = take(shared, conn, &order);
                urgent_empty_at = match &took {
                    // take.lua looks at the priorities in `order` and stops at the first
                    // that has an entry: those before it were empty when it ran.
                    Ok(Took::Entry(e)) => order
                        .iter()
                        .take_while(|p| **p != e.priority)
                        .any(|p| *p == Priority::Urgent)
                        .then_some(asked),
                    Ok(Took::Nothing { more: false, .. }) => {
                        order.contains(&Priority::Urgent).then_some(asked)
                    }
                    // New entries left to sort may be urgent ones.
                    Ok(Took::Nothing { more: true, .. }) | Err(_) => None,
                };
                match took {
                    Ok(Took::Entry(e)) => {
                        shared.hold(&e);
                        Some(e)
                    }
                    Ok(Took::Nothing { more: true, .. }) => continue,
                    Ok(Took::Nothing { wait, last, .. }) => {
                        idle(shared, conn, &done_rx, &mut slots, allowed, wait, &last);
                        continue;
                    }
                    Err(e) => {
                        groups_ok = false;
                        redis_down(shared, &mut backoff, &e);
                        continue;
                    }
                }
            }
        };
        let Some(entry) = next else {
            continue;
        };
        fetches += 1;
        start(shared, &threads, entry, &mut slots, &done_tx);
    }
    drain(shared, conn, buffer, slots, &done_rx)
}

/// How often new entries are sorted into tenant queues while every slot is busy.
const SORT_WHILE_BUSY: Duration = Duration::from_millis(100);

/// take.lua with this worker's settings: sorts new entries, then takes the next entry
/// of the first priority of `order` that has one (none when `order` is empty).
fn take(shared: &Shared, conn: &mut RedisConn, order: &[Priority]) -> redis::RedisResult<Took> {
    let cfg = &shared.cfg;
    let tenants = shared.live.tenants();
    let now = rfc3339_ms(now_ms());
    let t = Take {
        consumer: &cfg.consumer,
        lease: cfg.claim_idle,
        order,
        batch: cfg.sort_batch,
        limits: &tenants.script,
        now: &now,
        ttl: cfg.result_ttl,
        maxlen: cfg.events_maxlen,
    };
    let r = conn.run(|c| shared.scripts.take(c, &shared.keys, &t));
    if r.is_ok() {
        shared.metrics.redis_ok();
    }
    r
}

/// Nothing to take: wait for a new entry on the allowed streams, a rate-limited or
/// capped tenant's turn, or (with only the urgent slots free) a finishing job.
fn idle(
    shared: &Shared,
    conn: &mut RedisConn,
    done_rx: &mpsc::Receiver<Done>,
    slots: &mut Slots,
    allowed: &[Priority],
    wait: Option<Duration>,
    last: &[String; 3],
) {
    if allowed.len() < Priority::ALL.len() {
        // Only the urgent slots are free and no urgent job waits: a blocking read
        // would not notice a general slot coming free (that cost 80% of the
        // throughput), so wait for a job to finish and look at urgent again.
        if let Ok(d) = done_rx.recv_timeout(URGENT_POLL) {
            slots.finished(d);
        }
        return;
    }
    let block = wait.map_or(shared.cfg.block, |w| w.min(shared.cfg.block));
    if block.is_zero() {
        return;
    }
    // Errors surface on the next take.
    let _ = streams::wait_for_new(conn, &shared.keys, allowed, last, block);
}

fn start(
    shared: &Arc<Shared>,
    threads: &JobThreads,
    e: Entry,
    slots: &mut Slots,
    done: &mpsc::Sender<Done>,
) {
    let suspect = e.suspect();
    if spawn_job(shared, threads, e, done.clone()) {
        slots.running += 1;
        slots.alone |= suspect;
    }
}

/// Shutdown: fetch nothing more, hand back what never started, let in-flight jobs finish
/// within the grace period, then hand back the rest.
fn drain(
    shared: &Arc<Shared>,
    conn: &mut RedisConn,
    buffer: Vec<Entry>,
    mut slots: Slots,
    done_rx: &mpsc::Receiver<Done>,
) -> Exit {
    for e in &buffer {
        shared.release(e);
    }
    let never_started: Vec<(Priority, String)> = buffer
        .into_iter()
        .map(|e| (e.priority, e.entry_id))
        .collect();
    hand_back(shared, conn, never_started);
    let deadline = Instant::now() + shared.cfg.grace;
    info!(
        in_flight = slots.running,
        grace_ms = shared.cfg.grace.as_millis() as u64,
        "stopping: finishing in-flight jobs"
    );
    while slots.running > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        if let Ok(d) = done_rx.recv_timeout(left) {
            slots.finished(d);
        }
    }
    if slots.running == 0 {
        return Exit::Clean;
    }
    shared.give_up.store(true, Ordering::Relaxed);
    let unfinished: Vec<(Priority, String)> = shared
        .held
        .lock()
        .map(|mut h| h.drain().map(|(_, v)| (v.priority, v.entry_id)).collect())
        .unwrap_or_default();
    let n = unfinished.len();
    hand_back(shared, conn, unfinished);
    warn!(
        unfinished = slots.running,
        handed_back = n,
        "grace period over: unfinished jobs handed back for immediate claim-back"
    );
    Exit::GraceExpired
}

/// Hands entries back to the group for immediate claim-back (release.lua). Best effort:
/// one that cannot be handed back is claimed back after the claim idle time.
fn hand_back(shared: &Shared, conn: &mut RedisConn, entries: Vec<(Priority, String)>) {
    let idle = shared.cfg.claim_idle * 2 + Duration::from_secs(1);
    for p in Priority::ALL {
        let ids: Vec<&str> = entries
            .iter()
            .filter(|(q, _)| *q == p)
            .map(|(_, id)| id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let r = conn.run(|c| {
            shared
                .scripts
                .release(c, &shared.keys, p, &shared.cfg.consumer, idle, &ids)
        });
        if let Err(e) = r {
            warn!(error = %e, priority = %p, "cannot hand entries back; they are claimed back after the claim idle time");
        }
    }
}

fn redis_down(shared: &Shared, backoff: &mut Backoff, e: &redis::RedisError) {
    shared.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
    let d = backoff.next_delay();
    warn!(error = %e, retry_in_ms = d.as_millis() as u64, "redis unavailable, reconnecting");
    // Sleep in slices so SIGTERM is honoured while Redis is down.
    let until = Instant::now() + d;
    while Instant::now() < until && !shared.shutdown.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(20).min(d));
    }
}

/// One job for a job thread, and where to report that it finished.
struct Task {
    entry: Entry,
    done: mpsc::Sender<Done>,
}

/// Job threads waiting for their next job. A thread is kept after its job rather than
/// spawned per job (a thread start and a stack mapping per job is wasted work when jobs
/// take 2 ms); a thread registers here *before* it reports its job done, so there are
/// never more threads than slots.
#[derive(Default)]
struct JobThreads {
    idle: Arc<Mutex<Vec<mpsc::Sender<Task>>>>,
}

/// Runs the job on an idle job thread, or a new one; `false` if the OS refused a thread
/// (the entry stays pending and unrenewed, so it is claimed back later; the slot stays
/// free).
fn spawn_job(
    shared: &Arc<Shared>,
    threads: &JobThreads,
    entry: Entry,
    done: mpsc::Sender<Done>,
) -> bool {
    shared.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let mut task = Task { entry, done };
    while let Some(tx) = threads.idle.lock().ok().and_then(|mut v| v.pop()) {
        match tx.send(task) {
            Ok(()) => return true,
            // That thread is gone (a panic): try the next one.
            Err(mpsc::SendError(t)) => task = t,
        }
    }
    let (tx, rx) = mpsc::channel::<Task>();
    let s = Arc::clone(shared);
    let idle = Arc::clone(&threads.idle);
    let me = tx.clone();
    let r = std::thread::Builder::new()
        .name("job".into())
        .spawn(move || {
            // `me` keeps the channel open: the thread waits for jobs for the process's
            // lifetime.
            for t in rx.iter() {
                // A panic in the job's own code (pricing panics are caught in the pools)
                // must not take the thread's slot and the entry with it: the slot is
                // reported free and the entry released, so it is claimed back after
                // the claim idle time and its deaths counted like a crash's.
                let d = std::panic::catch_unwind(AssertUnwindSafe(|| run_job(&s, &t.entry)))
                    .unwrap_or_else(|p| {
                        error!(
                            id = %t.entry.id(),
                            panic = %crate::pools::panic_text(&*p),
                            "a job panicked outside its pricing; its entry is released to be claimed back"
                        );
                        s.metrics.job_panics.fetch_add(1, Ordering::Relaxed);
                        s.release(&t.entry);
                        s.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
                        Done {
                            suspect: t.entry.suspect(),
                        }
                    });
                if let Ok(mut v) = idle.lock() {
                    v.push(me.clone());
                }
                let _ = t.done.send(d);
            }
        });
    let refused = match r {
        Ok(_) => match tx.send(task) {
            Ok(()) => return true,
            Err(mpsc::SendError(t)) => {
                error!("a new job thread ended before its first job");
                t
            }
        },
        Err(e) => {
            error!(error = %e, "cannot start a job thread");
            // The closure (and its receiver) is gone; the task was never sent.
            task
        }
    };
    shared.release(&refused.entry);
    shared.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    false
}

/// One job on a job thread, with its metrics; the entry is released (no longer renewed)
/// whatever happened.
fn run_job(s: &Shared, entry: &Entry) -> Done {
    let t = Instant::now();
    let p = entry.priority;
    let outcome = job::run(s, entry);
    if let Some(o) = outcome {
        s.metrics.job(o, p);
        let waited = entry.waited_ms.map(|ms| ms as f64 / 1000.0);
        s.metrics.tenants.job(&entry.tenant, o, waited);
        s.metrics.duration(t.elapsed().as_secs_f64());
    }
    // Also after giving up (None): then the entry must be claimed back.
    s.release(entry);
    s.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    Done {
        suspect: entry.suspect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Priority::{Bulk, Normal, Urgent};

    #[test]
    fn urgent_first_with_a_guard_turn_for_bulk_and_for_normal() {
        let orders: Vec<[Priority; 3]> = (0..10).map(|n| fetch_order(n, 10)).collect();
        let bulk_first = orders.iter().filter(|o| o[0] == Bulk).count();
        let normal_first = orders.iter().filter(|o| o[0] == Normal).count();
        let urgent_first = orders.iter().filter(|o| o[0] == Urgent).count();
        assert_eq!((bulk_first, normal_first, urgent_first), (1, 1, 8));
        assert_eq!(fetch_order(9, 10), [Bulk, Normal, Urgent]);
        assert_eq!(fetch_order(4, 10), [Normal, Bulk, Urgent]);
        assert_eq!(fetch_order(0, 10), [Urgent, Normal, Bulk]);
        // Without urgent work, normal still goes before bulk except on the bulk turn.
        assert_eq!(fetch_order(4, 10)[..2], [Normal, Bulk]);
        assert_eq!(fetch_order(3, 0), [Urgent, Normal, Bulk]);
        assert_eq!(fetch_order(0, 1), [Bulk, Normal, Urgent]);
    }

    #[test]
    fn reserved_slots_take_only_urgent_jobs() {
        let s = |running| Slots {
            running,
            alone: false,
        };
        assert_eq!(s(0).allowed(2, 1), Some(&Priority::ALL[..]));
        assert_eq!(s(1).allowed(2, 1), Some(&Priority::ALL[..]));
        // Two bulk jobs fill the general slots: only urgent may take the third.
        assert_eq!(s(2).allowed(2, 1), Some(&[Urgent][..]));
        assert_eq!(s(3).allowed(2, 1), None);
        assert_eq!(s(2).allowed(2, 0), None);
        // A suspect runs alone.
        assert_eq!(
            Slots {
                running: 1,
                alone: true
            }
            .allowed(2, 1),
            None
        );
    }
}
