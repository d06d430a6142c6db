//! Queue overhead per job: pricing the 20 mm cube in-process versus the same job through
//! Redis (enqueue, worker, result, read back) with one worker thread.
//!
//! `cargo bench --bench queue` (needs `redis-server` on PATH; skipped without it).
//! Throughput with worker processes and the urgent-job wait are in
//! `cargo bench -p pricing-worker --bench workers`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pricing_worker::client::{Client, NewJob};
use pricing_worker::engine::Engine;
use pricing_worker::metrics::Metrics;
use pricing_worker::protocol::Priority;
use pricing_worker::runner::{self, WorkerConfig};

/// The server, its URL, and its directory (held so it outlives the server).
struct Redis(Child, String, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis() -> Option<Redis> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let dir = tempfile::tempdir().ok()?;
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "yes", "--appendfsync", "everysec"])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let url = format!("redis://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Client::connect(&url, "{pricing}")
        .and_then(|mut c| c.stats())
        .is_err()
    {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Redis(child, url, dir))
}

fn queue(c: &mut Criterion) {
    let cube = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cube-20mm.stl"))
        .unwrap();
    let mut g = c.benchmark_group("queue");
    g.throughput(Throughput::Elements(1));
    let engine = Engine::new(1 << 30);
    g.bench_function("in_process", |b| {
        b.iter(|| engine.price("cube", black_box(&cube), None).unwrap())
    });

    let Some(server) = redis() else {
        eprintln!("redis-server not found: skipping queue/through_redis");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let mut cfg = WorkerConfig::new(&server.1, root.path());
    cfg.concurrency = 1;
    cfg.cache_ttl = Duration::ZERO;
    cfg.block = Duration::from_millis(100);
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || runner::run(cfg, stop, Arc::new(Metrics::default())))
    };
    let mut client = Client::connect(&server.1, "{pricing}").unwrap();
    client
        .put_model("m", &cube, Duration::from_secs(3600))
        .unwrap();
    let n = AtomicU64::new(0);
    // One job at a time, end to end: the latency a single MES request sees.
    g.bench_function("through_redis", |b| {
        b.iter(|| {
            let id = format!("bench-{}", n.fetch_add(1, Ordering::Relaxed));
            client
                .enqueue(&NewJob {
                    id: id.clone(),
                    model: "redis:m".into(),
                    params: None,
                    priority: Priority::Urgent,
                    name: None,
                })
                .unwrap();
            client.wait(&id, Duration::from_secs(30)).unwrap()
        })
    });
    g.finish();
    stop.store(true, Ordering::Relaxed);
    let _ = worker.join();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(5));
    targets = queue
}
criterion_main!(benches);
