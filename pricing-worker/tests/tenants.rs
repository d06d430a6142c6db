//! Tenants, the shop's price book and the integration fixes (issue 11), against real
//! redis-server and real pricing-worker processes.
//!
//! Tests marked `fault-injection` need `--features fault-injection` (or
//! `cargo test --workspace --all-features`).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use pricing_worker::client::{Client, NewJob};
use pricing_worker::protocol::{JobResult, Priority, Status};

const WAIT: Duration = Duration::from_secs(120);

fn job(id: &str, model: &str, priority: Priority, tenant: Option<&str>) -> NewJob {
    NewJob {
        id: id.into(),
        model: model.into(),
        params: None,
        priority,
        name: None,
        tenant: tenant.map(str::to_string),
    }
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn embedded_book() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../pricing-core/src/price/default.toml"),
    )
    .unwrap()
}

fn book_in(currency: &str) -> String {
    let b = embedded_book();
    assert!(b.contains("currency = \"EUR\""));
    b.replace("currency = \"EUR\"", &format!("currency = \"{currency}\""))
}

fn currency(r: &JobResult) -> String {
    r.quote.as_ref().unwrap()["price"]["currency"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn sighup(w: &Worker) {
    let st = std::process::Command::new("kill")
        .args(["-HUP", &w.pid().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// The RFC 3339 time of a record as ms since the epoch (for ordering only).
fn finished_ms(r: &JobResult) -> u64 {
    let t = r.finished_at.as_deref().unwrap_or_default();
    // 2026-12-02T19:02:44.123Z: same day in a test, so h/m/s/ms order correctly.
    let part = |a: usize, b: usize| t.get(a..b).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    (part(0, 4) * 10_000 + part(5, 7) * 100 + part(8, 10)) * 86_400_000
        + part(11, 13) * 3_600_000
        + part(14, 16) * 60_000
        + part(17, 19) * 1000
        + part(20, 23)
}

/// The bar: a tenant's 10 bulk jobs enqueued after another tenant's 600 are done within
/// 25% of the 600's time. Two worker processes; a third tenant sends slow jobs all along.
/// Asserted by order, not by clock: fewer than 150 (25%) of the 600 finish before the
/// last of the 10.
#[test]
fn a_late_tenant_is_not_stuck_behind_a_flood_across_two_workers() {
    let redis = start_redis();
    let root = models_root();
    let mut client = redis.client();
    client
        .put_model("uploads:cube", &cube(), Duration::from_secs(600))
        .unwrap();
    let slow = cfg!(feature = "fault-injection");
    if slow {
        for i in 0..20 {
            client
                .put_model(
                    &format!("uploads:slow{i}"),
                    &slow_model(300, &format!("n{i}")),
                    Duration::from_secs(600),
                )
                .unwrap();
        }
    }
    let flood: Vec<String> = (0..600).map(|i| format!("A-{i}")).collect();
    for id in &flood {
        client
            .enqueue(&job(
                id,
                "redis:uploads:cube",
                Priority::Bulk,
                Some("flood"),
            ))
            .unwrap();
    }
    let slow_ids: Vec<String> = if slow {
        (0..20).map(|i| format!("S-{i}")).collect()
    } else {
        Vec::new()
    };
    for (i, id) in slow_ids.iter().enumerate() {
        client
            .enqueue(&job(
                id,
                &format!("redis:uploads:slow{i}"),
                Priority::Bulk,
                Some("slow"),
            ))
            .unwrap();
    }
    let addr = format!("127.0.0.1:{}", free_port());
    // The cache is off so each of the 600 is really priced.
    let args = ["--cache-ttl-s", "0", "--concurrency", "2"];
    let t0 = Instant::now();
    let _w1 = Worker::spawn(
        &redis,
        root.path(),
        &[&args[..], &["--metrics-addr", &addr]].concat(),
    );
    let _w2 = Worker::spawn(&redis, root.path(), &args);
    // A second later, the late tenant.
    eventually(WAIT, "the flood started", || {
        client
            .result("A-0")
            .ok()
            .flatten()
            .is_some_and(|r| r.status != Status::Queued)
    });
    let late: Vec<String> = (0..10).map(|i| format!("B-{i}")).collect();
    let t_late = Instant::now();
    for id in &late {
        client
            .enqueue(&job(id, "redis:uploads:cube", Priority::Bulk, Some("late")))
            .unwrap();
    }
    let late_done = wait_final(&mut client, &late, WAIT);
    let late_s = t_late.elapsed().as_secs_f64();
    let flood_done = wait_final(&mut client, &flood, WAIT);
    let flood_s = t0.elapsed().as_secs_f64();
    wait_final(&mut client, &slow_ids, WAIT);
    assert!(late_done.values().all(|r| r.status == Status::Done));
    assert!(flood_done.values().all(|r| r.status == Status::Done));
    let last_late = late_done.values().map(finished_ms).max().unwrap();
    let before = flood_done
        .values()
        .filter(|r| finished_ms(r) < last_late)
        .count();
    eprintln!(
        "late tenant's 10 done in {late_s:.2} s; the flood's 600 in {flood_s:.2} s ({:.0}%); {before} of the 600 finished before the last of the 10",
        100.0 * late_s / flood_s
    );
    assert!(
        before < 150,
        "{before} of the flood's 600 jobs finished before the late tenant's 10"
    );
    // Per-tenant series.
    let m = http_get(&addr, "/metrics");
    for t in ["flood", "late"] {
        assert!(
            m.contains(&format!(
                "pricing_worker_tenant_jobs_total{{tenant=\"{t}\",outcome=\"done\"}}"
            )),
            "{m}"
        );
    }
    assert!(m.contains("pricing_worker_tenant_wait_seconds_count{tenant=\"late\"}"));
    assert!(m.contains("pricing_worker_tenant_queued{tenant=\"other\"}"));
}

/// Quotas: over max_queued a job fails at once with quota_exceeded; over the rate a job
/// waits and is priced; other tenants are not limited.
#[test]
fn a_tenant_over_its_queue_cap_is_refused_and_over_its_rate_waits() {
    let redis = start_redis();
    let root = models_root();
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants.toml");
    std::fs::write(
        &tenants,
        "[tenants.capped]\nmax_queued = 3\nrate_per_min = 120\n",
    )
    .unwrap();
    let mut client = redis.client();
    client
        .put_model("uploads:cube", &cube(), Duration::from_secs(600))
        .unwrap();
    let capped: Vec<String> = (0..10).map(|i| format!("C-{i}")).collect();
    for id in &capped {
        client
            .enqueue(&job(
                id,
                "redis:uploads:cube",
                Priority::Normal,
                Some("capped"),
            ))
            .unwrap();
    }
    let free: Vec<String> = (0..10).map(|i| format!("F-{i}")).collect();
    for id in &free {
        client
            .enqueue(&job(id, "redis:uploads:cube", Priority::Normal, None))
            .unwrap();
    }
    let _w = Worker::spawn(
        &redis,
        root.path(),
        &["--tenants", tenants.to_str().unwrap()],
    );
    let got = wait_final(&mut client, &capped, WAIT);
    let refused: Vec<&JobResult> = got
        .values()
        .filter(|r| r.error.as_ref().is_some_and(|e| e.code == "quota_exceeded"))
        .collect();
    let done = got.values().filter(|r| r.status == Status::Done).count();
    // One may be taken before the rest are sorted; at most 3 more wait in the queue.
    assert!(refused.len() >= 6 && done >= 3, "{got:?}");
    assert_eq!(refused.len() + done, 10);
    assert!(refused.iter().all(|r| r.status == Status::Failed));
    // Over the rate (2/min... per second here: 120/min) they waited, none failed for it.
    let free_done = wait_final(&mut client, &free, WAIT);
    assert!(free_done.values().all(|r| r.status == Status::Done));
    // One final event per job, also for the refused ones.
    let mut conn = redis.conn();
    let finals = final_events(&mut conn);
    assert!(capped.iter().all(|id| finals.get(id) == Some(&1)));
    assert_eq!(pending_total(&mut conn), 0);
    // A bad tenant name fails at once.
    client
        .enqueue(&job(
            "BAD-1",
            "redis:uploads:cube",
            Priority::Normal,
            Some("a b"),
        ))
        .unwrap();
    let r = wait_final(&mut client, &["BAD-1".to_string()], WAIT);
    assert_eq!(r["BAD-1"].error.as_ref().unwrap().code, "bad_tenant");
}

/// max_in_flight holds across two workers: a tenant's slow jobs never overlap.
#[cfg(feature = "fault-injection")]
#[test]
fn max_in_flight_holds_across_workers() {
    let redis = start_redis();
    let root = models_root();
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants.toml");
    std::fs::write(&tenants, "[tenants.one]\nmax_in_flight = 1\n").unwrap();
    let mut client = redis.client();
    let ids: Vec<String> = (0..6).map(|i| format!("O-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        client
            .put_model(
                &format!("uploads:s{i}"),
                &slow_model(200, &format!("o{i}")),
                Duration::from_secs(600),
            )
            .unwrap();
        client
            .enqueue(&job(
                id,
                &format!("redis:uploads:s{i}"),
                Priority::Normal,
                Some("one"),
            ))
            .unwrap();
    }
    let t = tenants.to_str().unwrap();
    let _w1 = Worker::spawn(&redis, root.path(), &["--tenants", t]);
    let _w2 = Worker::spawn(&redis, root.path(), &["--tenants", t]);
    let got = wait_final(&mut client, &ids, WAIT);
    let mut spans: Vec<(String, String)> = got
        .values()
        .map(|r| {
            assert_eq!(r.status, Status::Done, "{r:?}");
            (
                r.started_at.clone().unwrap(),
                r.finished_at.clone().unwrap(),
            )
        })
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "two jobs of the tenant overlapped: {w:?}");
    }
}

/// The bar: with --price-book in another currency the worker quotes in it; after the
/// book changes and a SIGHUP, the same model quotes in the new currency (no stale book,
/// no stale cache), while jobs keep flowing. An invalid new book is refused.
#[test]
fn sighup_reloads_the_price_book_under_load() {
    let redis = start_redis();
    let root = models_root();
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book.toml");
    std::fs::write(&book, book_in("USD")).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let w = Worker::spawn(
        &redis,
        root.path(),
        &[
            "--price-book",
            book.to_str().unwrap(),
            "--metrics-addr",
            &addr,
        ],
    );
    let mut client = redis.client();
    client
        .put_model("uploads:cube", &cube(), Duration::from_secs(600))
        .unwrap();
    let first = "R-first".to_string();
    client
        .enqueue(&job(&first, "redis:uploads:cube", Priority::Normal, None))
        .unwrap();
    let r = wait_final(&mut client, std::slice::from_ref(&first), WAIT);
    assert_eq!(currency(&r[&first]), "USD");
    assert!(http_get(&addr, "/metrics").contains("currency=\"USD\""));
    // Load: a stream of jobs (cached: the same model) through the reload.
    let load: Vec<String> = (0..300).map(|i| format!("L-{i}")).collect();
    for id in &load[..150] {
        client
            .enqueue(&job(id, "redis:uploads:cube", Priority::Bulk, None))
            .unwrap();
    }
    std::fs::write(&book, book_in("GBP")).unwrap();
    sighup(&w);
    eventually(WAIT, "the reload", || {
        http_get(&addr, "/metrics").contains("currency=\"GBP\"")
    });
    for id in &load[150..] {
        client
            .enqueue(&job(id, "redis:uploads:cube", Priority::Bulk, None))
            .unwrap();
    }
    let after = "R-after".to_string();
    client
        .enqueue(&job(&after, "redis:uploads:cube", Priority::Urgent, None))
        .unwrap();
    let r = wait_final(&mut client, std::slice::from_ref(&after), WAIT);
    assert_eq!(currency(&r[&after]), "GBP", "stale book or stale cache");
    let all = wait_final(&mut client, &load, WAIT);
    assert!(all.values().all(|r| r.status == Status::Done));
    // Every job quoted in one of the two books, the late half in the new one.
    assert!(load[150..].iter().all(|id| currency(&all[id]) == "GBP"));
    assert!(
        all.values()
            .all(|r| matches!(currency(r).as_str(), "USD" | "GBP"))
    );
    // An invalid book is refused and logged; the old one stays.
    std::fs::write(&book, "currency = 7\n").unwrap();
    sighup(&w);
    eventually(WAIT, "the refusal", || {
        w.log_text().contains("new price book refused")
    });
    let kept = "R-kept".to_string();
    client
        .enqueue(&job(&kept, "redis:uploads:cube", Priority::Urgent, None))
        .unwrap();
    let r = wait_final(&mut client, std::slice::from_ref(&kept), WAIT);
    assert_eq!(currency(&r[&kept]), "GBP");
    let m = http_get(&addr, "/metrics");
    assert!(
        m.contains("pricing_worker_reloads_total{result=\"refused\"} 1"),
        "{m}"
    );
}

/// A broken price book or tenants file stops the start with exit 2 and every problem
/// with its field path.
#[test]
fn a_broken_price_book_or_tenants_file_stops_the_start() {
    let redis = start_redis();
    let root = models_root();
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book.toml");
    std::fs::write(
        &book,
        embedded_book()
            .replace("margin = 0.35", "margin = \"lots\"")
            .replace("rounding = 0.01", "rounding = -1.0"),
    )
    .unwrap();
    let tenants = dir.path().join("tenants.toml");
    std::fs::write(&tenants, "[tenants.a]\nmax_queued = 0\n").unwrap();
    let mut w = Worker::spawn(
        &redis,
        root.path(),
        &[
            "--price-book",
            book.to_str().unwrap(),
            "--tenants",
            tenants.to_str().unwrap(),
        ],
    );
    let st = w.wait_exit(Duration::from_secs(30)).expect("exits");
    assert_eq!(st.code(), Some(2));
    let log = w.log_text();
    for path in ["margin", "rounding", "tenants.a.max_queued"] {
        assert!(log.contains(path), "{path} missing from: {log}");
    }
}

/// `file://` URIs are percent-decoded; `--models-root` is optional for redis: models.
#[test]
fn percent_encoded_file_uris_and_no_models_root() {
    let redis = start_redis();
    let root = models_root();
    let sub = root.path().join("ORDER 18");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("part one.stl"), cube()).unwrap();
    let _w = Worker::spawn(&redis, root.path(), &[]);
    let mut client = redis.client();
    let uri = format!(
        "file://{}/ORDER%2018/part%20one.stl",
        std::fs::canonicalize(root.path()).unwrap().display()
    );
    client
        .enqueue(&job("U-1", &uri, Priority::Normal, None))
        .unwrap();
    let r = wait_final(&mut client, &["U-1".to_string()], WAIT);
    assert_eq!(r["U-1"].status, Status::Done, "{:?}", r["U-1"]);

    // A worker without a models root serves redis: models and refuses file:// ones.
    let redis = start_redis();
    // No --models-root at all.
    let mut w = std::process::Command::new(env!("CARGO_BIN_EXE_pricing-worker"))
        .args(["--redis", &redis.url()])
        .args(FAST)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut client = redis.client();
    client
        .put_model("uploads:cube", &cube(), Duration::from_secs(600))
        .unwrap();
    client
        .enqueue(&job("N-1", "redis:uploads:cube", Priority::Normal, None))
        .unwrap();
    client
        .enqueue(&job("N-2", &uri, Priority::Normal, None))
        .unwrap();
    let r = wait_final(&mut client, &["N-1".into(), "N-2".into()], WAIT);
    assert_eq!(r["N-1"].status, Status::Done);
    assert_eq!(r["N-2"].error.as_ref().unwrap().code, "model_outside_root");
    assert!(matches!(w.try_wait(), Ok(None)));
    let _ = w.kill();
    let _ = w.wait();
}

/// A clean SIGTERM logs no Redis warning and counts no Redis error; logs to a file carry
/// no ANSI codes; JSON lines have one `message` key.
#[test]
fn clean_stop_and_plain_logs() {
    for json in [false, true] {
        let redis = start_redis();
        let root = models_root();
        let addr = format!("127.0.0.1:{}", free_port());
        let mut args = vec!["--metrics-addr", addr.as_str()];
        if json {
            args.push("--log-json");
        }
        let mut w = Worker::spawn(&redis, root.path(), &args);
        let mut client: Client = redis.client();
        client
            .put_model("uploads:cube", &cube(), Duration::from_secs(600))
            .unwrap();
        let ids: Vec<String> = (0..20).map(|i| format!("T-{i}")).collect();
        for id in &ids {
            client
                .enqueue(&job(id, "redis:uploads:cube", Priority::Normal, None))
                .unwrap();
        }
        wait_final(&mut client, &ids, WAIT);
        std::thread::sleep(Duration::from_millis(500));
        let m = http_get(&addr, "/metrics");
        assert!(m.contains("pricing_worker_redis_errors_total 0"), "{m}");
        w.sigterm();
        let st = w.wait_exit(Duration::from_secs(30)).expect("exits");
        assert_eq!(st.code(), Some(0));
        let log = w.log_text();
        assert!(!log.contains('\u{1b}'), "ANSI codes in a log file");
        assert!(
            !log.lines()
                .any(|l| l.contains("WARN") || l.contains("\"level\":\"WARN\"")),
            "warnings on a clean stop: {log}"
        );
        if json {
            for l in log.lines().filter(|l| !l.trim().is_empty()) {
                let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
                assert!(v.get("message").is_some(), "{l}");
                assert_eq!(l.matches("\"message\"").count(), 1, "{l}");
            }
        }
    }
}
