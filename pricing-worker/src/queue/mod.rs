//! Redis plumbing shared by the worker and the client.
//!
//! - [`conn`]: connections that reconnect, with timeouts, and URL redaction;
//! - [`stats`]: length, lag and pending of a work stream (the client's `stats` and the
//!   worker's metrics read the same figure);
//! - `streams` (worker): reading entries from the work streams;
//! - `scripts` (worker): the Lua scripts in `pricing-worker/lua/`, one typed function
//!   each, so no caller builds a KEYS or ARGV list by position.
//!
//! Every multi-key script only touches keys under one prefix, i.e. one hash tag, so the
//! scripts also run on Redis Cluster.

pub mod conn;
#[cfg(feature = "worker")]
pub mod scripts;
pub mod stats;
#[cfg(feature = "worker")]
pub mod streams;

pub use conn::{QueueError, RedisConn, install_tls_provider, redact_url};
