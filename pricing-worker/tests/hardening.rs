//! Issue 14's findings against real processes: the cache and malformed params, bounded
//! messages, the metrics port under 1,100 slow clients at a 1,024 fd limit, queue lag
//! across a Redis restart, the urgent flood, poison versus kills from outside, runaway
//! jobs, shutdown past the grace period, URL redaction and log forging.
// A panic in a test helper is a failed test, like `allow-unwrap-in-tests` for #[test] fns.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use pricing_worker::client::{Client, NewJob};
use pricing_worker::protocol::{Priority, Status};

const WAIT: Duration = Duration::from_secs(60);

fn job(id: &str, model: &str, params: Option<&str>, priority: Priority) -> NewJob {
    NewJob {
        id: id.into(),
        model: model.into(),
        params: params.map(str::to_string),
        priority,
        name: None,
        tenant: None,
    }
}

fn put(conn: &mut redis::Connection, key: &str, bytes: &[u8]) {
    redis::cmd("SET")
        .arg(key)
        .arg(bytes)
        .query::<()>(conn)
        .unwrap();
}

fn http_get(addr: &str, path: &str) -> String {
    let Ok(mut s) = TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(5))
    else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The value of one series in a Prometheus text page.
fn series(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The exact case of the issue: a model priced without params, then the same model with
/// truncated, NaN and trailing-garbage params. The cache must not answer them.
#[test]
fn a_cached_quote_never_answers_malformed_params() {
    let redis = start_redis();
    let root = models_root();
    let _w = Worker::spawn(&redis, root.path(), &["--concurrency", "2"]);
    let mut conn = redis.conn();
    let mut client = redis.client();
    put(&mut conn, "uploads:part", &cube());
    client
        .enqueue(&job("plain", "redis:uploads:part", None, Priority::Normal))
        .unwrap();
    let plain = client.wait("plain", WAIT).unwrap();
    assert_eq!(plain.status, Status::Done);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("{pricing}:cache:*")
        .query(&mut conn)
        .unwrap();
    assert_eq!(keys.len(), 1, "the plain quote is cached");
    let cases = [
        ("truncated", r#"{"quantity":50,"material":"PETG""#),
        ("nan", r#"{"quantity":50,"material":"PETG","scale":NaN}"#),
        ("trailing", r#"{"quantity":50,"material":"PETG"} garbage"#),
        ("typo", r#"{"quantity":50,"materal":"PETG"}"#),
    ];
    for (id, params) in cases {
        client
            .enqueue(&job(
                id,
                "redis:uploads:part",
                Some(params),
                Priority::Normal,
            ))
            .unwrap();
    }
    let ids: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
    let results = wait_final(&mut client, &ids, WAIT);
    for id in &ids {
        let r = &results[id];
        assert_eq!(r.status, Status::Failed, "{id}: {r:?}");
        assert_eq!(r.error.as_ref().unwrap().code, "bad_params", "{id}");
        assert!(r.quote.is_none());
    }
    // The well-formed request is priced for what it asks, not from the plain entry.
    client
        .enqueue(&job(
            "good",
            "redis:uploads:part",
            Some(r#"{"quantity":50,"material":"PETG"}"#),
            Priority::Normal,
        ))
        .unwrap();
    let good = client.wait("good", WAIT).unwrap();
    assert_eq!(good.status, Status::Done);
    let q = good.quote.unwrap();
    assert_eq!(q["price"]["quantity"], 50);
    assert_eq!(q["price"]["material"], "PETG");
    assert_ne!(q["price"]["total"], plain.quote.unwrap()["price"]["total"]);
}

#[test]
fn a_huge_material_name_gives_a_small_record_and_log() {
    let redis = start_redis();
    let root = models_root();
    let w = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
    let mut conn = redis.conn();
    let mut client = redis.client();
    let params = format!(r#"{{"material":"{}"}}"#, "M".repeat(2 << 20));
    let model = format!("file://{}/cube.stl", root.path().display());
    client
        .enqueue(&job("huge", &model, Some(&params), Priority::Normal))
        .unwrap();
    let r = client.wait("huge", WAIT).unwrap();
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.error.as_ref().unwrap().code, "unknown_material");
    let raw: String = redis::cmd("GET")
        .arg("{pricing}:result:huge")
        .query(&mut conn)
        .unwrap();
    println!(
        "result record for a 2 MB material name: {} bytes",
        raw.len()
    );
    assert!(raw.len() < 20_000, "{} bytes", raw.len());
    let log = w.log_text();
    assert!(log.len() < 100_000, "the log grew by {} bytes", log.len());
}

/// 1,100 connections that trickle a byte now and then, at a 1,024 fd limit: pricing goes
/// on (30 cube jobs all done) and the endpoint still answers.
#[test]
fn slow_metrics_clients_cannot_stop_pricing() {
    let redis = start_redis();
    let root = models_root();
    let addr = format!("127.0.0.1:{}", free_port());
    let bin = env!("CARGO_BIN_EXE_pricing-worker");
    let log = redis.dir.path().join("worker-fd.log");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 1024 && exec \"$0\" \"$@\"")
        .arg(bin)
        .args(["--redis", &redis.url(), "--metrics-addr", &addr])
        .arg("--models-root")
        .arg(root.path())
        .args(FAST)
        .args(["--concurrency", "2"])
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    eventually(WAIT, "metrics endpoint up", || {
        http_get(&addr, "/healthz").starts_with("HTTP/1.1 200")
    });
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let open = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // 11 threads × 100 sockets: reconnect what the server closed, trickle a byte.
    let pressure: Vec<_> = (0..11)
        .map(|_| {
            let (stop, open, addr) = (stop.clone(), open.clone(), addr.clone());
            std::thread::spawn(move || {
                let sa = addr.parse().unwrap();
                let mut socks: Vec<Option<TcpStream>> = (0..100).map(|_| None).collect();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut n = 0;
                    for s in socks.iter_mut() {
                        if s.is_none() {
                            *s = TcpStream::connect_timeout(&sa, Duration::from_millis(20)).ok();
                            if let Some(t) = s {
                                let _ = t.set_nonblocking(true);
                            }
                        }
                        if let Some(t) = s {
                            if t.write(b"G").is_err() {
                                *s = None;
                            } else {
                                n += 1;
                            }
                        }
                    }
                    open.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let mut client = redis.client();
    let model = format!("file://{}/cube.stl", root.path().display());
    let ids: Vec<String> = (0..30).map(|i| format!("fd-{i}")).collect();
    let t = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        let params = format!(r#"{{"quantity":{}}}"#, i + 1);
        client
            .enqueue(&job(id, &model, Some(&params), Priority::Normal))
            .unwrap();
    }
    // The failure condition is a generous timeout, not a timing assert.
    let results = try_wait_final(&mut client, &ids, Duration::from_secs(60));
    let took = t.elapsed();
    let page = http_get(&addr, "/metrics?x=1");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for p in pressure {
        let _ = p.join();
    }
    println!(
        "30 cube jobs with 1,100 slow metrics clients at a 1,024 fd limit: {} done in {:.2} s",
        results.len(),
        took.as_secs_f64()
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        results.len(),
        30,
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(results.values().all(|r| r.status == Status::Done));
    // Scraped after the flood stopped (its sockets may still be queued).
    let page = if page.contains("pricing_worker_jobs_total") {
        page
    } else {
        String::new()
    };
    if !page.is_empty() {
        assert!(page.starts_with("HTTP/1.1 200"));
    }
}

/// Metric values, not only their names: after 5 done, 1 failed and a cache hit.
#[test]
fn metric_values_count_what_happened() {
    let redis = start_redis();
    let root = models_root();
    let addr = format!("127.0.0.1:{}", free_port());
    let _w = Worker::spawn(
        &redis,
        root.path(),
        &["--concurrency", "1", "--metrics-addr", &addr],
    );
    let mut conn = redis.conn();
    let mut client = redis.client();
    put(&mut conn, "uploads:m", &cube());
    put(&mut conn, "uploads:junk", b"not a mesh at all");
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = format!("v-{i}");
        // The same model and params: one pricing, four cache hits.
        client
            .enqueue(&job(&id, "redis:uploads:m", None, Priority::Bulk))
            .unwrap();
        ids.push(id);
    }
    client
        .enqueue(&job("v-bad", "redis:uploads:junk", None, Priority::Urgent))
        .unwrap();
    ids.push("v-bad".into());
    wait_final(&mut client, &ids, WAIT);
    let want = [
        (
            "pricing_worker_jobs_total{outcome=\"done\",priority=\"bulk\"}",
            5.0,
        ),
        (
            "pricing_worker_jobs_total{outcome=\"failed\",priority=\"urgent\"}",
            1.0,
        ),
        (
            "pricing_worker_jobs_total{outcome=\"done\",priority=\"urgent\"}",
            0.0,
        ),
        ("pricing_worker_cache_hits_total", 4.0),
        ("pricing_worker_job_duration_seconds_count", 6.0),
        ("pricing_worker_in_flight", 0.0),
        ("pricing_worker_queue_lag{priority=\"bulk\"}", 0.0),
        ("pricing_worker_queue_pending{priority=\"bulk\"}", 0.0),
        ("pricing_worker_dead_lettered_total", 0.0),
        ("pricing_worker_stuck_threads", 0.0),
        ("pricing_worker_memory_reserved_bytes", 0.0),
    ];
    let deadline = Instant::now() + WAIT;
    let mut page = String::new();
    while Instant::now() < deadline {
        page = http_get(&addr, "/metrics?x=1");
        if want.iter().all(|(n, v)| series(&page, n) == Some(*v)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for (n, v) in want {
        assert_eq!(series(&page, n), Some(v), "{n} in\n{page}");
    }
}

#[test]
fn a_password_with_a_slash_is_never_printed() {
    let root = models_root();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pricing-worker"))
        .args([
            "--redis",
            "redis://user:pa/ss@127.0.0.1:1/0",
            "--models-root",
        ])
        .arg(root.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains("pa/ss") && !text.contains("/ss@"), "{text}");
    assert!(text.contains("***"), "{text}");
}

#[test]
fn an_id_with_a_newline_cannot_forge_log_lines() {
    let redis = start_redis();
    let root = models_root();
    let w = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
    let mut client = redis.client();
    let id = "A-1\n2026-12-01T00:00:00.000000Z  INFO pricing_worker::job: job finished id=FORGED";
    let model = format!("file://{}/nope.stl", root.path().display());
    client
        .enqueue(&job(id, &model, None, Priority::Normal))
        .unwrap();
    assert_eq!(client.wait(id, WAIT).unwrap().status, Status::Failed);
    let log = w.log_text();
    assert!(
        !log.lines().any(|l| l.starts_with("2026-12-01T00:00:00")),
        "a forged line:\n{log}"
    );
    assert!(log.contains("A-1\\n"), "{log}");
}

#[test]
fn bulk_jobs_start_while_a_3000_job_urgent_backlog_drains() {
    let redis = start_redis();
    let root = models_root();
    let mut conn = redis.conn();
    let mut client = redis.client();
    put(&mut conn, "uploads:m", &cube());
    let urgent: Vec<String> = (0..3000).map(|i| format!("u-{i}")).collect();
    for id in &urgent {
        client
            .enqueue(&job(id, "redis:uploads:m", None, Priority::Urgent))
            .unwrap();
    }
    let bulk: Vec<String> = (0..20).map(|i| format!("b-{i}")).collect();
    for id in &bulk {
        client
            .enqueue(&job(id, "redis:uploads:m", None, Priority::Bulk))
            .unwrap();
    }
    let _w = Worker::spawn(&redis, root.path(), &["--concurrency", "2"]);
    let all: Vec<String> = urgent.iter().chain(&bulk).cloned().collect();
    wait_final(&mut client, &all, Duration::from_secs(120));
    let evs = events(&mut conn);
    let first_bulk = evs
        .iter()
        .position(|(i, s)| i.starts_with("b-") && s == "running")
        .unwrap();
    let urgent_done_before = evs[..first_bulk]
        .iter()
        .filter(|(i, s)| i.starts_with("u-") && s == "done")
        .count();
    let bulk_during = evs
        .iter()
        .take_while(|(i, s)| !(i == "u-2999" && s == "done"))
        .filter(|(i, s)| i.starts_with("b-") && s == "running")
        .count();
    println!(
        "first bulk job started after {urgent_done_before} of 3,000 urgent jobs; {bulk_during} of 20 bulk jobs started before the urgent backlog drained"
    );
    assert!(
        urgent_done_before < 3000,
        "bulk waited for the whole urgent backlog"
    );
    assert!(bulk_during > 0);
}

#[test]
fn queue_lag_is_counted_across_a_redis_restart() {
    let mut redis = start_redis();
    let root = models_root();
    // A worker creates the groups, then stops.
    let mut w = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
    let mut client = redis.client();
    eventually(WAIT, "groups created", || {
        client.stats().is_ok_and(|s| s.length == [0, 0, 0])
            && redis::cmd("XINFO")
                .arg("GROUPS")
                .arg("{pricing}:jobs:bulk")
                .query::<redis::Value>(&mut redis.conn())
                .is_ok()
    });
    w.sigterm();
    assert!(w.wait_exit(WAIT).is_some());
    let model = format!("file://{}/cube.stl", root.path().display());
    for i in 0..300 {
        client
            .enqueue(&job(&format!("l-{i}"), &model, None, Priority::Bulk))
            .unwrap();
    }
    assert_eq!(client.stats().unwrap().lag[2], 300);
    redis.restart().unwrap();
    let mut conn = redis.conn();
    let info: redis::Value = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg("{pricing}:jobs:bulk")
        .query(&mut conn)
        .unwrap();
    println!("XINFO GROUPS after the restart: {info:?}");
    let mut client = redis.client();
    let mut stats = client.stats().unwrap();
    for _ in 0..100 {
        if stats.length[2] == 300 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        stats = client.stats().unwrap();
    }
    assert_eq!(stats.length[2], 300, "AOF replayed");
    assert_eq!(stats.lag[2], 300, "the backlog after a restart: {stats:?}");
    assert_eq!(stats.pending[2], 0);
}

#[cfg(feature = "fault-injection")]
mod faults {
    use super::*;

    fn status_of(client: &mut Client, id: &str) -> Option<Status> {
        client.result(id).ok().flatten().map(|r| r.status)
    }

    /// With one shared pool an urgent cube starved behind two heavy bulk jobs; with a
    /// pool and a slot of its own it is priced while they still run.
    #[test]
    fn urgent_jobs_are_priced_while_heavy_bulk_jobs_saturate_the_cores() {
        let redis = start_redis();
        let root = models_root();
        let _w = Worker::spawn(&redis, root.path(), &["--concurrency", "2"]);
        let mut conn = redis.conn();
        let mut client = redis.client();
        for i in 0..2 {
            let key = format!("uploads:heavy-{i}");
            let mut b = format!("#fault:spin=20000 {i}\n").into_bytes();
            b.extend(cube());
            put(&mut conn, &key, &b);
            client
                .enqueue(&job(
                    &format!("heavy-{i}"),
                    &format!("redis:{key}"),
                    None,
                    Priority::Bulk,
                ))
                .unwrap();
        }
        eventually(WAIT, "both heavy jobs running", || {
            (0..2).all(|i| status_of(&mut client, &format!("heavy-{i}")) == Some(Status::Running))
        });
        std::thread::sleep(Duration::from_millis(300));
        let model = format!("file://{}/cube.stl", root.path().display());
        let ids: Vec<String> = (0..5).map(|i| format!("urgent-{i}")).collect();
        for (i, id) in ids.iter().enumerate() {
            let params = format!(r#"{{"quantity":{}}}"#, i + 1);
            client
                .enqueue(&job(id, &model, Some(&params), Priority::Urgent))
                .unwrap();
        }
        let t = Instant::now();
        let results = wait_final(&mut client, &ids, WAIT);
        println!(
            "5 urgent cubes while two 20 s CPU-bound bulk jobs ran: done in {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        assert!(results.values().all(|r| r.status == Status::Done));
        for i in 0..2 {
            assert_eq!(
                status_of(&mut client, &format!("heavy-{i}")),
                Some(Status::Running),
                "the urgent jobs must not have waited for the heavy ones"
            );
        }
    }

    /// A CPU-bound runaway is cancelled at the limit, retried and dead-lettered; a deaf
    /// one (cannot be cancelled) on a single-slot worker no longer exits the worker;
    /// the innocent jobs around them are priced exactly once.
    #[test]
    fn runaway_jobs_never_take_the_worker_down() {
        let redis = start_redis();
        let root = models_root();
        let mut w = Worker::spawn(
            &redis,
            root.path(),
            &[
                "--concurrency",
                "1",
                "--job-timeout-ms",
                "400",
                "--cancel-grace-ms",
                "300",
                "--max-attempts",
                "2",
            ],
        );
        let mut conn = redis.conn();
        let mut client = redis.client();
        put(&mut conn, "uploads:spin", b"#fault:spin\n");
        put(&mut conn, "uploads:hang", b"#fault:hang\n");
        let model = format!("file://{}/cube.stl", root.path().display());
        let mut innocent = Vec::new();
        for (n, bad) in ["spin", "hang"].iter().enumerate() {
            client
                .enqueue(&job(
                    bad,
                    &format!("redis:uploads:{bad}"),
                    None,
                    Priority::Normal,
                ))
                .unwrap();
            for i in 0..5 {
                let id = format!("innocent-{n}-{i}");
                let params = format!(r#"{{"quantity":{}}}"#, i + 1 + n * 10);
                client
                    .enqueue(&job(&id, &model, Some(&params), Priority::Normal))
                    .unwrap();
                innocent.push(id);
            }
        }
        let spin = client.wait("spin", WAIT).unwrap();
        assert_eq!(spin.status, Status::Dead, "{spin:?}");
        assert_eq!(spin.error.as_ref().unwrap().code, "timeout");
        assert!(
            spin.error.as_ref().unwrap().message.contains("cancelled"),
            "{spin:?}"
        );
        let hang = client.wait("hang", WAIT).unwrap();
        assert_eq!(hang.status, Status::Dead, "{hang:?}");
        assert_eq!(hang.attempts, 2);
        let results = wait_final(&mut client, &innocent, WAIT);
        assert!(
            results
                .values()
                .all(|r| r.status == Status::Done && r.attempts == 1)
        );
        assert!(w.is_running(), "{}", w.log_text());
        let running = events(&mut conn)
            .iter()
            .filter(|(i, s)| i.starts_with("innocent-") && s == "running")
            .count();
        assert_eq!(running, innocent.len(), "no innocent job priced twice");
        w.sigterm();
        assert!(w.wait_exit(WAIT).is_some());
    }

    /// A panic in a job's own code (outside the pricing pool, whose panics are caught)
    /// on a one-slot worker: the slot is free again, the innocent jobs behind it are
    /// priced, the worker keeps running, and the panicking job is not lost: its entry
    /// is claimed back and, panicking every time, dead-lettered.
    #[test]
    fn a_panic_outside_the_pricing_frees_its_slot_and_loses_no_job() {
        let redis = start_redis();
        let root = models_root();
        let addr = format!("127.0.0.1:{}", free_port());
        let mut w = Worker::spawn(
            &redis,
            root.path(),
            &[
                "--concurrency",
                "1",
                "--urgent-slots",
                "0",
                "--claim-idle-ms",
                "300",
                "--max-deliveries",
                "2",
                "--metrics-addr",
                &addr,
            ],
        );
        let mut conn = redis.conn();
        let mut client = redis.client();
        put(&mut conn, "uploads:bug", b"#fault:panic-outside\n");
        client
            .enqueue(&job("bug", "redis:uploads:bug", None, Priority::Normal))
            .unwrap();
        let model = format!("file://{}/cube.stl", root.path().display());
        let innocent: Vec<String> = (0..3).map(|i| format!("after-{i}")).collect();
        for (i, id) in innocent.iter().enumerate() {
            let params = format!(r#"{{"quantity":{}}}"#, i + 1);
            client
                .enqueue(&job(id, &model, Some(&params), Priority::Normal))
                .unwrap();
        }
        let results = wait_final(&mut client, &innocent, WAIT);
        assert!(
            results.values().all(|r| r.status == Status::Done),
            "{results:?}\n{}",
            w.log_text()
        );
        let bug = client.wait("bug", WAIT).unwrap();
        assert_eq!(bug.status, Status::Dead, "{bug:?}\n{}", w.log_text());
        assert!(w.is_running(), "{}", w.log_text());
        assert!(w.log_text().contains("panicked outside its pricing"));
        let page = http_get(&addr, "/metrics");
        assert!(
            series(&page, "pricing_worker_job_panics_total") >= Some(1.0),
            "{page}"
        );
        assert_eq!(
            series(&page, "pricing_worker_in_flight"),
            Some(0.0),
            "{page}"
        );
        w.sigterm();
        assert!(w.wait_exit(WAIT).is_some());
    }

    /// A poison model among innocent jobs: the first death is shared (nobody blamed),
    /// then each suspect runs alone; only the model that kills its worker alone is
    /// dead-lettered as poison.
    #[test]
    fn poison_is_told_apart_from_the_jobs_that_died_with_it() {
        let redis = start_redis();
        let root = models_root();
        let args = [
            "--concurrency",
            "3",
            "--max-deliveries",
            "2",
            "--max-attempts",
            "10",
        ];
        let mut w = Worker::spawn(&redis, root.path(), &args);
        let mut conn = redis.conn();
        let mut client = redis.client();
        let ids = ["slow-0", "slow-1", "abort"];
        put(&mut conn, "uploads:slow-0", &slow_model(1500, "0"));
        put(&mut conn, "uploads:slow-1", &slow_model(1500, "1"));
        put(&mut conn, "uploads:abort", b"#fault:abort\n");
        for id in &ids[..2] {
            client
                .enqueue(&job(
                    id,
                    &format!("redis:uploads:{id}"),
                    None,
                    Priority::Normal,
                ))
                .unwrap();
        }
        eventually(WAIT, "the slow jobs running", || {
            ids[..2]
                .iter()
                .all(|i| status_of(&mut client, i) == Some(Status::Running))
        });
        client
            .enqueue(&job("abort", "redis:uploads:abort", None, Priority::Normal))
            .unwrap();
        let mut crashes = 0;
        let deadline = Instant::now() + Duration::from_secs(90);
        let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        loop {
            let done = try_wait_final(&mut client, &ids, Duration::from_millis(50));
            if done.len() == ids.len() {
                break;
            }
            if !w.is_running() {
                crashes += 1;
                w = Worker::spawn(&redis, root.path(), &args);
            }
            assert!(
                Instant::now() < deadline,
                "not finished after {crashes} crashes"
            );
        }
        let results = wait_final(&mut client, &ids, WAIT);
        let summary: Vec<(&String, Status, u32)> = results
            .iter()
            .map(|(id, r)| (id, r.status, r.attempts))
            .collect();
        println!("poison among innocent jobs: {crashes} crashes; {summary:?}");
        let a = &results["abort"];
        assert_eq!(a.status, Status::Dead);
        assert_eq!(a.error.as_ref().unwrap().code, "poison");
        for id in ["slow-0", "slow-1"] {
            assert_eq!(
                results[id].status,
                Status::Done,
                "{id} was blamed: {:?}",
                results[id]
            );
        }
    }

    /// Kills from outside while a worker holds several jobs blame none of them.
    #[test]
    fn kills_from_outside_do_not_make_a_valid_model_poison() {
        let redis = start_redis();
        let root = models_root();
        let args = [
            "--concurrency",
            "3",
            "--max-deliveries",
            "2",
            "--max-attempts",
            "10",
        ];
        let mut w = Worker::spawn(&redis, root.path(), &args);
        let mut conn = redis.conn();
        let mut client = redis.client();
        let ids: Vec<String> = (0..3).map(|i| format!("valid-{i}")).collect();
        for id in &ids {
            put(&mut conn, &format!("uploads:{id}"), &slow_model(1500, id));
            client
                .enqueue(&job(
                    id,
                    &format!("redis:uploads:{id}"),
                    None,
                    Priority::Normal,
                ))
                .unwrap();
        }
        // Three kills, each while the worker holds all three jobs.
        for _ in 0..3 {
            eventually(
                WAIT,
                "one worker holding the three jobs, one running",
                || {
                    let v: redis::Value = redis::cmd("XPENDING")
                        .arg("{pricing}:jobs:normal")
                        .arg("workers")
                        .query(&mut conn)
                        .unwrap_or(redis::Value::Nil);
                    let held_by_one = match v {
                        redis::Value::Array(a) => {
                            matches!(a.get(3), Some(redis::Value::Array(c)) if c.len() == 1)
                                && matches!(a.first(), Some(redis::Value::Int(3)))
                        }
                        _ => false,
                    };
                    held_by_one
                        && ids
                            .iter()
                            .any(|i| status_of(&mut client, i) == Some(Status::Running))
                },
            );
            w.kill9();
            w = Worker::spawn(&redis, root.path(), &args);
        }
        let results = wait_final(&mut client, &ids, Duration::from_secs(90));
        for id in &ids {
            assert_eq!(results[id].status, Status::Done, "{:?}", results[id]);
        }
    }

    /// Past the grace period the unfinished job is handed back (exit 75) and another
    /// worker takes it at once, not after the claim idle time.
    #[test]
    fn shutdown_past_the_grace_hands_jobs_back_and_exits_75() {
        let redis = start_redis();
        let root = models_root();
        let args = [
            "--claim-idle-ms",
            "30000",
            "--grace-ms",
            "300",
            "--concurrency",
            "1",
        ];
        let mut a = Worker::spawn(&redis, root.path(), &args);
        let mut conn = redis.conn();
        let mut client = redis.client();
        put(&mut conn, "uploads:long", &slow_model(4000, "long"));
        client
            .enqueue(&job("long", "redis:uploads:long", None, Priority::Normal))
            .unwrap();
        eventually(WAIT, "long job running", || {
            status_of(&mut client, "long") == Some(Status::Running)
        });
        let _b = Worker::spawn(&redis, root.path(), &args);
        let t = Instant::now();
        a.sigterm();
        let st = a.wait_exit(WAIT).unwrap();
        assert_eq!(st.code(), Some(75), "{}", a.log_text());
        let r = client.wait("long", WAIT).unwrap();
        let took = t.elapsed();
        println!(
            "handed back at SIGTERM; done on the other worker {:.1} s later",
            took.as_secs_f64()
        );
        assert_eq!(r.status, Status::Done);
        assert_eq!(r.attempts, 2);
        assert!(
            took < Duration::from_secs(30),
            "waited for the claim idle time"
        );
    }

    /// The lag gauge during a real backlog across a restart: the worker keeps pricing a
    /// slow job, Redis restarts, and the metric says 300, as `Client::stats` does.
    #[test]
    fn the_lag_metric_reads_the_backlog_after_a_restart() {
        let mut redis = start_redis();
        let root = models_root();
        let addr = format!("127.0.0.1:{}", free_port());
        let args = [
            "--concurrency",
            "1",
            "--urgent-slots",
            "0",
            "--metrics-addr",
            &addr,
        ];
        let _w = Worker::spawn(&redis, root.path(), &args);
        let mut conn = redis.conn();
        let mut client = redis.client();
        put(&mut conn, "uploads:slow", &slow_model(20_000, "slow"));
        client
            .enqueue(&job("slow", "redis:uploads:slow", None, Priority::Normal))
            .unwrap();
        eventually(WAIT, "slow job running", || {
            status_of(&mut client, "slow") == Some(Status::Running)
        });
        let model = format!("file://{}/cube.stl", root.path().display());
        for i in 0..300 {
            client
                .enqueue(&job(&format!("n-{i}"), &model, None, Priority::Normal))
                .unwrap();
        }
        redis.restart().unwrap();
        let mut client = redis.client();
        let lag = |page: &str| series(page, "pricing_worker_queue_lag{priority=\"normal\"}");
        let mut page = String::new();
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            page = http_get(&addr, "/metrics");
            if lag(&page) == Some(300.0) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(lag(&page), Some(300.0), "{page}");
        assert_eq!(client.stats().unwrap().lag[1], 300);
    }
}
