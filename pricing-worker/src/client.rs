//! The Rust client: enqueue a job, read or wait for its result, queue statistics.
//!
//! Other languages need no client: enqueueing is one XADD and reading back one GET (see
//! `docs/protocol.md`). This client adds the optional `queued` record and event in the
//! same MULTI as the XADD, so `pricing status` can tell "queued" from "unknown".

use std::time::{Duration, Instant};

use redis::RedisResult;

use crate::protocol::{JobResult, Keys, Priority, now_ms, rfc3339_ms};
use crate::queue::{QueueError, RedisConn, stats};

/// How long the `queued` record lives if no worker ever picks the job up.
pub const DEFAULT_RESULT_TTL: Duration = Duration::from_secs(7 * 86_400);

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Redis could not be reached or refused the command.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// No final result within the time the caller was willing to wait.
    #[error(
        "job {id} has no final result after {waited_ms} ms (status: {status}); it may still be queued or running, or re-submit it with the same id"
    )]
    Timeout {
        /// The job id.
        id: String,
        /// How long we waited.
        waited_ms: u64,
        /// The last status seen.
        status: String,
    },
    /// The stored record is not the JSON this version understands.
    #[error("the result record of job {id} is not valid JSON: {source}")]
    BadRecord {
        /// The job id.
        id: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
}

impl From<redis::RedisError> for ClientError {
    fn from(e: redis::RedisError) -> Self {
        ClientError::Queue(QueueError::Redis(e))
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The idempotency key: enqueueing the same id again never prices it twice.
    pub id: String,
    /// `file:///abs/path` (inside the workers' models root) or `redis:KEY`.
    pub model: String,
    /// Quote options as a JSON object, e.g. `{"quantity":3,"material":"PLA"}`.
    pub params: Option<String>,
    /// Which stream.
    pub priority: Priority,
    /// The file name the quote shows (default: the model's path or key).
    pub name: Option<String>,
    /// The partner or channel the job is for (`b2c`, `partner-42`): tenants are served
    /// round-robin within a priority, under the limits of the workers' tenants file.
    /// `None`: the default tenant.
    pub tenant: Option<String>,
}

/// Sizes of the queue's streams and sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueStats {
    /// Per priority (urgent, normal, bulk): entries in the stream.
    pub length: [i64; 3],
    /// Per priority: entries not yet delivered to the group (the backlog; counted when
    /// Redis reports none, e.g. after a restart; the same figure as the workers'
    /// `pricing_worker_queue_lag`).
    pub lag: [i64; 3],
    /// Per priority: entries delivered and not acknowledged (being priced, or held by a
    /// dead worker until claimed back).
    pub pending: [i64; 3],
    /// Retries waiting for their backoff.
    pub delayed: i64,
    /// Entries in the dead-letter stream.
    pub dead: i64,
    /// Entries in the events stream.
    pub events: i64,
    /// Queued and in-flight jobs per tenant.
    pub tenants: std::collections::BTreeMap<String, stats::TenantStats>,
}

impl QueueStats {
    /// The JSON `pricing queue stats --json` prints: every per-priority figure keyed by
    /// priority name, not by position.
    pub fn to_json(&self) -> serde_json::Value {
        let by_priority = |a: &[i64; 3]| {
            serde_json::Value::Object(
                Priority::ALL
                    .iter()
                    .map(|p| (p.as_str().to_string(), a[p.index()].into()))
                    .collect(),
            )
        };
        let tenants: serde_json::Map<String, serde_json::Value> = self
            .tenants
            .iter()
            .map(|(t, s)| {
                (
                    t.clone(),
                    serde_json::json!({"queued": by_priority(&s.queued), "in_flight": s.in_flight}),
                )
            })
            .collect();
        serde_json::json!({
            "length": by_priority(&self.length),
            "lag": by_priority(&self.lag),
            "pending": by_priority(&self.pending),
            "delayed": self.delayed,
            "dead": self.dead,
            "events": self.events,
            "tenants": tenants,
        })
    }
}

/// A connection to one queue.
pub struct Client {
    conn: RedisConn,
    keys: Keys,
}

impl Client {
    /// Connects (lazily) to `url` with key prefix `prefix` (`{pricing}` by default).
    pub fn connect(url: &str, prefix: &str) -> Result<Client, ClientError> {
        Client::connect_tls(url, None, prefix)
    }

    /// Like [`Client::connect`], trusting only the CA certificates in `ca_pem` for
    /// `rediss://`.
    pub fn connect_tls(
        url: &str,
        ca_pem: Option<&[u8]>,
        prefix: &str,
    ) -> Result<Client, ClientError> {
        Ok(Client {
            conn: RedisConn::open_tls(url, ca_pem, Duration::from_secs(10))?,
            keys: Keys::new(prefix),
        })
    }

    /// Stores model bytes at `key` (for a `redis:KEY` model) for `ttl`.
    pub fn put_model(&mut self, key: &str, bytes: &[u8], ttl: Duration) -> Result<(), ClientError> {
        self.conn.run(|c| {
            redis::cmd("SET")
                .arg(key)
                .arg(bytes)
                .arg("EX")
                .arg(ttl.as_secs().max(1))
                .query::<()>(c)
        })?;
        Ok(())
    }

    /// Enqueues `job`; returns the stream entry id.
    pub fn enqueue(&mut self, job: &NewJob) -> Result<String, ClientError> {
        let keys = &self.keys;
        let now = rfc3339_ms(now_ms());
        let queued = serde_json::json!({
            "id": job.id, "status": "queued", "attempts": 0, "enqueued_at": now,
        })
        .to_string();
        let (entry,): (String,) = self.conn.run(|c| {
            let mut xadd = redis::cmd("XADD");
            xadd.arg(keys.stream(job.priority))
                .arg("*")
                .arg("id")
                .arg(&job.id)
                .arg("model")
                .arg(&job.model)
                .arg("enqueued_at")
                .arg(&now);
            if let Some(p) = &job.params {
                xadd.arg("params").arg(p);
            }
            if let Some(n) = &job.name {
                xadd.arg("name").arg(n);
            }
            if let Some(t) = &job.tenant {
                xadd.arg("tenant").arg(t);
            }
            redis::pipe()
                .atomic()
                // NX: never overwrite the record of an earlier submission of this id.
                .cmd("SET")
                .arg(keys.result(&job.id))
                .arg(&queued)
                .arg("NX")
                .arg("EX")
                .arg(DEFAULT_RESULT_TTL.as_secs())
                .ignore()
                .cmd("XADD")
                .arg(keys.events())
                .arg("MAXLEN")
                .arg("~")
                .arg(100_000)
                .arg("*")
                .arg("id")
                .arg(&job.id)
                .arg("status")
                .arg("queued")
                .ignore()
                .add_command(xadd)
                .query(c)
        })?;
        Ok(entry)
    }

    /// The job's record, if any.
    pub fn result(&mut self, id: &str) -> Result<Option<JobResult>, ClientError> {
        let key = self.keys.result(id);
        let raw: Option<String> = self.conn.run(|c| redis::cmd("GET").arg(&key).query(c))?;
        raw.map(|r| {
            serde_json::from_str(&r).map_err(|source| ClientError::BadRecord {
                id: id.to_string(),
                source,
            })
        })
        .transpose()
    }

    /// The records of many jobs in one round trip (MGET); unreadable records are `None`.
    pub fn results(&mut self, ids: &[String]) -> Result<Vec<Option<JobResult>>, ClientError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| self.keys.result(id)).collect();
        let raw: Vec<Option<String>> = self.conn.run(|c| redis::cmd("MGET").arg(&keys).query(c))?;
        Ok(raw
            .into_iter()
            .map(|r| r.and_then(|r| serde_json::from_str(&r).ok()))
            .collect())
    }

    /// Waits until the job has a final status (done, failed, dead) or `timeout` passes.
    ///
    /// Blocks on the events stream (XREAD BLOCK) between reads of the record, so it wakes
    /// as soon as any status changes instead of polling. Connection errors are retried
    /// until the deadline.
    pub fn wait(&mut self, id: &str, timeout: Duration) -> Result<JobResult, ClientError> {
        let start = Instant::now();
        let events = self.keys.events();
        let mut status = String::from("unknown");
        loop {
            // The newest event id *before* reading the record: whatever happens after the
            // GET shows up in the XREAD below, so no change is missed.
            let last: RedisResult<Vec<(String,)>> = self.conn.run(|c| {
                redis::cmd("XREVRANGE")
                    .arg(&events)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query::<redis::streams::StreamRangeReply>(c)
                    .map(|r| r.ids.into_iter().map(|e| (e.id,)).collect())
            });
            let last = match last {
                Ok(v) => v
                    .into_iter()
                    .next()
                    .map(|(i,)| i)
                    .unwrap_or_else(|| "0-0".into()),
                Err(_) => "0-0".into(),
            };
            match self.result(id) {
                Ok(Some(r)) if r.status.is_final() => return Ok(r),
                Ok(Some(r)) => status = r.status.as_str().to_string(),
                Ok(None) => {}
                Err(ClientError::Queue(_)) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(ClientError::Timeout {
                    id: id.to_string(),
                    waited_ms: start.elapsed().as_millis() as u64,
                    status,
                });
            }
            let block = left.min(Duration::from_secs(1)).as_millis().max(1) as u64;
            let _: RedisResult<redis::Value> = self.conn.run(|c| {
                redis::cmd("XREAD")
                    .arg("COUNT")
                    .arg(1)
                    .arg("BLOCK")
                    .arg(block)
                    .arg("STREAMS")
                    .arg(&events)
                    .arg(&last)
                    .query(c)
            });
        }
    }

    /// Lengths, lag and pending of the work streams, and the other streams' sizes.
    pub fn stats(&mut self) -> Result<QueueStats, ClientError> {
        let mut s = QueueStats::default();
        for p in Priority::ALL {
            let st = stats::stream_stats(&mut self.conn, &self.keys, p)?;
            s.length[p.index()] = st.length;
            s.lag[p.index()] = st.lag;
            s.pending[p.index()] = st.pending;
        }
        let (delayed, dead, events) = (self.keys.delayed(), self.keys.dead(), self.keys.events());
        s.delayed = self
            .conn
            .run(|c| redis::cmd("ZCARD").arg(&delayed).query(c))?;
        s.dead = self.conn.run(|c| redis::cmd("XLEN").arg(&dead).query(c))?;
        s.events = self
            .conn
            .run(|c| redis::cmd("XLEN").arg(&events).query(c))?;
        s.tenants = stats::tenant_stats(&mut self.conn, &self.keys)?;
        Ok(s)
    }
}
