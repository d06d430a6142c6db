//! pricing-worker: a reliable, prioritised Redis job queue between the MES and the
//! pricing engine.
//!
//! - [`protocol`]: the Redis contract (key names, fields, [`protocol::JobResult`]);
//! - [`queue`]: connections that reconnect, and the Lua scripts that make every status
//!   change atomic with its acknowledgement;
//! - [`runner`]: the worker loop ([`runner::run`] with a [`runner::WorkerConfig`]);
//! - [`engine`]: the one adapter to the pricing engine;
//! - [`client`]: enqueue and wait from Rust ([`client::Client`]);
//! - [`metrics`]: Prometheus `/metrics` and `/healthz`.
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
//! })?;
//! let result = client.wait("ORDER-17-3", std::time::Duration::from_secs(30))?;
//! println!("{:?}", result.status);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod client;
pub mod engine;
pub mod fault;
pub mod metrics;
pub mod protocol;
pub mod queue;
#[doc(hidden)]
pub mod redis_server;
pub mod runner;
