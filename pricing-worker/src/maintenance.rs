//! The dispatcher's periodic work: due retries back onto their streams, and entries of
//! stopped workers claimed back with the death that the poison rule weighs.

use std::sync::atomic::Ordering;

use redis::RedisResult;
use tracing::info;

use crate::protocol::now_ms;
use crate::queue::RedisConn;
use crate::queue::streams::Entry;
use crate::runner::Shared;
use crate::sanitize;

/// Most due retries moved per run.
const PROMOTE_LIMIT: usize = 100;

/// Moves due retries back onto their streams, and claims back the entries of workers
/// that stopped renewing them (looking at up to `free` idle entries per stream, and
/// taking every idle entry of each such worker, see reclaim.lua). Claimed entries go to
/// `buffer`, held (renewed) from now on.
pub fn run(
    shared: &Shared,
    conn: &mut RedisConn,
    buffer: &mut Vec<Entry>,
    free: usize,
) -> RedisResult<()> {
    let keys = &shared.keys;
    conn.run(|c| shared.scripts.promote(c, keys, now_ms(), PROMOTE_LIMIT))?;
    if free == 0 {
        return Ok(());
    }
    let claimed = conn.run(|c| {
        shared
            .scripts
            .reclaim(c, keys, &shared.cfg.consumer, shared.cfg.claim_idle, free)
    })?;
    for e in claimed {
        info!(
            id = %sanitize::log(e.id()),
            entry = %e.entry_id,
            priority = %e.priority,
            death = e.death.as_str(),
            deliveries = e.deliveries,
            "claimed back an entry from a stopped worker"
        );
        shared.metrics.claimed_back.fetch_add(1, Ordering::Relaxed);
        shared.hold(&e);
        buffer.push(e);
    }
    Ok(())
}
