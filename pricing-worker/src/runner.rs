//! The worker process: [`run`] wires the pieces together and owns what they share.
//!
//! Threads of one process:
//! - the **dispatcher** (`dispatch`, the caller of [`run`]) owns the fetch connection.
//!   It fetches a job only when a slot is free (no prefetch, so an urgent job never
//!   waits behind fetched bulk jobs), claims back entries of dead workers and moves due
//!   retries back onto their streams (`maintenance`);
//! - a **job thread** per slot in use (kept for the next job, not one per job) does the
//!   Redis side of the job (`job`: claim the id and mark it running in one call, load
//!   the model, store the result) and hands the pricing to a **pool** (`pools`:
//!   one for urgent jobs, one shared) where it runs under the wall-time limit and a
//!   cancel token, so a hung engine cannot hold the job's Redis work hostage;
//! - the **heartbeat** thread (`heartbeat`) resets the idle time of every entry this
//!   process holds and refreshes the queue gauges. It never runs engine code, so
//!   CPU-bound pricing cannot starve it of the lease the way it starves an in-line
//!   renewal (BullMQ "missing lock", Celery visibility timeouts);
//! - the optional metrics HTTP thread (`metrics_http`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::RedisResult;
use tracing::{info, warn};

use crate::budget::Budget;
pub use crate::config::{WorkerConfig, default_concurrency, default_consumer};
use crate::engine::ENGINE_VERSION;
use crate::metrics::Metrics;
use crate::pools::Pools;
use crate::protocol::{Keys, Priority};
use crate::queue::scripts::Scripts;
use crate::queue::streams::Entry;
use crate::queue::{QueueError, RedisConn, redact_url};
use crate::reload::Live;
use crate::retry::Backoff;
use crate::sandbox::Sandbox;
use crate::{dispatch, heartbeat, sanitize};

/// Why the worker could not start.
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
    /// Shutdown requested; the grace period ran out with jobs in flight. They were
    /// handed back for immediate claim-back by other workers (exit code 75).
    GraceExpired,
}

/// An entry this process holds: what the heartbeat renews and shutdown hands back.
#[derive(Debug, Clone)]
pub struct Held {
    /// Its stream.
    pub priority: Priority,
    /// Its entry id.
    pub entry_id: String,
    /// Its job id (for the lock key).
    pub id: String,
    /// Its tenant (for the in-flight mark).
    pub tenant: String,
}

/// What the threads of one process share.
pub struct Shared {
    /// The configuration.
    pub cfg: WorkerConfig,
    /// The models root; `None` when the worker serves only `redis:KEY` models.
    pub sandbox: Option<Sandbox>,
    /// Allowed prefixes of `redis:KEY` models.
    pub blob_prefixes: Vec<String>,
    /// Key names.
    pub keys: Keys,
    /// The price book's engine and the tenants' limits (SIGHUP replaces them).
    pub live: Live,
    /// The Lua scripts.
    pub scripts: Scripts,
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// The pricing pools.
    pub pools: Pools,
    /// The memory budget.
    pub budget: Arc<Budget>,
    /// Entries this process holds, by token.
    pub held: Mutex<HashMap<String, Held>>,
    conns: Mutex<Vec<RedisConn>>,
    /// Set when the grace period is over: job threads stop retrying Redis.
    pub give_up: AtomicBool,
    /// Set by SIGTERM.
    pub shutdown: Arc<AtomicBool>,
    /// Set by SIGHUP: reload the price book and the tenants file.
    pub reload: Arc<AtomicBool>,
}

impl Shared {
    /// Starts renewing `e`.
    pub fn hold(&self, e: &Entry) {
        if let Ok(mut h) = self.held.lock() {
            h.insert(
                e.token(),
                Held {
                    priority: e.priority,
                    entry_id: e.entry_id.clone(),
                    id: e.id().to_string(),
                    tenant: e.tenant.clone(),
                },
            );
        }
    }

    /// Stops renewing `e`.
    pub fn release(&self, e: &Entry) {
        if let Ok(mut h) = self.held.lock() {
            h.remove(&e.token());
        }
    }

    /// A connection from the pool, or a new one.
    pub fn conn(&self) -> Result<RedisConn, QueueError> {
        if let Some(c) = self.conns.lock().ok().and_then(|mut p| p.pop()) {
            return Ok(c);
        }
        open_conn(&self.cfg, Duration::from_secs(10))
    }

    /// Returns a connection to the pool.
    pub fn put_back(&self, c: RedisConn) {
        if c.is_connected()
            && let Ok(mut p) = self.conns.lock()
        {
            p.push(c);
        }
    }

    /// Whether job threads should stop waiting (grace period over).
    pub fn giving_up(&self) -> bool {
        self.give_up.load(Ordering::Relaxed)
    }

    /// Runs `f` until it succeeds, reconnecting with backoff; `None` once the process
    /// gives up (grace period over): the entry stays pending and is claimed back.
    pub fn persist<T>(
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
                    if self.giving_up() {
                        return None;
                    }
                    let d = backoff.next_delay();
                    warn!(error = %sanitize::log_message(&e.to_string()), what, retry_in_ms = d.as_millis() as u64, "redis command failed");
                    std::thread::sleep(d);
                }
            }
        }
    }
}

/// A connection for `cfg` with `io_timeout`.
pub fn open_conn(cfg: &WorkerConfig, io_timeout: Duration) -> Result<RedisConn, QueueError> {
    RedisConn::open_tls(&cfg.redis_url, cfg.tls_ca_pem.as_deref(), io_timeout)
}

/// Runs a worker until `shutdown` is set (SIGTERM), then drains within the grace period.
pub fn run(
    cfg: WorkerConfig,
    shutdown: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
) -> Result<Exit, WorkerError> {
    run_with(cfg, shutdown, Arc::new(AtomicBool::new(false)), metrics)
}

/// [`run`], reloading the price book and the tenants file whenever `reload` is set
/// (SIGHUP).
pub fn run_with(
    cfg: WorkerConfig,
    shutdown: Arc<AtomicBool>,
    reload: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
) -> Result<Exit, WorkerError> {
    cfg.check().map_err(WorkerError::Config)?;
    metrics.tenants.set_top(cfg.metrics_tenants);
    let live = Live::load(&cfg, &metrics).map_err(|p| WorkerError::Config(p.join("\n")))?;
    let sandbox = if cfg.models_root.as_os_str().is_empty() {
        None
    } else {
        Some(Sandbox::new(&cfg.models_root).map_err(WorkerError::Config)?)
    };
    let mut conn = open_conn(&cfg, cfg.block + Duration::from_secs(5))?;
    let pools =
        Pools::new(crate::config::cores(), Arc::clone(&metrics)).map_err(WorkerError::Config)?;
    info!(
        redis = %redact_url(&cfg.redis_url),
        consumer = %cfg.consumer,
        concurrency = cfg.concurrency,
        urgent_slots = cfg.urgent_slots,
        memory_budget_mib = cfg.memory_budget >> 20,
        models_root = %sandbox.as_ref().map_or("(none: redis: models only)".to_string(), |s| s.root().display().to_string()),
        prefix = %cfg.prefix,
        engine = ENGINE_VERSION,
        pricing_version = %live.engine().book().pricing_version(),
        tenants = ?cfg.tenants,
        "worker starting"
    );
    let shared = Arc::new(Shared {
        keys: Keys::new(&cfg.prefix),
        live,
        scripts: Scripts::new(),
        blob_prefixes: cfg.blob_prefixes(),
        budget: Budget::new(cfg.memory_budget),
        sandbox,
        metrics,
        pools,
        held: Mutex::new(HashMap::new()),
        conns: Mutex::new(Vec::new()),
        give_up: AtomicBool::new(false),
        shutdown: Arc::clone(&shutdown),
        reload,
        cfg,
    });
    let hb_stop = Arc::new(AtomicBool::new(false));
    let hb = {
        let shared = Arc::clone(&shared);
        let stop = Arc::clone(&hb_stop);
        std::thread::Builder::new()
            .name("heartbeat".into())
            .spawn(move || heartbeat::run(&shared, &stop))
            .map_err(|e| WorkerError::Config(format!("cannot start the heartbeat thread: {e}")))?
    };
    let exit = dispatch::run(&shared, &mut conn);
    hb_stop.store(true, Ordering::Relaxed);
    let _ = hb.join();
    info!(?exit, "worker stopped");
    Ok(exit)
}
