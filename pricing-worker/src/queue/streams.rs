//! Reading entries from the work streams.

use std::collections::HashMap;
use std::time::Duration;

use redis::streams::{StreamId, StreamReadReply};
use redis::{RedisResult, Value};

use super::RedisConn;
use crate::protocol::{GROUP, Keys, Priority};

/// How the previous holder of a claimed-back entry ended: the input of the poison rule
/// (docs/protocol.md, "Poison").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Death {
    /// Not claimed back from anyone: a fresh delivery, a retry, or an entry handed back
    /// on shutdown.
    None,
    /// Its holder stopped renewing it while holding other entries too: any of them, or
    /// nothing at all (a kill from outside), may be to blame.
    Shared,
    /// Its holder stopped renewing it while holding it alone.
    Alone,
}

impl Death {
    /// The `death` argument of start.lua.
    pub fn as_str(self) -> &'static str {
        match self {
            Death::None => "none",
            Death::Shared => "shared",
            Death::Alone => "alone",
        }
    }
}

/// A stream entry read from a work stream.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Which stream.
    pub priority: Priority,
    /// The stream entry id.
    pub entry_id: String,
    /// The fields as strings (non-UTF-8 values are dropped).
    pub fields: HashMap<String, String>,
    /// Times Redis delivered it (1 on the first read); informational only (the dead
    /// letter shows it), the attempts counter is the job hash's.
    pub deliveries: u64,
    /// Whether it was claimed back from a holder that stopped, and how that holder ended.
    pub death: Death,
}

impl Entry {
    /// An entry of `priority` from a reply.
    pub fn from_stream_id(priority: Priority, s: StreamId, deliveries: u64, death: Death) -> Entry {
        Entry::from_fields(priority, s.id, s.map, deliveries, death)
    }

    /// An entry from its id and raw field values.
    pub fn from_fields(
        priority: Priority,
        entry_id: String,
        raw: HashMap<String, Value>,
        deliveries: u64,
        death: Death,
    ) -> Entry {
        let fields = raw
            .into_iter()
            .filter_map(|(k, v)| redis::from_redis_value::<String>(v).ok().map(|v| (k, v)))
            .collect();
        Entry {
            priority,
            entry_id,
            fields,
            deliveries,
            death,
        }
    }

    /// The lock token: the entry that owns the job while it is priced. A redelivery of
    /// the same entry has the same token, a duplicate enqueue does not.
    pub fn token(&self) -> String {
        format!("{}/{}", self.priority.as_str(), self.entry_id)
    }

    /// The job id (trimmed), empty when missing.
    pub fn id(&self) -> &str {
        self.fields.get("id").map(|v| v.trim()).unwrap_or_default()
    }

    /// Whether it must run alone: its last holder died with other jobs in flight, so if
    /// it kills this worker too, the death is its own (the poison rule).
    pub fn suspect(&self) -> bool {
        self.death != Death::None
    }
}

/// Creates the consumer group on every work stream (MKSTREAM), ignoring "already exists".
pub fn ensure_groups(conn: &mut RedisConn, keys: &Keys) -> RedisResult<()> {
    for p in Priority::ALL {
        let r: RedisResult<()> = conn.run(|c| {
            redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(keys.stream(p))
                .arg(GROUP)
                .arg("0")
                .arg("MKSTREAM")
                .query(c)
        });
        match r {
            Ok(()) => {}
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads at most one new entry from each of `streams` for `consumer`; blocks up to
/// `block` when given.
pub fn read_new(
    conn: &mut RedisConn,
    keys: &Keys,
    consumer: &str,
    streams: &[Priority],
    block: Option<Duration>,
) -> RedisResult<Vec<Entry>> {
    let reply: Option<StreamReadReply> = conn.run(|c| {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(GROUP)
            .arg(consumer)
            .arg("COUNT")
            .arg(1);
        if let Some(b) = block {
            cmd.arg("BLOCK").arg(b.as_millis() as u64);
        }
        cmd.arg("STREAMS");
        for p in streams {
            cmd.arg(keys.stream(*p));
        }
        for _ in streams {
            cmd.arg(">");
        }
        cmd.query(c)
    })?;
    let mut out = Vec::new();
    for k in reply.map(|r| r.keys).unwrap_or_default() {
        let Some(p) = Priority::ALL.into_iter().find(|p| keys.stream(*p) == k.key) else {
            continue;
        };
        for id in k.ids {
            out.push(Entry::from_stream_id(p, id, 1, Death::None));
        }
    }
    Ok(out)
}
