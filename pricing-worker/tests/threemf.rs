//! A 3MF through the worker (issue 10): sent as a `redis:` blob it comes back `done`
//! with its items, the same document as from `file://` (but for `file`), and as the
//! engine gives in-process (what `pricing quote --json` prints).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use pricing_worker::client::NewJob;
use pricing_worker::engine::Engine;
use pricing_worker::protocol::{Priority, Status};

const WAIT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/3mf")
            .join(name),
    )
    .unwrap()
}

#[test]
fn a_3mf_blob_comes_back_done_with_its_items() {
    let redis = start_redis();
    let root = models_root();
    let _w = Worker::spawn(&redis, root.path(), &["--concurrency", "2"]);
    let mut conn = redis.conn();
    let mut client = redis.client();
    let plate = fixture("several-objects.3mf");
    let instances = fixture("instances.3mf");
    redis::cmd("SET")
        .arg("uploads:plate")
        .arg(&plate)
        .query::<()>(&mut conn)
        .unwrap();
    redis::cmd("SET")
        .arg("uploads:instances")
        .arg(&instances)
        .query::<()>(&mut conn)
        .unwrap();
    let file = root.path().join("plate.3mf");
    std::fs::write(&file, &plate).unwrap();
    let jobs = [
        ("3MF-REDIS", "redis:uploads:plate".to_string(), None),
        ("3MF-FILE", format!("file://{}", file.display()), None),
        (
            "3MF-INSTANCES",
            "redis:uploads:instances".to_string(),
            Some(r#"{"quantity":2,"material":"PETG"}"#.to_string()),
        ),
    ];
    for (id, model, params) in &jobs {
        client
            .enqueue(&NewJob {
                id: id.to_string(),
                model: model.clone(),
                params: params.clone(),
                priority: Priority::Normal,
                // The same name for both sources, so only the bytes decide.
                name: Some("plate.3mf".into()),
                tenant: None,
            })
            .unwrap();
    }
    let ids: Vec<String> = jobs.iter().map(|j| j.0.to_string()).collect();
    let results = wait_final(&mut client, &ids, WAIT);

    let redis_quote = {
        let r = &results["3MF-REDIS"];
        assert_eq!(r.status, Status::Done, "{r:?}");
        r.quote.clone().unwrap()
    };
    let items = redis_quote["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Plate", "Bracket", "Post"]);
    for (item, volume) in items.iter().zip([1000.0, 1750.0, 1920.0]) {
        let got = item["analysis"]["volume_mm3"].as_f64().unwrap();
        assert!((got - volume).abs() < volume * 0.005, "{got} vs {volume}");
        assert!(item["price"]["total"].as_f64().unwrap() > 0.0);
        assert!(item["estimate"]["print_time_s"].as_f64().unwrap() > 0.0);
    }
    let sum: f64 = items
        .iter()
        .map(|i| i["price"]["total"].as_f64().unwrap())
        .sum();
    let total = redis_quote["price"]["total"].as_f64().unwrap();
    assert!(total >= sum - 1e-9, "{total} < {sum}");

    // The same JSON from file:// and from redis:, and as the engine prices it.
    let file_quote = results["3MF-FILE"].quote.clone().unwrap();
    assert_eq!(file_quote, redis_quote);
    let engine = serde_json::to_value(
        Engine::new(1 << 30)
            .price("plate.3mf", &plate, None)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(redis_quote, engine);

    // Instances: one item whose quantity is the instances × the ordered sets.
    let r = &results["3MF-INSTANCES"];
    assert_eq!(r.status, Status::Done, "{r:?}");
    let q = r.quote.as_ref().unwrap();
    assert_eq!(q["items"][0]["name"], "Bracket");
    assert_eq!(q["items"][0]["quantity"], 6);
    assert_eq!(q["items"][0]["price"]["material"], "PETG");
}
