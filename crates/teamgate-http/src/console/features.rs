//! The feature pages of the sidebar, and what their forms share.
//!
//! Each page is computed from the member's permissions before it renders:
//! every action is a [`action`](super::layout::action) button, disabled with
//! the reason when the role lacks it. Forms post to console routes gated like
//! their API twins and answer with a redirect back carrying a notice or the
//! refusal in words.

use std::collections::HashMap;

use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use crate::error::ApiError;
use crate::gate::OrgContext;
use crate::AppState;

/// The content of the sidebar page at `slug`, or `None` for a page this
/// module does not draw.
pub(super) async fn page(
    state: &AppState,
    ctx: &OrgContext,
    slug: &str,
    q: &HashMap<String, String>,
) -> Option<Result<Markup, ApiError>> {
    use teamgate_store::AgentKind::*;
    let content = match slug {
        "chat-agents" => super::agents::agents_page(state, ctx, Chat, q).await,
        "whatsapp-agents" => super::agents::agents_page(state, ctx, Whatsapp, q).await,
        "voice-agents" => super::agents::agents_page(state, ctx, Voice, q).await,
        "campaigns" => super::agents::campaigns_page(state, ctx, q).await,
        "inbox/conversations" => super::inbox::inbox_page(state, ctx, q).await,
        "logs" => super::inbox::logs_page(state, ctx, q).await,
        "analytics" => super::insights::analytics_page(state, ctx).await,
        "usage" => super::insights::usage_page(state, ctx).await,
        "billing" => super::billing::billing_page(state, ctx, q).await,
        "payment-settings" => super::billing::payment_page(state, ctx, q).await,
        "api-keys" => super::settings::api_keys_page(state, ctx, q).await,
        "settings/general" => super::settings::general_page(ctx, q),
        _ => return None,
    };
    Some(content)
}

/// `/orgs/{org}/{path}`.
pub(super) fn org_url(ctx: &OrgContext, path: &str) -> String {
    format!("/orgs/{}/{path}", ctx.org.id)
}

/// The notice or error a redirect back carried.
pub(super) fn flash(q: &HashMap<String, String>) -> Markup {
    html! {
        @if let Some(n) = q.get("notice") { p.notice role="status" { (n) } }
        @if let Some(e) = q.get("error") { p.error role="alert" { (e) } }
    }
}

/// Redirects to `url` with the outcome of a form: a notice, or the refusal
/// in words.
pub(super) fn back_to(url: &str, outcome: Result<String, ApiError>) -> Response {
    let (key, text) = match outcome {
        Ok(notice) => ("notice", notice),
        Err(ApiError::NotFound) => (
            "error",
            "That no longer exists in this organisation.".to_string(),
        ),
        Err(e) => {
            if let ApiError::Internal(detail) = &e {
                tracing::error!(error = %detail, "console action failed");
            }
            ("error", e.detail())
        }
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    Redirect::to(&format!(
        "{url}{sep}{key}={}",
        super::urlencode_query(&text)
    ))
    .into_response()
}

/// A table's header row.
pub(super) fn header_row(cells: &[&str]) -> Markup {
    html! { thead { tr { @for cell in cells { th { (cell) } } } } }
}

/// A "next page" link when the list goes on.
pub(super) fn pager(base: &str, next_cursor: Option<&str>) -> Markup {
    html! {
        @if let Some(cursor) = next_cursor {
            p.pager { a href={ (base) "?cursor=" (super::urlencode_query(cursor)) } { "Next page →" } }
        }
    }
}

/// Paging of a console list: the `cursor` of the query, 50 rows a page.
pub(super) fn console_listing(
    q: &HashMap<String, String>,
) -> Result<crate::api::listing::Listing, ApiError> {
    let mut paging: HashMap<String, String> = HashMap::new();
    if let Some(cursor) = q.get("cursor") {
        paging.insert("cursor".into(), cursor.clone());
    }
    crate::api::listing::Listing::from_query(&paging)
}
