//! Queue overhead per job: pricing the 20 mm cube in-process versus the same job through
//! Redis (enqueue, worker, result, read back) with one worker thread.
//!
//! `cargo bench --bench queue` (needs `redis-server` on PATH; skipped without it).
//! Throughput with worker processes and the urgent-job wait are in
//! `cargo bench -p pricing-worker --bench workers`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pricing_worker::client::{Client, NewJob};
use pricing_worker::engine::Engine;
use pricing_worker::metrics::Metrics;
use pricing_worker::protocol::Priority;
use pricing_worker::redis_server::RedisServer;
use pricing_worker::runner::{self, WorkerConfig};

fn queue(c: &mut Criterion) {
    let cube = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cube-20mm.stl"))
        .unwrap();
    let mut g = c.benchmark_group("queue");
    g.throughput(Throughput::Elements(1));
    let engine = Engine::new(1 << 30);
    g.bench_function("in_process", |b| {
        b.iter(|| engine.price("cube", black_box(&cube), None).unwrap())
    });

    let Ok(server) = RedisServer::start() else {
        eprintln!("redis-server not found: skipping queue/through_redis");
        return;
    };
    let url = server.url();
    let root = tempfile::tempdir().unwrap();
    let mut cfg = WorkerConfig::new(&url, root.path());
    cfg.concurrency = 1;
    cfg.cache_ttl = Duration::ZERO;
    cfg.block = Duration::from_millis(100);
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || runner::run(cfg, stop, Arc::new(Metrics::default())))
    };
    let mut client = Client::connect(&url, "{pricing}").unwrap();
    client
        .put_model("uploads:m", &cube, Duration::from_secs(3600))
        .unwrap();
    let n = AtomicU64::new(0);
    // One job at a time, end to end: the latency a single MES request sees.
    g.bench_function("through_redis", |b| {
        b.iter(|| {
            let id = format!("bench-{}", n.fetch_add(1, Ordering::Relaxed));
            client
                .enqueue(&NewJob {
                    id: id.clone(),
                    model: "redis:uploads:m".into(),
                    params: None,
                    priority: Priority::Urgent,
                    name: None,
                    tenant: None,
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
