//! pricing-worker: a reliable, prioritised Redis job queue between the MES and the
//! pricing engine.
//!
//! The Redis contract and the client (feature `client`, what the `pricing` CLI uses):
//! - [`protocol`]: key names, fields, [`protocol::JobResult`];
//! - [`queue`]: connections that reconnect, queue statistics, and (with `worker`) the
//!   Lua scripts of `lua/`, one typed function each;
//! - [`client`]: enqueue and wait from Rust ([`client::Client`]).
//!
//! The worker (feature `worker`, the default), one concept per module:
//! - `runner`: [`runner::run`] wires the threads; `config` ([`config::WorkerConfig`],
//!   the one source of defaults); `dispatch` (slots, fetch order, suspects, shutdown);
//!   `maintenance` (retries due, claiming back); `heartbeat`; `job` (one job's
//!   lifecycle); `retry` (failures, backoff, the attempts and poison rules); `model`
//!   (loading, blob prefixes); `sandbox` (the models root); `cache`; `engine` (the one
//!   adapter to the pricing engine) and `cancel`; `pools` (where pricing runs);
//!   `budget` (memory); `sanitize` (bounded, escaped text); `metrics`,
//!   `tenant_metrics` and `metrics_http`; `tenants` (the tenants file) and `reload`
//!   (what SIGHUP reloads); `fault` (test-only fault injection).
//!
//! ```no_run
//! use pricing_worker::client::{Client, NewJob};
//! use pricing_worker::protocol::{DEFAULT_PREFIX, Priority};
//! # fn main() -> Result<(), pricing_worker::client::ClientError> {
//! let mut client = Client::connect("redis://127.0.0.1:6379", DEFAULT_PREFIX)?;
//! client.enqueue(&NewJob {
//!     id: "ORDER-17-3".into(),
//!     model: "file:///srv/models/ORDER-17/part.stl".into(),
//!     params: Some(r#"{"quantity":3}"#.into()),
//!     priority: Priority::Normal,
//!     name: None,
//!     tenant: Some("partner-42".into()),
//! })?;
//! let result = client.wait("ORDER-17-3", std::time::Duration::from_secs(30))?;
//! println!("{:?}", result.status);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod protocol;
#[cfg(feature = "client")]
pub mod queue;
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub mod redis_server;

#[cfg(feature = "worker")]
pub mod budget;
#[cfg(feature = "worker")]
pub mod cache;
#[cfg(feature = "worker")]
pub mod cancel;
#[cfg(feature = "worker")]
pub mod config;
#[cfg(feature = "worker")]
pub mod dispatch;
#[cfg(feature = "worker")]
pub mod engine;
#[cfg(feature = "worker")]
pub mod fault;
#[cfg(feature = "worker")]
pub mod heartbeat;
#[cfg(feature = "worker")]
pub mod job;
#[cfg(feature = "worker")]
pub mod maintenance;
#[cfg(feature = "worker")]
pub mod metrics;
#[cfg(feature = "worker")]
pub mod metrics_http;
#[cfg(feature = "worker")]
pub mod model;
#[cfg(feature = "worker")]
pub mod pools;
#[cfg(feature = "worker")]
pub mod reload;
#[cfg(feature = "worker")]
pub mod retry;
#[cfg(feature = "worker")]
pub mod runner;
#[cfg(feature = "worker")]
pub mod sandbox;
#[cfg(feature = "worker")]
pub mod sanitize;
#[cfg(feature = "worker")]
pub mod tenant_metrics;
#[cfg(feature = "worker")]
pub mod tenants;
