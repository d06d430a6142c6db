//! The `/metrics` and `/healthz` endpoint, hardened against slow and numerous clients.
//!
//! It must never stop pricing: at a 1,024 fd limit, 1,100 slow clients on the old
//! thread-per-connection server took every fd (0 of 369 jobs priced, `/healthz` hung)
//! and the accept loop spun on EMFILE. Now:
//! - at most [`MAX_CONNECTIONS`] connections are open at once; past that the listener
//!   is not accepted from, so waiting clients stay in the kernel's backlog and cost the
//!   process no fd;
//! - a request head must arrive whole within [`REQUEST_DEADLINE`] (not per read: a client
//!   trickling a byte a second is cut off all the same), and is at most 8 KiB;
//! - accept errors (EMFILE, ENFILE, ...) back off from 10 ms to 1 s instead of spinning;
//! - the query string is ignored (`/metrics?x=1` is `/metrics`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::metrics::Metrics;
use crate::protocol::now_ms;

/// Most connections served at once (each holds one fd and one short-lived thread).
pub const MAX_CONNECTIONS: usize = 32;
/// Time a client has to send its whole request head.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(1);
/// Longest request head read.
const MAX_HEAD: usize = 8 * 1024;

struct Slots {
    open: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn take(&self) {
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        while *open >= MAX_CONNECTIONS {
            match self.freed.wait(open) {
                Ok(g) => open = g,
                Err(_) => return,
            }
        }
        *open += 1;
    }

    fn give_back(&self) {
        if let Ok(mut open) = self.open.lock() {
            *open = open.saturating_sub(1);
        }
        self.freed.notify_one();
    }
}

/// Serves `/metrics` and `/healthz` on `listener` until the process exits. `/healthz` is
/// 200 while Redis answered within `healthy_within`, else 503.
pub fn serve(listener: TcpListener, metrics: Arc<Metrics>, healthy_within: Duration) {
    let slots = Arc::new(Slots {
        open: Mutex::new(0),
        freed: Condvar::new(),
    });
    let mut backoff = Duration::ZERO;
    loop {
        slots.take();
        let stream = match listener.accept() {
            Ok((s, _)) => {
                backoff = Duration::ZERO;
                s
            }
            Err(_) => {
                // EMFILE and friends: the condition lasts; retrying at once only spins.
                slots.give_back();
                backoff = (backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                std::thread::sleep(backoff);
                continue;
            }
        };
        let m = Arc::clone(&metrics);
        let s = Arc::clone(&slots);
        m.http_connections.fetch_add(1, Ordering::Relaxed);
        let spawned = std::thread::Builder::new()
            .name("metrics-http".into())
            .spawn(move || {
                handle(stream, &m, healthy_within);
                m.http_connections.fetch_sub(1, Ordering::Relaxed);
                s.give_back();
            });
        if spawned.is_err() {
            // The stream was moved into the closure that never ran and is closed.
            metrics.http_connections.fetch_sub(1, Ordering::Relaxed);
            slots.give_back();
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Reads a request head within the deadline; `None` if the client was too slow.
fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let deadline = Instant::now() + REQUEST_DEADLINE;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() >= MAX_HEAD {
            return Some(buf);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return None;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return (!buf.is_empty()).then_some(buf),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => return None,
        }
    }
    Some(buf)
}

/// The route of a request line: its path without the query string.
pub fn route(head: &[u8]) -> String {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let target = String::from_utf8_lossy(line)
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    target.split(['?', '#']).next().unwrap_or("/").to_string()
}

fn handle(mut stream: TcpStream, m: &Metrics, healthy_within: Duration) {
    let _ = stream.set_write_timeout(Some(REQUEST_DEADLINE));
    // The whole head is read before answering: closing a socket with unread request
    // bytes makes the kernel send a reset, which can destroy the response.
    let Some(head) = read_head(&mut stream) else {
        return;
    };
    let (status, ctype, body) = match route(&head).as_str() {
        "/metrics" => ("200 OK", "text/plain; version=0.0.4", m.render()),
        "/healthz" => {
            let age = now_ms().saturating_sub(m.redis_ok_ms.load(Ordering::Relaxed));
            if age <= healthy_within.as_millis() as u64 {
                ("200 OK", "text/plain", "ok\n".to_string())
            } else {
                (
                    "503 Service Unavailable",
                    "text/plain",
                    format!("redis unreachable for {age} ms\n"),
                )
            }
        }
        _ => ("404 Not Found", "text/plain", "not found\n".to_string()),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[cfg(test)]
mod tests {
    use super::route;

    #[test]
    fn routes_ignore_the_query() {
        assert_eq!(
            route(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"),
            "/metrics"
        );
        assert_eq!(route(b"GET /healthz HTTP/1.1\r\n\r\n"), "/healthz");
        assert_eq!(route(b"GET /metrics#f HTTP/1.0\r\n\r\n"), "/metrics");
        assert_eq!(route(b""), "/");
    }
}
