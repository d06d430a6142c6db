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
