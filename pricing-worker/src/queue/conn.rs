//! One Redis connection that reconnects, and what logs may show of its URL.

use std::time::Duration;

use redis::{Connection, RedisResult};

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

/// What logs may show of a Redis URL: the password (and a lone userinfo, which redis-rs
/// takes as the password) replaced by `***`, whatever the URL's shape.
///
/// The userinfo ends at the *last* `@`, because a password may hold unencoded `/`, `?`,
/// `#` or `@` (an unencoded `/` made the old parser see no userinfo at all and print the
/// URL whole). `pass=` and `password=` query parameters (redis-rs' unix-socket URLs) are
/// redacted too.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => match url.find(':') {
            // `redis:pw@host` and other scheme-only shapes.
            Some(i) => (&url[..i + 1], &url[i + 1..]),
            None => ("", url),
        },
    };
    let rest = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let redacted = match userinfo.find(':') {
                Some(colon) => format!("{}:***", &userinfo[..colon]),
                None => "***".to_string(),
            };
            format!("{redacted}@{}", &rest[at + 1..])
        }
        None => rest.to_string(),
    };
    format!("{scheme}{}", redact_query(&rest))
}

/// `?pass=x&db=1` → `?pass=***&db=1`.
fn redact_query(s: &str) -> String {
    let Some(q) = s.find('?') else {
        return s.to_string();
    };
    let params: Vec<String> = s[q + 1..]
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _))
                if k.eq_ignore_ascii_case("pass") || k.eq_ignore_ascii_case("password") =>
            {
                format!("{k}=***")
            }
            _ => kv.to_string(),
        })
        .collect();
    format!("{}?{}", &s[..q], params.join("&"))
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
    /// A lazily connected connection to `url` (redis://, rediss://, with AUTH in the
    /// URL), trusting only the CA certificates in `ca_pem` (PEM) for `rediss://` when
    /// given (a Redis with a private CA, as most managed and in-house ones have), else the
    /// public roots.
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

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted_in_every_shape() {
        let cases = [
            ("redis://u:s3cret@h:6379/0", "redis://u:***@h:6379/0"),
            ("rediss://:pw@h", "rediss://:***@h"),
            ("redis://pw@h", "redis://***@h"),
            ("redis://h:6379", "redis://h:6379"),
            // Unencoded `/`, `?`, `#` and `@` in the password.
            ("redis://u:pa/ss@h:6379/0", "redis://u:***@h:6379/0"),
            ("redis://:a/b/c@h", "redis://:***@h"),
            ("redis://u:p?x#y@h", "redis://u:***@h"),
            ("redis://u:p@ss@h/1", "redis://u:***@h/1"),
            ("rediss://u:%2Fenc@h:6380", "rediss://u:***@h:6380"),
            // redis-rs' unix-socket URLs carry the password as a query parameter.
            (
                "redis+unix:///run/redis.sock?db=1&pass=topsecret",
                "redis+unix:///run/redis.sock?db=1&pass=***",
            ),
            (
                "unix:///run/r.sock?password=topsecret",
                "unix:///run/r.sock?password=***",
            ),
            // Not a URL at all: nothing after a lone `user:pw@` survives either.
            ("u:pw/x@h", "u:***@h"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
            for secret in [
                "s3cret",
                "pa/ss",
                "a/b/c",
                "p?x#y",
                "p@ss",
                "topsecret",
                "pw/x",
            ] {
                assert!(!redact_url(url).contains(secret), "{url}");
            }
        }
    }
}
