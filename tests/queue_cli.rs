//! `pricing submit`, `pricing status` and `pricing queue stats` against a real
//! redis-server and a worker, and the worker's quote against the CLI's.
// A panic in a test helper is a failed test, like `allow-unwrap-in-tests` for #[test] fns.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pricing_worker::metrics::Metrics;
use pricing_worker::redis_server::RedisServer;
use pricing_worker::runner::{self, WorkerConfig};

mod common;

fn pricing(args: &[&str], url: &str) -> (i32, String, String) {
    common::exit_and_text(common::pricing().args(args).env("PRICING_REDIS_URL", url))
}

/// What `pricing quote --json` prints for one file.
fn cli_json(file: &str) -> serde_json::Value {
    let (code, out, err) = pricing(&["quote", "--json", file], "");
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.trim()).unwrap()
}

#[test]
fn submit_wait_status_and_stats_through_a_real_worker() {
    let redis = RedisServer::start().expect("redis-server must be installed and start");
    let root = tempfile::tempdir().unwrap();
    let mut cfg = WorkerConfig::new(&redis.url(), root.path());
    cfg.concurrency = 2;
    cfg.block = Duration::from_millis(100);
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || runner::run(cfg, stop, Arc::new(Metrics::default())))
    };

    let file = "fixtures/cube-20mm.stl";
    let (code, out, err) = pricing(
        &[
            "submit",
            file,
            "--priority",
            "urgent",
            "--id",
            "cli-1",
            "--wait",
        ],
        &redis.url(),
    );
    assert_eq!(code, 0, "{err}");
    let record: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(record["status"], "done", "{record}");
    assert_eq!(
        record["quote"],
        cli_json(file),
        "the worker's quote must equal the CLI's"
    );

    let (code, out, _) = pricing(&["status", "cli-1"], &redis.url());
    assert_eq!(code, 0);
    let again: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(again, record);

    // Without --wait: prints the id at once; the same id again is not priced twice.
    let (code, out, _) = pricing(
        &["submit", file, "--id", "cli-1", "--priority", "bulk"],
        &redis.url(),
    );
    assert_eq!(code, 0);
    assert!(out.contains("\"cli-1\""), "{out}");

    let outside = format!("file://{}/../x.stl", root.path().display());
    let (code, out, _) = pricing(
        &["submit", &outside, "--id", "cli-2", "--wait"],
        &redis.url(),
    );
    assert_eq!(code, 3, "a failed job exits 3: {out}");
    assert!(
        out.contains("model_not_found") || out.contains("model_outside_root"),
        "{out}"
    );

    // Params are validated before anything is enqueued.
    let (code, _, err) = pricing(
        &["submit", "file:///x.stl", "--params", r#"{"quantity":3"#],
        &redis.url(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--params"), "{err}");
    let (code, _, err) = pricing(&["status", "never-submitted"], &redis.url());
    assert_eq!(code, 1);
    assert!(err.contains("no record"), "{err}");

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, out, _) = pricing(&["queue", "stats", "--json"], &redis.url());
        assert_eq!(code, 0);
        let stats: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        // Keyed by priority, not positional.
        let zero = serde_json::json!({"urgent": 0, "normal": 0, "bulk": 0});
        if stats["length"] == zero {
            assert_eq!(stats["pending"], zero);
            break;
        }
        assert!(Instant::now() < deadline, "queue never drained: {stats}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, out, _) = pricing(&["queue", "stats"], &redis.url());
    assert_eq!(code, 0);
    assert!(
        out.contains("urgent") && out.contains("dead letters"),
        "{out}"
    );
    stop.store(true, Ordering::Relaxed);
    worker.join().unwrap().unwrap();
}
