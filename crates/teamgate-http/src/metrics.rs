//! `/metrics` in Prometheus text: permission checks by outcome and their
//! latency, cache hits and misses, invalidations heard from other replicas,
//! open event streams.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls reuse it.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        })
        .as_ref()
}

/// Counts one permission decision and how long it took to reach.
pub fn record_check(allowed: bool, started: Instant) {
    let outcome = if allowed { "allowed" } else { "denied" };
    metrics::counter!("teamgate_checks_total", "outcome" => outcome).increment(1);
    metrics::histogram!("teamgate_check_duration_seconds").record(started.elapsed().as_secs_f64());
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
