//! Everything a worker process is configured with, and the one source of its defaults:
//! [`WorkerConfig::default`], which the binary's flags read too.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything a worker process is configured with.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// redis://, rediss:// (TLS); AUTH as `redis://user:password@host`.
    pub redis_url: String,
    /// PEM CA certificates to trust for `rediss://` instead of the public roots.
    pub tls_ca_pem: Option<Vec<u8>>,
    /// `file://` models must resolve inside this directory. Empty: no `file://` models
    /// (a worker that serves only `redis:KEY` models needs no directory).
    pub models_root: PathBuf,
    /// Jobs of any priority priced at once by this process.
    pub concurrency: usize,
    /// Extra slots only urgent jobs may take, so an urgent job never waits for a slot
    /// behind long bulk jobs.
    pub urgent_slots: usize,
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
    /// How often the queue gauges (lag, pending) are refreshed.
    pub stats_interval: Duration,
    /// Idle time after which another worker claims an entry back. Must be several
    /// heartbeats long, or live jobs run twice.
    pub claim_idle: Duration,
    /// How often to look for entries to claim back and retries that are due.
    pub reclaim_interval: Duration,
    /// Longest blocking read when all streams are empty.
    pub block: Duration,
    /// Deaths alone (a worker that held only this job stopped) after which a job is
    /// dead-lettered as `poison`.
    pub max_deliveries: u32,
    /// Attempts (every start: retries and redeliveries alike) after which a job is
    /// dead-lettered.
    pub max_attempts: u32,
    /// Wall-time limit of one pricing; then it is cancelled.
    pub job_timeout: Duration,
    /// How long a cancelled pricing may take to stop before its pool is replaced.
    pub cancel_grace: Duration,
    /// Largest model accepted, bytes.
    pub max_model_bytes: u64,
    /// Memory the jobs of this process may hold at once, by their estimate; a job waits
    /// until its estimate fits (a job larger than the budget runs alone).
    pub memory_budget: u64,
    /// Redis keys a `redis:KEY` model may name: keys starting with one of these.
    /// Empty: the defaults, `uploads:` and the prefix's own `<prefix>:upload:`.
    pub blob_prefixes: Vec<String>,
    /// After SIGTERM, how long in-flight jobs may take to finish.
    pub grace: Duration,
    /// Starvation guard: every Nth fetch prefers bulk, and every Nth (half a period
    /// later) normal, over more urgent streams.
    pub bulk_every: u64,
    /// First retry delay; doubles per attempt, with jitter.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// The shop's price book (TOML); `None`: the embedded one. Reloaded on SIGHUP.
    pub price_book: Option<PathBuf>,
    /// The tenants file (TOML, `tenants` module); `None`: no limits. Reloaded on SIGHUP.
    pub tenants: Option<PathBuf>,
    /// Tenants with their own `/metrics` label besides those of the tenants file.
    pub metrics_tenants: usize,
    /// Most new entries sorted into tenant queues per stream by one take.lua call.
    pub sort_batch: usize,
}

/// Jobs priced at once by default: one per core, plus one.
///
/// Every job also waits on Redis (fetching the job and the model, storing the result),
/// and a slot that waits leaves its core idle. One extra slot keeps the cores busy:
/// 336-347 small jobs/s instead of 271-275 on two cores (`cargo bench -p pricing-worker --bench
/// workers`, docs/benchmarks.md). More slots gain little (347 with four) and each one
/// holds a model in memory.
pub fn default_concurrency() -> usize {
    cores() + 1
}

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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

/// The default memory budget: 60% of the memory this process may use (the cgroup limit
/// in a container, else the machine's), leaving room for Redis, the OS and the
/// estimate's error. 4 GiB when neither can be read.
pub fn default_memory_budget() -> u64 {
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| parse_meminfo_total(&m));
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let limit = match (machine, cgroup) {
        (Some(m), Some(c)) => m.min(c),
        (Some(m), None) => m,
        (None, Some(c)) => c,
        (None, None) => return 4 << 30,
    };
    limit / 10 * 6
}

/// `MemTotal:       24576000 kB` → bytes.
fn parse_meminfo_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            redis_url: "redis://127.0.0.1:6379".into(),
            tls_ca_pem: None,
            models_root: PathBuf::new(),
            concurrency: default_concurrency(),
            urgent_slots: 1,
            prefix: crate::protocol::DEFAULT_PREFIX.to_string(),
            consumer: default_consumer(),
            result_ttl: Duration::from_secs(7 * 86_400),
            cache_ttl: Duration::from_secs(86_400),
            events_maxlen: 100_000,
            heartbeat: Duration::from_secs(5),
            stats_interval: Duration::from_secs(1),
            claim_idle: Duration::from_secs(60),
            reclaim_interval: Duration::from_secs(5),
            block: Duration::from_millis(500),
            max_deliveries: 3,
            max_attempts: 5,
            job_timeout: Duration::from_secs(120),
            cancel_grace: Duration::from_secs(2),
            max_model_bytes: 256 << 20,
            memory_budget: default_memory_budget(),
            blob_prefixes: Vec::new(),
            grace: Duration::from_secs(30),
            bulk_every: 10,
            retry_base: Duration::from_millis(500),
            retry_max: Duration::from_secs(60),
            price_book: None,
            tenants: None,
            metrics_tenants: crate::tenant_metrics::DEFAULT_TOP,
            sort_batch: 200,
        }
    }
}

impl WorkerConfig {
    /// The defaults with this Redis URL and models root.
    pub fn new(redis_url: &str, models_root: &Path) -> WorkerConfig {
        WorkerConfig {
            redis_url: redis_url.to_string(),
            models_root: models_root.to_path_buf(),
            ..WorkerConfig::default()
        }
    }

    /// The allowed blob prefixes: as configured, or the defaults.
    pub fn blob_prefixes(&self) -> Vec<String> {
        if self.blob_prefixes.is_empty() {
            vec![
                "uploads:".to_string(),
                crate::protocol::Keys::new(&self.prefix).upload_prefix(),
            ]
        } else {
            self.blob_prefixes.clone()
        }
    }

    /// What cannot work, said before anything starts.
    pub fn check(&self) -> Result<(), String> {
        if self.concurrency == 0 {
            return Err("concurrency must be at least 1".into());
        }
        if self.claim_idle < self.heartbeat * 3 {
            return Err(format!(
                "claim idle time ({} ms) must be at least three heartbeats ({} ms each), or live jobs are claimed back and run twice",
                self.claim_idle.as_millis(),
                self.heartbeat.as_millis()
            ));
        }
        if self.max_attempts == 0 || self.max_deliveries == 0 {
            return Err("--max-attempts and --max-deliveries must be at least 1".into());
        }
        if self.memory_budget == 0 {
            return Err("the memory budget must be more than 0 bytes".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_total_is_read_in_bytes() {
        let m = "MemTotal:       24576000 kB\nMemFree:  1 kB\n";
        assert_eq!(parse_meminfo_total(m), Some(24_576_000 * 1024));
        assert_eq!(parse_meminfo_total("nothing"), None);
    }

    #[test]
    fn defaults_are_consistent() {
        let c = WorkerConfig::default();
        assert!(c.check().is_ok());
        assert!(c.claim_idle >= c.heartbeat * 3);
        assert!(c.memory_budget > 0);
        let c = WorkerConfig::new("redis://h", Path::new("/srv"));
        assert_eq!(
            c.blob_prefixes(),
            vec!["uploads:".to_string(), "{pricing}:upload:".to_string()]
        );
    }
}
