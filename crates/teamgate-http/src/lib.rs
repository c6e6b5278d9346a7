//! teamgate's HTTP layer: the JSON API under `/api/v1`, the console pages,
//! sign-in, and the gate every route passes through.
//!
//! Every route is declared with the permission it needs in [`routes`]; the
//! router refuses to mount a route without one, and the gate applies it
//! before any handler runs.

pub mod api;
pub mod auth;
pub mod console;
pub mod error;
pub mod gate;
pub mod mail;
pub mod metrics;
pub mod observe;
pub mod routes;
mod settings;
mod state;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

pub use settings::Settings;
pub use state::{AppState, Shared, MAIL_FROM};

/// The whole application: API, console and probes, with request tracing.
pub fn router(state: AppState) -> Router {
    metrics::install();
    routes::all(state.clone()).build(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
