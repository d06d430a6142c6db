//! The Redis contract: key names, job fields, statuses and the result record.
//!
//! Everything here is what a client in any language sees; `docs/protocol.md` is the
//! prose version of this module.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The consumer group every worker joins.
pub const GROUP: &str = "workers";

/// Default key prefix. The braces are a Redis Cluster hash tag: every key of one queue
/// hashes to the same slot, so the Lua scripts that touch several keys stay valid.
pub const DEFAULT_PREFIX: &str = "{pricing}";

/// Longest job id accepted, bytes: a longer one is dead-lettered as `bad_id` (it would
/// be a key, a record field and a log field of that size).
pub const MAX_ID_BYTES: usize = 1024;

/// A job's priority: which work stream it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Served first, always.
    Urgent,
    /// The default.
    Normal,
    /// Served after normal, except for the starvation guard.
    Bulk,
}

impl Priority {
    /// All priorities, most urgent first.
    pub const ALL: [Priority; 3] = [Priority::Urgent, Priority::Normal, Priority::Bulk];

    /// `urgent`, `normal` or `bulk`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::Normal => "normal",
            Priority::Bulk => "bulk",
        }
    }

    /// 0 for urgent, 1 for normal, 2 for bulk (array index, and the `p` field of a
    /// delayed retry).
    pub fn index(self) -> usize {
        match self {
            Priority::Urgent => 0,
            Priority::Normal => 1,
            Priority::Bulk => 2,
        }
    }

    /// Parses `urgent`, `normal` or `bulk`.
    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key names of one queue, derived from its prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Keys under `prefix` (e.g. `{pricing}`).
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.to_string(),
        }
    }

    /// The prefix, e.g. `{pricing}`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `{pricing}:jobs:<priority>`: a work stream.
    pub fn stream(&self, p: Priority) -> String {
        format!("{}:jobs:{}", self.prefix, p.as_str())
    }

    /// `{pricing}:result:<id>`: the result record of job `id`.
    pub fn result(&self, id: &str) -> String {
        format!("{}:result:{id}", self.prefix)
    }

    /// `{pricing}:lock:<id>`: which stream entry currently prices job `id`.
    pub fn lock(&self, id: &str) -> String {
        format!("{}:lock:{id}", self.prefix)
    }

    /// `{pricing}:events`: one entry per status change.
    pub fn events(&self) -> String {
        format!("{}:events", self.prefix)
    }

    /// `{pricing}:dead`: jobs that exhausted their deliveries.
    pub fn dead(&self) -> String {
        format!("{}:dead", self.prefix)
    }

    /// `{pricing}:delayed`: sorted set of retries waiting for their backoff.
    pub fn delayed(&self) -> String {
        format!("{}:delayed", self.prefix)
    }

    /// `{pricing}:cache:<hash>`: a cached quote for a model + params + engine version.
    pub fn cache(&self, hash: &str) -> String {
        format!("{}:cache:{hash}", self.prefix)
    }

    /// `{pricing}:job:<id>`: the job's counters (attempts, deaths, deaths alone) until it
    /// is final.
    pub fn job(&self, id: &str) -> String {
        format!("{}:job:{id}", self.prefix)
    }

    /// `{pricing}:ready:<priority>`: the tenants with jobs queued on that priority, in
    /// turn order (take.lua).
    pub fn ready(&self, p: Priority) -> String {
        format!("{}:ready:{}", self.prefix, p.as_str())
    }

    /// `{pricing}:tq:<priority>:<tenant>`: a tenant's queued entry ids (take.lua).
    pub fn tenant_queue(&self, p: Priority, tenant: &str) -> String {
        format!("{}:tq:{}:{tenant}", self.prefix, p.as_str())
    }

    /// `{pricing}:running`: the jobs in flight across all workers, as
    /// `<tenant>|<token>` scored by the end of their lease (ms).
    pub fn running(&self) -> String {
        format!("{}:running", self.prefix)
    }

    /// `{pricing}:rate`: the tenants' rate buckets.
    pub fn rate(&self) -> String {
        format!("{}:rate", self.prefix)
    }

    /// `{pricing}:upload:`: where `pricing submit FILE` uploads model bytes; one of the
    /// workers' default allowed blob prefixes.
    pub fn upload_prefix(&self) -> String {
        format!("{}:upload:", self.prefix)
    }
}

/// The consumer that entries handed back on shutdown are moved to (with a long idle
/// time), so any worker claims them back at once without counting a death.
pub const HANDED_BACK: &str = "handed-back";

/// The group's pseudo consumer that holds entries sorted into tenant queues and not yet
/// taken by a worker (take.lua). Never claimed back: its entries are not in flight.
pub const TENANT_QUEUE: &str = "tenant-queue";

/// The tenant of jobs enqueued without one.
pub const DEFAULT_TENANT: &str = "default";

/// Longest tenant name, bytes.
pub const MAX_TENANT_BYTES: usize = 64;

/// Whether `t` is a tenant name the queue accepts: 1 to 64 ASCII letters, digits, `.`,
/// `_`, `:` or `-` (it is part of key names and metric labels).
pub fn valid_tenant(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= MAX_TENANT_BYTES
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The tenant a job's `tenant` field names, as take.lua files it: absent, empty or
/// invalid is the default tenant (take.lua fails a fresh job with an invalid one).
pub fn tenant_of(field: Option<&str>) -> &str {
    match field {
        Some(t) if valid_tenant(t) => t,
        _ => DEFAULT_TENANT,
    }
}

/// Where a job's model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// `file:///abs/path`: a file under the worker's models root.
    File(String),
    /// `redis:KEY`: the raw bytes in a Redis string.
    Redis(String),
}

impl ModelSource {
    /// Parses a `model` field. Returns `None` for anything that is not one of the
    /// supported schemes.
    pub fn parse(uri: &str) -> Option<ModelSource> {
        if uri.starts_with("file:") {
            // RFC 8089: percent-decoded (`ORDER%2018` is `ORDER 18`), and only local
            // absolute paths: `file://host/...` is not ours to fetch.
            let url = url::Url::parse(uri).ok()?;
            let path = url.to_file_path().ok()?;
            return path
                .into_os_string()
                .into_string()
                .ok()
                .map(ModelSource::File);
        }
        if let Some(key) = uri.strip_prefix("redis:")
            && !key.is_empty()
        {
            return Some(ModelSource::Redis(key.to_string()));
        }
        None
    }
}

/// A job's status in its result record and in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Enqueued (or waiting for a retry), not being priced.
    Queued,
    /// A worker is pricing it.
    Running,
    /// Priced: `quote` holds the result.
    Done,
    /// Will not be priced: `error` says why (bad model, bad params).
    Failed,
    /// Exhausted its deliveries (crashed or hung workers, transient errors): see the
    /// dead-letter stream.
    Dead,
}

impl Status {
    /// Whether the status is final (done, failed or dead): a final record is never
    /// overwritten.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Done | Status::Failed | Status::Dead)
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Dead => "dead",
        }
    }
}

/// `error` in a result record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Stable machine-readable code, e.g. `truncated`, `bad_params`, `model_outside_root`.
    pub code: String,
    /// What is wrong and what to do, for a human.
    pub message: String,
}

/// The JSON stored at `{pricing}:result:<id>`.
///
/// `Q` is the quote: the client reads it as a [`serde_json::Value`]; the worker writes
/// its typed quote without going through one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult<Q = serde_json::Value> {
    /// The client's job id.
    pub id: String,
    /// Where the job is.
    pub status: Status,
    /// The quote JSON (exactly what `pricing quote --json` prints) when `done`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Q>,
    /// Why not, when `failed` or `dead` (or the last transient error while `queued`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// How many times a worker started pricing it: the one attempts counter, raised by
    /// retries and by redeliveries after a crash alike, and the one `--max-attempts`
    /// compares with.
    #[serde(default)]
    pub attempts: u32,
    /// The consumer name of the worker that wrote this record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// When it was enqueued (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enqueued_at: Option<String>,
    /// When the last attempt started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it reached a final status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Formats milliseconds since the epoch as RFC 3339 UTC with milliseconds, e.g.
/// `2026-11-25T07:33:04.123Z`. (Hand-rolled to avoid a date crate for one format.)
pub fn rfc3339_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// The milliseconds part of a stream entry id (`1732520000000-0`), i.e. when Redis
/// added it.
pub fn entry_ms(entry_id: &str) -> Option<u64> {
    entry_id.split('-').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_ms(1_764_056_584_000), "2025-11-25T07:43:04.000Z");
    }

    #[test]
    fn model_sources() {
        assert_eq!(
            ModelSource::parse("file:///srv/m/a.stl"),
            Some(ModelSource::File("/srv/m/a.stl".into()))
        );
        assert_eq!(
            ModelSource::parse("redis:up:1"),
            Some(ModelSource::Redis("up:1".into()))
        );
        assert_eq!(ModelSource::parse("file://host/a.stl"), None);
        assert_eq!(
            ModelSource::parse("file:///srv/models/ORDER%2018/part.stl"),
            Some(ModelSource::File("/srv/models/ORDER 18/part.stl".into()))
        );
        assert_eq!(
            ModelSource::parse("file://localhost/srv/a%25b.stl"),
            Some(ModelSource::File("/srv/a%b.stl".into()))
        );
        assert_eq!(ModelSource::parse("redis:"), None);
        assert_eq!(ModelSource::parse("/srv/a.stl"), None);
    }

    #[test]
    fn tenant_names() {
        assert!(valid_tenant("partner-42"));
        assert!(valid_tenant("b2c"));
        assert!(!valid_tenant(""));
        assert!(!valid_tenant("a b"));
        assert!(!valid_tenant("a|b"));
        assert!(!valid_tenant(&"x".repeat(65)));
        assert_eq!(tenant_of(None), "default");
        assert_eq!(tenant_of(Some("")), "default");
        assert_eq!(tenant_of(Some("p-1")), "p-1");
    }

    #[test]
    fn keys_share_the_hash_tag() {
        let k = Keys::new(DEFAULT_PREFIX);
        assert_eq!(k.stream(Priority::Urgent), "{pricing}:jobs:urgent");
        assert_eq!(k.result("A-1"), "{pricing}:result:A-1");
        assert_eq!(k.events(), "{pricing}:events");
        assert_eq!(k.dead(), "{pricing}:dead");
    }
}
