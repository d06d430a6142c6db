//! The worker loop: fetch by priority when a slot is free, price on a thread per job,
//! store the result atomically with the acknowledgement, heartbeat, reclaim.
//!
//! Threads of one process:
//! - the **dispatcher** (the caller of [`run`]) owns the fetch connection. It fetches a
//!   job only when one of `concurrency` slots is free (no prefetch, so an urgent job never
//!   waits behind fetched bulk jobs), reclaims entries of dead workers with XAUTOCLAIM and
//!   moves due retries back onto their streams;
//! - one **job thread** per job does the Redis side of the job (claim the id, load the
//!   model, store the result) and starts a **pricing thread** it waits on with the
//!   wall-time limit, so a hung engine cannot hold the job's Redis work hostage;
//! - the **heartbeat** thread resets the idle time of every entry this process holds
//!   (XCLAIM … JUSTID on its own pending entries) and extends their locks. It never runs
//!   engine code, so CPU-bound pricing cannot starve it of the lease the way it starves an
//!   in-line renewal (BullMQ "missing lock", Celery visibility timeouts);
//! - the optional metrics HTTP thread.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::RedisResult;
use tracing::{debug, error, info, warn};

use crate::engine::{ENGINE_VERSION, Engine, EngineError};
use crate::metrics::{Metrics, Outcome};
use crate::protocol::{
    ErrorInfo, GROUP, JobResult, Keys, ModelSource, Priority, Status, entry_ms, now_ms, rfc3339_ms,
};
use crate::queue::{self, Entry, QueueError, RedisConn, Scripts, redact_url};

/// Everything a worker process is configured with.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// redis://, rediss:// (TLS); AUTH as `redis://user:password@host`.
    pub redis_url: String,
    /// PEM CA certificates to trust for `rediss://` instead of the public roots.
    pub tls_ca_pem: Option<Vec<u8>>,
    /// `file://` models must resolve inside this directory.
    pub models_root: PathBuf,
    /// Jobs priced at once by this process.
    pub concurrency: usize,
    /// Key prefix, `{pricing}` by default.
    pub prefix: String,
    /// This consumer's name in the group (unique per process).
    pub consumer: String,
    /// How long result records live.
    pub result_ttl: Duration,
    /// How long cached quotes live; zero disables the cache.
    pub cache_ttl: Duration,
    /// Approximate MAXLEN of the events and dead-letter streams.
    pub events_maxlen: u64,
    /// How often the heartbeat renews in-flight entries.
    pub heartbeat: Duration,
    /// Idle time after which another worker claims an entry back. Must be several
    /// heartbeats long, or live jobs run twice.
    pub claim_idle: Duration,
    /// How often to look for entries to claim back and retries that are due.
    pub reclaim_interval: Duration,
    /// Longest blocking read when all streams are empty.
    pub block: Duration,
    /// Deliveries after which a job that keeps killing its worker is dead-lettered.
    pub max_deliveries: u64,
    /// Attempts (transient failures and timeouts) after which a job is dead-lettered.
    pub max_attempts: u32,
    /// Wall-time limit of one pricing.
    pub job_timeout: Duration,
    /// Largest model accepted, bytes.
    pub max_model_bytes: u64,
    /// After SIGTERM, how long in-flight jobs may take to finish.
    pub grace: Duration,
    /// Starvation guard: every Nth fetch prefers bulk over normal.
    pub bulk_every: u64,
    /// First retry delay; doubles per attempt, with jitter.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

/// Jobs priced at once by default: one per core, plus one.
///
/// Every job also waits on Redis (fetching the job and the model, storing the result),
/// and a slot that waits leaves its core idle. One extra slot keeps the cores busy:
/// 336-347 small jobs/s instead of 271-275 on two cores (`cargo bench -p pricing-worker --bench
/// workers`, docs/benchmarks.md). More slots gain little (347 with four) and each one
/// holds a model in memory.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) + 1
}

impl WorkerConfig {
    /// Defaults for everything but the Redis URL and the models root.
    pub fn new(redis_url: &str, models_root: &Path) -> WorkerConfig {
        WorkerConfig {
            redis_url: redis_url.to_string(),
            tls_ca_pem: None,
            models_root: models_root.to_path_buf(),
            concurrency: default_concurrency(),
            prefix: crate::protocol::DEFAULT_PREFIX.to_string(),
            consumer: default_consumer(),
            result_ttl: Duration::from_secs(7 * 86_400),
            cache_ttl: Duration::from_secs(86_400),
            events_maxlen: 100_000,
            heartbeat: Duration::from_secs(5),
            claim_idle: Duration::from_secs(60),
            reclaim_interval: Duration::from_secs(5),
            block: Duration::from_millis(500),
            max_deliveries: 3,
            max_attempts: 5,
            job_timeout: Duration::from_secs(120),
            max_model_bytes: 256 << 20,
            grace: Duration::from_secs(30),
            bulk_every: 10,
            retry_base: Duration::from_millis(500),
            retry_max: Duration::from_secs(60),
        }
    }
}

/// `host-pid-rand`: unique per process, readable in XINFO CONSUMERS.
pub fn default_consumer() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    format!("{host}-{}-{:04x}", std::process::id(), fastrand::u16(..))
}

/// Why the worker could not start or stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// The configuration cannot work.
    #[error("configuration: {0}")]
    Config(String),
    /// Redis setup failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// How [`run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Shutdown requested; every in-flight job finished.
    Clean,
    /// Shutdown requested; the grace period ran out with jobs in flight (they will be
    /// claimed back by other workers).
    GraceExpired,
    /// Every pricing thread hung past its wall-time limit: restart the process.
    Stuck,
}

/// Why a job could not be priced, split the way retries need it.
#[derive(Debug, Clone)]
enum JobError {
    /// Fail now, never retry.
    Permanent(ErrorInfo),
    /// Retry with backoff (then dead-letter).
    Transient(ErrorInfo),
}

fn info(code: &str, message: impl Into<String>) -> ErrorInfo {
    ErrorInfo {
        code: code.into(),
        message: message.into(),
    }
}

struct Shared {
    cfg: WorkerConfig,
    root: PathBuf,
    keys: Keys,
    engine: Engine,
    scripts: Scripts,
    metrics: Arc<Metrics>,
    /// Entries this process holds (token → priority, entry id, lock key): what the
    /// heartbeat renews.
    held: Mutex<HashMap<String, (Priority, String, String)>>,
    pool: Mutex<Vec<RedisConn>>,
    /// Set when the grace period is over: job threads stop retrying Redis.
    give_up: AtomicBool,
    shutdown: Arc<AtomicBool>,
}

impl Shared {
    fn hold(&self, e: &Entry) {
        if let Ok(mut h) = self.held.lock() {
            let id = e.fields.get("id").map(|v| v.trim()).unwrap_or_default();
            h.insert(
                e.token(),
                (e.priority, e.entry_id.clone(), self.keys.lock(id)),
            );
        }
    }

    fn release(&self, e: &Entry) {
        if let Ok(mut h) = self.held.lock() {
            h.remove(&e.token());
        }
    }

    fn conn(&self) -> Result<RedisConn, QueueError> {
        if let Some(c) = self.pool.lock().ok().and_then(|mut p| p.pop()) {
            return Ok(c);
        }
        open_conn(&self.cfg, Duration::from_secs(10))
    }

    fn put_back(&self, c: RedisConn) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(c);
        }
    }

    /// Runs `f` until it succeeds, reconnecting with backoff; `None` once the process
    /// gives up (grace period over): the entry stays pending and is claimed back.
    fn persist<T>(
        &self,
        conn: &mut RedisConn,
        what: &str,
        mut f: impl FnMut(&mut RedisConn) -> RedisResult<T>,
    ) -> Option<T> {
        let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));
        loop {
            match f(conn) {
                Ok(v) => {
                    self.metrics.redis_ok();
                    return Some(v);
                }
                Err(e) => {
                    self.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
                    if self.give_up.load(Ordering::Relaxed) {
                        return None;
                    }
                    let d = backoff.next();
                    warn!(error = %e, what, retry_in_ms = d.as_millis() as u64, "redis command failed");
                    std::thread::sleep(d);
                }
            }
        }
    }
}

fn open_conn(cfg: &WorkerConfig, io_timeout: Duration) -> Result<RedisConn, QueueError> {
    RedisConn::open_tls(&cfg.redis_url, cfg.tls_ca_pem.as_deref(), io_timeout)
}

/// Exponential backoff with full jitter.
struct Backoff {
    base: Duration,
    max: Duration,
    n: u32,
}

impl Backoff {
    fn new(base: Duration, max: Duration) -> Backoff {
        Backoff { base, max, n: 0 }
    }

    fn next(&mut self) -> Duration {
        let d = jittered(self.base, self.max, self.n);
        self.n = self.n.saturating_add(1);
        d
    }

    fn reset(&mut self) {
        self.n = 0;
    }
}

/// `base · 2^n`, capped at `max`, times a random factor in [0.5, 1): retries of many
/// jobs that failed together do not come back together.
fn jittered(base: Duration, max: Duration, n: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << n.min(20)).min(max);
    exp.mul_f64(0.5 + fastrand::f64() * 0.5)
}

/// Runs a worker until `shutdown` is set (SIGTERM), then drains within the grace period.
pub fn run(
    cfg: WorkerConfig,
    shutdown: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
) -> Result<Exit, WorkerError> {
    if cfg.concurrency == 0 {
        return Err(WorkerError::Config("concurrency must be at least 1".into()));
    }
    if cfg.claim_idle < cfg.heartbeat * 3 {
        return Err(WorkerError::Config(format!(
            "claim idle time ({} ms) must be at least three heartbeats ({} ms each), or live jobs are claimed back and run twice",
            cfg.claim_idle.as_millis(),
            cfg.heartbeat.as_millis()
        )));
    }
    let root = std::fs::canonicalize(&cfg.models_root).map_err(|e| {
        WorkerError::Config(format!(
            "models root {} is not usable: {e}",
            cfg.models_root.display()
        ))
    })?;
    let mut conn = open_conn(&cfg, cfg.block + Duration::from_secs(5))?;
    info!(
        redis = %redact_url(&cfg.redis_url),
        consumer = %cfg.consumer,
        concurrency = cfg.concurrency,
        models_root = %root.display(),
        prefix = %cfg.prefix,
        engine = ENGINE_VERSION,
        "worker starting"
    );
    let shared = Arc::new(Shared {
        keys: Keys::new(&cfg.prefix),
        engine: Engine::new(cfg.max_model_bytes),
        scripts: Scripts::new(),
        root,
        metrics,
        held: Mutex::new(HashMap::new()),
        pool: Mutex::new(Vec::new()),
        give_up: AtomicBool::new(false),
        shutdown: Arc::clone(&shutdown),
        cfg,
    });
    let hb_stop = Arc::new(AtomicBool::new(false));
    let hb = {
        let shared = Arc::clone(&shared);
        let stop = Arc::clone(&hb_stop);
        std::thread::Builder::new()
            .name("heartbeat".into())
            .spawn(move || heartbeat_loop(&shared, &stop))
            .map_err(|e| WorkerError::Config(format!("cannot start the heartbeat thread: {e}")))?
    };
    let exit = dispatch(&shared, &mut conn);
    hb_stop.store(true, Ordering::Relaxed);
    let _ = hb.join();
    info!(?exit, "worker stopped");
    Ok(exit)
}

fn dispatch(shared: &Arc<Shared>, conn: &mut RedisConn) -> Exit {
    let cfg = &shared.cfg;
    let keys = &shared.keys;
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut running = 0usize;
    let mut buffer: Vec<Entry> = Vec::new();
    let mut groups_ok = false;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    let mut last_maintenance: Option<Instant> = None;
    let mut cursors = [String::from("0-0"), "0-0".into(), "0-0".into()];
    let mut fetches: u64 = 0;
    let mut stuck = false;

    while !shared.shutdown.load(Ordering::Relaxed) {
        while done_rx.try_recv().is_ok() {
            running = running.saturating_sub(1);
        }
        if shared.metrics.stuck_threads.load(Ordering::Relaxed) >= cfg.concurrency as i64 {
            error!("every pricing thread is stuck past the wall-time limit: exiting for a restart");
            stuck = true;
            break;
        }
        if running >= cfg.concurrency {
            if done_rx.recv_timeout(Duration::from_millis(200)).is_ok() {
                running = running.saturating_sub(1);
            }
            continue;
        }
        if !groups_ok {
            match queue::ensure_groups(conn, keys) {
                Ok(()) => {
                    if backoff.n > 0 {
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
        let free = cfg.concurrency - running;
        if last_maintenance.is_none_or(|t| t.elapsed() >= cfg.reclaim_interval) {
            match maintenance(shared, conn, &mut cursors, &mut buffer, free) {
                Ok(()) => last_maintenance = Some(Instant::now()),
                Err(e) => {
                    groups_ok = false;
                    redis_down(shared, &mut backoff, &e);
                    continue;
                }
            }
        }
        // Urgent always first; normal before bulk except every `bulk_every`th fetch, so
        // a steady stream of normal jobs cannot starve bulk forever.
        let order = if cfg.bulk_every > 0 && fetches % cfg.bulk_every == cfg.bulk_every - 1 {
            [Priority::Urgent, Priority::Bulk, Priority::Normal]
        } else {
            [Priority::Urgent, Priority::Normal, Priority::Bulk]
        };
        let mut next = None;
        for p in order {
            if let Some(i) = buffer.iter().position(|e| e.priority == p) {
                next = Some(buffer.remove(i));
                break;
            }
            match queue::read_new(conn, keys, &cfg.consumer, &[p], None) {
                Ok(mut got) if !got.is_empty() => {
                    let e = got.remove(0);
                    shared.hold(&e);
                    for extra in got {
                        shared.hold(&extra);
                        buffer.push(extra);
                    }
                    next = Some(e);
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    groups_ok = false;
                    redis_down(shared, &mut backoff, &e);
                    break;
                }
            }
        }
        if !groups_ok {
            continue;
        }
        let Some(entry) = next else {
            // Nothing anywhere: block on all three streams. What arrives goes through
            // the priority order above on the next turn.
            match queue::read_new(conn, keys, &cfg.consumer, &Priority::ALL, Some(cfg.block)) {
                Ok(got) => {
                    shared.metrics.redis_ok();
                    for e in got {
                        shared.hold(&e);
                        buffer.push(e);
                    }
                }
                Err(e) => {
                    groups_ok = false;
                    redis_down(shared, &mut backoff, &e);
                }
            }
            continue;
        };
        fetches += 1;
        if spawn_job(shared, entry, done_tx.clone()) {
            running += 1;
        }
    }

    // Shutdown: fetch nothing more. Buffered entries were never started: stop renewing
    // them so another worker claims them back after the idle time.
    for e in buffer.drain(..) {
        shared.release(&e);
    }
    let deadline = Instant::now() + shared.cfg.grace;
    info!(
        in_flight = running,
        grace_ms = shared.cfg.grace.as_millis() as u64,
        "stopping: finishing in-flight jobs"
    );
    while running > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        if done_rx.recv_timeout(left).is_ok() {
            running -= 1;
        }
    }
    if stuck {
        shared.give_up.store(true, Ordering::Relaxed);
        return Exit::Stuck;
    }
    if running > 0 {
        shared.give_up.store(true, Ordering::Relaxed);
        warn!(
            unfinished = running,
            "grace period over: unfinished jobs will be claimed back by other workers"
        );
        return Exit::GraceExpired;
    }
    Exit::Clean
}

fn redis_down(shared: &Shared, backoff: &mut Backoff, e: &redis::RedisError) {
    shared.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
    let d = backoff.next();
    warn!(error = %e, retry_in_ms = d.as_millis() as u64, "redis unavailable, reconnecting");
    // Sleep in slices so SIGTERM is honoured while Redis is down.
    let until = Instant::now() + d;
    while Instant::now() < until && !shared.shutdown.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(20).min(d));
    }
}

/// Moves due retries back onto their streams and claims back entries of dead workers,
/// at most as many as there are free slots.
fn maintenance(
    shared: &Shared,
    conn: &mut RedisConn,
    cursors: &mut [String; 3],
    buffer: &mut Vec<Entry>,
    free: usize,
) -> RedisResult<()> {
    let keys = &shared.keys;
    let _: i64 = conn.run(|c| {
        shared
            .scripts
            .promote
            .key(keys.delayed())
            .key(keys.stream(Priority::Urgent))
            .key(keys.stream(Priority::Normal))
            .key(keys.stream(Priority::Bulk))
            .arg(now_ms())
            .arg(100)
            .invoke(c)
    })?;
    for p in Priority::ALL {
        loop {
            let room = free.saturating_sub(buffer.len());
            if room == 0 {
                return Ok(());
            }
            let cursor = cursors[p.index()].clone();
            let (claimed, next) = queue::autoclaim(
                conn,
                keys,
                &shared.cfg.consumer,
                p,
                shared.cfg.claim_idle,
                &cursor,
                room,
            )?;
            for e in claimed {
                info!(entry = %e.entry_id, priority = %p, deliveries = e.deliveries, "claimed back an entry from a dead worker");
                shared.metrics.claimed_back.fetch_add(1, Ordering::Relaxed);
                shared.hold(&e);
                buffer.push(e);
            }
            let wrapped = next == "0-0";
            cursors[p.index()] = next;
            if wrapped {
                break;
            }
        }
    }
    Ok(())
}

fn heartbeat_loop(shared: &Shared, stop: &AtomicBool) {
    let Ok(mut conn) = open_conn(&shared.cfg, Duration::from_secs(5)) else {
        return;
    };
    let keys = &shared.keys;
    let mut last_info: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let tick = Instant::now();
        let held: Vec<(String, Priority, String, String)> = shared
            .held
            .lock()
            .map(|h| {
                h.iter()
                    .map(|(t, (p, e, l))| (t.clone(), *p, e.clone(), l.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for p in Priority::ALL {
            let mine: Vec<&(String, Priority, String, String)> =
                held.iter().filter(|(_, q, _, _)| *q == p).collect();
            if mine.is_empty() {
                continue;
            }
            let r: RedisResult<i64> = conn.run(|c| {
                let mut inv = shared.scripts.heartbeat.key(keys.stream(p));
                inv.arg(GROUP)
                    .arg(&shared.cfg.consumer)
                    .arg(shared.cfg.claim_idle.as_millis() as u64);
                for (token, _, entry_id, lock) in &mine {
                    inv.arg(entry_id).arg(token).key(lock);
                }
                inv.invoke(c)
            });
            match r {
                Ok(_) => shared.metrics.redis_ok(),
                Err(e) => {
                    shared.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
                    debug!(error = %e, "heartbeat failed; retrying next tick");
                }
            }
        }
        if last_info.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            last_info = Some(Instant::now());
            for p in Priority::ALL {
                if let Ok((lag, pending)) = queue::group_info(&mut conn, keys, p) {
                    shared.metrics.lag[p.index()].store(lag, Ordering::Relaxed);
                    shared.metrics.pending[p.index()].store(pending, Ordering::Relaxed);
                }
            }
        }
        let until = tick + shared.cfg.heartbeat;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Starts the job's thread; `false` if the OS refused a thread (the entry stays pending
/// and unrenewed, so it is claimed back later; the slot stays free).
fn spawn_job(shared: &Arc<Shared>, entry: Entry, done: mpsc::Sender<()>) -> bool {
    let s = Arc::clone(shared);
    let held = entry.clone();
    s.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let r = std::thread::Builder::new()
        .name("job".into())
        .spawn(move || {
            let t = Instant::now();
            let p = entry.priority;
            let outcome = job(&s, &entry);
            if let Some(o) = outcome {
                s.metrics.job(o, p);
                s.metrics.duration(t.elapsed().as_secs_f64());
            }
            // Also after giving up (None): then the entry must be claimed back.
            s.release(&entry);
            s.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
            let _ = done.send(());
        });
    match r {
        Ok(_) => true,
        Err(e) => {
            error!(error = %e, "cannot start a job thread");
            shared.release(&held);
            shared.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
            false
        }
    }
}

/// Context of one job while its thread runs.
struct Job<'a> {
    s: &'a Shared,
    e: &'a Entry,
    id: String,
    enqueued_at: Option<String>,
    started_at: String,
    attempts: u32,
}

impl Job<'_> {
    fn record(
        &self,
        status: Status,
        quote: Option<serde_json::Value>,
        error: Option<ErrorInfo>,
    ) -> String {
        let r = JobResult {
            id: self.id.clone(),
            status,
            quote,
            error,
            attempts: self.attempts,
            worker: Some(self.s.cfg.consumer.clone()),
            enqueued_at: self.enqueued_at.clone(),
            started_at: Some(self.started_at.clone()),
            finished_at: status.is_final().then(|| rfc3339_ms(now_ms())),
        };
        serde_json::to_string(&r).unwrap_or_default()
    }

    /// Stores a final record (unless one exists) and acknowledges the entry, atomically.
    fn finish(
        &self,
        conn: &mut RedisConn,
        status: Status,
        quote: Option<serde_json::Value>,
        error: Option<ErrorInfo>,
        total: Option<String>,
    ) -> Option<Outcome> {
        let s = self.s;
        let keys = &s.keys;
        let record = self.record(status, quote, error.clone());
        let dead_fields: Vec<String> = if status == Status::Dead {
            let err = error.unwrap_or_else(|| info("dead", "dead"));
            let f = &self.e.fields;
            vec![
                "id".into(),
                self.id.clone(),
                "priority".into(),
                self.e.priority.as_str().into(),
                "entry".into(),
                self.e.entry_id.clone(),
                "model".into(),
                f.get("model").cloned().unwrap_or_default(),
                "params".into(),
                f.get("params").cloned().unwrap_or_default(),
                "code".into(),
                err.code,
                "reason".into(),
                err.message,
                "deliveries".into(),
                self.e.deliveries.to_string(),
                "attempts".into(),
                self.attempts.to_string(),
                "worker".into(),
                s.cfg.consumer.clone(),
            ]
        } else {
            Vec::new()
        };
        let stored: i64 = s.persist(conn, "store result", |c| {
            c.run(|c| {
                let mut inv = s.scripts.finish.key(keys.result(&self.id));
                inv.key(keys.events())
                    .key(keys.stream(self.e.priority))
                    .key(keys.lock(&self.id))
                    .key(keys.dead())
                    .arg(GROUP)
                    .arg(&self.e.entry_id)
                    .arg(self.e.token())
                    .arg(&record)
                    .arg(status.as_str())
                    .arg(&self.id)
                    .arg(total.clone().unwrap_or_default())
                    .arg(s.cfg.result_ttl.as_secs().max(1))
                    .arg(s.cfg.events_maxlen);
                for f in &dead_fields {
                    inv.arg(f);
                }
                inv.invoke(c)
            })
        })?;
        if stored == 0 {
            debug!(id = %self.id, "a final result already existed: kept it");
            return Some(Outcome::Duplicate);
        }
        if status == Status::Dead {
            s.metrics.dead_lettered.fetch_add(1, Ordering::Relaxed);
        }
        info!(id = %self.id, status = status.as_str(), attempts = self.attempts, "job finished");
        Some(match status {
            Status::Done => Outcome::Done,
            Status::Failed => Outcome::Failed,
            _ => Outcome::Dead,
        })
    }

    /// Schedules another attempt after a backoff, or dead-letters when attempts ran out.
    fn retry(&self, conn: &mut RedisConn, err: ErrorInfo) -> Option<Outcome> {
        let s = self.s;
        let attempt: u32 = self
            .e
            .fields
            .get("attempt")
            .and_then(|a| a.parse().ok())
            .unwrap_or(0)
            + 1;
        if attempt >= s.cfg.max_attempts {
            let err = info(
                &err.code,
                format!(
                    "gave up after {attempt} attempts; last error: {}",
                    err.message
                ),
            );
            return self.finish(conn, Status::Dead, None, Some(err), None);
        }
        let delay = jittered(s.cfg.retry_base, s.cfg.retry_max, attempt - 1);
        let f = &self.e.fields;
        let payload = serde_json::json!({
            "p": self.e.priority.index(),
            "id": self.id,
            "model": f.get("model"),
            "params": f.get("params"),
            "name": f.get("name"),
            "attempt": attempt,
            "enqueued_at": self.enqueued_at,
            // Makes two retries of the same job distinct members of the sorted set.
            "n": fastrand::u64(..),
        })
        .to_string();
        let record = self.record(Status::Queued, None, Some(err.clone()));
        let keys = &s.keys;
        s.persist(conn, "schedule retry", |c| {
            c.run(|c| {
                s.scripts
                    .retry
                    .key(keys.result(&self.id))
                    .key(keys.events())
                    .key(keys.stream(self.e.priority))
                    .key(keys.lock(&self.id))
                    .key(keys.delayed())
                    .arg(GROUP)
                    .arg(&self.e.entry_id)
                    .arg(self.e.token())
                    .arg(&record)
                    .arg(&self.id)
                    .arg(s.cfg.result_ttl.as_secs().max(1))
                    .arg(s.cfg.events_maxlen)
                    .arg(now_ms() + delay.as_millis() as u64)
                    .arg(&payload)
                    .invoke::<i64>(c)
            })
        })?;
        warn!(id = %self.id, code = %err.code, attempt, retry_in_ms = delay.as_millis() as u64, "transient failure: retrying");
        Some(Outcome::Retried)
    }
}

/// Acknowledges and deletes an entry without touching any result.
fn ack_only(s: &Shared, conn: &mut RedisConn, e: &Entry) -> Option<()> {
    let stream = s.keys.stream(e.priority);
    s.persist(conn, "ack", |c| {
        c.run(|c| {
            redis::pipe()
                .atomic()
                .cmd("XACK")
                .arg(&stream)
                .arg(GROUP)
                .arg(&e.entry_id)
                .ignore()
                .cmd("XDEL")
                .arg(&stream)
                .arg(&e.entry_id)
                .ignore()
                .query::<()>(c)
        })
    })
}

/// One job, from claim to acknowledgement. `None`: gave up on Redis (shutdown); the
/// entry stays pending for another worker.
fn job(s: &Shared, e: &Entry) -> Option<Outcome> {
    let mut conn = match s.conn() {
        Ok(c) => c,
        Err(err) => {
            error!(error = %err, "cannot open a redis connection");
            return None;
        }
    };
    let out = job_on(s, e, &mut conn);
    if conn.is_connected() {
        s.put_back(conn);
    }
    out
}

fn job_on(s: &Shared, e: &Entry, conn: &mut RedisConn) -> Option<Outcome> {
    let keys = &s.keys;
    let id = e
        .fields
        .get("id")
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    if id.is_empty() {
        // Without an id there is nowhere to store a result: dead-letter the raw entry.
        warn!(entry = %e.entry_id, "job without an id: dead-lettered");
        let stream = keys.stream(e.priority);
        let dead = keys.dead();
        let fields: Vec<(String, String)> = e.fields.clone().into_iter().collect();
        s.persist(conn, "dead-letter", |c| {
            c.run(|c| {
                let mut p = redis::pipe();
                p.atomic();
                let mut x = redis::cmd("XADD");
                x.arg(&dead).arg("MAXLEN").arg("~").arg(s.cfg.events_maxlen).arg("*")
                    .arg("code").arg("missing_id")
                    .arg("reason").arg("the job has no `id` field: enqueue with XADD ... id <ORDER-ID> model <URI>")
                    .arg("entry").arg(&e.entry_id)
                    .arg("priority").arg(e.priority.as_str());
                for (k, v) in &fields {
                    x.arg(format!("field.{k}")).arg(v);
                }
                p.add_command(x).ignore();
                p.cmd("XACK").arg(&stream).arg(GROUP).arg(&e.entry_id).ignore();
                p.cmd("XDEL").arg(&stream).arg(&e.entry_id).ignore();
                p.query::<()>(c)
            })
        })?;
        s.metrics.dead_lettered.fetch_add(1, Ordering::Relaxed);
        return Some(Outcome::Dead);
    }
    let enqueued_at = e
        .fields
        .get("enqueued_at")
        .cloned()
        .or_else(|| entry_ms(&e.entry_id).map(rfc3339_ms));
    let mut job = Job {
        s,
        e,
        id: id.clone(),
        enqueued_at,
        started_at: rfc3339_ms(now_ms()),
        attempts: 0,
    };

    // Claim the id for this entry (atomically: a final result, or a duplicate entry
    // already pricing the same id, means there is nothing to do).
    let (verdict, prev): (String, Option<String>) = s.persist(conn, "start", |c| {
        c.run(|c| {
            s.scripts
                .start
                .key(keys.result(&id))
                .key(keys.lock(&id))
                .arg(e.token())
                .arg(s.cfg.claim_idle.as_millis() as u64)
                .invoke(c)
        })
    })?;
    if verdict != "ok" {
        debug!(id = %id, verdict, "duplicate entry: acknowledged without pricing");
        ack_only(s, conn, e)?;
        return Some(Outcome::Duplicate);
    }
    let prev: Option<JobResult> = prev.and_then(|p| serde_json::from_str(&p).ok());
    job.attempts = prev.as_ref().map(|p| p.attempts).unwrap_or(0) + 1;
    if job.enqueued_at.is_none() {
        job.enqueued_at = prev.and_then(|p| p.enqueued_at);
    }

    // Poison: this entry was delivered more often than allowed, i.e. it killed or hung
    // its worker every time. Checked after the claim so a duplicate is not dead-lettered.
    if e.deliveries > s.cfg.max_deliveries {
        let err = info(
            "poison",
            format!(
                "delivered {} times without finishing (limit {}): the model crashed or hung its worker every time; it is in the dead-letter stream",
                e.deliveries, s.cfg.max_deliveries
            ),
        );
        return job.finish(conn, Status::Dead, None, Some(err), None);
    }

    let running = job.record(Status::Running, None, None);
    s.persist(conn, "mark running", |c| {
        c.run(|c| {
            redis::pipe()
                .atomic()
                .cmd("SET")
                .arg(keys.result(&id))
                .arg(&running)
                .arg("EX")
                .arg(s.cfg.result_ttl.as_secs().max(1))
                .ignore()
                .cmd("XADD")
                .arg(keys.events())
                .arg("MAXLEN")
                .arg("~")
                .arg(s.cfg.events_maxlen)
                .arg("*")
                .arg("id")
                .arg(&id)
                .arg("status")
                .arg("running")
                .ignore()
                .query::<()>(c)
        })
    })?;

    let model = e.fields.get("model").cloned().unwrap_or_default();
    let params = e.fields.get("params").cloned();
    // `name` (optional) is the file name the quote shows, e.g. the customer's upload name
    // for a `redis:KEY` model; by default the path or the key.
    let shown = e.fields.get("name").filter(|n| !n.is_empty()).cloned();
    let result = load_model(s, conn, &model).and_then(|(name, bytes)| {
        let name = shown.unwrap_or(name);
        price_cached(s, conn, &name, bytes, params.as_deref())
    });
    match result {
        Ok(doc) => {
            let total = s.engine.total_price(&doc);
            job.finish(conn, Status::Done, Some(doc), None, total)
        }
        Err(JobError::Permanent(err)) => {
            info!(id = %id, code = %err.code, message = %err.message, "job failed");
            job.finish(conn, Status::Failed, None, Some(err), None)
        }
        Err(JobError::Transient(err)) => job.retry(conn, err),
    }
}

fn load_model(s: &Shared, conn: &mut RedisConn, uri: &str) -> Result<(String, Vec<u8>), JobError> {
    let max = s.cfg.max_model_bytes;
    let too_large = |size: u64| {
        JobError::Permanent(info(
            "too_large",
            format!(
                "the model is {size} bytes, over the worker's limit of {max} bytes: simplify the mesh"
            ),
        ))
    };
    match ModelSource::parse(uri) {
        None => Err(JobError::Permanent(info(
            "bad_model_uri",
            format!(
                "model `{uri}` is not a supported source: use file:///absolute/path inside the models root, or redis:KEY"
            ),
        ))),
        Some(ModelSource::File(path)) => {
            let requested = Path::new(&path);
            // Canonicalise first (resolves `..` and symlinks), then check the prefix: a
            // link inside the root that points outside it is refused too.
            let real = std::fs::canonicalize(requested).map_err(|err| io_error(&path, err))?;
            if !real.starts_with(&s.root) {
                return Err(JobError::Permanent(info(
                    "model_outside_root",
                    format!(
                        "model {path} resolves to {} which is outside the models root {}: refused",
                        real.display(),
                        s.root.display()
                    ),
                )));
            }
            let meta = std::fs::metadata(&real).map_err(|err| io_error(&path, err))?;
            if !meta.is_file() {
                return Err(JobError::Permanent(info(
                    "model_not_found",
                    format!("model {path} is not a regular file"),
                )));
            }
            if meta.len() > max {
                return Err(too_large(meta.len()));
            }
            let bytes = std::fs::read(&real).map_err(|err| io_error(&path, err))?;
            if bytes.len() as u64 > max {
                return Err(too_large(bytes.len() as u64));
            }
            Ok((path, bytes))
        }
        Some(ModelSource::Redis(key)) => {
            let len: Result<u64, String> = s
                .persist(conn, "strlen", |c| {
                    match c.run(|c| redis::cmd("STRLEN").arg(&key).query::<u64>(c)) {
                        Ok(n) => Ok(Ok(n)),
                        Err(err) if err.code() == Some("WRONGTYPE") => Ok(Err(err.to_string())),
                        Err(err) => Err(err),
                    }
                })
                .ok_or_else(|| JobError::Transient(info("redis", "shutting down")))?;
            let len = len.map_err(|_| {
                JobError::Permanent(info(
                    "bad_model_key",
                    format!("redis key {key} does not hold a string of model bytes"),
                ))
            })?;
            if len == 0 {
                return Err(JobError::Permanent(info(
                    "model_not_found",
                    format!(
                        "redis key {key} is missing or empty: SET it to the model bytes before enqueueing"
                    ),
                )));
            }
            if len > max {
                return Err(too_large(len));
            }
            let bytes: Option<Vec<u8>> = s
                .persist(conn, "get model", |c| {
                    c.run(|c| redis::cmd("GET").arg(&key).query(c))
                })
                .ok_or_else(|| JobError::Transient(info("redis", "shutting down")))?;
            match bytes {
                Some(b) => Ok((key, b)),
                None => Err(JobError::Permanent(info(
                    "model_not_found",
                    format!("redis key {key} disappeared"),
                ))),
            }
        }
    }
}

fn io_error(path: &str, err: std::io::Error) -> JobError {
    use std::io::ErrorKind::*;
    match err.kind() {
        NotFound => JobError::Permanent(info(
            "model_not_found",
            format!(
                "model {path} does not exist: check the path (it must be inside the models root)"
            ),
        )),
        PermissionDenied => JobError::Permanent(info(
            "model_unreadable",
            format!("model {path} is not readable by the worker: {err}"),
        )),
        _ => JobError::Transient(info("io", format!("reading {path}: {err}"))),
    }
}

/// The content-cache key: model bytes, params and engine version.
fn cache_hash(bytes: &[u8], params: Option<&str>) -> String {
    let canonical = params
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .map(|v| v.to_string())
        .unwrap_or_default();
    let mut h = blake3::Hasher::new();
    h.update(ENGINE_VERSION.as_bytes());
    h.update(&[0]);
    h.update(canonical.as_bytes());
    h.update(&[0]);
    h.update(bytes);
    h.finalize().to_hex().to_string()
}

fn price_cached(
    s: &Shared,
    conn: &mut RedisConn,
    name: &str,
    bytes: Vec<u8>,
    params: Option<&str>,
) -> Result<serde_json::Value, JobError> {
    let use_cache = !s.cfg.cache_ttl.is_zero();
    let key = s.keys.cache(&cache_hash(&bytes, params));
    if use_cache {
        let hit: Option<String> = conn
            .run(|c| redis::cmd("GET").arg(&key).query(c))
            .unwrap_or(None);
        if let Some(mut doc) = hit.and_then(|h| serde_json::from_str::<serde_json::Value>(&h).ok())
        {
            s.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
            s.engine.rename(&mut doc, name);
            return Ok(doc);
        }
    }
    let doc = price_with_limit(s, name, bytes, params)?;
    if use_cache {
        // Best effort: a failed cache write costs a re-pricing later, nothing else.
        let _: RedisResult<()> = conn.run(|c| {
            redis::cmd("SET")
                .arg(&key)
                .arg(doc.to_string())
                .arg("EX")
                .arg(s.cfg.cache_ttl.as_secs().max(1))
                .query(c)
        });
    }
    Ok(doc)
}

/// Prices on a separate thread under the wall-time limit, with panics caught.
fn price_with_limit(
    s: &Shared,
    name: &str,
    bytes: Vec<u8>,
    params: Option<&str>,
) -> Result<serde_json::Value, JobError> {
    let (tx, rx) = mpsc::sync_channel(1);
    let engine = s.engine.clone();
    let name_owned = name.to_string();
    let params_owned = params.map(str::to_string);
    let abandoned = Arc::new(AtomicBool::new(false));
    let abandoned2 = Arc::clone(&abandoned);
    let metrics = Arc::clone(&s.metrics);
    let spawned = std::thread::Builder::new()
        .name("pricing".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let bytes = crate::fault::apply(bytes);
                engine.price(&name_owned, &bytes, params_owned.as_deref())
            }));
            if abandoned2.load(Ordering::SeqCst) {
                metrics.stuck_threads.fetch_sub(1, Ordering::Relaxed);
            }
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Err(JobError::Transient(info(
            "no_thread",
            format!("cannot start a pricing thread: {e}"),
        )));
    }
    match rx.recv_timeout(s.cfg.job_timeout) {
        Ok(Ok(Ok(doc))) => Ok(doc),
        Ok(Ok(Err(EngineError {
            code,
            message,
            permanent,
        }))) => {
            let i = info(&code, message);
            Err(if permanent {
                JobError::Permanent(i)
            } else {
                JobError::Transient(i)
            })
        }
        Ok(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            error!(model = %name, panic = %what, "the engine panicked on this model");
            Err(JobError::Permanent(info(
                "engine_panic",
                format!(
                    "the pricing engine crashed on this model ({what}); this is a bug, please report it with the model"
                ),
            )))
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            abandoned.store(true, Ordering::SeqCst);
            s.metrics.stuck_threads.fetch_add(1, Ordering::Relaxed);
            Err(JobError::Transient(info(
                "timeout",
                format!(
                    "pricing took longer than the limit of {} ms",
                    s.cfg.job_timeout.as_millis()
                ),
            )))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(JobError::Permanent(info(
            "engine_panic",
            "the pricing thread ended without an answer",
        ))),
    }
}
