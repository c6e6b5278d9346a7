//! `/metrics` in Prometheus text: permission checks by outcome and their
//! latency, cache hits and misses, invalidations heard from other replicas,
//! open event streams.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Bucket bounds of `teamgate_check_duration_seconds`: a check takes tens
/// of nanoseconds, so the buckets start well below a microsecond.
const CHECK_BUCKETS: &[f64] = &[
    1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 1e-4, 1e-3, 1e-2,
];

/// How often recorded latencies are folded into their buckets. Until then
/// each is held in memory, so without this a server nobody scrapes would
/// grow with every check.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process-wide recorder once; later calls reuse it.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("teamgate_check_duration_seconds".into()),
                    CHECK_BUCKETS,
                )
                .and_then(|b| b.install_recorder());
            match installed {
                Ok(handle) => {
                    let upkeep = handle.clone();
                    let started = std::thread::Builder::new()
                        .name("teamgate-metrics".into())
                        .spawn(move || loop {
                            std::thread::sleep(UPKEEP_EVERY);
                            upkeep.run_upkeep();
                        });
                    if let Err(e) = started {
                        tracing::warn!(error = %e, "metrics upkeep not started");
                    }
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// The check metrics, registered once rather than looked up per check.
struct CheckMetrics {
    allowed: Counter,
    denied: Counter,
    duration: Histogram,
}

fn check_metrics() -> &'static CheckMetrics {
    static METRICS: OnceLock<CheckMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        install();
        CheckMetrics {
            allowed: metrics::counter!("teamgate_checks_total", "outcome" => "allowed"),
            denied: metrics::counter!("teamgate_checks_total", "outcome" => "denied"),
            duration: metrics::histogram!("teamgate_check_duration_seconds"),
        }
    })
}

/// Counts one permission decision and how long it took to reach.
pub fn record_check(allowed: bool, started: Instant) {
    let m = check_metrics();
    if allowed {
        m.allowed.increment(1);
    } else {
        m.denied.increment(1);
    }
    m.duration.record(started.elapsed().as_secs_f64());
}

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let stats = state.store.cache().stats();
    metrics::counter!("teamgate_cache_hits_total").absolute(stats.hits);
    metrics::counter!("teamgate_cache_misses_total").absolute(stats.misses);
    metrics::counter!("teamgate_invalidations_received_total")
        .absolute(stats.invalidations_received);
    metrics::gauge!("teamgate_cache_trusted").set(if stats.trusted { 1.0 } else { 0.0 });
    let text = install().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
