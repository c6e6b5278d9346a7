//! Logs: the messages of every conversation, newest first.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use teamgate_store::Message;

use crate::api::listing::Listing;
use crate::api::Page;
use crate::error::ApiResult;
use crate::gate::OrgContext;
use crate::AppState;

/// `GET /logs`; the cursor names the last message of the page before.
pub async fn list(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Message>>> {
    let listing = Listing::from_query(&q)?;
    let rows = state
        .store
        .message_log(&ctx.org.id, listing.position.clone(), listing.fetch())
        .await?;
    Ok(Json(listing.page(rows, |m| (m.created_ms, m.id.as_str()))))
}
