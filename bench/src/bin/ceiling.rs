//! The ceiling of the stack: an axum server on the same runtime settings as
//! teamgate that answers `POST /api/v1/orgs/{org}/check` with a fixed JSON
//! body and does nothing else. Prints `ceiling listening on http://ADDR`.

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The same allocator as the `teamgate` binary, so the two differ only in
/// what teamgate does per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn check() -> Json<Value> {
    Json(json!({"allowed": true, "reason": "granted by role staff"}))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("ceiling listening on http://{}", listener.local_addr()?);
    let app = Router::new().route("/api/v1/orgs/{org}/check", post(check));
    axum::serve(listener, app).await
}
