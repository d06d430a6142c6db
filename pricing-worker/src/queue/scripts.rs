//! The Lua scripts of `pricing-worker/lua/`, one typed function each.
//!
//! Each script file starts with a header naming its KEYS and ARGV; the function here is
//! the only place that builds them, so a caller cannot pass them in the wrong order.
//! Scripts that guard a final record share `lua/is_final.lua` as a prelude.

use std::collections::HashMap;
use std::time::Duration;

use redis::{Connection, RedisResult, Script, Value};

use super::streams::{Death, Entry};
use crate::model::Peek;
use crate::protocol::{GROUP, HANDED_BACK, Keys, Priority, Status, TENANT_QUEUE};

macro_rules! with_is_final {
    ($file:literal) => {
        concat!(
            include_str!("../../lua/is_final.lua"),
            include_str!(concat!("../../lua/", $file))
        )
    };
}

/// What start.lua found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A final record exists: nothing to do.
    Final,
    /// Another entry (a duplicate enqueue) holds the id.
    Busy,
    /// The id is ours and the attempt is counted.
    Claimed {
        /// The record before this attempt (queued, running, or none).
        previous: Option<String>,
        /// Attempts including this one.
        attempts: u32,
        /// Times a worker holding the job stopped without a result.
        deaths: u32,
        /// Of those, times it held this job alone.
        alone: u32,
        /// Whether start.lua also wrote the running record and event ([`Mark`]).
        marked: bool,
    },
}

/// The arguments of start.lua.
#[derive(Debug, Clone)]
pub struct StartCall<'a> {
    /// The job id.
    pub id: &'a str,
    /// The entry claiming it.
    pub entry: &'a Entry,
    /// How long the claim holds without a heartbeat.
    pub lease: Duration,
    /// Lifetime of the job hash (and of the running record).
    pub ttl: Duration,
    /// The running mark to write in the same call, if any.
    pub mark: Option<Mark<'a>>,
}

/// The running mark start.lua writes in the same call when the job is to be priced.
#[derive(Debug, Clone)]
pub struct Mark<'a> {
    /// The running record's JSON up to its attempts number, and after it.
    pub record: (&'a str, &'a str),
    /// The attempts limit (`retry::at_start`).
    pub max_attempts: u32,
    /// The deaths-alone limit (`retry::at_start`).
    pub max_deliveries: u32,
    /// Approximate MAXLEN of the events stream.
    pub maxlen: u64,
}

/// The arguments of finish.lua.
#[derive(Debug, Clone)]
pub struct Finish<'a> {
    /// The job id.
    pub id: &'a str,
    /// The entry being finished.
    pub entry: &'a Entry,
    /// The final record (JSON).
    pub record: &'a str,
    /// done, failed or dead.
    pub status: Status,
    /// The quote's total for the event.
    pub total: Option<&'a str>,
    /// Record lifetime.
    pub ttl: Duration,
    /// Approximate MAXLEN of the events and dead-letter streams.
    pub maxlen: u64,
    /// The dead-letter entry's fields when `status` is dead.
    pub dead_letter: &'a [(&'static str, String)],
}

/// The arguments of retry.lua.
#[derive(Debug, Clone)]
pub struct Retry<'a> {
    /// The job id.
    pub id: &'a str,
    /// The entry being retried.
    pub entry: &'a Entry,
    /// The queued record with the error (JSON).
    pub record: &'a str,
    /// Record lifetime.
    pub ttl: Duration,
    /// Approximate MAXLEN of the events stream.
    pub maxlen: u64,
    /// When the retry is due, ms since the epoch.
    pub due_ms: u64,
    /// What promote.lua re-enqueues (JSON).
    pub payload: &'a str,
}

/// The arguments of take.lua.
#[derive(Debug, Clone)]
pub struct Take<'a> {
    /// This consumer.
    pub consumer: &'a str,
    /// How long an in-flight mark lives unless the heartbeat renews it.
    pub lease: Duration,
    /// The priorities to take from, in order; empty: only sort new entries.
    pub order: &'a [Priority],
    /// Most new entries sorted per stream in one call.
    pub batch: usize,
    /// The tenants' limits (JSON, `tenants::Limits::to_script`), "" for none.
    pub limits: &'a str,
    /// `finished_at` of jobs failed while sorting (RFC 3339).
    pub now: &'a str,
    /// Record lifetime.
    pub ttl: Duration,
    /// Approximate MAXLEN of the events stream.
    pub maxlen: u64,
}

/// What take.lua did.
#[derive(Debug, Clone)]
pub enum Took {
    /// This worker now owns the entry.
    Entry(Entry),
    /// Nothing to take now.
    Nothing {
        /// A rate-limited tenant may start again after this long.
        wait: Option<Duration>,
        /// New entries are left to sort: call again at once.
        more: bool,
        /// The last entry ids of the three streams (for `streams::wait_for_new`).
        last: [String; 3],
    },
}

/// The compiled scripts; loaded into Redis on first use (EVALSHA, then EVAL on NOSCRIPT).
pub struct Scripts {
    take: Script,
    running: Script,
    start: Script,
    finish: Script,
    retry: Script,
    promote: Script,
    heartbeat: Script,
    reclaim: Script,
    release: Script,
}

impl Default for Scripts {
    fn default() -> Self {
        Scripts::new()
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs().max(1)
}

fn millis(d: Duration) -> u64 {
    (d.as_millis() as u64).max(1)
}

impl Scripts {
    /// Hashes the scripts.
    pub fn new() -> Scripts {
        Scripts {
            take: Script::new(with_is_final!("take.lua")),
            running: Script::new(with_is_final!("running.lua")),
            start: Script::new(with_is_final!("start.lua")),
            finish: Script::new(with_is_final!("finish.lua")),
            retry: Script::new(with_is_final!("retry.lua")),
            promote: Script::new(include_str!("../../lua/promote.lua")),
            heartbeat: Script::new(include_str!("../../lua/heartbeat.lua")),
            reclaim: Script::new(include_str!("../../lua/reclaim.lua")),
            release: Script::new(include_str!("../../lua/release.lua")),
        }
    }

    /// take.lua: sorts new entries into the tenant queues and takes the next entry of
    /// the first priority in `t.order` that has one, tenants round-robin.
    pub fn take(&self, c: &mut Connection, keys: &Keys, t: &Take<'_>) -> RedisResult<Took> {
        let order: String = t
            .order
            .iter()
            .map(|p| char::from(b'1' + p.index() as u8))
            .collect();
        let mut inv = self.take.prepare_invoke();
        for p in Priority::ALL {
            inv.key(keys.stream(p));
        }
        for p in Priority::ALL {
            inv.key(keys.ready(p));
        }
        let v: Vec<Value> = inv
            .key(keys.running())
            .key(keys.rate())
            .key(keys.events())
            .arg(GROUP)
            .arg(t.consumer)
            .arg(TENANT_QUEUE)
            .arg(keys.prefix())
            .arg(millis(t.lease))
            .arg(order)
            .arg(t.batch.max(1))
            .arg(t.limits)
            .arg(t.consumer)
            .arg(t.now)
            .arg(secs(t.ttl))
            .arg(t.maxlen)
            .invoke(c)?;
        parse_took(v).ok_or_else(|| {
            redis::RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "take.lua returned an unexpected reply",
            ))
        })
    }

    /// running.lua: the running record and event, unless a final record exists; `true`
    /// when written.
    pub fn mark_running(
        &self,
        c: &mut Connection,
        keys: &Keys,
        id: &str,
        record: &str,
        ttl: Duration,
        maxlen: u64,
    ) -> RedisResult<bool> {
        let n: i64 = self
            .running
            .key(keys.result(id))
            .key(keys.events())
            .arg(record)
            .arg(secs(ttl))
            .arg(maxlen)
            .arg(id)
            .invoke(c)?;
        Ok(n == 1)
    }

    /// start.lua: claims job `call.id` for `call.entry` for `call.lease`, counting the
    /// attempt and the entry's [`Death`]; the job hash lives for `call.ttl`. With
    /// `call.mark`, also the running record and event when the job is to be priced.
    pub fn start(
        &self,
        c: &mut Connection,
        keys: &Keys,
        call: &StartCall<'_>,
    ) -> RedisResult<Start> {
        let v: Vec<Value> = self.start_invocation(keys, call).invoke(c)?;
        parse_start(&v)
    }

    /// [`Scripts::start`] and, in the same round trip, a look at the `redis:KEY` model
    /// `model_key`: STRLEN and its first `peek` bytes, so a small model costs no round
    /// trip of its own. The reads are plain commands pipelined after the script, not in
    /// it: the model key is not under the queue's hash tag (another slot on Redis
    /// Cluster). Errors are per command, so a WRONGTYPE model key fails the job as it
    /// did before without failing (and repeating) the start.
    pub fn start_and_peek(
        &self,
        c: &mut Connection,
        keys: &Keys,
        call: &StartCall<'_>,
        model_key: &str,
        peek: usize,
    ) -> RedisResult<(Start, Peek)> {
        let inv = self.start_invocation(keys, call);
        let mut p = redis::pipe();
        p.ignore_errors()
            .invoke_script(&inv)
            .cmd("STRLEN")
            .arg(model_key)
            .cmd("GETRANGE")
            .arg(model_key)
            .arg(0)
            .arg(peek.max(1) - 1);
        let r: Vec<RedisResult<Value>> = p.query(c)?;
        let mut r = r.into_iter();
        let short = || {
            redis::RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "short pipeline reply",
            ))
        };
        let (started, len, head) = match (r.next(), r.next(), r.next()) {
            (Some(s), Some(l), Some(h)) => (s, l, h),
            _ => return Err(short()),
        };
        let start = match started {
            Ok(v) => parse_start(&redis::from_redis_value::<Vec<Value>>(v)?)?,
            // The script is not cached (a restarted Redis), so it did not run: the
            // classic invoke loads and runs it; the reads above are still good.
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                parse_start(&inv.invoke::<Vec<Value>>(c)?)?
            }
            Err(e) => return Err(e),
        };
        let peeked = match (len, head) {
            (Err(e), _) | (_, Err(e)) if e.code() == Some("WRONGTYPE") => Peek::WrongType,
            (Ok(len), Ok(head)) => Peek::Found {
                len: redis::from_redis_value(len)?,
                head: redis::from_redis_value(head)?,
            },
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        Ok((start, peeked))
    }

    fn start_invocation<'a>(
        &'a self,
        keys: &Keys,
        call: &StartCall<'_>,
    ) -> redis::ScriptInvocation<'a> {
        let id = call.id;
        let mut inv = self.start.prepare_invoke();
        inv.key(keys.result(id))
            .key(keys.lock(id))
            .key(keys.job(id))
            .arg(call.entry.token())
            .arg(millis(call.lease))
            .arg(call.entry.death.as_str())
            .arg(secs(call.ttl));
        if let Some(m) = &call.mark {
            inv.key(keys.events())
                .arg(m.max_attempts)
                .arg(m.max_deliveries)
                .arg(m.record.0)
                .arg(m.record.1)
                .arg(m.maxlen)
                .arg(id);
        }
        inv
    }

    /// finish.lua: stores the final record unless one exists; `true` when stored.
    pub fn finish(&self, c: &mut Connection, keys: &Keys, f: &Finish<'_>) -> RedisResult<bool> {
        let mut inv = self.finish.key(keys.result(f.id));
        inv.key(keys.events())
            .key(keys.stream(f.entry.priority))
            .key(keys.lock(f.id))
            .key(keys.dead())
            .key(keys.job(f.id))
            .key(keys.running())
            .arg(GROUP)
            .arg(&f.entry.entry_id)
            .arg(f.entry.token())
            .arg(f.record)
            .arg(f.status.as_str())
            .arg(f.id)
            .arg(f.total.unwrap_or_default())
            .arg(secs(f.ttl))
            .arg(f.maxlen)
            .arg(f.entry.running_mark());
        if f.status == Status::Dead {
            for (k, v) in f.dead_letter {
                inv.arg(*k).arg(v);
            }
        }
        let stored: i64 = inv.invoke(c)?;
        Ok(stored == 1)
    }

    /// retry.lua: schedules the retry unless a final record exists; `true` when scheduled.
    pub fn retry(&self, c: &mut Connection, keys: &Keys, r: &Retry<'_>) -> RedisResult<bool> {
        let stored: i64 = self
            .retry
            .key(keys.result(r.id))
            .key(keys.events())
            .key(keys.stream(r.entry.priority))
            .key(keys.lock(r.id))
            .key(keys.delayed())
            .key(keys.running())
            .arg(GROUP)
            .arg(&r.entry.entry_id)
            .arg(r.entry.token())
            .arg(r.record)
            .arg(r.id)
            .arg(secs(r.ttl))
            .arg(r.maxlen)
            .arg(r.due_ms)
            .arg(r.payload)
            .arg(r.entry.running_mark())
            .invoke(c)?;
        Ok(stored == 1)
    }

    /// promote.lua: moves up to `limit` retries due at `now_ms` back onto their streams.
    pub fn promote(
        &self,
        c: &mut Connection,
        keys: &Keys,
        now_ms: u64,
        limit: usize,
    ) -> RedisResult<i64> {
        self.promote
            .key(keys.delayed())
            .key(keys.stream(Priority::Urgent))
            .key(keys.stream(Priority::Normal))
            .key(keys.stream(Priority::Bulk))
            .arg(now_ms)
            .arg(limit)
            .invoke(c)
    }

    /// heartbeat.lua: renews `consumer`'s `held` entries of stream `p` (entry id, token,
    /// job id, in-flight mark), their locks and their tenants' in-flight marks for
    /// `lease`. Returns how many were still ours.
    pub fn heartbeat(
        &self,
        c: &mut Connection,
        keys: &Keys,
        p: Priority,
        consumer: &str,
        lease: Duration,
        held: &[(&str, &str, &str, &str)],
    ) -> RedisResult<i64> {
        let mut inv = self.heartbeat.key(keys.stream(p));
        inv.key(keys.running())
            .arg(GROUP)
            .arg(consumer)
            .arg(millis(lease));
        for (entry_id, token, id, mark) in held {
            inv.arg(*entry_id).arg(*token).arg(*mark).key(keys.lock(id));
        }
        inv.invoke(c)
    }

    /// reclaim.lua: claims for `consumer` every entry idle for `min_idle` (looking at up
    /// to `per_stream` idle entries per stream), each with its holder's [`Death`].
    pub fn reclaim(
        &self,
        c: &mut Connection,
        keys: &Keys,
        consumer: &str,
        min_idle: Duration,
        per_stream: usize,
    ) -> RedisResult<Vec<Entry>> {
        let rows: Vec<Value> = self
            .reclaim
            .key(keys.stream(Priority::Urgent))
            .key(keys.stream(Priority::Normal))
            .key(keys.stream(Priority::Bulk))
            .arg(GROUP)
            .arg(consumer)
            .arg(millis(min_idle))
            .arg(per_stream.max(1))
            .arg(HANDED_BACK)
            .arg(TENANT_QUEUE)
            .invoke(c)?;
        Ok(rows.into_iter().filter_map(parse_reclaimed).collect())
    }

    /// release.lua: hands `entry_ids` of stream `p` that `consumer` still owns back for
    /// immediate claim-back, setting their idle time to `idle`.
    pub fn release(
        &self,
        c: &mut Connection,
        keys: &Keys,
        p: Priority,
        consumer: &str,
        idle: Duration,
        entry_ids: &[&str],
    ) -> RedisResult<i64> {
        if entry_ids.is_empty() {
            return Ok(0);
        }
        let mut inv = self.release.key(keys.stream(p));
        inv.arg(GROUP)
            .arg(consumer)
            .arg(HANDED_BACK)
            .arg(millis(idle));
        for e in entry_ids {
            inv.arg(*e);
        }
        inv.invoke(c)
    }
}

/// start.lua's reply.
fn parse_start(v: &[Value]) -> RedisResult<Start> {
    let verdict: String = v
        .first()
        .map(redis::from_redis_value_ref)
        .transpose()?
        .unwrap_or_default();
    let int = |i: usize| -> u32 {
        v.get(i)
            .and_then(|x| redis::from_redis_value_ref::<i64>(x).ok())
            .map_or(0, |n| n.clamp(0, u32::MAX as i64) as u32)
    };
    Ok(match verdict.as_str() {
        "final" => Start::Final,
        "busy" => Start::Busy,
        _ => Start::Claimed {
            previous: v
                .get(1)
                .and_then(|x| redis::from_redis_value_ref::<Option<String>>(x).ok())
                .flatten(),
            attempts: int(2),
            deaths: int(3),
            alone: int(4),
            marked: int(5) == 1,
        },
    })
}

/// take.lua's reply: {stream index, entry id, fields, tenant, waited ms} or
/// {0, wait ms, more, last id × 3}.
fn parse_took(v: Vec<Value>) -> Option<Took> {
    let mut it = v.into_iter();
    let s: i64 = redis::from_redis_value(it.next()?).ok()?;
    if s == 0 {
        let wait: i64 = redis::from_redis_value(it.next()?).ok()?;
        let more: i64 = redis::from_redis_value(it.next()?).ok()?;
        let mut last: [String; 3] = Default::default();
        for l in &mut last {
            *l = redis::from_redis_value(it.next()?).ok()?;
        }
        return Some(Took::Nothing {
            wait: u64::try_from(wait).ok().map(Duration::from_millis),
            more: more == 1,
            last,
        });
    }
    let priority = *Priority::ALL.get(usize::try_from(s - 1).ok()?)?;
    let entry_id: String = redis::from_redis_value(it.next()?).ok()?;
    let Value::Array(flat) = it.next()? else {
        return None;
    };
    let _tenant: String = redis::from_redis_value(it.next()?).ok()?;
    let waited: i64 = redis::from_redis_value(it.next()?).ok()?;
    let mut e = Entry::from_fields(priority, entry_id, pairs(flat), 1, Death::None);
    e.waited_ms = u64::try_from(waited).ok();
    Some(Took::Entry(e))
}

/// A flat [field, value, …] list as a map.
fn pairs(flat: Vec<Value>) -> HashMap<String, Value> {
    let mut raw = HashMap::new();
    let mut f = flat.into_iter();
    while let (Some(k), Some(v)) = (f.next(), f.next()) {
        if let Ok(k) = redis::from_redis_value::<String>(k) {
            raw.insert(k, v);
        }
    }
    raw
}

/// One row of reclaim.lua: {stream index, entry id, [field, value, …], holder, held,
/// deliveries}.
fn parse_reclaimed(row: Value) -> Option<Entry> {
    let Value::Array(cols) = row else {
        return None;
    };
    let mut it = cols.into_iter();
    let stream: i64 = redis::from_redis_value(it.next()?).ok()?;
    let entry_id: String = redis::from_redis_value(it.next()?).ok()?;
    let Value::Array(flat) = it.next()? else {
        return None;
    };
    let holder: String = redis::from_redis_value(it.next()?).ok()?;
    let held: i64 = redis::from_redis_value(it.next()?).ok()?;
    let deliveries: i64 = redis::from_redis_value(it.next()?).ok()?;
    let priority = *Priority::ALL.get(usize::try_from(stream - 1).ok()?)?;
    let raw = pairs(flat);
    let death = death_of(&holder, held);
    Some(Entry::from_fields(
        priority,
        entry_id,
        raw,
        deliveries.max(1) as u64,
        death,
    ))
}

/// The poison rule's input: entries handed back on shutdown carry no death; an entry
/// whose holder held nothing else died alone with it.
pub fn death_of(holder: &str, held: i64) -> Death {
    if holder == HANDED_BACK {
        Death::None
    } else if held <= 1 {
        Death::Alone
    } else {
        Death::Shared
    }
}

/// Acknowledges and deletes an entry without touching any result (a duplicate).
pub fn ack(c: &mut Connection, keys: &Keys, e: &Entry) -> RedisResult<()> {
    let stream = keys.stream(e.priority);
    redis::pipe()
        .atomic()
        .cmd("ZREM")
        .arg(keys.running())
        .arg(e.running_mark())
        .ignore()
        .cmd("XACK")
        .arg(&stream)
        .arg(GROUP)
        .arg(&e.entry_id)
        .ignore()
        .cmd("XDEL")
        .arg(&stream)
        .arg(&e.entry_id)
        .ignore()
        .query(c)
}

/// Dead-letters an entry that cannot have a result (no usable id) with its fields as
/// `field.<name>`, and acknowledges it (one MULTI).
pub fn dead_letter_entry(
    c: &mut Connection,
    keys: &Keys,
    e: &Entry,
    code: &str,
    reason: &str,
    fields: &[(String, String)],
    maxlen: u64,
) -> RedisResult<()> {
    let stream = keys.stream(e.priority);
    let mut x = redis::cmd("XADD");
    x.arg(keys.dead())
        .arg("MAXLEN")
        .arg("~")
        .arg(maxlen)
        .arg("*")
        .arg("code")
        .arg(code)
        .arg("reason")
        .arg(reason)
        .arg("entry")
        .arg(&e.entry_id)
        .arg("priority")
        .arg(e.priority.as_str());
    for (k, v) in fields {
        x.arg(format!("field.{k}")).arg(v);
    }
    let mut p = redis::pipe();
    p.atomic();
    p.add_command(x).ignore();
    p.cmd("XACK")
        .arg(&stream)
        .arg(GROUP)
        .arg(&e.entry_id)
        .ignore();
    p.cmd("XDEL").arg(&stream).arg(&e.entry_id).ignore();
    p.cmd("ZREM")
        .arg(keys.running())
        .arg(e.running_mark())
        .ignore();
    p.query(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_alone_is_blamed_and_a_hand_back_is_not_a_death() {
        assert_eq!(death_of("w-1", 1), Death::Alone);
        assert_eq!(death_of("w-1", 3), Death::Shared);
        assert_eq!(death_of(HANDED_BACK, 1), Death::None);
    }

    #[test]
    fn every_script_names_its_keys_and_argv() {
        for text in [
            include_str!("../../lua/take.lua"),
            include_str!("../../lua/start.lua"),
            include_str!("../../lua/running.lua"),
            include_str!("../../lua/finish.lua"),
            include_str!("../../lua/retry.lua"),
            include_str!("../../lua/promote.lua"),
            include_str!("../../lua/heartbeat.lua"),
            include_str!("../../lua/reclaim.lua"),
            include_str!("../../lua/release.lua"),
            include_str!("../../lua/group_stats.lua"),
        ] {
            assert!(text.contains("-- KEYS[1") && text.contains("-- ARGV[1"));
        }
    }
}
