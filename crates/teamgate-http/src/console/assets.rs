//! The console's own script and the page a removed member lands on.

use axum::http::header;
use axum::response::IntoResponse;
use maud::html;

use super::layout::bare;

const LIVE_JS: &str = include_str!("static/live.js");

pub async fn live_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        LIVE_JS,
    )
}

pub async fn removed() -> impl IntoResponse {
    bare(
        "Access removed",
        html! {
            h1 { "You no longer have access" }
            p data-code="removed" { "You were removed from that organisation, or you left it. Your other organisations are unaffected." }
            p { a href="/" { "Go to your organisations" } }
        },
    )
}
