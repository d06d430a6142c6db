//! Length, lag and pending of a work stream, read the same way by the worker's metrics
//! and by `pricing queue stats`.

use redis::{RedisResult, Script};

use super::RedisConn;
use crate::protocol::{GROUP, Keys, Priority, TENANT_QUEUE};

/// Most entries after the group's last-delivered id that are counted one by one when
/// Redis reports no lag; past it the lag is XLEN − pending.
pub const LAG_COUNT_BOUND: usize = 1000;

/// Where a lag figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LagSource {
    /// XINFO GROUPS' `lag`.
    Redis,
    /// Redis had none (after a restart, or entries deleted out of order): counted with
    /// XRANGE after the group's last-delivered id.
    Counted,
    /// Redis had none and more than [`LAG_COUNT_BOUND`] entries wait: XLEN − pending.
    Estimated,
    /// No consumer group yet: every entry waits.
    NoGroup,
}

/// One work stream's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamStats {
    /// Entries in the stream (waiting or being priced).
    pub length: i64,
    /// Entries not yet delivered to the group: the backlog.
    pub lag: i64,
    /// Entries delivered and not acknowledged.
    pub pending: i64,
    /// How `lag` was obtained.
    pub lag_source: LagSource,
}

fn script() -> &'static Script {
    static SCRIPT: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| Script::new(include_str!("../../lua/group_stats.lua")))
}

/// The figures of priority `p`'s work stream, in one atomic script.
pub fn stream_stats(conn: &mut RedisConn, keys: &Keys, p: Priority) -> RedisResult<StreamStats> {
    let (length, lag, pending, source): (i64, i64, i64, String) = conn.run(|c| {
        script()
            .key(keys.stream(p))
            .arg(GROUP)
            .arg(LAG_COUNT_BOUND)
            .arg(TENANT_QUEUE)
            .invoke(c)
    })?;
    let lag_source = match source.as_str() {
        "redis" => LagSource::Redis,
        "counted" => LagSource::Counted,
        "estimated" => LagSource::Estimated,
        _ => LagSource::NoGroup,
    };
    Ok(StreamStats {
        length,
        lag: lag.max(0),
        pending,
        lag_source,
    })
}

/// One tenant's jobs, group-wide.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TenantStats {
    /// Jobs sorted into its queues and not yet taken, per priority (urgent, normal, bulk).
    pub queued: [i64; 3],
    /// Jobs in flight across all workers.
    pub in_flight: i64,
}

/// Queued and in-flight jobs per tenant (tenants with neither are not listed).
pub fn tenant_stats(
    conn: &mut RedisConn,
    keys: &Keys,
) -> RedisResult<std::collections::BTreeMap<String, TenantStats>> {
    let mut out: std::collections::BTreeMap<String, TenantStats> = Default::default();
    for p in Priority::ALL {
        let tenants: Vec<String> = conn.run(|c| {
            redis::cmd("LRANGE")
                .arg(keys.ready(p))
                .arg(0)
                .arg(-1)
                .query(c)
        })?;
        for t in tenants {
            let n: i64 = conn.run(|c| redis::cmd("LLEN").arg(keys.tenant_queue(p, &t)).query(c))?;
            out.entry(t).or_default().queued[p.index()] += n;
        }
    }
    let now = crate::protocol::now_ms();
    let marks: Vec<String> = conn.run(|c| {
        redis::cmd("ZRANGEBYSCORE")
            .arg(keys.running())
            .arg(now)
            .arg("+inf")
            .query(c)
    })?;
    for m in marks {
        if let Some((t, _)) = m.split_once('|') {
            out.entry(t.to_string()).or_default().in_flight += 1;
        }
    }
    Ok(out)
}
