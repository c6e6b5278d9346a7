//! One tracing span per request: method, route, organisation, actor and
//! request id, closed by an `answered` event with the status and latency.
//! The gate fills in route, organisation and actor.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, Response};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::{field, Span};

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn layer(router: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let request_id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "request",
                method = %req.method(),
                route = field::Empty,
                request_id,
                org = field::Empty,
                actor = field::Empty,
            )
        })
        .on_request(())
        // Status and latency go on the request's last event, once.
        .on_response(|res: &Response<_>, latency: Duration, _: &Span| {
            tracing::info!(
                status = res.status().as_u16(),
                latency_ms = latency.as_micros() as f64 / 1000.0,
                "answered"
            );
        })
        .on_failure(());
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
