//! Per-tenant series of `/metrics`, with a bounded label set.
//!
//! Tenant names come from job fields, so any client could mint a new label per job and
//! blow up the series count. Only the tenants named in the tenants file and the first
//! [`DEFAULT_TOP`] others this process sees get a label of their own; every other tenant
//! is counted under `tenant="other"`. Counters stay monotonic: a tenant never moves
//! from its own label to "other". The group-wide gauges (queued, in flight) show the
//! largest tenants by backlog and sum the rest into "other".

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;

use crate::metrics::Outcome;

/// Tenants with a label of their own besides the configured ones, by default.
pub const DEFAULT_TOP: usize = 20;

/// The label of every tenant without one of its own.
pub const OTHER: &str = "other";

const WAIT_BUCKETS: [f64; 10] = [0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0];

#[derive(Debug, Default, Clone)]
struct Series {
    done: u64,
    failed: u64,
    wait_buckets: [u64; WAIT_BUCKETS.len()],
    wait_count: u64,
    wait_sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    top: Option<usize>,
    configured: BTreeSet<String>,
    /// Label → series; "other" is always there.
    series: HashMap<String, Series>,
    /// Group-wide (tenant, queued, in flight), as last refreshed.
    gauges: Vec<(String, i64, i64)>,
}

/// The per-tenant series of one process.
#[derive(Debug, Default)]
pub struct TenantMetrics {
    inner: Mutex<Inner>,
}

impl TenantMetrics {
    /// How many tenants besides the configured ones get a label of their own.
    pub fn set_top(&self, n: usize) {
        if let Ok(mut i) = self.inner.lock() {
            i.top = Some(n);
        }
    }

    /// The tenants of the tenants file: each always has its own label.
    pub fn configure<'a>(&self, names: impl Iterator<Item = &'a String>) {
        if let Ok(mut i) = self.inner.lock() {
            i.configured.extend(names.cloned());
        }
    }

    fn label(i: &mut Inner, tenant: &str) -> String {
        if i.series.contains_key(tenant) {
            return tenant.to_string();
        }
        let top = i.top.unwrap_or(DEFAULT_TOP);
        let others = i
            .series
            .keys()
            .filter(|k| k.as_str() != OTHER && !i.configured.contains(k.as_str()))
            .count();
        if tenant != OTHER && (i.configured.contains(tenant) || others < top) {
            tenant.to_string()
        } else {
            OTHER.to_string()
        }
    }

    /// Counts a job of `tenant` that left with `outcome` after waiting `waited_s` in the
    /// queue (when known).
    pub fn job(&self, tenant: &str, outcome: Outcome, waited_s: Option<f64>) {
        let Ok(mut i) = self.inner.lock() else {
            return;
        };
        let label = TenantMetrics::label(&mut i, tenant);
        let s = i.series.entry(label).or_default();
        match outcome {
            Outcome::Done => s.done += 1,
            Outcome::Failed | Outcome::Dead => s.failed += 1,
            Outcome::Retried | Outcome::Duplicate => {}
        }
        if let Some(w) = waited_s {
            for (b, c) in WAIT_BUCKETS.iter().zip(s.wait_buckets.iter_mut()) {
                if w <= *b {
                    *c += 1;
                }
            }
            s.wait_count += 1;
            s.wait_sum += w;
        }
    }

    /// The group-wide queued and in-flight jobs per tenant (from Redis).
    pub fn set_gauges(&self, mut rows: Vec<(String, i64, i64)>) {
        let Ok(mut i) = self.inner.lock() else {
            return;
        };
        let top = i.top.unwrap_or(DEFAULT_TOP);
        rows.sort_by(|a, b| (b.1 + b.2).cmp(&(a.1 + a.2)).then(a.0.cmp(&b.0)));
        let mut shown: Vec<(String, i64, i64)> = Vec::new();
        let mut other = (0, 0);
        for (n, (t, q, f)) in rows.into_iter().enumerate() {
            if t != OTHER && (n < top || i.configured.contains(&t)) {
                shown.push((t, q, f));
            } else {
                other.0 += q;
                other.1 += f;
            }
        }
        shown.push((OTHER.to_string(), other.0, other.1));
        i.gauges = shown;
    }

    /// The Prometheus text of the tenant series.
    pub fn render(&self, s: &mut String) {
        let Ok(i) = self.inner.lock() else {
            return;
        };
        let mut labels: Vec<&String> = i.series.keys().collect();
        labels.sort();
        s.push_str("# HELP pricing_worker_tenant_jobs_total Jobs finished by this worker, by tenant (top N plus \"other\") and outcome.\n# TYPE pricing_worker_tenant_jobs_total counter\n");
        for l in &labels {
            let v = &i.series[*l];
            let _ = writeln!(
                s,
                "pricing_worker_tenant_jobs_total{{tenant=\"{l}\",outcome=\"done\"}} {}\npricing_worker_tenant_jobs_total{{tenant=\"{l}\",outcome=\"failed\"}} {}",
                v.done, v.failed
            );
        }
        s.push_str("# HELP pricing_worker_tenant_wait_seconds Time from enqueue to start, by tenant.\n# TYPE pricing_worker_tenant_wait_seconds histogram\n");
        for l in &labels {
            let v = &i.series[*l];
            for (b, c) in WAIT_BUCKETS.iter().zip(&v.wait_buckets) {
                let _ = writeln!(
                    s,
                    "pricing_worker_tenant_wait_seconds_bucket{{tenant=\"{l}\",le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                s,
                "pricing_worker_tenant_wait_seconds_bucket{{tenant=\"{l}\",le=\"+Inf\"}} {0}\npricing_worker_tenant_wait_seconds_sum{{tenant=\"{l}\"}} {1}\npricing_worker_tenant_wait_seconds_count{{tenant=\"{l}\"}} {0}",
                v.wait_count, v.wait_sum
            );
        }
        for (name, help, col) in [
            (
                "pricing_worker_tenant_queued",
                "Jobs queued per tenant, all priorities, group-wide.",
                1,
            ),
            (
                "pricing_worker_tenant_in_flight",
                "Jobs in flight per tenant across all workers.",
                2,
            ),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (t, q, f) in &i.gauges {
                let _ = writeln!(
                    s,
                    "{name}{{tenant=\"{t}\"}} {}",
                    if col == 1 { q } else { f }
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_bounded_and_configured_tenants_keep_theirs() {
        let m = TenantMetrics::default();
        m.set_top(2);
        m.configure([String::from("vip")].iter());
        for t in ["a", "b", "c", "d", "vip"] {
            m.job(t, Outcome::Done, Some(0.2));
        }
        m.job("a", Outcome::Failed, None);
        let mut s = String::new();
        m.render(&mut s);
        let series = |t: &str| s.contains(&format!("tenant=\"{t}\",outcome=\"done\"}}"));
        assert!(series("a") && series("b") && series("vip") && series("other"));
        assert!(!series("c") && !series("d"));
        assert!(
            s.contains("pricing_worker_tenant_jobs_total{tenant=\"other\",outcome=\"done\"} 2")
        );
        assert!(s.contains("pricing_worker_tenant_jobs_total{tenant=\"a\",outcome=\"failed\"} 1"));
        m.set_gauges(vec![
            ("x".into(), 5, 1),
            ("y".into(), 9, 0),
            ("z".into(), 1, 0),
        ]);
        let mut s = String::new();
        m.render(&mut s);
        assert!(s.contains("pricing_worker_tenant_queued{tenant=\"y\"} 9"));
        assert!(s.contains("pricing_worker_tenant_queued{tenant=\"other\"} 1"));
        assert!(!s.contains("tenant=\"z\""));
    }
}
