//! One job's lifecycle, from claim to acknowledgement: validate the params, claim the id
//! and count the attempt (start.lua), apply the attempts and poison rules, mark it
//! running, locate the model, reserve memory, read it, answer from the cache or price
//! it in its pool, then store the result (finish.lua) or schedule a retry (retry.lua).
//!
//! Round trips of a small `redis:KEY` job: one for start.lua, which also writes the
//! running mark when the job is to be priced, with the model's STRLEN and first bytes
//! pipelined after it (`Scripts::start_and_peek`), and one for finish.lua. (It was five:
//! start, running, STRLEN, GET, finish.)

use std::sync::atomic::Ordering;

use tracing::{debug, error, info, warn};

use crate::budget;
use crate::cache;
use crate::engine::{self, EngineError, NamedQuote, PricedQuote, Request};
use crate::fault;
use crate::metrics::Outcome;
use crate::model;
use crate::pools::{Lane, Ran};
use crate::protocol::{ErrorInfo, JobResult, MAX_ID_BYTES, Status, entry_ms, now_ms, rfc3339_ms};
use crate::queue::RedisConn;
use crate::queue::scripts::{self, Finish, Mark, Retry, Start, StartCall};
use crate::queue::streams::Entry;
use crate::retry::{self, AtStart, JobError, info as error_info, permanent, transient};
use crate::runner::Shared;
use crate::sanitize::{self, log};

/// One job. `None`: gave up on Redis (shutdown); the entry stays pending for another
/// worker.
pub fn run(s: &Shared, e: &Entry) -> Option<Outcome> {
    let mut conn = match s.conn() {
        Ok(c) => c,
        Err(err) => {
            error!(error = %err, "cannot open a redis connection");
            return None;
        }
    };
    let out = run_on(s, e, &mut conn);
    s.put_back(conn);
    out
}

/// Context of one job while its thread runs.
struct Job<'a> {
    s: &'a Shared,
    e: &'a Entry,
    id: String,
    enqueued_at: Option<String>,
    started_at: String,
    attempts: u32,
    deaths: u32,
}

fn run_on(s: &Shared, e: &Entry, conn: &mut RedisConn) -> Option<Outcome> {
    let id = e.id().to_string();
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return dead_letter_entry(s, conn, e, &id);
    }
    let enqueued_at = e
        .fields
        .get("enqueued_at")
        .map(|t| sanitize::bound(t, 64))
        .or_else(|| entry_ms(&e.entry_id).map(rfc3339_ms));
    let cfg = &s.cfg;
    // Params first (no Redis): malformed params fail before the model is read.
    let request = engine::parse_params(e.fields.get("params").map(String::as_str));
    let model_key = request
        .as_ref()
        .ok()
        .and_then(|_| model::peek_key(s, e.fields.get("model").map_or("", String::as_str)));
    let mut job = Job {
        s,
        e,
        enqueued_at,
        id,
        started_at: rfc3339_ms(now_ms()),
        attempts: 0,
        deaths: 0,
    };
    // The running record, split at its attempts number, which start.lua fills in: the
    // record and event are written in the call that counts the attempt (one round trip
    // fewer per job). Without an enqueue time the record may need the previous one's,
    // known only after the start: then it is written on its own below.
    let running = job
        .enqueued_at
        .is_some()
        .then(|| running_parts(&job.record(Status::Running, None, None)))
        .flatten();
    let call = StartCall {
        id: &job.id,
        entry: e,
        lease: cfg.claim_idle,
        ttl: cfg.result_ttl,
        mark: running.as_ref().map(|(head, tail)| Mark {
            record: (head.as_str(), tail.as_str()),
            max_attempts: cfg.max_attempts,
            max_deliveries: cfg.max_deliveries,
            maxlen: cfg.events_maxlen,
        }),
    };
    let (start, peek) = s.persist(conn, "start", |c| {
        c.run(|c| match &model_key {
            // A `redis:KEY` model is measured (and, if small, read) in the same round
            // trip.
            Some(key) => s
                .scripts
                .start_and_peek(c, &s.keys, &call, key, model::PEEK_BYTES)
                .map(|(st, p)| (st, Some(p))),
            None => s.scripts.start(c, &s.keys, &call).map(|st| (st, None)),
        })
    })?;
    let Start::Claimed {
        previous,
        attempts,
        deaths,
        alone,
        marked,
    } = start
    else {
        debug!(id = %log(&job.id), "duplicate entry: acknowledged without pricing");
        s.persist(conn, "ack", |c| c.run(|c| scripts::ack(c, &s.keys, e)))?;
        return Some(Outcome::Duplicate);
    };
    let prev: Option<JobResult> = previous.and_then(|p| serde_json::from_str(&p).ok());
    job.attempts = attempts;
    job.deaths = deaths;
    if job.enqueued_at.is_none() {
        job.enqueued_at = prev.as_ref().and_then(|p| p.enqueued_at.clone());
    }
    match retry::at_start(attempts, alone, cfg.max_attempts, cfg.max_deliveries) {
        AtStart::Price => {}
        AtStart::Poison => {
            let err = error_info(
                "poison",
                &format!(
                    "its worker stopped {alone} times while pricing this job alone (limit {}): the model crashes or kills the worker; it is in the dead-letter stream",
                    cfg.max_deliveries
                ),
            );
            return job.finish(conn, Status::Dead, None, Some(err));
        }
        AtStart::Exhausted => {
            let last = prev.as_ref().and_then(|p| p.error.clone());
            let code = last
                .as_ref()
                .map_or("worker_stopped", |l| l.code.as_str())
                .to_string();
            let err = error_info(
                &code,
                &format!(
                    "started {attempts} times (limit {}); the worker pricing it stopped without a result {deaths} times{}",
                    cfg.max_attempts,
                    last.map(|l| format!("; last error: {}", l.message))
                        .unwrap_or_default()
                ),
            );
            return job.finish(conn, Status::Dead, None, Some(err));
        }
    }
    if !marked {
        let running = job.record(Status::Running, None, None);
        // `false`: another worker finished this entry meanwhile; finish.lua then keeps
        // its result and this one is counted as a duplicate.
        s.persist(conn, "mark running", |c| {
            c.run(|c| {
                s.scripts.mark_running(
                    c,
                    &s.keys,
                    &job.id,
                    &running,
                    cfg.result_ttl,
                    cfg.events_maxlen,
                )
            })
        })?;
    }
    match price(&job, conn, request, peek) {
        Ok((quote, name)) => {
            let total = quote.total_text();
            job.finish_done(conn, &quote, &name, &total)
        }
        Err(JobError::Permanent(err)) => {
            info!(id = %log(&job.id), code = %log(&err.code), detail = %sanitize::log_message(&err.message), "job failed");
            job.finish(conn, Status::Failed, None, Some(err))
        }
        Err(JobError::Transient(err)) => job.retry(conn, err),
    }
}

/// A record serialised with `"attempts":0`, split around that number: start.lua
/// writes `head` + attempts + `tail`. `None` if the record has no such field (then the
/// record is written on its own). The first match is the field: it comes before any
/// free text except the id, and a string's quotes are escaped.
fn running_parts(record: &str) -> Option<(String, String)> {
    let (head, tail) = record.split_once("\"attempts\":0")?;
    Some((format!("{head}\"attempts\":"), tail.to_string()))
}

/// A job without a usable id cannot have a result: its raw entry is dead-lettered.
fn dead_letter_entry(s: &Shared, conn: &mut RedisConn, e: &Entry, id: &str) -> Option<Outcome> {
    let (code, reason) = if id.is_empty() {
        (
            "missing_id",
            "the job has no `id` field: enqueue with XADD ... id <ORDER-ID> model <URI>"
                .to_string(),
        )
    } else {
        (
            "bad_id",
            format!(
                "the job id is {} bytes, over the limit of {MAX_ID_BYTES}: use a short idempotency key such as order + line",
                id.len()
            ),
        )
    };
    warn!(entry = %e.entry_id, code, "job without a usable id: dead-lettered");
    let fields: Vec<(String, String)> = e
        .fields
        .iter()
        .map(|(k, v)| (sanitize::bound(k, 64), sanitize::field(v)))
        .collect();
    s.persist(conn, "dead-letter", |c| {
        c.run(|c| {
            scripts::dead_letter_entry(c, &s.keys, e, code, &reason, &fields, s.cfg.events_maxlen)
        })
    })?;
    s.metrics.dead_lettered.fetch_add(1, Ordering::Relaxed);
    Some(Outcome::Dead)
}

fn engine_error(e: EngineError) -> JobError {
    let i = ErrorInfo {
        code: e.code,
        message: e.message,
    };
    if e.permanent {
        JobError::Permanent(i)
    } else {
        JobError::Transient(i)
    }
}

/// Params (parsed by the caller), model, memory, cache, pricing: the quote and the name
/// it shows. `peek` is what the running mark's round trip found of a `redis:KEY` model.
fn price(
    job: &Job<'_>,
    conn: &mut RedisConn,
    request: Result<Request, EngineError>,
    peek: Option<model::Peek>,
) -> Result<(PricedQuote, String), JobError> {
    let s = job.s;
    let f = &job.e.fields;
    // Params first: malformed params fail before the model is read or the cache asked.
    let request = request.map_err(engine_error)?;
    let uri = f.get("model").cloned().unwrap_or_default();
    let located = model::locate(s, conn, &uri, peek)?;
    // `name` (optional) is the file name the quote shows, e.g. the customer's upload
    // name for a `redis:KEY` model; by default the path or the key.
    let name = sanitize::name(
        f.get("name")
            .filter(|n| !n.is_empty())
            .unwrap_or(&located.name),
    );
    let giving_up = || s.giving_up();
    let reservation = s
        .budget
        .reserve(budget::estimate(located.size), &giving_up)
        .ok_or_else(|| transient("shutdown", "the worker is shutting down"))?;
    let bytes = model::read(s, conn, located)?;
    crate::fault::outside_pricing(&bytes);
    let reservation = match budget::gzip_declared_size(&bytes) {
        Some(declared) => {
            let inflated = declared.max(bytes.len() as u64).min(s.cfg.max_model_bytes);
            reservation
                .grow(budget::estimate(inflated), &giving_up)
                .ok_or_else(|| transient("shutdown", "the worker is shutting down"))?
        }
        None => reservation,
    };
    // The engine (and its price book) for the whole job: a SIGHUP reload during the job
    // changes the next job's book, not this one's.
    let engine = s.live.engine();
    let use_cache = !s.cfg.cache_ttl.is_zero();
    let hash = use_cache.then(|| cache::hash(&engine.pricing_version(), &bytes, &request));
    if let Some(h) = &hash
        && let Some(q) = cache::get(conn, &s.keys, h)
    {
        s.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
        return Ok((q, name));
    }
    let quote = price_in_pool(job, engine, &name, bytes, request, reservation)?;
    if let Some(h) = &hash {
        cache::put(conn, &s.keys, h, &quote, s.cfg.cache_ttl);
    }
    Ok((quote, name))
}

/// Prices in the job's pool under the wall-time limit, panics caught. The memory
/// reservation goes with the pricing and is given back when it really ends.
fn price_in_pool(
    job: &Job<'_>,
    engine: crate::engine::Engine,
    name: &str,
    bytes: Vec<u8>,
    request: Request,
    reservation: budget::Reservation,
) -> Result<PricedQuote, JobError> {
    let s = job.s;
    let file = name.to_string();
    let limit = s.cfg.job_timeout;
    let ran = s.pools.run(
        Lane::of(job.e.priority),
        limit,
        s.cfg.cancel_grace,
        move |cancel| {
            let _held = reservation;
            let bytes = fault::apply(bytes, cancel);
            engine
                .price_request(&file, &bytes, &request, cancel)
                .and_then(|doc| PricedQuote::from_document(&doc))
        },
    );
    let timeout = |stopped: bool| {
        transient(
            "timeout",
            &format!(
                "pricing took longer than the limit of {} ms{}",
                limit.as_millis(),
                if stopped {
                    " and was cancelled"
                } else {
                    "; it did not stop when cancelled and its thread was abandoned"
                }
            ),
        )
    };
    match ran {
        Ran::Done(Ok(q)) => Ok(q),
        Ran::Done(Err(e)) if e.code == "cancelled" => Err(timeout(true)),
        Ran::Done(Err(e)) => Err(engine_error(e)),
        Ran::Panicked(what) => {
            error!(id = %log(&job.id), panic = %sanitize::log_message(&what), "the engine panicked on this model");
            Err(permanent(
                "engine_panic",
                &format!(
                    "the pricing engine crashed on this model ({what}); this is a bug, please report it with the model"
                ),
            ))
        }
        Ran::TimedOut { stopped } => {
            warn!(id = %log(&job.id), stopped, "pricing over the wall-time limit");
            Err(timeout(stopped))
        }
        Ran::NoPool(m) => Err(transient(
            "no_thread",
            &format!("cannot run the pricing: {m}"),
        )),
    }
}

impl Job<'_> {
    fn record(
        &self,
        status: Status,
        quote: Option<NamedQuote<'_>>,
        error: Option<ErrorInfo>,
    ) -> String {
        let r = JobResult {
            id: self.id.clone(),
            status,
            quote,
            error,
            attempts: self.attempts,
            worker: Some(self.s.cfg.consumer.clone()),
            enqueued_at: self.enqueued_at.clone(),
            started_at: Some(self.started_at.clone()),
            finished_at: status.is_final().then(|| rfc3339_ms(now_ms())),
        };
        serde_json::to_string(&r).unwrap_or_default()
    }

    fn finish_done(
        &self,
        conn: &mut RedisConn,
        q: &PricedQuote,
        name: &str,
        total: &str,
    ) -> Option<Outcome> {
        let record = self.record(Status::Done, Some(q.named(name)), None);
        self.store(conn, Status::Done, &record, Some(total), &[])
    }

    /// Stores a final record (unless one exists) and acknowledges the entry, atomically.
    fn finish(
        &self,
        conn: &mut RedisConn,
        status: Status,
        quote: Option<NamedQuote<'_>>,
        error: Option<ErrorInfo>,
    ) -> Option<Outcome> {
        let record = self.record(status, quote, error.clone());
        let dead: Vec<(&'static str, String)> = if status == Status::Dead {
            let err = error.unwrap_or_else(|| error_info("dead", "dead"));
            let f = &self.e.fields;
            let field = |k: &str| sanitize::field(f.get(k).map_or("", String::as_str));
            vec![
                ("id", self.id.clone()),
                ("priority", self.e.priority.as_str().into()),
                ("entry", self.e.entry_id.clone()),
                ("model", field("model")),
                ("params", field("params")),
                ("code", err.code),
                ("reason", err.message),
                ("attempts", self.attempts.to_string()),
                ("deaths", self.deaths.to_string()),
                ("deliveries", self.e.deliveries.to_string()),
                ("worker", self.s.cfg.consumer.clone()),
            ]
        } else {
            Vec::new()
        };
        self.store(conn, status, &record, None, &dead)
    }

    fn store(
        &self,
        conn: &mut RedisConn,
        status: Status,
        record: &str,
        total: Option<&str>,
        dead: &[(&'static str, String)],
    ) -> Option<Outcome> {
        let s = self.s;
        let f = Finish {
            id: &self.id,
            entry: self.e,
            record,
            status,
            total,
            ttl: s.cfg.result_ttl,
            maxlen: s.cfg.events_maxlen,
            dead_letter: dead,
        };
        let stored = s.persist(conn, "store result", |c| {
            c.run(|c| s.scripts.finish(c, &s.keys, &f))
        })?;
        if !stored {
            debug!(id = %log(&self.id), "a final result already existed: kept it");
            return Some(Outcome::Duplicate);
        }
        if status == Status::Dead {
            s.metrics.dead_lettered.fetch_add(1, Ordering::Relaxed);
        }
        info!(id = %log(&self.id), status = status.as_str(), attempts = self.attempts, "job finished");
        Some(match status {
            Status::Done => Outcome::Done,
            Status::Failed => Outcome::Failed,
            _ => Outcome::Dead,
        })
    }

    /// Schedules another attempt after a backoff, or dead-letters when attempts ran out.
    fn retry(&self, conn: &mut RedisConn, err: ErrorInfo) -> Option<Outcome> {
        let s = self.s;
        let cfg = &s.cfg;
        let Some(delay) = retry::after_transient(
            self.attempts,
            cfg.max_attempts,
            cfg.retry_base,
            cfg.retry_max,
            fastrand::f64(),
        ) else {
            let err = error_info(
                &err.code,
                &format!(
                    "gave up after {} attempts; last error: {}",
                    self.attempts, err.message
                ),
            );
            return self.finish(conn, Status::Dead, None, Some(err));
        };
        let f = &self.e.fields;
        let payload = serde_json::json!({
            "p": self.e.priority.index(),
            "id": self.id,
            "model": f.get("model"),
            "params": f.get("params"),
            "name": f.get("name"),
            "tenant": f.get("tenant"),
            "enqueued_at": self.enqueued_at,
            // Makes two retries of the same job distinct members of the sorted set.
            "n": fastrand::u64(..),
        })
        .to_string();
        let record = self.record(Status::Queued, None, Some(err.clone()));
        let r = Retry {
            id: &self.id,
            entry: self.e,
            record: &record,
            ttl: cfg.result_ttl,
            maxlen: cfg.events_maxlen,
            due_ms: now_ms() + delay.as_millis() as u64,
            payload: &payload,
        };
        s.persist(conn, "schedule retry", |c| {
            c.run(|c| s.scripts.retry(c, &s.keys, &r))
        })?;
        warn!(id = %log(&self.id), code = %log(&err.code), attempts = self.attempts, retry_in_ms = delay.as_millis() as u64, "transient failure: retrying");
        Some(Outcome::Retried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(id: &str, attempts: u32) -> String {
        let r: JobResult<NamedQuote<'_>> = JobResult {
            id: id.into(),
            status: Status::Running,
            quote: None,
            error: None,
            attempts,
            worker: Some("w-1".into()),
            enqueued_at: Some("2026-12-03T07:00:00.000Z".into()),
            started_at: Some("2026-12-03T07:00:01.000Z".into()),
            finished_at: None,
        };
        serde_json::to_string(&r).unwrap_or_default()
    }

    #[test]
    fn the_split_running_record_is_the_record_with_its_attempts() {
        // Ids that look like the field itself must not move the split.
        for id in [
            "ORDER-1",
            "\"attempts\":0",
            "a\\\"attempts\":0,\"",
            "\u{2028}x",
        ] {
            let (head, tail) = running_parts(&running(id, 0)).unwrap_or_default();
            for n in [1, 7, 4_000_000_000] {
                assert_eq!(format!("{head}{n}{tail}"), running(id, n), "{id}");
            }
        }
    }
}
