//! `pricing submit`, `pricing status`, `pricing queue stats`: talk to the Redis job
//! queue that `pricing-worker` serves (see docs/protocol.md).

use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use pricing_worker::client::{Client, NewJob};
use pricing_worker::protocol::{DEFAULT_PREFIX, JobResult, Priority, Status, now_ms};

use super::output::{errln, outln};
use super::{EXIT_BAD_MESH, EXIT_OK, EXIT_QUEUE, EXIT_USAGE};

/// How uploaded local files are kept in Redis for the worker.
const UPLOAD_TTL: Duration = Duration::from_secs(86_400);

/// Where the queue is.
#[derive(Debug, Clone, Args)]
pub struct RedisArgs {
    /// Redis URL: redis://[user:password@]host:port[/db], or rediss:// for TLS.
    #[arg(
        long = "redis",
        env = "PRICING_REDIS_URL",
        hide_env_values = true,
        default_value = "redis://127.0.0.1:6379"
    )]
    pub redis: String,
    /// Key prefix of the queue.
    #[arg(long, env = "PRICING_PREFIX", default_value = DEFAULT_PREFIX)]
    pub prefix: String,
    /// PEM file of CA certificates to trust for rediss:// (default: the public roots).
    #[arg(long, env = "PRICING_REDIS_CA_FILE")]
    pub redis_ca_file: Option<std::path::PathBuf>,
}

impl RedisArgs {
    fn client(&self) -> Option<Client> {
        let ca = match &self.redis_ca_file {
            Some(f) => match std::fs::read(f) {
                Ok(pem) => Some(pem),
                Err(e) => {
                    errln!("error: cannot read the Redis CA file {}: {e}", f.display());
                    return None;
                }
            },
            None => None,
        };
        match Client::connect_tls(&self.redis, ca.as_deref(), &self.prefix) {
            Ok(c) => Some(c),
            Err(e) => {
                errln!("error: {e}");
                None
            }
        }
    }
}

/// The `--priority` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorityArg {
    /// Priced before everything else.
    Urgent,
    /// The default.
    Normal,
    /// Priced when nothing more urgent waits (with a starvation guard).
    Bulk,
}

impl From<PriorityArg> for Priority {
    fn from(p: PriorityArg) -> Priority {
        match p {
            PriorityArg::Urgent => Priority::Urgent,
            PriorityArg::Normal => Priority::Normal,
            PriorityArg::Bulk => Priority::Bulk,
        }
    }
}

/// Arguments of `pricing submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// A local mesh file (uploaded into Redis and sent as `redis:KEY`), or a model URI:
    /// `file:///abs/path` inside the workers' models root, or `redis:KEY`.
    pub model: String,
    /// Which queue.
    #[arg(long, value_enum, default_value_t = PriorityArg::Normal)]
    pub priority: PriorityArg,
    /// The job id (idempotency key): re-submitting the same id never prices twice.
    /// Default: a fresh id.
    #[arg(long)]
    pub id: Option<String>,
    /// Quote options as a JSON object, e.g. '{"quantity":3,"material":"PLA"}'.
    /// Validated before anything is enqueued (exit 2 when invalid).
    #[arg(long)]
    pub params: Option<String>,
    /// The partner or channel the job is for, e.g. partner-42 (default: the default
    /// tenant). Tenants are served round-robin within a priority.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Wait for the final result and print it.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    #[command(flatten)]
    pub redis: RedisArgs,
}

/// Arguments of `pricing status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The job id.
    pub id: String,
    #[command(flatten)]
    pub redis: RedisArgs,
}

/// Subcommands of `pricing queue`.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Lengths, lag and pending entries of the work streams; retries, dead letters.
    Stats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        redis: RedisArgs,
    },
}

/// Runs `pricing submit`; returns the exit code.
pub fn run_submit(args: &SubmitArgs) -> i32 {
    // Bad params or tenant are the caller's mistake: say so before anything is sent.
    if let Some(p) = args.params.as_deref().filter(|p| !p.trim().is_empty()) {
        let checked = serde_json::from_str::<pricing_core::price::QuoteRequest>(p)
            .map_err(|e| format!("--params is not a valid JSON object of quote options ({e}); e.g. '{{\"quantity\":3,\"material\":\"PLA\"}}'"))
            .and_then(|q| q.validate().map_err(|e| format!("--params: {e}")));
        if let Err(e) = checked {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    }
    if let Some(t) = &args.tenant
        && !pricing_worker::protocol::valid_tenant(t)
    {
        eprintln!(
            "error: --tenant must be 1 to 64 letters, digits, '.', '_', ':' or '-' (e.g. partner-42)"
        );
        return EXIT_USAGE;
    }
    let Some(mut client) = args.redis.client() else {
        return EXIT_QUEUE;
    };
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("cli-{}-{:08x}", now_ms(), fastrand::u32(..)));
    let mut name = None;
    let model = if args.model.starts_with("file://") || args.model.starts_with("redis:") {
        args.model.clone()
    } else {
        // The quote names the file as given, like `pricing quote FILE` does.
        name = Some(args.model.clone());
        // A local file: the worker may run on another host, so send the bytes.
        let path = Path::new(&args.model);
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                errln!("error: cannot read {}: {e}", path.display());
                return EXIT_USAGE;
            }
        };
        let key = format!(
            "{}:upload:{}",
            args.redis.prefix,
            blake3::hash(&bytes).to_hex()
        );
        if let Err(e) = client.put_model(&key, &bytes, UPLOAD_TTL) {
            errln!("error: cannot upload {}: {e}", path.display());
            return EXIT_QUEUE;
        }
        format!("redis:{key}")
    };
    let job = NewJob {
        id: id.clone(),
        model: model.clone(),
        params: args.params.clone(),
        priority: args.priority.into(),
        name,
        tenant: args.tenant.clone(),
    };
    let entry = match client.enqueue(&job) {
        Ok(e) => e,
        Err(e) => {
            errln!("error: cannot enqueue: {e}");
            return EXIT_QUEUE;
        }
    };
    if !args.wait {
        outln!(
            "{}",
            serde_json::json!({"id": id, "entry": entry, "model": model, "priority": job.priority})
        );
        return EXIT_OK;
    }
    match client.wait(&id, Duration::from_secs(args.timeout)) {
        Ok(r) => print_result(&r),
        Err(e) => {
            errln!("error: {e}");
            EXIT_QUEUE
        }
    }
}

fn print_result(r: &JobResult) -> i32 {
    match serde_json::to_string(r) {
        Ok(s) => outln!("{s}"),
        Err(e) => errln!("error: cannot write JSON: {e}"),
    }
    match r.status {
        Status::Done | Status::Queued | Status::Running => EXIT_OK,
        Status::Failed => EXIT_BAD_MESH,
        Status::Dead => EXIT_QUEUE,
    }
}

/// Runs `pricing status`; returns the exit code.
pub fn run_status(args: &StatusArgs) -> i32 {
    let Some(mut client) = args.redis.client() else {
        return EXIT_QUEUE;
    };
    match client.result(&args.id) {
        Ok(Some(r)) => print_result(&r),
        Ok(None) => {
            errln!(
                "error: no record for job {}: never submitted, expired, or enqueued by a client that does not write the queued record and not picked up yet",
                args.id
            );
            EXIT_QUEUE
        }
        Err(e) => {
            errln!("error: {e}");
            EXIT_QUEUE
        }
    }
}

/// Runs `pricing queue ...`; returns the exit code.
pub fn run_queue(command: &QueueCommand) -> i32 {
    match command {
        QueueCommand::Stats { json, redis } => {
            let Some(mut client) = redis.client() else {
                return EXIT_QUEUE;
            };
            let s = match client.stats() {
                Ok(s) => s,
                Err(e) => {
                    errln!("error: {e}");
                    return EXIT_QUEUE;
                }
            };
            if *json {
                outln!("{}", s.to_json());
                return EXIT_OK;
            }
            outln!(
                "{:<8} {:>10} {:>10} {:>10}",
                "stream",
                "length",
                "lag",
                "pending"
            );
            for p in Priority::ALL {
                let i = p.index();
                outln!(
                    "{:<8} {:>10} {:>10} {:>10}",
                    p.as_str(),
                    s.length[i],
                    s.lag[i],
                    s.pending[i]
                );
            }
            outln!("delayed retries: {}", s.delayed);
            outln!("dead letters:    {}", s.dead);
            outln!("events:          {}", s.events);
            if !s.tenants.is_empty() {
                outln!(
                    "{:<24} {:>8} {:>8} {:>8} {:>10}",
                    "tenant",
                    "urgent",
                    "normal",
                    "bulk",
                    "in flight"
                );
                for (t, ts) in &s.tenants {
                    outln!(
                        "{:<24} {:>8} {:>8} {:>8} {:>10}",
                        t,
                        ts.queued[0],
                        ts.queued[1],
                        ts.queued[2],
                        ts.in_flight
                    );
                }
            }
            EXIT_OK
        }
    }
}
