//! What SIGHUP reloads: the shop's price book (`--price-book`) and the tenants file
//! (`--tenants`).
//!
//! Both are validated before they replace anything: an invalid new file is refused and
//! logged with every problem, and the old one stays in force. A job takes the engine
//! once, when it starts ([`Live::engine`]), so a job started before a reload finishes on
//! the book it started with; the next job prices with the new one, and its cache key
//! (the book's hash is in it) cannot find a quote of the old book.

use std::path::Path;
use std::sync::{Arc, RwLock};

use pricing_core::price::PriceBook;
use tracing::{info, warn};

use crate::config::WorkerConfig;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::tenants::Limits;

/// The tenants' limits and their script form.
#[derive(Debug, Clone, Default)]
pub struct TenantLimits {
    /// As parsed.
    pub limits: Limits,
    /// What take.lua reads.
    pub script: String,
}

/// The settings that SIGHUP replaces.
pub struct Live {
    engine: RwLock<Engine>,
    tenants: RwLock<Arc<TenantLimits>>,
}

/// The price book of `cfg`: the file's, or the embedded one. Every problem is listed.
pub fn load_book(cfg: &WorkerConfig) -> Result<PriceBook, Vec<String>> {
    match &cfg.price_book {
        None => Ok(PriceBook::embedded()),
        Some(path) => PriceBook::load(path).map_err(|e| {
            e.errors
                .iter()
                .map(|f| format!("{}: {f}", path.display()))
                .collect()
        }),
    }
}

/// The tenants' limits of `cfg`: the file's, or none. Every problem is listed.
pub fn load_tenants(cfg: &WorkerConfig) -> Result<TenantLimits, Vec<String>> {
    let limits = match &cfg.tenants {
        None => Limits::default(),
        Some(path) => Limits::load(path).map_err(|e| {
            e.errors
                .iter()
                .map(|f| format!("{}: {f}", path.display()))
                .collect::<Vec<_>>()
        })?,
    };
    let script = limits.to_script();
    Ok(TenantLimits { limits, script })
}

fn describe(path: Option<&Path>) -> String {
    path.map_or("(embedded)".to_string(), |p| p.display().to_string())
}

impl Live {
    /// Loads both files; every problem of both is listed.
    pub fn load(cfg: &WorkerConfig, metrics: &Metrics) -> Result<Live, Vec<String>> {
        let book = load_book(cfg);
        let tenants = load_tenants(cfg);
        match (book, tenants) {
            (Ok(book), Ok(tenants)) => {
                let engine = Engine::with_book(cfg.max_model_bytes, book);
                metrics.set_price_book(
                    &engine.book().pricing_version(),
                    &engine.book().currency,
                    &describe(cfg.price_book.as_deref()),
                );
                metrics.tenants.configure(tenants.limits.tenants.keys());
                Ok(Live {
                    engine: RwLock::new(engine),
                    tenants: RwLock::new(Arc::new(tenants)),
                })
            }
            (b, t) => Err(b
                .err()
                .unwrap_or_default()
                .into_iter()
                .chain(t.err().unwrap_or_default())
                .collect()),
        }
    }

    /// The engine a job prices with, from its start to its end.
    pub fn engine(&self) -> Engine {
        match self.engine.read() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The tenants' limits now.
    pub fn tenants(&self) -> Arc<TenantLimits> {
        match self.tenants.read() {
            Ok(t) => Arc::clone(&t),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// SIGHUP: reloads each file; a file with problems is refused and the old one stays.
    pub fn reload(&self, cfg: &WorkerConfig, metrics: &Metrics) {
        if cfg.price_book.is_some() {
            match load_book(cfg) {
                Ok(book) => {
                    let engine = Engine::with_book(cfg.max_model_bytes, book);
                    let version = engine.book().pricing_version();
                    metrics.set_price_book(
                        &version,
                        &engine.book().currency,
                        &describe(cfg.price_book.as_deref()),
                    );
                    if let Ok(mut e) = self.engine.write() {
                        *e = engine;
                    }
                    metrics.reloaded(true);
                    info!(pricing_version = %version, "price book reloaded");
                }
                Err(problems) => {
                    metrics.reloaded(false);
                    warn!(
                        problems = %problems.join("; "),
                        "new price book refused: the old one stays in force"
                    );
                }
            }
        }
        if cfg.tenants.is_some() {
            match load_tenants(cfg) {
                Ok(t) => {
                    metrics.tenants.configure(t.limits.tenants.keys());
                    if let Ok(mut cur) = self.tenants.write() {
                        *cur = Arc::new(t);
                    }
                    metrics.reloaded(true);
                    info!("tenants file reloaded");
                }
                Err(problems) => {
                    metrics.reloaded(false);
                    warn!(
                        problems = %problems.join("; "),
                        "new tenants file refused: the old limits stay in force"
                    );
                }
            }
        }
    }
}
