//! Chaos against real processes: workers kill -9'd and restarted while 2,000 jobs run,
//! and a Redis crash (kill -9, AOF replay) in the middle of a run.
// A panic in a test helper is a failed test, like `allow-unwrap-in-tests` for #[test] fns.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use pricing_worker::client::NewJob;
use pricing_worker::protocol::{Priority, Status};

#[test]
fn chaos_three_workers_killed_and_restarted_lose_nothing() {
    const JOBS: usize = 2000;
    let redis = start_redis();
    let root = models_root();
    let mut conn = redis.conn();
    let mut client = redis.client();
    redis::cmd("SET")
        .arg("uploads:m")
        .arg(cube())
        .query::<()>(&mut conn)
        .unwrap();
    let args = ["--concurrency", "2", "--cache-ttl-s", "0"];
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
                    let priority = Priority::ALL[(n + i) % 3];
                    let params = format!(r#"{{"quantity":{}}}"#, i % 7 + 1);
                    c.enqueue(&NewJob {
                        id: id.clone(),
                        model: "redis:uploads:m".into(),
                        params: Some(params),
                        priority,
                        name: None,
                    })
                    .unwrap();
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    // Kill a random worker every 250 ms and restart it, at least 5 times, while work remains.
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let done = client
            .results(&ids)
            .unwrap()
            .iter()
            .filter(|r| r.as_ref().is_some_and(|r| r.status.is_final()))
            .count();
        if kills >= 5 && (done == JOBS || kills >= 12) {
            break;
        }
        assert!(Instant::now() < deadline, "chaos loop ran out of time");
        let victim = fastrand::usize(..workers.len());
        workers[victim].kill9();
        workers[victim] = Worker::spawn(&redis, root.path(), &args);
        kills += 1;
    }
    producer.join().unwrap();
    let results = wait_final(&mut client, &ids, Duration::from_secs(120));
    eventually(Duration::from_secs(30), "no pending entries", || {
        pending_total(&mut conn) == 0
    });

    let finals = final_events(&mut conn);
    let done = results
        .values()
        .filter(|r| r.status == Status::Done)
        .count();
    let other = results.len() - done;
    let lost = JOBS - results.len();
    let pending = pending_total(&mut conn);
    let one_final_event = ids.iter().filter(|id| finals.get(*id) == Some(&1)).count();
    let rerun = results.values().filter(|r| r.attempts > 1).count();
    let left: i64 = ["urgent", "normal", "bulk"]
        .iter()
        .map(|p| {
            redis::cmd("XLEN")
                .arg(format!("{{pricing}}:jobs:{p}"))
                .query::<i64>(&mut conn)
                .unwrap()
        })
        .sum();
    println!(
        "chaos: {JOBS} jobs, {kills} kill -9s, {} final results ({done} done, {other} not done), {lost} lost, {pending} pending, {left} left in streams, {one_final_event} with exactly one final event, {rerun} priced again after a kill",
        results.len()
    );
    assert!(kills >= 5);
    assert_eq!(results.len(), JOBS);
    assert_eq!(done, JOBS, "every job must be priced");
    assert_eq!(lost, 0);
    assert_eq!(pending, 0);
    assert_eq!(left, 0);
    assert_eq!(one_final_event, JOBS, "exactly one final event per job");
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
