//! Prometheus metrics of one worker process (served by `metrics_http`).
//!
//! Hand-rolled on atomics: a dozen series do not justify a metrics registry in a
//! CPU-bound worker.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::protocol::{Priority, now_ms};
use crate::tenant_metrics::TenantMetrics;

/// How a job left a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Priced (or answered from the cache).
    Done,
    /// Failed permanently (bad model, bad params).
    Failed,
    /// Sent to the dead-letter stream.
    Dead,
    /// Scheduled for a retry after a transient failure.
    Retried,
    /// Skipped: a final result already existed, or another entry was pricing the same id.
    Duplicate,
}

impl Outcome {
    const ALL: [Outcome; 5] = [
        Outcome::Done,
        Outcome::Failed,
        Outcome::Dead,
        Outcome::Retried,
        Outcome::Duplicate,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::Dead => "dead",
            Outcome::Retried => "retried",
            Outcome::Duplicate => "duplicate",
        }
    }
}

const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The worker's counters and gauges.
#[derive(Debug, Default)]
pub struct Metrics {
    jobs: [[AtomicU64; 3]; 5],
    duration_buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_sum_us: AtomicU64,
    /// Jobs fetched and not finished.
    pub in_flight: AtomicI64,
    /// Entries taken back from dead workers with XAUTOCLAIM.
    pub claimed_back: AtomicU64,
    /// Jobs written to the dead-letter stream.
    pub dead_lettered: AtomicU64,
    /// Jobs answered from the content cache.
    pub cache_hits: AtomicU64,
    /// Redis commands that failed (each is retried after a reconnect).
    pub redis_errors: AtomicU64,
    /// Pricing threads that did not stop after their cancel (still burning a core).
    pub stuck_threads: AtomicI64,
    /// Jobs whose own code (not the pricing) panicked; their entries were released.
    pub job_panics: AtomicU64,
    /// Bytes of the memory budget reserved by jobs now.
    pub memory_reserved: AtomicI64,
    /// Open connections of the metrics endpoint.
    pub http_connections: AtomicI64,
    /// Per work stream: entries not yet delivered to the group.
    pub lag: [AtomicI64; 3],
    /// Per work stream: entries delivered and not acknowledged.
    pub pending: [AtomicI64; 3],
    /// When Redis last answered, ms since the epoch (for `/healthz`).
    pub redis_ok_ms: AtomicU64,
    /// Per-tenant series (bounded labels).
    pub tenants: TenantMetrics,
    /// The price book in force: pricing version, currency, file.
    book: Mutex<Option<(String, String, String)>>,
    /// SIGHUP reloads applied and refused.
    reloads: [AtomicU64; 2],
}

impl Metrics {
    /// Counts one job that left with `outcome`.
    pub fn job(&self, outcome: Outcome, p: Priority) {
        let o = Outcome::ALL.iter().position(|x| *x == outcome).unwrap_or(0);
        self.jobs[o][p.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long a job took from fetch to result, in seconds.
    pub fn duration(&self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.duration_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        self.duration_sum_us
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    /// Notes the price book now in force.
    pub fn set_price_book(&self, pricing_version: &str, currency: &str, source: &str) {
        if let Ok(mut b) = self.book.lock() {
            *b = Some((
                pricing_version.to_string(),
                currency.to_string(),
                source.to_string(),
            ));
        }
    }

    /// Counts a reload of a file on SIGHUP, applied or refused.
    pub fn reloaded(&self, applied: bool) {
        self.reloads[usize::from(!applied)].fetch_add(1, Ordering::Relaxed);
    }

    /// Notes that Redis answered just now.
    pub fn redis_ok(&self) {
        self.redis_ok_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let r = Ordering::Relaxed;
        s.push_str("# HELP pricing_worker_jobs_total Jobs finished by this worker, by outcome and priority.\n# TYPE pricing_worker_jobs_total counter\n");
        for (o, row) in Outcome::ALL.iter().zip(&self.jobs) {
            for p in Priority::ALL {
                let _ = writeln!(
                    s,
                    "pricing_worker_jobs_total{{outcome=\"{}\",priority=\"{}\"}} {}",
                    o.as_str(),
                    p.as_str(),
                    row[p.index()].load(r)
                );
            }
        }
        s.push_str("# HELP pricing_worker_job_duration_seconds Time from fetch to stored result.\n# TYPE pricing_worker_job_duration_seconds histogram\n");
        for (b, c) in BUCKETS.iter().zip(&self.duration_buckets) {
            let _ = writeln!(
                s,
                "pricing_worker_job_duration_seconds_bucket{{le=\"{b}\"}} {}",
                c.load(r)
            );
        }
        let count = self.duration_count.load(r);
        let _ = writeln!(
            s,
            "pricing_worker_job_duration_seconds_bucket{{le=\"+Inf\"}} {count}\npricing_worker_job_duration_seconds_sum {}\npricing_worker_job_duration_seconds_count {count}",
            self.duration_sum_us.load(r) as f64 / 1e6
        );
        let gauge = |s: &mut String, name: &str, help: &str, kind: &str, v: i64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        };
        gauge(
            &mut s,
            "pricing_worker_in_flight",
            "Jobs fetched and not finished.",
            "gauge",
            self.in_flight.load(r),
        );
        gauge(
            &mut s,
            "pricing_worker_claimed_back_total",
            "Entries claimed back from dead workers.",
            "counter",
            self.claimed_back.load(r) as i64,
        );
        gauge(
            &mut s,
            "pricing_worker_dead_lettered_total",
            "Jobs sent to the dead-letter stream.",
            "counter",
            self.dead_lettered.load(r) as i64,
        );
        gauge(
            &mut s,
            "pricing_worker_cache_hits_total",
            "Jobs answered from the content cache.",
            "counter",
            self.cache_hits.load(r) as i64,
        );
        gauge(
            &mut s,
            "pricing_worker_redis_errors_total",
            "Redis commands that failed.",
            "counter",
            self.redis_errors.load(r) as i64,
        );
        gauge(
            &mut s,
            "pricing_worker_stuck_threads",
            "Pricing threads that did not stop when cancelled at the wall-time limit.",
            "gauge",
            self.stuck_threads.load(r),
        );
        gauge(
            &mut s,
            "pricing_worker_job_panics_total",
            "Jobs whose own code (not the pricing) panicked; each entry was released to be claimed back.",
            "counter",
            self.job_panics.load(r) as i64,
        );
        gauge(
            &mut s,
            "pricing_worker_memory_reserved_bytes",
            "Memory budget reserved by the jobs in flight (their estimates).",
            "gauge",
            self.memory_reserved.load(r),
        );
        for (name, help, arr) in [
            (
                "pricing_worker_queue_lag",
                "Entries of a work stream not yet delivered to the group.",
                &self.lag,
            ),
            (
                "pricing_worker_queue_pending",
                "Entries of a work stream delivered and not acknowledged.",
                &self.pending,
            ),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
            for p in Priority::ALL {
                let _ = writeln!(
                    s,
                    "{name}{{priority=\"{}\"}} {}",
                    p.as_str(),
                    arr[p.index()].load(r)
                );
            }
        }
        if let Ok(Some((version, currency, source))) = self.book.lock().as_deref() {
            let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(
                s,
                "# HELP pricing_worker_price_book The price book this worker prices with (value 1).\n# TYPE pricing_worker_price_book gauge\npricing_worker_price_book{{pricing_version=\"{}\",currency=\"{}\",source=\"{}\"}} 1",
                esc(version),
                esc(currency),
                esc(source)
            );
        }
        let _ = writeln!(
            s,
            "# HELP pricing_worker_reloads_total Files reloaded on SIGHUP, applied or refused (invalid: the old one stays).\n# TYPE pricing_worker_reloads_total counter\npricing_worker_reloads_total{{result=\"applied\"}} {}\npricing_worker_reloads_total{{result=\"refused\"}} {}",
            self.reloads[0].load(r),
            self.reloads[1].load(r)
        );
        self.tenants.render(&mut s);
        s
    }
}
