//! Throughput and priority latency through a real redis-server with real worker
//! processes. Not criterion: one measurement is thousands of jobs across processes.
//!
//! `cargo bench -p pricing-worker --bench workers` (needs `redis-server` on PATH).
//! Prints jobs/s with 1 and 2 worker processes, and how long an urgent job waits with a
//! 5,000-job bulk backlog. Figures are recorded in docs/benchmarks.md.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pricing_worker::client::{Client, NewJob};
use pricing_worker::protocol::{Priority, Status};
use pricing_worker::redis_server::{self, RedisServer};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The worker binary: this build's, or `PRICING_WORKER_BIN` (another build's, for a
/// same-session A/B with the very same measurements).
fn worker_bin() -> std::path::PathBuf {
    std::env::var_os("PRICING_WORKER_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_pricing-worker").into(), Into::into)
}

fn worker(url: &str, root: &Path, args: &[&str]) -> Proc {
    Proc(
        Command::new(worker_bin())
            .args(["--redis", url, "--block-ms", "100"])
            .arg("--models-root")
            .arg(root)
            .args(args)
            .env("RUST_LOG", "warn")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn cube() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cube-20mm.stl")).unwrap()
}

fn wait_all(c: &mut Client, ids: &[String]) {
    let mut left: Vec<String> = ids.to_vec();
    let deadline = Instant::now() + Duration::from_secs(300);
    while !left.is_empty() {
        let mut next = Vec::new();
        for chunk in left.chunks(1000) {
            let rs = c.results(chunk).unwrap();
            for (id, r) in chunk.iter().zip(rs) {
                if !r.is_some_and(|r| r.status.is_final()) {
                    next.push(id.clone());
                }
            }
        }
        left = next;
        assert!(Instant::now() < deadline, "jobs did not finish");
        if !left.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`
/// (clock ticks of 1/100 s, Linux's USER_HZ); 0 where there is no procfs.
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name in parentheses: utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

/// `used_cpu_user + used_cpu_sys` of the server, seconds.
fn redis_cpu_s(c: &mut redis::Connection) -> f64 {
    let info: String = redis::cmd("INFO").arg("cpu").query(c).unwrap_or_default();
    info.lines()
        .filter(|l| l.starts_with("used_cpu_user:") || l.starts_with("used_cpu_sys:"))
        .filter_map(|l| {
            l.split_once(':')
                .and_then(|(_, v)| v.trim().parse::<f64>().ok())
        })
        .sum()
}

/// What one throughput run measured.
struct Run {
    jobs_per_s: f64,
    /// CPU the worker processes used, ms per job.
    worker_cpu_ms: f64,
    /// CPU redis-server used during the run (the bench's polling included), ms per job.
    redis_cpu_ms: f64,
}

/// Enqueues `n` jobs up front, then measures from the first to the last result.
fn throughput(processes: usize, concurrency: usize, n: usize, cache: bool) -> Run {
    let server = RedisServer::start().expect("redis-server");
    let url = server.url();
    let root = tempfile::tempdir().unwrap();
    let mut c = Client::connect(&url, "{pricing}").unwrap();
    c.put_model("uploads:m", &cube(), Duration::from_secs(3600))
        .unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("t-{i}")).collect();
    for id in &ids {
        c.enqueue(&NewJob {
            id: id.clone(),
            model: "redis:uploads:m".into(),
            params: None,
            priority: Priority::Normal,
            name: None,
            tenant: None,
        })
        .unwrap();
    }
    let ttl = if cache { "86400" } else { "0" };
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let redis_before = redis_cpu_s(&mut raw);
    let start = Instant::now();
    let ws: Vec<Proc> = (0..processes)
        .map(|_| {
            worker(
                &url,
                root.path(),
                &[
                    "--concurrency",
                    &concurrency.to_string(),
                    "--cache-ttl-s",
                    ttl,
                ],
            )
        })
        .collect();
    wait_all(&mut c, &ids);
    let jobs_per_s = n as f64 / start.elapsed().as_secs_f64();
    let worker_cpu: f64 = ws.iter().map(|w| cpu_s(w.0.id())).sum();
    let redis_cpu = redis_cpu_s(&mut raw) - redis_before;
    Run {
        jobs_per_s,
        worker_cpu_ms: worker_cpu * 1000.0 / n as f64,
        redis_cpu_ms: redis_cpu * 1000.0 / n as f64,
    }
}

/// Entry ids are Redis-clock milliseconds: the urgent job's XADD versus its `running` event.
fn urgent_wait(backlog: usize, bulk_model: &[u8], rounds: usize) -> Vec<u64> {
    let server = RedisServer::start().expect("redis-server");
    let url = server.url();
    let root = tempfile::tempdir().unwrap();
    let mut c = Client::connect(&url, "{pricing}").unwrap();
    c.put_model("uploads:bulk", bulk_model, Duration::from_secs(3600))
        .unwrap();
    c.put_model("uploads:m", &cube(), Duration::from_secs(3600))
        .unwrap();
    for i in 0..backlog {
        c.enqueue(&NewJob {
            id: format!("b-{i}"),
            model: "redis:uploads:bulk".into(),
            params: None,
            priority: Priority::Bulk,
            name: None,
            tenant: None,
        })
        .unwrap();
    }
    let _w = worker(
        &url,
        root.path(),
        &[
            "--concurrency",
            &default_concurrency().to_string(),
            "--cache-ttl-s",
            "0",
        ],
    );
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    // Let the backlog get going.
    while c
        .result("b-10")
        .unwrap()
        .is_none_or(|r| !r.status.is_final())
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut out = Vec::new();
    for round in 0..rounds {
        let id = format!("u-{round}");
        let entry = c
            .enqueue(&NewJob {
                id: id.clone(),
                model: "redis:uploads:m".into(),
                params: None,
                priority: Priority::Urgent,
                name: None,
                tenant: None,
            })
            .unwrap();
        let r = c.wait(&id, Duration::from_secs(60)).unwrap();
        assert_eq!(r.status, Status::Done);
        let events: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg("{pricing}:events")
            .arg(&entry)
            .arg("+")
            .query(&mut raw)
            .unwrap();
        let ms = |s: &str| s.split('-').next().unwrap().parse::<u64>().unwrap();
        let running = events.ids.iter().find(|e| {
            e.map
                .get("id")
                .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
                .as_deref()
                == Some(id.as_str())
                && e.map
                    .get("status")
                    .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
                    .as_deref()
                    == Some("running")
        });
        let started = running.map(|e| ms(&e.id)).unwrap();
        out.push(started - ms(&entry));
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: i64 = redis::cmd("XLEN")
        .arg("{pricing}:jobs:bulk")
        .query(&mut raw)
        .unwrap();
    println!("  bulk entries still queued after the urgent rounds: {left}");
    out
}

/// Cores + 1, the worker's default (computed here so this file also runs against older
/// worker versions for a same-session comparison).
fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, |c| c.get()) + 1
}

/// An urgent cube's wall time from enqueue to its result while two heavy bulk jobs (the
/// 1M-triangle lattice, cache off) are being priced: the shared-pool starvation case.
fn urgent_beside_heavy(rounds: usize) -> (Vec<u64>, f64) {
    let server = RedisServer::start().expect("redis-server");
    let url = server.url();
    let root = tempfile::tempdir().unwrap();
    let mut c = Client::connect(&url, "{pricing}").unwrap();
    let lattice = pricing_core::mesh::generate::torus_lattice(4, 128, 64);
    let heavy = pricing_core::mesh::stl_binary::write(&lattice);
    let heavy_ms = pricing_ms(&heavy, 1);
    c.put_model("uploads:heavy", &heavy, Duration::from_secs(3600))
        .unwrap();
    c.put_model("uploads:m", &cube(), Duration::from_secs(3600))
        .unwrap();
    let _w = worker(
        &url,
        root.path(),
        &[
            "--concurrency",
            &default_concurrency().to_string(),
            "--cache-ttl-s",
            "0",
        ],
    );
    let mut out = Vec::new();
    let mut n = 0;
    while out.len() < rounds {
        // Keep two heavy jobs in flight.
        let heavy_ids: Vec<String> = (0..2).map(|i| format!("h-{n}-{i}")).collect();
        for id in &heavy_ids {
            c.enqueue(&NewJob {
                id: id.clone(),
                model: "redis:uploads:heavy".into(),
                params: None,
                priority: Priority::Bulk,
                name: None,
                tenant: None,
            })
            .unwrap();
        }
        let both_running = Instant::now();
        while !heavy_ids.iter().all(|id| {
            c.result(id)
                .unwrap()
                .is_some_and(|r| r.status == Status::Running)
        }) {
            assert!(both_running.elapsed() < Duration::from_secs(120));
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(200));
        let id = format!("u-{n}");
        let t = Instant::now();
        c.enqueue(&NewJob {
            id: id.clone(),
            model: "redis:uploads:m".into(),
            params: None,
            priority: Priority::Urgent,
            name: None,
            tenant: None,
        })
        .unwrap();
        let r = c.wait(&id, Duration::from_secs(120)).unwrap();
        assert_eq!(r.status, Status::Done);
        let still = heavy_ids
            .iter()
            .filter(|h| {
                c.result(h)
                    .unwrap()
                    .is_some_and(|r| r.status == Status::Running)
            })
            .count();
        if still == 2 {
            out.push(t.elapsed().as_millis() as u64);
        }
        wait_all(&mut c, &heavy_ids);
        n += 1;
        assert!(n < rounds * 4, "the heavy jobs never stayed in flight");
    }
    (out, heavy_ms)
}

fn pricing_ms(bytes: &[u8], n: usize) -> f64 {
    let e = pricing_worker::engine::Engine::new(1 << 30);
    let t = Instant::now();
    for _ in 0..n {
        e.price("x", bytes, None).unwrap();
    }
    t.elapsed().as_secs_f64() * 1000.0 / n as f64
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !redis_server::available() {
        eprintln!("redis-server not found: skipping the worker benches");
        return;
    }
    let n = 4000;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let default = default_concurrency();
    // `--default-only`: only the default line (cache off), `--runs N` times (an A/B needs
    // many runs of the one figure, not one of each).
    let default_only = std::env::args().any(|a| a == "--default-only");
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let lines: Vec<(usize, usize, bool)> = if default_only {
        // `--cache-on`: the cached line instead, i.e. the queue's own cost per job with
        // no pricing in it.
        let cache = std::env::args().any(|a| a == "--cache-on");
        vec![(1, default, cache); runs]
    } else {
        vec![
            (1, cores, false),
            (1, default, false),
            (2, default, false),
            (1, default, true),
        ]
    };
    for (procs, slots, cache) in lines {
        if default_only {
            // How fast this machine prices right now: on a shared VM the same cube took
            // 1.9 ms quiet and 5 ms during other builds, which moves jobs/s as much.
            println!(
                "  the cube prices in {:.2} ms in-process just before this run",
                pricing_ms(&cube(), 100)
            );
        }
        let run = throughput(procs, slots, n, cache);
        println!(
            "throughput: {procs} worker process(es) x concurrency {slots}{}, {n} cube jobs, cache {}: {:.0} jobs/s",
            if slots == default {
                " (the default)"
            } else {
                " (one per core)"
            },
            if cache { "on" } else { "off" },
            run.jobs_per_s
        );
        println!(
            "  CPU per job: worker {:.2} ms, redis-server {:.2} ms (with the bench's polling)",
            run.worker_cpu_ms, run.redis_cpu_ms
        );
    }
    if default_only {
        return;
    }
    if std::env::args().any(|a| a == "--heavy-only") {
        return heavy_figure();
    }
    let cube = cube();
    let big = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus/ADIS16480.STL"),
    )
    .unwrap();
    for (name, model) in [("cube (small)", &cube), ("ADIS16480.STL (2 MB)", &big)] {
        let job_ms = pricing_ms(model, 20);
        let waits = urgent_wait(5000, model, 20);
        let mut w = waits;
        w.sort_unstable();
        println!(
            "urgent wait with a 5,000-job bulk backlog of {name} (one bulk job prices in {job_ms:.1} ms in-process): median {} ms, max {} ms over {} rounds",
            w[w.len() / 2],
            w[w.len() - 1],
            w.len()
        );
    }
    heavy_figure();
}

fn heavy_figure() {
    let (mut w, heavy_ms) = urgent_beside_heavy(5);
    w.sort_unstable();
    println!(
        "urgent cube, enqueue to result, while two bulk jobs price the 1M-triangle lattice ({heavy_ms:.0} ms each in-process): median {} ms, max {} ms over {} rounds",
        w[w.len() / 2],
        w[w.len() - 1],
        w.len()
    );
}
