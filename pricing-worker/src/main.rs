//! `pricing-worker`: prices jobs from the Redis queue until SIGTERM.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Parser;
use pricing_worker::metrics::{self, Metrics};
use pricing_worker::runner::{self, Exit, WorkerConfig};

/// Price 3D-printing jobs from the Redis queue (see docs/protocol.md).
#[derive(Debug, Parser)]
#[command(name = "pricing-worker", version, about)]
struct Args {
    /// Redis URL: redis://[user:password@]host:port[/db] or rediss:// for TLS.
    #[arg(
        long = "redis",
        env = "PRICING_REDIS_URL",
        hide_env_values = true,
        default_value = "redis://127.0.0.1:6379"
    )]
    redis: String,
    /// PEM file of CA certificates to trust for rediss:// (default: the public roots).
    #[arg(long, env = "PRICING_REDIS_CA_FILE")]
    redis_ca_file: Option<PathBuf>,
    /// Directory that file:// models must resolve into.
    #[arg(long, env = "PRICING_MODELS_ROOT")]
    models_root: PathBuf,
    /// Jobs priced at once (default: the number of cores + 1, so that a job waiting on Redis
    /// does not leave a core idle).
    #[arg(long, env = "PRICING_WORKER_CONCURRENCY")]
    concurrency: Option<usize>,
    /// Serve /metrics and /healthz on this address, e.g. 0.0.0.0:9187.
    #[arg(long, env = "PRICING_METRICS_ADDR")]
    metrics_addr: Option<String>,
    /// Key prefix (keep the braces: they are the Redis Cluster hash tag).
    #[arg(long, env = "PRICING_PREFIX", default_value = pricing_worker::protocol::DEFAULT_PREFIX)]
    prefix: String,
    /// Log JSON lines instead of text.
    #[arg(long, env = "PRICING_LOG_JSON")]
    log_json: bool,
    /// Result records live this long, seconds.
    #[arg(long, env = "PRICING_RESULT_TTL_S", default_value_t = 7 * 86_400)]
    result_ttl_s: u64,
    /// Cached quotes live this long, seconds (0 disables the cache).
    #[arg(long, env = "PRICING_CACHE_TTL_S", default_value_t = 86_400)]
    cache_ttl_s: u64,
    /// Approximate MAXLEN of the events and dead-letter streams.
    #[arg(long, env = "PRICING_EVENTS_MAXLEN", default_value_t = 100_000)]
    events_maxlen: u64,
    /// Heartbeat interval, ms.
    #[arg(long, env = "PRICING_HEARTBEAT_MS", default_value_t = 5_000)]
    heartbeat_ms: u64,
    /// Idle time after which a dead worker's jobs are claimed back, ms (≥ 3 heartbeats).
    #[arg(long, env = "PRICING_CLAIM_IDLE_MS", default_value_t = 60_000)]
    claim_idle_ms: u64,
    /// How often to look for jobs to claim back and retries that are due, ms.
    #[arg(long, env = "PRICING_RECLAIM_INTERVAL_MS", default_value_t = 5_000)]
    reclaim_interval_ms: u64,
    /// Deliveries after which a job that keeps killing its worker is dead-lettered.
    #[arg(long, env = "PRICING_MAX_DELIVERIES", default_value_t = 3)]
    max_deliveries: u64,
    /// Attempts (transient failures, timeouts) before a job is dead-lettered.
    #[arg(long, env = "PRICING_MAX_ATTEMPTS", default_value_t = 5)]
    max_attempts: u32,
    /// Wall-time limit of one pricing, ms.
    #[arg(long, env = "PRICING_JOB_TIMEOUT_MS", default_value_t = 120_000)]
    job_timeout_ms: u64,
    /// Largest model accepted, bytes.
    #[arg(long, env = "PRICING_MAX_MODEL_BYTES", default_value_t = 256 << 20)]
    max_model_bytes: u64,
    /// After SIGTERM, how long in-flight jobs may take, ms.
    #[arg(long, env = "PRICING_GRACE_MS", default_value_t = 30_000)]
    grace_ms: u64,
    /// Starvation guard: every Nth fetch prefers bulk over normal (0: never).
    #[arg(long, env = "PRICING_BULK_EVERY", default_value_t = 10)]
    bulk_every: u64,
    /// First retry delay after a transient failure, ms (doubles, with jitter).
    #[arg(long, env = "PRICING_RETRY_BASE_MS", default_value_t = 500)]
    retry_base_ms: u64,
    /// Longest blocking read when the queue is empty, ms.
    #[arg(long, env = "PRICING_BLOCK_MS", default_value_t = 500)]
    block_ms: u64,
}

fn main() {
    let args = Args::parse();
    init_logging(args.log_json);
    let mut cfg = WorkerConfig::new(&args.redis, &args.models_root);
    if let Some(ca) = &args.redis_ca_file {
        match std::fs::read(ca) {
            Ok(pem) => cfg.tls_ca_pem = Some(pem),
            Err(e) => {
                tracing::error!(file = %ca.display(), error = %e, "cannot read the Redis CA file");
                std::process::exit(2);
            }
        }
    }
    if let Some(n) = args.concurrency {
        cfg.concurrency = n;
    }
    cfg.prefix = args.prefix;
    cfg.result_ttl = Duration::from_secs(args.result_ttl_s);
    cfg.cache_ttl = Duration::from_secs(args.cache_ttl_s);
    cfg.events_maxlen = args.events_maxlen;
    cfg.heartbeat = Duration::from_millis(args.heartbeat_ms);
    cfg.claim_idle = Duration::from_millis(args.claim_idle_ms);
    cfg.reclaim_interval = Duration::from_millis(args.reclaim_interval_ms);
    cfg.max_deliveries = args.max_deliveries;
    cfg.max_attempts = args.max_attempts;
    cfg.job_timeout = Duration::from_millis(args.job_timeout_ms);
    cfg.max_model_bytes = args.max_model_bytes;
    cfg.grace = Duration::from_millis(args.grace_ms);
    cfg.bulk_every = args.bulk_every;
    cfg.retry_base = Duration::from_millis(args.retry_base_ms);
    cfg.block = Duration::from_millis(args.block_ms);

    let shutdown = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&shutdown)) {
            tracing::error!(error = %e, "cannot install the signal handler");
            std::process::exit(2);
        }
    }
    let metrics = Arc::new(Metrics::default());
    if let Some(addr) = &args.metrics_addr {
        match TcpListener::bind(addr) {
            Ok(listener) => {
                let m = Arc::clone(&metrics);
                let healthy = (cfg.block + Duration::from_secs(5)).max(cfg.heartbeat * 3);
                std::thread::spawn(move || metrics::serve(listener, m, healthy));
                tracing::info!(%addr, "serving /metrics and /healthz");
            }
            Err(e) => {
                tracing::error!(%addr, error = %e, "cannot listen for metrics");
                std::process::exit(2);
            }
        }
    }
    match runner::run(cfg, shutdown, metrics) {
        Ok(Exit::Clean) => std::process::exit(0),
        Ok(Exit::GraceExpired) => std::process::exit(0),
        // EX_TEMPFAIL: the supervisor restarts us and the stuck threads die with us.
        Ok(Exit::Stuck) => std::process::exit(75),
        Err(e) => {
            tracing::error!(error = %e, "worker cannot run");
            std::process::exit(2);
        }
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
