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

/// A model found and measured, not yet read.
#[derive(Debug, Clone)]
pub struct Located {
    /// The name the quote shows by default: the path or the key.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    where_: Where,
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

/// Finds the model `uri` and its size.
pub fn locate(s: &Shared, conn: &mut RedisConn, uri: &str) -> Result<Located, JobError> {
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
            let len: Result<u64, ()> = s
                .persist(conn, "strlen", |c| {
                    match c.run(|c| redis::cmd("STRLEN").arg(&key).query::<u64>(c)) {
                        Ok(n) => Ok(Ok(n)),
                        // The error text is the server's, never the value's bytes.
                        Err(err) if err.code() == Some("WRONGTYPE") => Ok(Err(())),
                        Err(err) => Err(err),
                    }
                })
                .ok_or_else(|| transient("redis", "shutting down"))?;
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
            })
        }
    }
}

/// Reads the located model's bytes.
pub fn read(s: &Shared, conn: &mut RedisConn, m: &Located) -> Result<Vec<u8>, JobError> {
    let max = s.cfg.max_model_bytes;
    let bytes = match &m.where_ {
        Where::File(real) => std::fs::read(real).map_err(|err| sandbox::io_error(&m.name, &err))?,
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
    };
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64, max));
    }
    Ok(bytes)
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
