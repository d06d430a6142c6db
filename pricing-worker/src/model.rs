//! Loading a job's model: where it is (`file://` inside the models root, or `redis:KEY`
//! under an allowed prefix), how big it is before anything is read (the memory budget
//! is reserved against that), then the bytes.

use std::path::PathBuf;

use crate::protocol::ModelSource;
use crate::queue::RedisConn;
use crate::retry::{JobError, permanent, transient};
use crate::runner::Shared;
use crate::sandbox;
use crate::sanitize;

/// A model found and measured, not yet read (or, when small, read already).
#[derive(Debug, Clone)]
pub struct Located {
    /// The name the quote shows by default: the path or the key.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    where_: Where,
    /// The whole model, when the peek already read it.
    bytes: Option<Vec<u8>>,
}

/// Models up to this size are read in the round trip that measures them (`Peek`),
/// before the memory budget is reserved: the budget is for what pricing builds from
/// the bytes, and this many bytes per slot are noise beside it. Larger models are read
/// with a GET after the reservation, as before.
pub const PEEK_BYTES: usize = 64 << 10;

/// What the look at a `redis:KEY` model found, in the same round trip as the running
/// mark (`Scripts::start_and_peek`): its length, and its first `PEEK_BYTES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peek {
    /// The key holds no string (WRONGTYPE).
    WrongType,
    /// STRLEN (0: missing or empty) and GETRANGE 0 `PEEK_BYTES`-1.
    Found {
        /// STRLEN.
        len: u64,
        /// The first bytes.
        head: Vec<u8>,
    },
}

/// The key of a `redis:KEY` model this worker may read, else `None` (a `file://` model,
/// a bad URI or a key outside the blob prefixes: `locate` says why).
pub fn peek_key(s: &Shared, uri: &str) -> Option<String> {
    match ModelSource::parse(uri) {
        Some(ModelSource::Redis(key)) if key_allowed(&key, &s.blob_prefixes) => Some(key),
        _ => None,
    }
}

#[derive(Debug, Clone)]
enum Where {
    File(PathBuf),
    Redis(String),
}

fn too_large(size: u64, max: u64) -> JobError {
    permanent(
        "too_large",
        &format!(
            "the model is {size} bytes, over the worker's limit of {max} bytes: simplify the mesh"
        ),
    )
}

/// Whether `key` may be read as a model under `prefixes` (an empty prefix allows all).
pub fn key_allowed(key: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| key.starts_with(p.as_str()))
}

/// Finds the model `uri` and its size; `peek` is what `Scripts::start_and_peek` found
/// for its key (`None`: ask Redis now).
pub fn locate(
    s: &Shared,
    conn: &mut RedisConn,
    uri: &str,
    peek: Option<Peek>,
) -> Result<Located, JobError> {
    let max = s.cfg.max_model_bytes;
    match ModelSource::parse(uri) {
        None => Err(permanent(
            "bad_model_uri",
            &format!(
                "model {} is not a supported source: use file:///absolute/path inside the models root, or redis:KEY",
                sanitize::token(uri)
            ),
        )),
        Some(ModelSource::File(path)) => {
            let Some(sandbox) = &s.sandbox else {
                return Err(permanent(
                    "model_outside_root",
                    &format!(
                        "model {} is a file:// URI but this worker has no models root (--models-root): send the bytes as redis:KEY, or start the worker with a models root",
                        sanitize::token(uri)
                    ),
                ));
            };
            let (real, size) = sandbox.resolve(&path)?;
            if size > max {
                return Err(too_large(size, max));
            }
            Ok(Located {
                name: path,
                size,
                where_: Where::File(real),
                bytes: None,
            })
        }
        Some(ModelSource::Redis(key)) => {
            if !key_allowed(&key, &s.blob_prefixes) {
                return Err(permanent(
                    "model_key_not_allowed",
                    &format!(
                        "redis key {} is not under an allowed blob prefix ({}): upload model bytes under one of them",
                        sanitize::token(&key),
                        s.blob_prefixes.join(", ")
                    ),
                ));
            }
            let (len, head): (Result<u64, ()>, Option<Vec<u8>>) = match peek {
                Some(Peek::WrongType) => (Err(()), None),
                Some(Peek::Found { len, head }) => (Ok(len), Some(head)),
                None => (
                    s.persist(conn, "strlen", |c| {
                        match c.run(|c| redis::cmd("STRLEN").arg(&key).query::<u64>(c)) {
                            Ok(n) => Ok(Ok(n)),
                            // The error text is the server's, never the value's bytes.
                            Err(err) if err.code() == Some("WRONGTYPE") => Ok(Err(())),
                            Err(err) => Err(err),
                        }
                    })
                    .ok_or_else(|| transient("redis", "shutting down"))?,
                    None,
                ),
            };
            let shown = sanitize::token(&key);
            let len = len.map_err(|()| {
                permanent(
                    "bad_model_key",
                    &format!("redis key {shown} does not hold a string of model bytes"),
                )
            })?;
            if len == 0 {
                return Err(permanent(
                    "model_not_found",
                    &format!(
                        "redis key {shown} is missing or empty: SET it to the model bytes before enqueueing"
                    ),
                ));
            }
            if len > max {
                return Err(too_large(len, max));
            }
            Ok(Located {
                name: key.clone(),
                size: len,
                where_: Where::Redis(key),
                // The head is the whole model only if its length is STRLEN's (the two
                // reads are not atomic: a SET between them means reading again).
                bytes: head.filter(|h| h.len() as u64 == len),
            })
        }
    }
}

/// Reads the located model's bytes (those the peek read, if it read them all).
pub fn read(s: &Shared, conn: &mut RedisConn, m: Located) -> Result<Vec<u8>, JobError> {
    let max = s.cfg.max_model_bytes;
    let bytes = match (&m.where_, m.bytes) {
        (_, Some(b)) => b,
        (where_, None) => read_from(s, conn, &m.name, where_)?,
    };
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64, max));
    }
    Ok(bytes)
}

fn read_from(
    s: &Shared,
    conn: &mut RedisConn,
    name: &str,
    where_: &Where,
) -> Result<Vec<u8>, JobError> {
    Ok(match where_ {
        Where::File(real) => std::fs::read(real).map_err(|err| sandbox::io_error(name, &err))?,
        Where::Redis(key) => {
            let b: Option<Vec<u8>> = s
                .persist(conn, "get model", |c| {
                    c.run(|c| redis::cmd("GET").arg(key).query(c))
                })
                .ok_or_else(|| transient("redis", "shutting down"))?;
            b.ok_or_else(|| {
                permanent(
                    "model_not_found",
                    &format!("redis key {} disappeared", sanitize::token(key)),
                )
            })?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::key_allowed;

    #[test]
    fn only_allowed_prefixes() {
        let p = vec!["uploads:".to_string(), "{pricing}:upload:".to_string()];
        assert!(key_allowed("uploads:ORDER-1", &p));
        assert!(key_allowed("{pricing}:upload:abc", &p));
        assert!(!key_allowed("{pricing}:result:x", &p));
        assert!(!key_allowed("session:42", &p));
        assert!(!key_allowed("upload", &p));
        assert!(key_allowed("anything", &["".to_string()]));
    }
}
