//! The heartbeat thread: renews every entry this process holds, and refreshes the queue
//! gauges (lag, pending) every `stats_interval`.
//!
//! Renewal is `XCLAIM … JUSTID` on entries still ours (heartbeat.lua), which resets the
//! idle time without counting a delivery, plus a PEXPIRE of each lock. The claim idle
//! time is at least three heartbeats, so two lost heartbeats in a row cost nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tracing::debug;

use crate::protocol::Priority;
use crate::queue::{RedisConn, stats};
use crate::runner::{Held, Shared, open_conn};

/// Runs until `stop`.
pub fn run(shared: &Shared, stop: &AtomicBool) {
    let Ok(mut conn) = open_conn(&shared.cfg, Duration::from_secs(5)) else {
        return;
    };
    let mut last_beat: Option<Instant> = None;
    let mut last_stats: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        if last_beat.is_none_or(|t| t.elapsed() >= shared.cfg.heartbeat) {
            last_beat = Some(Instant::now());
            beat(shared, &mut conn);
        }
        if last_stats.is_none_or(|t| t.elapsed() >= shared.cfg.stats_interval) {
            last_stats = Some(Instant::now());
            refresh_stats(shared, &mut conn);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn beat(shared: &Shared, conn: &mut RedisConn) {
    let held: Vec<Held> = shared
        .held
        .lock()
        .map(|h| h.values().cloned().collect())
        .unwrap_or_default();
    for p in Priority::ALL {
        let mine: Vec<(String, String, &Held)> = held
            .iter()
            .filter(|h| h.priority == p)
            .map(|h| {
                let token = format!("{}/{}", p.as_str(), h.entry_id);
                let mark = format!("{}|{token}", h.tenant);
                (token, mark, h)
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let args: Vec<(&str, &str, &str, &str)> = mine
            .iter()
            .map(|(token, mark, h)| {
                (
                    h.entry_id.as_str(),
                    token.as_str(),
                    h.id.as_str(),
                    mark.as_str(),
                )
            })
            .collect();
        let r = conn.run(|c| {
            shared.scripts.heartbeat(
                c,
                &shared.keys,
                p,
                &shared.cfg.consumer,
                shared.cfg.claim_idle,
                &args,
            )
        });
        match r {
            Ok(_) => shared.metrics.redis_ok(),
            Err(e) => {
                shared.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
                debug!(error = %e, "heartbeat failed; retrying next tick");
            }
        }
    }
}

fn refresh_stats(shared: &Shared, conn: &mut RedisConn) {
    shared.metrics.memory_reserved.store(
        shared.budget.used().min(i64::MAX as u64) as i64,
        Ordering::Relaxed,
    );
    match stats::tenant_stats(conn, &shared.keys) {
        Ok(t) => shared.metrics.tenants.set_gauges(
            t.into_iter()
                .map(|(name, s)| (name, s.queued.iter().sum(), s.in_flight))
                .collect(),
        ),
        Err(e) => debug!(error = %e, "tenant stats failed; retrying next tick"),
    }
    for p in Priority::ALL {
        match stats::stream_stats(conn, &shared.keys, p) {
            Ok(s) => {
                shared.metrics.lag[p.index()].store(s.lag, Ordering::Relaxed);
                shared.metrics.pending[p.index()].store(s.pending, Ordering::Relaxed);
                shared.metrics.redis_ok();
            }
            Err(e) => {
                shared.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
                debug!(error = %e, "queue stats failed; retrying next tick");
                return;
            }
        }
    }
}
