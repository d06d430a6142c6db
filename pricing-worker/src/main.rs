//! `pricing-worker`: prices jobs from the Redis queue until SIGTERM.
//!
//! Every default comes from `WorkerConfig::default()`; the flags only name them.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use clap::Parser;
use pricing_worker::config::WorkerConfig;
use pricing_worker::metrics::Metrics;
use pricing_worker::runner::{self, Exit};
use pricing_worker::{metrics_http, reload};

/// The one source of defaults.
static D: LazyLock<WorkerConfig> = LazyLock::new(WorkerConfig::default);

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// Exit code after the grace period ran out: unfinished jobs were handed back.
const EXIT_GRACE_EXPIRED: i32 = 75;

/// Price 3D-printing jobs from the Redis queue (see docs/protocol.md).
#[derive(Debug, Parser)]
// A flag given twice takes the last value (a wrapper script can override a default).
#[command(name = "pricing-worker", version, about, args_override_self = true)]
struct Args {
    /// Redis URL: redis://[user:password@]host:port[/db] or rediss:// for TLS.
    #[arg(long = "redis", env = "PRICING_REDIS_URL", hide_env_values = true, default_value_t = D.redis_url.clone())]
    redis: String,
    /// PEM file of CA certificates to trust for rediss:// (default: the public roots).
    #[arg(long, env = "PRICING_REDIS_CA_FILE")]
    redis_ca_file: Option<PathBuf>,
    /// Directory that file:// models must resolve into (optional: without it the worker
    /// serves only redis:KEY models and refuses file:// ones).
    #[arg(long, env = "PRICING_MODELS_ROOT")]
    models_root: Option<PathBuf>,
    /// Jobs priced at once (default: the number of cores + 1, so that a job waiting on
    /// Redis does not leave a core idle).
    #[arg(long, env = "PRICING_WORKER_CONCURRENCY", default_value_t = D.concurrency)]
    concurrency: usize,
    /// Extra slots only urgent jobs may take.
    #[arg(long, env = "PRICING_URGENT_SLOTS", default_value_t = D.urgent_slots)]
    urgent_slots: usize,
    /// Serve /metrics and /healthz on this address, e.g. 127.0.0.1:9187.
    #[arg(long, env = "PRICING_METRICS_ADDR")]
    metrics_addr: Option<String>,
    /// Key prefix (keep the braces: they are the Redis Cluster hash tag).
    #[arg(long, env = "PRICING_PREFIX", default_value_t = D.prefix.clone())]
    prefix: String,
    /// Log JSON lines instead of text.
    #[arg(long, env = "PRICING_LOG_JSON")]
    log_json: bool,
    /// Result records live this long, seconds.
    #[arg(long, env = "PRICING_RESULT_TTL_S", default_value_t = D.result_ttl.as_secs())]
    result_ttl_s: u64,
    /// Cached quotes live this long, seconds (0 disables the cache).
    #[arg(long, env = "PRICING_CACHE_TTL_S", default_value_t = D.cache_ttl.as_secs())]
    cache_ttl_s: u64,
    /// Approximate MAXLEN of the events and dead-letter streams.
    #[arg(long, env = "PRICING_EVENTS_MAXLEN", default_value_t = D.events_maxlen)]
    events_maxlen: u64,
    /// Heartbeat interval, ms.
    #[arg(long, env = "PRICING_HEARTBEAT_MS", default_value_t = ms(D.heartbeat))]
    heartbeat_ms: u64,
    /// How often the queue gauges (lag, pending) are refreshed, ms.
    #[arg(long, env = "PRICING_STATS_INTERVAL_MS", default_value_t = ms(D.stats_interval))]
    stats_interval_ms: u64,
    /// Idle time after which a stopped worker's jobs are claimed back, ms (≥ 3 heartbeats).
    #[arg(long, env = "PRICING_CLAIM_IDLE_MS", default_value_t = ms(D.claim_idle))]
    claim_idle_ms: u64,
    /// How often to look for jobs to claim back and retries that are due, ms.
    #[arg(long, env = "PRICING_RECLAIM_INTERVAL_MS", default_value_t = ms(D.reclaim_interval))]
    reclaim_interval_ms: u64,
    /// Deaths of a worker pricing the job alone after which it is dead-lettered as poison.
    #[arg(long, env = "PRICING_MAX_DELIVERIES", default_value_t = D.max_deliveries)]
    max_deliveries: u32,
    /// Attempts (every start: retries and redeliveries) before a job is dead-lettered.
    #[arg(long, env = "PRICING_MAX_ATTEMPTS", default_value_t = D.max_attempts)]
    max_attempts: u32,
    /// Wall-time limit of one pricing, ms; then it is cancelled.
    #[arg(long, env = "PRICING_JOB_TIMEOUT_MS", default_value_t = ms(D.job_timeout))]
    job_timeout_ms: u64,
    /// How long a cancelled pricing may take to stop before its pool is replaced, ms.
    #[arg(long, env = "PRICING_CANCEL_GRACE_MS", default_value_t = ms(D.cancel_grace))]
    cancel_grace_ms: u64,
    /// Largest model accepted, bytes.
    #[arg(long, env = "PRICING_MAX_MODEL_BYTES", default_value_t = D.max_model_bytes)]
    max_model_bytes: u64,
    /// Memory the jobs in flight may hold by their estimates (about 10× the model), MiB
    /// (default: 60% of the machine's or the container's memory).
    #[arg(long, env = "PRICING_MEMORY_BUDGET_MIB", default_value_t = D.memory_budget >> 20)]
    memory_budget_mib: u64,
    /// Prefix a redis:KEY model's key must start with (repeat or comma-separate;
    /// default: `uploads:` and `<prefix>:upload:`; "" allows any key).
    #[arg(long, env = "PRICING_BLOB_PREFIX", value_delimiter = ',')]
    blob_prefix: Vec<String>,
    /// After SIGTERM, how long in-flight jobs may take, ms.
    #[arg(long, env = "PRICING_GRACE_MS", default_value_t = ms(D.grace))]
    grace_ms: u64,
    /// Starvation guard: every Nth fetch prefers bulk, and every Nth normal, over more
    /// urgent streams (0: never).
    #[arg(long, env = "PRICING_BULK_EVERY", default_value_t = D.bulk_every)]
    bulk_every: u64,
    /// First retry delay after a transient failure, ms (doubles, with jitter).
    #[arg(long, env = "PRICING_RETRY_BASE_MS", default_value_t = ms(D.retry_base))]
    retry_base_ms: u64,
    /// The shop's price book (TOML, as `pricing price-book check` validates it; default:
    /// the embedded one). Reloaded on SIGHUP; an invalid new book is refused.
    #[arg(long, env = "PRICING_PRICE_BOOK")]
    price_book: Option<PathBuf>,
    /// Per-tenant limits (TOML: max_in_flight, max_queued, rate_per_min; see
    /// docs/deploy.md). Reloaded on SIGHUP; an invalid new file is refused.
    #[arg(long, env = "PRICING_TENANTS")]
    tenants: Option<PathBuf>,
    /// Tenants with their own /metrics label besides those of the tenants file; the
    /// rest are counted as tenant="other".
    #[arg(long, env = "PRICING_METRICS_TENANTS", default_value_t = D.metrics_tenants)]
    metrics_tenants: usize,
    /// Longest blocking read when the queue is empty, ms.
    #[arg(long, env = "PRICING_BLOCK_MS", default_value_t = ms(D.block))]
    block_ms: u64,
}

fn config(args: Args) -> Result<WorkerConfig, String> {
    let tls_ca_pem = match &args.redis_ca_file {
        Some(ca) => Some(
            std::fs::read(ca)
                .map_err(|e| format!("cannot read the Redis CA file {}: {e}", ca.display()))?,
        ),
        None => None,
    };
    Ok(WorkerConfig {
        redis_url: args.redis,
        tls_ca_pem,
        models_root: args.models_root.unwrap_or_default(),
        concurrency: args.concurrency,
        urgent_slots: args.urgent_slots,
        prefix: args.prefix,
        result_ttl: Duration::from_secs(args.result_ttl_s),
        cache_ttl: Duration::from_secs(args.cache_ttl_s),
        events_maxlen: args.events_maxlen,
        heartbeat: Duration::from_millis(args.heartbeat_ms),
        stats_interval: Duration::from_millis(args.stats_interval_ms),
        claim_idle: Duration::from_millis(args.claim_idle_ms),
        reclaim_interval: Duration::from_millis(args.reclaim_interval_ms),
        block: Duration::from_millis(args.block_ms),
        max_deliveries: args.max_deliveries,
        max_attempts: args.max_attempts,
        job_timeout: Duration::from_millis(args.job_timeout_ms),
        cancel_grace: Duration::from_millis(args.cancel_grace_ms),
        max_model_bytes: args.max_model_bytes,
        memory_budget: args.memory_budget_mib.saturating_mul(1 << 20),
        blob_prefixes: args.blob_prefix,
        grace: Duration::from_millis(args.grace_ms),
        bulk_every: args.bulk_every,
        retry_base: Duration::from_millis(args.retry_base_ms),
        price_book: args.price_book,
        tenants: args.tenants,
        metrics_tenants: args.metrics_tenants,
        ..WorkerConfig::default()
    })
}

fn main() {
    let args = Args::parse();
    init_logging(args.log_json);
    let metrics_addr = args.metrics_addr.clone();
    let cfg = match config(args) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "bad configuration");
            std::process::exit(2);
        }
    };
    // A broken price book or tenants file stops the start, with every problem listed
    // (as `pricing price-book check` lists them).
    let problems: Vec<String> = [
        reload::load_book(&cfg).err(),
        reload::load_tenants(&cfg).err(),
    ]
    .into_iter()
    .flatten()
    .flatten()
    .collect();
    if !problems.is_empty() {
        eprintln!(
            "{} problem{} in the configuration files:",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        for p in &problems {
            eprintln!("  {p}");
        }
        std::process::exit(2);
    }
    let shutdown = Arc::new(AtomicBool::new(false));
    let reload_flag = Arc::new(AtomicBool::new(false));
    for (sig, flag) in [
        (signal_hook::consts::SIGTERM, &shutdown),
        (signal_hook::consts::SIGINT, &shutdown),
        (signal_hook::consts::SIGHUP, &reload_flag),
    ] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(flag)) {
            tracing::error!(error = %e, "cannot install the signal handler");
            std::process::exit(2);
        }
    }
    let metrics = Arc::new(Metrics::default());
    if let Some(addr) = &metrics_addr {
        match TcpListener::bind(addr) {
            Ok(listener) => {
                let m = Arc::clone(&metrics);
                let healthy = (cfg.block + Duration::from_secs(5)).max(cfg.heartbeat * 3);
                std::thread::spawn(move || metrics_http::serve(listener, m, healthy));
                tracing::info!(%addr, "serving /metrics and /healthz");
            }
            Err(e) => {
                tracing::error!(%addr, error = %e, "cannot listen for metrics");
                std::process::exit(2);
            }
        }
    }
    match runner::run_with(cfg, shutdown, reload_flag, metrics) {
        Ok(Exit::Clean) => std::process::exit(0),
        // EX_TEMPFAIL: stopped on request, but unfinished jobs were handed back.
        Ok(Exit::GraceExpired) => std::process::exit(EXIT_GRACE_EXPIRED),
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
        // Flattened: the event's fields sit beside `timestamp` and `level`, so a line has
        // exactly one `message` key (no field is named `message`).
        builder.json().flatten_event(true).init();
    } else {
        // Colours only on a terminal: a log file or journald gets plain text.
        use std::io::IsTerminal as _;
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}
