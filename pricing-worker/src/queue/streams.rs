//! Reading entries from the work streams.

use std::collections::HashMap;
use std::time::Duration;

use redis::streams::StreamId;
use redis::{RedisResult, Value};

use super::RedisConn;
use crate::protocol::{GROUP, Keys, Priority, tenant_of};

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
    /// Its tenant (`tenant` field; the default tenant when absent).
    pub tenant: String,
    /// How long it waited from enqueue to being taken, ms (when take.lua knows).
    pub waited_ms: Option<u64>,
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
        let fields: HashMap<String, String> = raw
            .into_iter()
            .filter_map(|(k, v)| redis::from_redis_value::<String>(v).ok().map(|v| (k, v)))
            .collect();
        let tenant = tenant_of(fields.get("tenant").map(String::as_str)).to_string();
        Entry {
            priority,
            entry_id,
            fields,
            deliveries,
            death,
            tenant,
            waited_ms: None,
        }
    }

    /// The lock token: the entry that owns the job while it is priced. A redelivery of
    /// the same entry has the same token, a duplicate enqueue does not.
    pub fn token(&self) -> String {
        format!("{}/{}", self.priority.as_str(), self.entry_id)
    }

    /// Its mark in `{pricing}:running` while in flight: `<tenant>|<token>`.
    pub fn running_mark(&self) -> String {
        format!("{}|{}", self.tenant, self.token())
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

/// Blocks up to `block` until an entry newer than `last` (the last ids take.lua saw,
/// by priority index) arrives on one of `streams`. Reads no entry for the group: the
/// next take.lua sorts and hands it out.
pub fn wait_for_new(
    conn: &mut RedisConn,
    keys: &Keys,
    streams: &[Priority],
    last: &[String; 3],
    block: Duration,
) -> RedisResult<()> {
    conn.run(|c| {
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(block.as_millis().max(1) as u64)
            .arg("STREAMS");
        for p in streams {
            cmd.arg(keys.stream(*p));
        }
        for p in streams {
            cmd.arg(&last[p.index()]);
        }
        cmd.query::<Value>(c).map(|_| ())
    })
}
