//! Redis plumbing shared by the worker and the client: connections that reconnect, the
//! Lua scripts that make status changes atomic, and stream reads.
//!
//! Every multi-key script only touches keys under one prefix, i.e. one hash tag, so the
//! scripts also run on Redis Cluster.

use std::collections::HashMap;
use std::time::Duration;

use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use redis::{Connection, RedisResult, Script, Value};

use crate::protocol::{GROUP, Keys, Priority};

/// Why talking to Redis failed. Always transient from a job's point of view: the caller
/// reconnects with backoff and tries again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The URL does not parse.
    #[error("bad Redis URL {url}: {source}")]
    BadUrl {
        /// The URL with its password redacted.
        url: String,
        /// What redis-rs said.
        #[source]
        source: redis::RedisError,
    },
    /// A command failed (connection refused or dropped, timeout, server error).
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// `redis://user:secret@host` → `redis://user:***@host`: what logs may show.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let redacted = match userinfo.find(':') {
        Some(colon) => format!("{}:***", &userinfo[..colon]),
        // `redis://secret@host`: a lone userinfo is the password for redis-rs.
        None => "***".to_string(),
    };
    format!("{}{}@{}", &url[..scheme_end + 3], redacted, &rest[at + 1..])
}

/// Installs ring as rustls' process-wide crypto provider, once. redis-rs needs one for
/// `rediss://` and panics without it; an application that installed its own keeps it.
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// One Redis connection that reconnects on the next use after any error.
///
/// Every connection has connect, read and write timeouts: a worker must never hang on a
/// dead socket (a Redis restart, a dropped NAT entry).
pub struct RedisConn {
    client: redis::Client,
    conn: Option<Connection>,
    connect_timeout: Duration,
    io_timeout: Duration,
}

impl RedisConn {
    /// A lazily connected connection to `url` (redis://, rediss://, with AUTH in the URL).
    pub fn open(url: &str, io_timeout: Duration) -> Result<RedisConn, QueueError> {
        RedisConn::open_tls(url, None, io_timeout)
    }

    /// Like [`RedisConn::open`], trusting only the CA certificates in `ca_pem` (PEM) for
    /// `rediss://`: a Redis with a private CA, as most managed and in-house ones have.
    pub fn open_tls(
        url: &str,
        ca_pem: Option<&[u8]>,
        io_timeout: Duration,
    ) -> Result<RedisConn, QueueError> {
        install_tls_provider();
        let bad = |source| QueueError::BadUrl {
            url: redact_url(url),
            source,
        };
        let client = match ca_pem {
            None => redis::Client::open(url).map_err(bad)?,
            Some(pem) => redis::Client::build_with_tls(
                url,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.to_vec()),
                },
            )
            .map_err(bad)?,
        };
        Ok(RedisConn {
            client,
            conn: None,
            connect_timeout: Duration::from_secs(3),
            io_timeout,
        })
    }

    /// Runs `f` on the connection, connecting first if needed. After an error the
    /// connection is dropped, so the next call reconnects.
    pub fn run<T>(&mut self, f: impl FnOnce(&mut Connection) -> RedisResult<T>) -> RedisResult<T> {
        if self.conn.is_none() {
            let c = self
                .client
                .get_connection_with_timeout(self.connect_timeout)?;
            c.set_read_timeout(Some(self.io_timeout))?;
            c.set_write_timeout(Some(self.io_timeout))?;
            self.conn = Some(c);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(redis::RedisError::from(std::io::Error::other(
                "not connected",
            )));
        };
        let r = f(conn);
        if r.is_err() {
            // Cheap to reconnect; a half-read reply on a reused socket is not.
            self.conn = None;
        }
        r
    }

    /// Whether a connection is currently open.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
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

/// A stream entry read from a work stream.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Which stream.
    pub priority: Priority,
    /// The stream entry id.
    pub entry_id: String,
    /// The fields as strings (non-UTF-8 values are dropped).
    pub fields: HashMap<String, String>,
    /// Times Redis delivered it (1 on the first read).
    pub deliveries: u64,
}

impl Entry {
    fn from_stream_id(priority: Priority, s: StreamId, deliveries: u64) -> Entry {
        let fields = s
            .map
            .into_iter()
            .filter_map(|(k, v)| redis::from_redis_value::<String>(v).ok().map(|v| (k, v)))
            .collect();
        Entry {
            priority,
            entry_id: s.id,
            fields,
            deliveries,
        }
    }

    /// The lock token: the entry that owns the job while it is priced. A redelivery of
    /// the same entry has the same token, a duplicate enqueue does not.
    pub fn token(&self) -> String {
        format!("{}/{}", self.priority.as_str(), self.entry_id)
    }
}

/// Reads at most one new entry from `streams` for `consumer`; blocks up to `block`
/// when given.
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
            out.push(Entry::from_stream_id(p, id, 1));
        }
    }
    Ok(out)
}

/// Claims up to `count` entries of `p` idle for at least `min_idle` (their worker died)
/// for `consumer`, starting at `cursor`. Returns the entries and the next cursor
/// (`0-0` when the scan wrapped).
pub fn autoclaim(
    conn: &mut RedisConn,
    keys: &Keys,
    consumer: &str,
    p: Priority,
    min_idle: Duration,
    cursor: &str,
    count: usize,
) -> RedisResult<(Vec<Entry>, String)> {
    let stream = keys.stream(p);
    let reply: StreamAutoClaimReply = conn.run(|c| {
        redis::cmd("XAUTOCLAIM")
            .arg(&stream)
            .arg(GROUP)
            .arg(consumer)
            .arg(min_idle.as_millis() as u64)
            .arg(cursor)
            .arg("COUNT")
            .arg(count.max(1))
            .query(c)
    })?;
    let mut out = Vec::new();
    for s in reply.claimed {
        // On error give up the batch: the entries stay pending (now ours, unrenewed) and
        // are claimed back again later. Guessing a count could dead-letter a good job.
        let deliveries = delivery_count(conn, &stream, &s.id)?;
        out.push(Entry::from_stream_id(p, s, deliveries));
    }
    Ok((out, reply.next_stream_id))
}

/// The delivery count of one pending entry, from XPENDING.
pub fn delivery_count(conn: &mut RedisConn, stream: &str, entry_id: &str) -> RedisResult<u64> {
    let v: Value = conn.run(|c| {
        redis::cmd("XPENDING")
            .arg(stream)
            .arg(GROUP)
            .arg(entry_id)
            .arg(entry_id)
            .arg(1)
            .query(c)
    })?;
    // [[id, consumer, idle, deliveries]]
    if let Value::Array(rows) = v
        && let Some(Value::Array(row)) = rows.into_iter().next()
        && let Some(Value::Int(n)) = row.get(3)
    {
        return Ok(*n as u64);
    }
    Ok(1)
}

/// Group lag (entries never delivered) and pending (delivered, not acknowledged) of a
/// work stream, from XINFO GROUPS.
pub fn group_info(conn: &mut RedisConn, keys: &Keys, p: Priority) -> RedisResult<(i64, i64)> {
    let v: Value = conn.run(|c| {
        redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(keys.stream(p))
            .query(c)
    })?;
    let mut lag = 0;
    let mut pending = 0;
    let Value::Array(groups) = v else {
        return Ok((0, 0));
    };
    for g in groups {
        let pairs: Vec<(Value, Value)> = match g {
            Value::Map(m) => m,
            Value::Array(a) => {
                let mut it = a.into_iter();
                let mut out = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    out.push((k, v));
                }
                out
            }
            _ => continue,
        };
        let field = |name: &str| {
            pairs.iter().find_map(|(k, v)| {
                let k: String = redis::from_redis_value_ref(k).ok()?;
                (k == name).then(|| redis::from_redis_value_ref::<i64>(v).ok())?
            })
        };
        let is_ours = pairs.iter().any(|(k, v)| {
            redis::from_redis_value_ref::<String>(k).ok().as_deref() == Some("name")
                && redis::from_redis_value_ref::<String>(v).ok().as_deref() == Some(GROUP)
        });
        if is_ours {
            lag = field("lag").unwrap_or(0);
            pending = field("pending").unwrap_or(0);
        }
    }
    Ok((lag, pending))
}

/// The Lua scripts. Each keeps one status change atomic with its side effects.
pub struct Scripts {
    /// Claims a job for an entry: refuses when a final result exists or another entry
    /// (a duplicate enqueue) is pricing the same id.
    pub start: Script,
    /// Stores a final record (done, failed, dead) unless one exists, emits the one final
    /// event, dead-letters when asked, releases the lock, acknowledges and deletes the
    /// entry. The "unless one exists" guard is what makes results idempotent.
    pub finish: Script,
    /// Stores a queued record, schedules a retry in the delayed set, acknowledges.
    pub retry: Script,
    /// Moves due retries from the delayed set back onto their work stream.
    pub promote: Script,
    /// The heartbeat: resets the idle time of entries this consumer still owns and
    /// extends their locks.
    pub heartbeat: Script,
}

const IS_FINAL: &str = r#"
local function is_final(v)
  if not v then return false end
  local ok, doc = pcall(cjson.decode, v)
  if not ok or type(doc) ~= 'table' then return false end
  return doc.status == 'done' or doc.status == 'failed' or doc.status == 'dead'
end
"#;

impl Scripts {
    /// Compiles (hashes) the scripts; they are loaded into Redis on first use.
    pub fn new() -> Scripts {
        // KEYS: result, lock. ARGV: token, lease_ms.
        let start = format!(
            r#"{IS_FINAL}
local cur = redis.call('GET', KEYS[1])
if is_final(cur) then return {{'final', cur}} end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {{'busy', holder}} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {{'ok', cur or false}}
"#
        );
        // KEYS: result, events, stream, lock, dead.
        // ARGV: group, entry_id, token, record, status, id, total, ttl_s, events_maxlen,
        //       then dead-letter field/value pairs when status == 'dead'.
        let finish = format!(
            r#"{IS_FINAL}
local stored = 0
if not is_final(redis.call('GET', KEYS[1])) then
  stored = 1
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[8])
  local ev = {{'id', ARGV[6], 'status', ARGV[5]}}
  if ARGV[7] ~= '' then table.insert(ev, 'total'); table.insert(ev, ARGV[7]) end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[9], '*', unpack(ev))
  if ARGV[5] == 'dead' and #ARGV > 9 then
    local f = {{}}
    for i = 10, #ARGV do table.insert(f, ARGV[i]) end
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[9], '*', unpack(f))
  end
end
if redis.call('GET', KEYS[4]) == ARGV[3] then redis.call('DEL', KEYS[4]) end
redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
return stored
"#
        );
        // KEYS: result, events, stream, lock, delayed.
        // ARGV: group, entry_id, token, record, id, ttl_s, events_maxlen, due_ms, payload.
        let retry = format!(
            r#"{IS_FINAL}
local stored = 0
if not is_final(redis.call('GET', KEYS[1])) then
  stored = 1
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[6])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'id', ARGV[5], 'status', 'queued')
  redis.call('ZADD', KEYS[5], ARGV[8], ARGV[9])
end
if redis.call('GET', KEYS[4]) == ARGV[3] then redis.call('DEL', KEYS[4]) end
redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
return stored
"#
        );
        // KEYS: delayed, urgent, normal, bulk. ARGV: now_ms, limit.
        let promote = r#"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, p in ipairs(due) do
  redis.call('ZREM', KEYS[1], p)
  local ok, d = pcall(cjson.decode, p)
  if ok and type(d) == 'table' and type(d.id) == 'string' and type(d.model) == 'string' then
    local key = KEYS[2 + (tonumber(d.p) or 1)] or KEYS[3]
    local f = {'id', d.id, 'model', d.model}
    if type(d.params) == 'string' then table.insert(f, 'params'); table.insert(f, d.params) end
    if type(d.name) == 'string' then table.insert(f, 'name'); table.insert(f, d.name) end
    if d.attempt then table.insert(f, 'attempt'); table.insert(f, tostring(d.attempt)) end
    if type(d.enqueued_at) == 'string' then table.insert(f, 'enqueued_at'); table.insert(f, d.enqueued_at) end
    redis.call('XADD', key, '*', unpack(f))
  end
end
return #due
"#;
        // KEYS: stream, then one lock key per entry. ARGV: group, consumer, lease_ms,
        // then (entry_id, token) pairs.
        let heartbeat = r#"
local n = 0
local k = 2
for i = 4, #ARGV, 2 do
  local eid = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], eid, eid, 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, eid, 'JUSTID')
    n = n + 1
  end
  if redis.call('GET', KEYS[k]) == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[k], ARGV[3])
  end
  k = k + 1
end
return n
"#;
        Scripts {
            start: Script::new(&start),
            finish: Script::new(&finish),
            retry: Script::new(&retry),
            promote: Script::new(promote),
            heartbeat: Script::new(heartbeat),
        }
    }
}

impl Default for Scripts {
    fn default() -> Self {
        Scripts::new()
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("redis://u:s3cret@h:6379/0"),
            "redis://u:***@h:6379/0"
        );
        assert_eq!(redact_url("rediss://:pw@h"), "rediss://:***@h");
        assert_eq!(redact_url("redis://pw@h"), "redis://***@h");
        assert_eq!(redact_url("redis://h:6379"), "redis://h:6379");
    }
}
