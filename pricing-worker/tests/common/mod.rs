//! Test harness: real `redis-server` processes on free ports in temp dirs, and real
//! `pricing-worker` processes. Never the system Redis, never a mock.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use pricing_worker::client::Client;
use pricing_worker::protocol::{DEFAULT_PREFIX, JobResult};

pub use pricing_worker::redis_server::RedisServer;

pub fn free_port() -> u16 {
    pricing_worker::redis_server::free_port().unwrap()
}

pub fn start_redis() -> RedisServer {
    RedisServer::start().expect("redis-server must be installed and start")
}

/// Connections to a test server, with timeouts so that a hung server fails the test.
pub trait Connect {
    fn conn(&self) -> redis::Connection;
    fn client(&self) -> Client;
}

impl Connect for RedisServer {
    fn conn(&self) -> redis::Connection {
        let c = redis::Client::open(self.url()).unwrap();
        let conn = c
            .get_connection_with_timeout(Duration::from_secs(5))
            .unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        conn
    }

    fn client(&self) -> Client {
        Client::connect(&self.url(), DEFAULT_PREFIX).unwrap()
    }
}

/// Worker settings that make reclaiming fast enough for tests.
pub const FAST: &[&str] = &[
    "--heartbeat-ms",
    "100",
    "--claim-idle-ms",
    "1000",
    "--reclaim-interval-ms",
    "200",
    "--block-ms",
    "200",
    "--retry-base-ms",
    "50",
    "--grace-ms",
    "15000",
];

/// A real `pricing-worker` process.
pub struct Worker {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Worker {
    pub fn spawn(redis: &RedisServer, models_root: &Path, args: &[&str]) -> Worker {
        Worker::spawn_url(&redis.url(), models_root, args, &redis.dir)
    }

    pub fn spawn_url(
        url: &str,
        models_root: &Path,
        args: &[&str],
        logdir: &tempfile::TempDir,
    ) -> Worker {
        let log = logdir
            .path()
            .join(format!("worker-{}.log", fastrand::u32(..)));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_pricing-worker"))
            .args(["--redis", url])
            .arg("--models-root")
            .arg(models_root)
            .args(FAST)
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .unwrap();
        Worker {
            child: Some(child),
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit on its own.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(st)) = c.try_wait()
            {
                self.child = None;
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The committed 20 mm cube.
pub fn cube() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cube-20mm.stl")).unwrap()
}

/// A models root holding the cube.
pub fn models_root() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("cube.stl"), cube()).unwrap();
    d
}

/// A model that makes the worker sleep `ms` before pricing the cube (feature
/// `fault-injection`); `nonce` keeps the content cache from answering.
pub fn slow_model(ms: u64, nonce: &str) -> Vec<u8> {
    let mut b = format!("#fault:sleep={ms} {nonce}\n").into_bytes();
    b.extend(cube());
    b
}

/// Polls until every id has a final record; panics with the missing ones at the deadline.
pub fn wait_final(
    client: &mut Client,
    ids: &[String],
    within: Duration,
) -> HashMap<String, JobResult> {
    let done = try_wait_final(client, ids, within);
    if done.len() < ids.len() {
        let still: Vec<(&String, Option<JobResult>)> = ids
            .iter()
            .filter(|i| !done.contains_key(*i))
            .take(5)
            .map(|i| (i, client.result(i).ok().flatten()))
            .collect();
        panic!(
            "{} of {} jobs have no final result, e.g. {still:?}",
            ids.len() - done.len(),
            ids.len()
        );
    }
    done
}

/// Polls until every id has a final record or the deadline passes; returns the final ones.
pub fn try_wait_final(
    client: &mut Client,
    ids: &[String],
    within: Duration,
) -> HashMap<String, JobResult> {
    let deadline = Instant::now() + within;
    let mut done: HashMap<String, JobResult> = HashMap::new();
    loop {
        let missing: Vec<String> = ids
            .iter()
            .filter(|i| !done.contains_key(*i))
            .cloned()
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            return done;
        }
        for chunk in missing.chunks(500) {
            if let Ok(rs) = client.results(chunk) {
                for r in rs.into_iter().flatten() {
                    if r.status.is_final() {
                        done.insert(r.id.clone(), r);
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every (id, status) of the events stream, in order.
pub fn events(conn: &mut redis::Connection) -> Vec<(String, String)> {
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg("{pricing}:events")
        .arg("-")
        .arg("+")
        .query(conn)
        .unwrap();
    reply
        .ids
        .into_iter()
        .map(|e| {
            let get = |k: &str| {
                e.map
                    .get(k)
                    .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
                    .unwrap_or_default()
            };
            (get("id"), get("status"))
        })
        .collect()
}

/// Final events per id.
pub fn final_events(conn: &mut redis::Connection) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for (id, status) in events(conn) {
        if matches!(status.as_str(), "done" | "failed" | "dead") {
            *m.entry(id).or_insert(0) += 1;
        }
    }
    m
}

/// Total pending entries over the three work streams.
pub fn pending_total(conn: &mut redis::Connection) -> i64 {
    ["urgent", "normal", "bulk"]
        .iter()
        .map(|p| {
            let v: redis::Value = redis::cmd("XPENDING")
                .arg(format!("{{pricing}}:jobs:{p}"))
                .arg("workers")
                .query(conn)
                .unwrap();
            match v {
                redis::Value::Array(a) => match a.first() {
                    Some(redis::Value::Int(n)) => *n,
                    _ => 0,
                },
                _ => 0,
            }
        })
        .sum()
}

/// Polls `f` until it is true; panics with `what` at the deadline.
pub fn eventually(within: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
