//! Chaos against real processes: workers kill -9'd and restarted throughout a run of
//! mixed models with the cache on and a Redis crash in the middle, a Redis crash alone
//! (kill -9, AOF replay), and dropped connections.
// A panic in a test helper is a failed test, like `allow-unwrap-in-tests` for #[test] fns.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use pricing_worker::client::NewJob;
use pricing_worker::protocol::{Priority, Status};

/// Small meshes of the corpus (committed under fixtures/corpus) beside the cube.
const MODELS: [&str; 5] = [
    "cube-20mm.stl",
    "corpus/soup.stl",
    "corpus/multibody.stl",
    "corpus/20mm-xyz-cube.stl",
    "corpus/cylinder.stl",
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(name),
    )
    .unwrap()
}

fn chaos_job(id: &str, i: usize) -> NewJob {
    NewJob {
        id: id.to_string(),
        model: format!("redis:uploads:m{}", i % MODELS.len()),
        // Repeats of (model, params) are answered from the cache.
        params: Some(format!(r#"{{"quantity":{}}}"#, i % 4 + 1)),
        priority: Priority::ALL[i % 3],
        name: None,
        // Tenants on: the jobs go through the tenant queues and their turns.
        tenant: Some(format!("tenant-{}", i % 4)),
    }
}

/// 3 workers price 1,500 jobs of mixed models with the cache on; a random worker is
/// kill -9'd and restarted every 300 ms for the whole run, and Redis is killed and
/// restarted (AOF replay) in the middle of it. Afterwards: every job done, 0 lost,
/// exactly one final event each (0 duplicate finals), nothing pending.
#[test]
fn chaos_kills_throughout_and_a_redis_restart_lose_nothing() {
    const JOBS: usize = 1500;
    let mut redis = start_redis();
    let root = models_root();
    let upload = |redis: &RedisServer| {
        let mut conn = redis.conn();
        for (i, m) in MODELS.iter().enumerate() {
            redis::cmd("SET")
                .arg(format!("uploads:m{i}"))
                .arg(fixture(m))
                .query::<()>(&mut conn)
                .unwrap();
        }
    };
    upload(&redis);
    let args = ["--concurrency", "2"];
    let mut workers: Vec<Worker> = (0..3)
        .map(|_| Worker::spawn(&redis, root.path(), &args))
        .collect();
    let ids: Vec<String> = (0..JOBS).map(|i| format!("chaos-{i}")).collect();
    let producer = {
        let url = redis.url();
        let ids = ids.clone();
        std::thread::spawn(move || {
            let mut c = pricing_worker::client::Client::connect(&url, "{pricing}").unwrap();
            for (n, chunk) in ids.chunks(100).enumerate() {
                for (i, id) in chunk.iter().enumerate() {
                    // Redis may be down for a moment: retry like a client would.
                    while c.enqueue(&chaos_job(id, n * 100 + i)).is_err() {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        })
    };
    let started = Instant::now();
    let mut kills = 0;
    let mut redis_restarted_at = None;
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut client = redis.client();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let done = client
            .results(&ids)
            .map(|rs| {
                rs.iter()
                    .filter(|r| r.as_ref().is_some_and(|r| r.status.is_final()))
                    .count()
            })
            .unwrap_or(0);
        if done == JOBS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chaos loop ran out of time at {done} of {JOBS}"
        );
        if redis_restarted_at.is_none() && done >= JOBS / 3 {
            redis.restart().unwrap();
            redis_restarted_at = Some((done, started.elapsed()));
            client = redis.client();
            // A crash may lose the last second of writes, the uploads included if the
            // AOF had not written them yet: the MES would upload again.
            upload(&redis);
            // With everysec a crash can also lose the last enqueues; the MES re-submits
            // by id after its deadline (docs/protocol.md), done below.
        }
        let victim = fastrand::usize(..workers.len());
        workers[victim].kill9();
        workers[victim] = Worker::spawn(&redis, root.path(), &args);
        kills += 1;
        if redis_restarted_at.is_some() && kills > 200 {
            break;
        }
        // Re-submit (by id, as the MES does at its deadline) what the crash lost.
        if redis_restarted_at.is_some() && producer.is_finished() && kills % 20 == 0 {
            for (i, id) in ids.iter().enumerate() {
                if client.result(id).ok().flatten().is_none() {
                    let _ = client.enqueue(&chaos_job(id, i));
                }
            }
        }
    }
    producer.join().unwrap();
    let results = wait_final(&mut client, &ids, Duration::from_secs(60));
    let mut conn = redis.conn();
    eventually(Duration::from_secs(30), "no pending entries", || {
        pending_total(&mut conn) == 0
    });
    let finals = final_events(&mut conn);
    let done = results
        .values()
        .filter(|r| r.status == Status::Done)
        .count();
    let lost = JOBS - results.len();
    let duplicate_finals = finals.values().filter(|n| **n > 1).count();
    let missing_finals = ids.iter().filter(|id| !finals.contains_key(*id)).count();
    let rerun = results.values().filter(|r| r.attempts > 1).count();
    let (at_done, at) = redis_restarted_at.unwrap();
    println!(
        "chaos: {JOBS} jobs of {} models (cache on) in {:.1} s, {kills} worker kill -9s throughout, Redis killed and restarted at {:.1} s ({at_done} final); {done} done, {lost} lost, {duplicate_finals} duplicate finals, {missing_finals} without a final event, {rerun} priced again after a kill",
        MODELS.len(),
        started.elapsed().as_secs_f64(),
        at.as_secs_f64()
    );
    // soup.stl (every fifth job) is open surfaces: it fails permanently, once, as
    // `pricing quote` says; every other job is priced.
    let wrong: Vec<_> = ids
        .iter()
        .enumerate()
        .filter(|(i, id)| {
            let r = &results[*id];
            if i % MODELS.len() == 1 {
                !(r.status == Status::Failed
                    && r.error.as_ref().is_some_and(|e| e.code == "no_volume"))
            } else {
                r.status != Status::Done
            }
        })
        .map(|(_, id)| &results[id])
        .take(3)
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
    assert_eq!(done, JOBS - JOBS / MODELS.len());
    assert_eq!(lost, 0);
    assert_eq!(duplicate_finals, 0, "a job with two final events");
    assert!(kills >= 10);
    assert_eq!(pending_total(&mut conn), 0);
}

#[test]
fn a_redis_crash_mid_run_loses_nothing_and_workers_reconnect() {
    const JOBS: usize = 600;
    let mut redis = start_redis();
    let root = models_root();
    let args = ["--concurrency", "1", "--cache-ttl-s", "0"];
    let mut a = Worker::spawn(&redis, root.path(), &args);
    let mut b = Worker::spawn(&redis, root.path(), &args);
    let mut client = redis.client();
    {
        let mut conn = redis.conn();
        redis::cmd("SET")
            .arg("uploads:m")
            .arg(cube())
            .query::<()>(&mut conn)
            .unwrap();
    }
    let ids: Vec<String> = (0..JOBS).map(|i| format!("r-{i}")).collect();
    for id in &ids[..JOBS - 100] {
        client
            .enqueue(&NewJob {
                id: id.clone(),
                model: "redis:uploads:m".into(),
                params: None,
                priority: Priority::Normal,
                name: None,
                tenant: None,
            })
            .unwrap();
    }
    eventually(Duration::from_secs(60), "some jobs done", || {
        client
            .results(&ids)
            .unwrap()
            .iter()
            .flatten()
            .filter(|r| r.status.is_final())
            .count()
            >= 20
    });
    let before = client
        .results(&ids)
        .unwrap()
        .iter()
        .flatten()
        .filter(|r| r.status.is_final())
        .count();
    // kill -9, not SHUTDOWN: a crash (see docs/deploy.md for what everysec may lose).
    redis.restart().unwrap();
    println!(
        "redis killed and restarted after {before} of {} jobs were final",
        JOBS - 100
    );
    assert!(before < JOBS - 100, "the restart must land mid-run");
    let mut client = redis.client();
    for id in &ids[JOBS - 100..] {
        client
            .enqueue(&NewJob {
                id: id.clone(),
                model: "redis:uploads:m".into(),
                params: None,
                priority: Priority::Normal,
                name: None,
                tenant: None,
            })
            .unwrap();
    }
    // With appendfsync everysec Redis may reply before its AOF write when a background
    // fsync is slow (a loaded disk), so a crash can lose the last acknowledged writes.
    // Lost *work* is recovered by the workers (the entry stays or becomes pending again);
    // a lost *enqueue* leaves no trace, and the protocol's answer is the MES's deadline:
    // re-submit jobs without a final status with the same id. The test does exactly that,
    // and only for jobs that have no record at all; a job with a record and no final
    // status after the deadline would be a worker bug and fails the test.
    let mut results = try_wait_final(&mut client, &ids, Duration::from_secs(30));
    let mut resubmitted = 0;
    for id in ids.iter().filter(|i| !results.contains_key(*i)) {
        let record = client.result(id).unwrap();
        assert!(record.is_none(), "{id} is stuck: {record:?}");
        resubmitted += 1;
        client
            .enqueue(&NewJob {
                id: id.clone(),
                model: "redis:uploads:m".into(),
                params: None,
                priority: Priority::Normal,
                name: None,
                tenant: None,
            })
            .unwrap();
    }
    println!("{resubmitted} enqueues lost in the crash (AOF everysec) were re-submitted by id");
    if resubmitted > 0 {
        let log = std::fs::read_to_string(redis.dir.path().join("redis.log")).unwrap_or_default();
        println!("redis log:\n{log}");
    }
    results.extend(wait_final(&mut client, &ids, Duration::from_secs(60)));
    assert_eq!(results.len(), JOBS);
    assert!(results.values().all(|r| r.status == Status::Done));
    let mut conn = redis.conn();
    eventually(Duration::from_secs(30), "no pending entries", || {
        pending_total(&mut conn) == 0
    });
    let finals = final_events(&mut conn);
    // A result and its final event are written by one script: both or neither survive.
    assert!(ids.iter().all(|id| finals.get(id) == Some(&1)));
    assert!(
        a.is_running() && b.is_running(),
        "the workers must survive the restart"
    );
    for w in [&a, &b] {
        assert!(
            w.log_text().contains("redis unavailable"),
            "a worker never noticed the restart?"
        );
    }
    a.sigterm();
    b.sigterm();
    assert!(
        a.wait_exit(Duration::from_secs(20)).is_some()
            && b.wait_exit(Duration::from_secs(20)).is_some()
    );
}

#[test]
fn dropped_connections_mid_run_lose_nothing() {
    const JOBS: usize = 400;
    let redis = start_redis();
    let root = models_root();
    let args = ["--concurrency", "2", "--cache-ttl-s", "0"];
    let mut a = Worker::spawn(&redis, root.path(), &args);
    let mut client = redis.client();
    let mut conn = redis.conn();
    redis::cmd("SET")
        .arg("uploads:m")
        .arg(cube())
        .query::<()>(&mut conn)
        .unwrap();
    let ids: Vec<String> = (0..JOBS).map(|i| format!("d-{i}")).collect();
    for id in &ids {
        client
            .enqueue(&NewJob {
                id: id.clone(),
                model: "redis:uploads:m".into(),
                params: None,
                priority: Priority::Bulk,
                name: None,
                tenant: None,
            })
            .unwrap();
    }
    // Like a NAT or a proxy resetting every connection: CLIENT KILL all but ours, 5 times.
    let mut kills = 0;
    for _ in 0..5 {
        let n: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .arg("SKIPME")
            .arg("yes")
            .query(&mut conn)
            .unwrap();
        kills += n;
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("killed {kills} client connections");
    let results = wait_final(&mut client, &ids, Duration::from_secs(60));
    assert!(results.values().all(|r| r.status == Status::Done));
    eventually(Duration::from_secs(30), "no pending entries", || {
        pending_total(&mut conn) == 0
    });
    let finals = final_events(&mut conn);
    assert!(ids.iter().all(|id| finals.get(id) == Some(&1)));
    assert!(a.is_running());
    assert!(kills > 0);
}
