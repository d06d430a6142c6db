//! The worker against real redis-server processes: happy path, bad input, duplicates,
//! priorities, shutdown, dead workers and poison.
//!
//! Tests marked `fault-injection` need `--features fault-injection` (or
//! `--all-features`): they use models that make the worker sleep or abort.
// A panic in a test helper is a failed test, like `allow-unwrap-in-tests` for #[test] fns.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use pricing_worker::client::NewJob;
use pricing_worker::engine::Engine;
use pricing_worker::protocol::{Priority, Status};

const WAIT: Duration = Duration::from_secs(60);

/// What `pricing quote --json` prints for these bytes (the engine in-process; the CLI
/// comparison is in the root `tests/queue_cli.rs`).
fn reference(file: &str, bytes: &[u8], params: Option<&str>) -> serde_json::Value {
    serde_json::to_value(Engine::new(1 << 30).price(file, bytes, params).unwrap()).unwrap()
}

fn xadd(conn: &mut redis::Connection, p: &str, fields: &[(&str, &[u8])]) -> String {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(format!("{{pricing}}:jobs:{p}")).arg("*");
    for (k, v) in fields {
        cmd.arg(*k).arg(*v);
    }
    cmd.query(conn).unwrap()
}

#[test]
fn happy_path_every_priority_and_model_source() {
    let redis = start_redis();
    let root = models_root();
    let _w = Worker::spawn(&redis, root.path(), &["--concurrency", "2"]);
    let mut conn = redis.conn();
    let mut client = redis.client();
    let cube = cube();
    redis::cmd("SET")
        .arg("uploads:cube")
        .arg(&cube)
        .query::<()>(&mut conn)
        .unwrap();
    let file = root.path().join("cube.stl");
    let file = file.to_str().unwrap();

    let mut expected = Vec::new();
    for (n, p) in Priority::ALL.into_iter().enumerate() {
        let params = format!(r#"{{"quantity":{},"material":"PLA"}}"#, n + 1);
        // The language-neutral way: one XADD, as the MES does it.
        let id = format!("raw-file-{p}");
        xadd(
            &mut conn,
            p.as_str(),
            &[
                ("id", id.as_bytes()),
                ("model", format!("file://{file}").as_bytes()),
                ("params", params.as_bytes()),
            ],
        );
        expected.push((id, reference(file, &cube, Some(&params))));
        let id = format!("raw-redis-{p}");
        xadd(
            &mut conn,
            p.as_str(),
            &[("id", id.as_bytes()), ("model", b"redis:uploads:cube")],
        );
        expected.push((id, reference("uploads:cube", &cube, None)));
        // The Rust client.
        let id = format!("client-redis-{p}");
        client
            .enqueue(&NewJob {
                id: id.clone(),
                model: "redis:uploads:cube".into(),
                params: Some(params.clone()),
                priority: p,
                name: None,
                tenant: None,
            })
            .unwrap();
        expected.push((id, reference("uploads:cube", &cube, Some(&params))));
    }
    let ids: Vec<String> = expected.iter().map(|(i, _)| i.clone()).collect();
    let results = wait_final(&mut client, &ids, WAIT);
    for (id, want) in &expected {
        let r = &results[id];
        assert_eq!(r.status, Status::Done, "{id}: {r:?}");
        assert_eq!(
            r.quote.as_ref(),
            Some(want),
            "{id}: the worker's quote differs from the engine's"
        );
        assert_eq!(r.attempts, 1);
        assert!(
            r.worker.is_some()
                && r.enqueued_at.is_some()
                && r.started_at.is_some()
                && r.finished_at.is_some(),
            "{r:?}"
        );
        assert!(r.error.is_none());
    }
    // Exactly one final event per job, and `running` before it.
    let finals = final_events(&mut conn);
    for id in &ids {
        assert_eq!(finals.get(id), Some(&1), "{id}");
    }
    assert_eq!(pending_total(&mut conn), 0);
    // The raw record is the documented JSON (what a PHP client would GET).
    let raw: String = redis::cmd("GET")
        .arg("{pricing}:result:raw-file-urgent")
        .query(&mut conn)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    for k in [
        "id",
        "status",
        "quote",
        "attempts",
        "worker",
        "enqueued_at",
        "started_at",
        "finished_at",
    ] {
        assert!(v.get(k).is_some(), "missing {k} in {raw}");
    }
    let ttl: i64 = redis::cmd("TTL")
        .arg("{pricing}:result:raw-file-urgent")
        .query(&mut conn)
        .unwrap();
    assert!(ttl > 0, "result records must expire");
}

#[test]
fn auth_in_the_url_works_and_the_password_is_never_logged() {
    let redis = RedisServer::start_with_password(Some("s3cret-pw")).unwrap();
    let root = models_root();
    let mut w = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
    let mut client = redis.client();
    client
        .enqueue(&NewJob {
            id: "auth".into(),
            model: format!("file://{}/cube.stl", root.path().display()),
            params: None,
            priority: Priority::Normal,
            name: None,
            tenant: None,
        })
        .unwrap();
    assert_eq!(client.wait("auth", WAIT).unwrap().status, Status::Done);
    w.sigterm();
    assert!(w.wait_exit(WAIT).is_some());
    let log = w.log_text();
    assert!(
        log.contains("***@127.0.0.1"),
        "the redacted URL is logged: {log}"
    );
    assert!(
        !log.contains("s3cret-pw"),
        "the password leaked into the log: {log}"
    );
}

/// The contract needs no Rust: redis-cli alone enqueues (one XADD), uploads bytes
/// (`SET -x`), reads back (one GET) and follows events with a consumer group.
#[test]
fn redis_cli_alone_speaks_the_protocol() {
    use std::process::{Command, Stdio};
    let redis = start_redis();
    let root = models_root();
    let _w = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
    let port = redis.port.to_string();
    let cli = |args: &[&str], stdin: Option<&[u8]>| -> String {
        let mut c = Command::new("redis-cli")
            .args(["-p", &port, "--raw"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(bytes) = stdin {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        drop(c.stdin.take());
        String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap()
    };
    cli(
        &[
            "XGROUP",
            "CREATE",
            "{pricing}:events",
            "mes",
            "$",
            "MKSTREAM",
        ],
        None,
    );
    cli(&["-x", "SET", "uploads:cli"], Some(&cube()));
    let model = format!("file://{}/cube.stl", root.path().display());
    cli(
        &[
            "XADD",
            "{pricing}:jobs:urgent",
            "*",
            "id",
            "CLI-1",
            "model",
            &model,
            "params",
            r#"{"quantity":3,"material":"PLA"}"#,
        ],
        None,
    );
    cli(
        &[
            "XADD",
            "{pricing}:jobs:bulk",
            "*",
            "id",
            "CLI-2",
            "model",
            "redis:uploads:cli",
        ],
        None,
    );
    let mut client = redis.client();
    wait_final(&mut client, &["CLI-1".into(), "CLI-2".into()], WAIT);
    for (id, file, bytes, params) in [
        (
            "CLI-1",
            root.path().join("cube.stl").display().to_string(),
            cube(),
            Some(r#"{"quantity":3,"material":"PLA"}"#),
        ),
        ("CLI-2", "uploads:cli".to_string(), cube(), None),
    ] {
        let raw = cli(&["GET", &format!("{{pricing}}:result:{id}")], None);
        let v: serde_json::Value = serde_json::from_str(raw.trim()).unwrap();
        assert_eq!(v["status"], "done", "{raw}");
        assert_eq!(v["quote"], reference(&file, &bytes, params));
    }
    let events = cli(
        &[
            "XREADGROUP",
            "GROUP",
            "mes",
            "m1",
            "COUNT",
            "100",
            "STREAMS",
            "{pricing}:events",
            ">",
        ],
        None,
    );
    assert_eq!(events.matches("done").count(), 2, "{events}");
}

/// A private CA and a server certificate for localhost, made with the openssl CLI.
fn make_certs(dir: &std::path::Path) -> bool {
    let run = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=pricing-test-ca",
        ],
    ]
    .concat())
        && run(&[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat())
        && run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ])
}

#[test]
fn rediss_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    if !make_certs(dir.path()) {
        eprintln!("openssl not available: skipping the TLS test");
        return;
    }
    let port = free_port();
    let mut server = std::process::Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir.path())
        .args([
            "--tls-cert-file",
            "server.crt",
            "--tls-key-file",
            "server.key",
            "--tls-ca-cert-file",
            "ca.crt",
            "--tls-auth-clients",
            "no",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("rediss://localhost:{port}");
    let ca = std::fs::read(dir.path().join("ca.crt")).unwrap();
    let connect =
        || pricing_worker::client::Client::connect_tls(&url, Some(&ca), "{pricing}").unwrap();
    eventually(WAIT, "TLS redis up", || connect().stats().is_ok());
    // The public roots do not trust this server.
    assert!(
        pricing_worker::client::Client::connect(&url, "{pricing}")
            .unwrap()
            .stats()
            .is_err()
    );
    let root = models_root();
    let ca_file = dir.path().join("ca.crt");
    let _w = Worker::spawn_url(
        &url,
        root.path(),
        &[
            "--concurrency",
            "1",
            "--redis-ca-file",
            ca_file.to_str().unwrap(),
        ],
        &dir,
    );
    let mut client = connect();
    client
        .enqueue(&NewJob {
            id: "tls".into(),
            model: format!("file://{}/cube.stl", root.path().display()),
            params: None,
            priority: Priority::Normal,
            name: None,
            tenant: None,
        })
        .unwrap();
    assert_eq!(client.wait("tls", WAIT).unwrap().status, Status::Done);
    let _ = server.kill();
    let _ = server.wait();
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    // One write: the server answers after it has the request head.
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn metrics_and_healthz() {
    let redis = start_redis();
    let root = models_root();
    let addr = format!("127.0.0.1:{}", free_port());
    let _w = Worker::spawn(
        &redis,
        root.path(),
        &["--concurrency", "1", "--metrics-addr", &addr],
    );
    let mut client = redis.client();
    client
        .enqueue(&NewJob {
            id: "m1".into(),
            model: format!("file://{}/cube.stl", root.path().display()),
            params: None,
            priority: Priority::Urgent,
            name: None,
            tenant: None,
        })
        .unwrap();
    assert_eq!(client.wait("m1", WAIT).unwrap().status, Status::Done);
    eventually(WAIT, "healthz ok", || {
        std::net::TcpStream::connect(&addr).is_ok()
            && http_get(&addr, "/healthz").starts_with("HTTP/1.1 200")
    });
    // The record is stored before the job thread counts the job: scrape until it has.
    let series = [
        "pricing_worker_jobs_total{outcome=\"done\",priority=\"urgent\"} 1",
        "pricing_worker_job_duration_seconds_count 1",
        "pricing_worker_in_flight 0",
        "pricing_worker_queue_lag{priority=\"bulk\"}",
        "pricing_worker_queue_pending{priority=\"normal\"}",
        "pricing_worker_claimed_back_total 0",
        "pricing_worker_dead_lettered_total 0",
        "pricing_worker_cache_hits_total 0",
    ];
    let mut m = String::new();
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        m = http_get(&addr, "/metrics");
        if series.iter().all(|s| m.contains(s)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for s in series {
        assert!(m.contains(s), "missing {s} in\n{m}");
    }
    eventually(WAIT, "404 for unknown paths", || {
        http_get(&addr, "/nope").starts_with("HTTP/1.1 404")
    });
}

#[test]
fn bad_input_fails_clearly_and_the_worker_keeps_serving() {
    let redis = start_redis();
    let root = models_root();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.stl"), cube()).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        outside.path().join("secret.stl"),
        root.path().join("link.stl"),
    )
    .unwrap();
    let mut w = Worker::spawn(
        &redis,
        root.path(),
        &["--concurrency", "2", "--max-model-bytes", "4096"],
    );
    let mut conn = redis.conn();
    let mut client = redis.client();
    redis::cmd("SET")
        .arg("uploads:big")
        .arg(vec![b' '; 5000])
        .query::<()>(&mut conn)
        .unwrap();
    redis::cmd("SET")
        .arg("uploads:junk")
        .arg("hello, I am not a mesh")
        .query::<()>(&mut conn)
        .unwrap();
    redis::cmd("HSET")
        .arg("uploads:hash")
        .arg("a")
        .arg("b")
        .query::<()>(&mut conn)
        .unwrap();
    redis::cmd("SET")
        .arg("session:secret")
        .arg("SESSION-TOKEN-abcdef")
        .query::<()>(&mut conn)
        .unwrap();
    let r = root.path().display().to_string();
    let o = outside.path().display().to_string();
    let cases: Vec<(&str, String, Option<&str>, &str)> = vec![
        (
            "invalid-model",
            "redis:uploads:junk".into(),
            None,
            "unknown_format",
        ),
        (
            "garbage-params",
            format!("file://{r}/cube.stl"),
            Some("{quantity: three"),
            "bad_params",
        ),
        (
            "unknown-param",
            format!("file://{r}/cube.stl"),
            Some(r#"{"quantiy":3}"#),
            "bad_params",
        ),
        (
            "outside-root",
            format!("file://{o}/secret.stl"),
            None,
            "model_outside_root",
        ),
        (
            "traversal",
            format!(
                "file://{r}/../{}/secret.stl",
                outside.path().file_name().unwrap().to_str().unwrap()
            ),
            None,
            "model_outside_root",
        ),
        (
            "symlink-out",
            format!("file://{r}/link.stl"),
            None,
            "model_outside_root",
        ),
        (
            "missing-file",
            format!("file://{r}/nope.stl"),
            None,
            "model_not_found",
        ),
        ("too-large", "redis:uploads:big".into(), None, "too_large"),
        (
            "missing-key",
            "redis:uploads:nope".into(),
            None,
            "model_not_found",
        ),
        (
            "wrong-type",
            "redis:uploads:hash".into(),
            None,
            "bad_model_key",
        ),
        ("bad-scheme", "ftp://x/y.stl".into(), None, "bad_model_uri"),
        // Paths that cannot name a file fail at once, not after 5 transient retries.
        (
            "enotdir",
            format!("file://{r}/cube.stl/x.stl"),
            None,
            "bad_model_path",
        ),
        (
            "nul-in-path",
            format!("file://{r}/cu\0be.stl"),
            None,
            "bad_model_path",
        ),
        (
            "name-too-long",
            format!("file://{r}/{}.stl", "n".repeat(300)),
            None,
            "bad_model_path",
        ),
        // Only keys under an allowed blob prefix are read.
        (
            "key-not-allowed",
            "redis:session:secret".into(),
            None,
            "model_key_not_allowed",
        ),
    ];
    for (id, model, params, _) in &cases {
        let mut f: Vec<(&str, &[u8])> = vec![("id", id.as_bytes()), ("model", model.as_bytes())];
        if let Some(p) = params {
            f.push(("params", p.as_bytes()));
        }
        xadd(&mut conn, "normal", &f);
    }
    // A job without an id cannot have a result: it goes to the dead-letter stream.
    xadd(&mut conn, "normal", &[("model", b"redis:uploads:junk")]);
    let ids: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
    let results = wait_final(&mut client, &ids, WAIT);
    for (id, _, _, code) in &cases {
        let r = &results[*id];
        assert_eq!(r.status, Status::Failed, "{id}: {r:?}");
        let e = r.error.as_ref().unwrap();
        assert_eq!(e.code, *code, "{id}: {e:?}");
        assert!(
            e.message.len() > 20,
            "{id}: the message must say what is wrong: {e:?}"
        );
        assert_eq!(r.attempts, 1, "{id}: permanent failures are not retried");
        assert!(!e.message.contains("SESSION-TOKEN"), "{id}: {e:?}");
    }
    // Still serving.
    client
        .enqueue(&NewJob {
            id: "good".into(),
            model: format!("file://{r}/cube.stl"),
            params: None,
            priority: Priority::Normal,
            name: None,
            tenant: None,
        })
        .unwrap();
    let good = client.wait("good", WAIT).unwrap();
    assert_eq!(good.status, Status::Done);
    assert!(w.is_running());
    eventually(WAIT, "the id-less job in the dead-letter stream", || {
        let n: i64 = redis::cmd("XLEN")
            .arg("{pricing}:dead")
            .query(&mut conn)
            .unwrap();
        n == 1
    });
    assert_eq!(pending_total(&mut conn), 0);
}

#[test]
fn the_same_id_twice_is_priced_once() {
    let redis = start_redis();
    let root = models_root();
    let _w = Worker::spawn(
        &redis,
        root.path(),
        &["--concurrency", "2", "--cache-ttl-s", "0"],
    );
    let mut conn = redis.conn();
    let mut client = redis.client();
    redis::cmd("SET")
        .arg("uploads:m")
        .arg(cube())
        .query::<()>(&mut conn)
        .unwrap();
    let ids: Vec<String> = (0..20).map(|i| format!("dup-{i}")).collect();
    for id in &ids {
        for _ in 0..2 {
            xadd(
                &mut conn,
                "normal",
                &[("id", id.as_bytes()), ("model", b"redis:uploads:m")],
            );
        }
    }
    let first = wait_final(&mut client, &ids, WAIT);
    // And once more after it is done: answered by the stored result.
    for id in &ids {
        xadd(
            &mut conn,
            "urgent",
            &[("id", id.as_bytes()), ("model", b"redis:uploads:m")],
        );
    }
    eventually(WAIT, "every entry acknowledged", || {
        pending_total(&mut conn) == 0 && {
            let n: i64 = redis::cmd("XLEN")
                .arg("{pricing}:jobs:urgent")
                .query(&mut conn)
                .unwrap();
            n == 0
        }
    });
    let again = wait_final(&mut client, &ids, WAIT);
    let evs = events(&mut conn);
    for id in &ids {
        assert_eq!(
            first[id], again[id],
            "a duplicate must not change the stored result"
        );
        let running = evs
            .iter()
            .filter(|(i, s)| i == id && s == "running")
            .count();
        let finals = evs.iter().filter(|(i, s)| i == id && s == "done").count();
        assert_eq!(running, 1, "{id} was priced {running} times");
        assert_eq!(finals, 1, "{id} has {finals} final events");
        assert_eq!(first[id].attempts, 1);
    }
}

#[test]
fn a_repeat_model_is_answered_from_the_cache() {
    let redis = start_redis();
    let root = models_root();
    let w = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
    let mut conn = redis.conn();
    let mut client = redis.client();
    let cube = cube();
    redis::cmd("SET")
        .arg("uploads:a")
        .arg(&cube)
        .query::<()>(&mut conn)
        .unwrap();
    redis::cmd("SET")
        .arg("uploads:b")
        .arg(&cube)
        .query::<()>(&mut conn)
        .unwrap();
    xadd(
        &mut conn,
        "normal",
        &[("id", b"c1"), ("model", b"redis:uploads:a")],
    );
    let r1 = client.wait("c1", WAIT).unwrap();
    xadd(
        &mut conn,
        "normal",
        &[("id", b"c2"), ("model", b"redis:uploads:b")],
    );
    let r2 = client.wait("c2", WAIT).unwrap();
    // Same content, different name: the cached quote carries this job's file name.
    assert_eq!(r2.quote, Some(reference("uploads:b", &cube, None)));
    assert_ne!(r1.quote, r2.quote);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("{pricing}:cache:*")
        .query(&mut conn)
        .unwrap();
    assert_eq!(keys.len(), 1);
    drop(w);
}

#[cfg(feature = "fault-injection")]
mod faults {
    use super::*;
    use std::time::Instant;

    fn put(conn: &mut redis::Connection, key: &str, bytes: &[u8]) {
        redis::cmd("SET")
            .arg(format!("uploads:{key}"))
            .arg(bytes)
            .query::<()>(conn)
            .unwrap();
    }

    fn status_of(client: &mut pricing_worker::client::Client, id: &str) -> Option<Status> {
        client.result(id).ok().flatten().map(|r| r.status)
    }

    #[test]
    fn an_urgent_job_overtakes_a_bulk_backlog() {
        let redis = start_redis();
        let root = models_root();
        let _w = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
        let mut conn = redis.conn();
        let mut client = redis.client();
        let bulk: Vec<String> = (0..30).map(|i| format!("bulk-{i}")).collect();
        for id in &bulk {
            put(&mut conn, id, &slow_model(60, id));
            client
                .enqueue(&NewJob {
                    id: id.clone(),
                    model: format!("redis:uploads:{id}"),
                    params: None,
                    priority: Priority::Bulk,
                    name: None,
                    tenant: None,
                })
                .unwrap();
        }
        eventually(WAIT, "the bulk backlog started", || {
            status_of(&mut client, "bulk-1") == Some(Status::Running)
                || status_of(&mut client, "bulk-1") == Some(Status::Done)
        });
        let started_before = events(&mut conn)
            .iter()
            .filter(|(i, s)| i.starts_with("bulk-") && s == "running")
            .count();
        client
            .enqueue(&NewJob {
                id: "urgent".into(),
                model: "file://".to_string() + root.path().join("cube.stl").to_str().unwrap(),
                params: None,
                priority: Priority::Urgent,
                name: None,
                tenant: None,
            })
            .unwrap();
        let u = client.wait("urgent", WAIT).unwrap();
        assert_eq!(u.status, Status::Done);
        let evs = events(&mut conn);
        let urgent_at = evs
            .iter()
            .position(|(i, s)| i == "urgent" && s == "running")
            .unwrap();
        let bulk_before = evs[..urgent_at]
            .iter()
            .filter(|(i, s)| i.starts_with("bulk-") && s == "running")
            .count();
        println!(
            "bulk jobs started before the urgent one was enqueued: {started_before}; before it ran: {bulk_before}"
        );
        // At most the job that was running (plus one fetched in the same instant).
        assert!(
            bulk_before <= started_before + 1,
            "urgent waited behind {bulk_before} bulk jobs"
        );
        assert!(bulk_before < bulk.len());
    }

    #[test]
    fn bulk_is_not_starved_by_a_normal_backlog() {
        let redis = start_redis();
        let root = models_root();
        let _w = Worker::spawn(
            &redis,
            root.path(),
            &["--concurrency", "1", "--bulk-every", "5"],
        );
        let mut conn = redis.conn();
        let mut client = redis.client();
        let normal: Vec<String> = (0..40).map(|i| format!("normal-{i}")).collect();
        for id in &normal {
            put(&mut conn, id, &slow_model(20, id));
            client
                .enqueue(&NewJob {
                    id: id.clone(),
                    model: format!("redis:uploads:{id}"),
                    params: None,
                    priority: Priority::Normal,
                    name: None,
                    tenant: None,
                })
                .unwrap();
        }
        client
            .enqueue(&NewJob {
                id: "bulk".into(),
                model: "redis:uploads:normal-0".into(),
                params: None,
                priority: Priority::Bulk,
                name: None,
                tenant: None,
            })
            .unwrap();
        let b = client.wait("bulk", WAIT).unwrap();
        assert_eq!(b.status, Status::Done);
        let evs = events(&mut conn);
        let bulk_at = evs
            .iter()
            .position(|(i, s)| i == "bulk" && s == "running")
            .unwrap();
        let normal_before = evs[..bulk_at]
            .iter()
            .filter(|(i, s)| i.starts_with("normal-") && s == "running")
            .count();
        assert!(
            normal_before < normal.len(),
            "bulk ran only after the whole normal backlog"
        );
    }

    #[test]
    fn sigterm_finishes_in_flight_jobs_then_exits() {
        let redis = start_redis();
        let root = models_root();
        let mut w = Worker::spawn(&redis, root.path(), &["--concurrency", "2"]);
        let mut conn = redis.conn();
        let mut client = redis.client();
        let ids: Vec<String> = (0..6).map(|i| format!("s-{i}")).collect();
        for id in &ids {
            put(&mut conn, id, &slow_model(1500, id));
            client
                .enqueue(&NewJob {
                    id: id.clone(),
                    model: format!("redis:uploads:{id}"),
                    params: None,
                    priority: Priority::Normal,
                    name: None,
                    tenant: None,
                })
                .unwrap();
        }
        eventually(WAIT, "two jobs running", || {
            ids.iter()
                .filter(|i| status_of(&mut client, i) == Some(Status::Running))
                .count()
                == 2
        });
        let running: Vec<String> = ids
            .iter()
            .filter(|i| status_of(&mut client, i) == Some(Status::Running))
            .cloned()
            .collect();
        w.sigterm();
        let st = w
            .wait_exit(WAIT)
            .expect("the worker must exit after SIGTERM");
        assert!(st.success(), "{st:?}\n{}", w.log_text());
        for id in &running {
            assert_eq!(
                status_of(&mut client, id),
                Some(Status::Done),
                "{id} was in flight at SIGTERM"
            );
        }
        // Nothing else was fetched; a new worker takes the rest.
        let _w2 = Worker::spawn(&redis, root.path(), &["--concurrency", "4"]);
        let all = wait_final(&mut client, &ids, WAIT);
        assert!(all.values().all(|r| r.status == Status::Done));
        assert!(
            all.values().all(|r| r.attempts == 1),
            "SIGTERM must not make jobs run twice"
        );
        assert_eq!(pending_total(&mut conn), 0);
    }

    #[test]
    fn a_long_job_is_not_claimed_back_while_its_worker_lives() {
        let redis = start_redis();
        let root = models_root();
        let _a = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
        let mut conn = redis.conn();
        let mut client = redis.client();
        // Three times the claim idle time (1 s): only the heartbeat keeps it.
        put(&mut conn, "long", &slow_model(3000, "long"));
        client
            .enqueue(&NewJob {
                id: "long".into(),
                model: "redis:uploads:long".into(),
                params: None,
                priority: Priority::Normal,
                name: None,
                tenant: None,
            })
            .unwrap();
        eventually(WAIT, "long job running", || {
            status_of(&mut client, "long") == Some(Status::Running)
        });
        let _b = Worker::spawn(&redis, root.path(), &["--concurrency", "1"]);
        let r = client.wait("long", WAIT).unwrap();
        assert_eq!(r.status, Status::Done);
        assert_eq!(r.attempts, 1, "the job was claimed back from a live worker");
        let running = events(&mut conn)
            .iter()
            .filter(|(i, s)| i == "long" && s == "running")
            .count();
        assert_eq!(running, 1);
    }

    #[test]
    fn jobs_of_a_killed_worker_finish_on_another_exactly_once() {
        let redis = start_redis();
        let root = models_root();
        let mut a = Worker::spawn(&redis, root.path(), &["--concurrency", "3"]);
        let mut conn = redis.conn();
        let mut client = redis.client();
        let ids: Vec<String> = (0..3).map(|i| format!("k-{i}")).collect();
        for id in &ids {
            put(&mut conn, id, &slow_model(2000, id));
            client
                .enqueue(&NewJob {
                    id: id.clone(),
                    model: format!("redis:uploads:{id}"),
                    params: None,
                    priority: Priority::Normal,
                    name: None,
                    tenant: None,
                })
                .unwrap();
        }
        eventually(WAIT, "all three running on worker A", || {
            ids.iter()
                .all(|i| status_of(&mut client, i) == Some(Status::Running))
        });
        a.kill9();
        let _b = Worker::spawn(&redis, root.path(), &["--concurrency", "3"]);
        let results = wait_final(&mut client, &ids, WAIT);
        let finals = final_events(&mut conn);
        for id in &ids {
            let r = &results[id];
            assert_eq!(r.status, Status::Done, "{r:?}");
            assert_eq!(r.attempts, 2, "{r:?}");
            assert_eq!(finals.get(id), Some(&1), "{id}: exactly one final event");
        }
        eventually(WAIT, "nothing pending", || pending_total(&mut conn) == 0);
    }

    #[test]
    fn poison_is_dead_lettered_after_n_deliveries_and_panics_and_hangs_are_contained() {
        let redis = start_redis();
        let root = models_root();
        let args = [
            "--concurrency",
            "3",
            "--max-deliveries",
            "2",
            "--job-timeout-ms",
            "300",
            "--max-attempts",
            "2",
        ];
        let mut w = Worker::spawn(&redis, root.path(), &args);
        let mut conn = redis.conn();
        let mut client = redis.client();
        put(&mut conn, "panic", b"#fault:panic\n");
        put(&mut conn, "hang", b"#fault:hang\n");
        put(&mut conn, "abort", b"#fault:abort\n");
        for id in ["panic", "hang"] {
            client
                .enqueue(&NewJob {
                    id: id.into(),
                    model: format!("redis:uploads:{id}"),
                    params: None,
                    priority: Priority::Normal,
                    name: None,
                    tenant: None,
                })
                .unwrap();
        }
        let p = client.wait("panic", WAIT).unwrap();
        assert_eq!(p.status, Status::Failed);
        assert_eq!(p.error.unwrap().code, "engine_panic");
        let h = client.wait("hang", WAIT).unwrap();
        assert_eq!(h.status, Status::Dead, "{h:?}");
        assert_eq!(h.error.as_ref().unwrap().code, "timeout");
        assert!(
            w.is_running(),
            "a panic or a hang must not take the worker down"
        );

        client
            .enqueue(&NewJob {
                id: "abort".into(),
                model: "redis:uploads:abort".into(),
                params: None,
                priority: Priority::Urgent,
                name: None,
                tenant: None,
            })
            .unwrap();
        // A supervisor: restart the worker whenever the poison kills it.
        let mut crashes = 0;
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(r) = client.result("abort").unwrap()
                && r.status.is_final()
            {
                assert_eq!(r.status, Status::Dead, "{r:?}");
                assert_eq!(r.error.as_ref().unwrap().code, "poison");
                break;
            }
            if !w.is_running() {
                crashes += 1;
                w = Worker::spawn(&redis, root.path(), &args);
            }
            assert!(
                Instant::now() < deadline,
                "the poison job never reached the dead letter stream"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        println!("the poison job crashed the worker {crashes} times");
        assert_eq!(crashes, 2, "dead-lettered after exactly N=2 deliveries");
        let dead: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg("{pricing}:dead")
            .arg("-")
            .arg("+")
            .query(&mut conn)
            .unwrap();
        let ids: Vec<String> = dead
            .ids
            .iter()
            .map(|e| redis::from_redis_value_ref::<String>(&e.map["id"]).unwrap())
            .collect();
        assert!(
            ids.contains(&"abort".to_string()) && ids.contains(&"hang".to_string()),
            "{ids:?}"
        );
        let reason: String = dead
            .ids
            .iter()
            .find(|e| redis::from_redis_value_ref::<String>(&e.map["id"]).unwrap() == "abort")
            .map(|e| redis::from_redis_value_ref(&e.map["reason"]).unwrap())
            .unwrap();
        assert!(reason.contains("alone"), "{reason}");
        // And the worker still serves.
        client
            .enqueue(&NewJob {
                id: "after".into(),
                model: "file://".to_string() + root.path().join("cube.stl").to_str().unwrap(),
                params: None,
                priority: Priority::Normal,
                name: None,
                tenant: None,
            })
            .unwrap();
        assert_eq!(client.wait("after", WAIT).unwrap().status, Status::Done);
        assert_eq!(pending_total(&mut conn), 0);
    }
}
