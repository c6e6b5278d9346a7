//! Organisation Settings → Audit Log: who changed what and when, newest
//! first, with the API's filters, paging by `seq`, a plain-words summary per
//! event, and export buttons gated by `audit_log:export`.
//!
//! The page reads through the same functions as `GET /orgs/{org}/audit`, so
//! what it shows and what the API answers cannot drift apart.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde_json::Value;
use teamgate_core::audit::{AuditEvent, Outcome};
use teamgate_core::audit_summary::summarise;
use teamgate_core::Permission;
use teamgate_store::AuditFilter;

use super::features::{header_row, org_url};
use super::layout::{action, shell};
use crate::api::audit::{cursor_before, cursor_seq, filter_from_query, newest_first};
use crate::api::Page;
use crate::error::ApiError;
use crate::gate::OrgContext;
use crate::AppState;

const EXPORT: Permission = Permission::of("audit_log", "export");

/// Events per console page.
const PAGE_SIZE: u32 = 50;

/// The filter inputs, in the order the form shows them: (name, label, hint).
const FILTERS: &[(&str, &str, &str)] = &[
    ("action", "Action", "member. or member.role_changed"),
    ("actor", "Actor id", "a user or API key id"),
    ("target", "Target id", "a member, invite, key… id"),
    ("since", "From (RFC 3339)", "2026-12-04T00:00:00Z"),
    (
        "until",
        "Until, exclusive (RFC 3339)",
        "2026-12-05T00:00:00Z",
    ),
];

/// Before → after values longer than this are cut on the page (exports keep them whole).
const MAX_CHANGE_CHARS: usize = 300;

/// `GET /orgs/{org}/settings/audit`.
pub async fn page(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let orgs = super::pages::orgs_for(&state, &ctx).await;
    let filters: Vec<(&str, String)> = FILTERS
        .iter()
        .filter_map(|(name, _, _)| {
            q.get(*name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*name, v.clone()))
        })
        .collect();
    let listing = match read(&state, &ctx, &q).await {
        Ok(listing) => Ok(listing),
        Err(ApiError::Invalid(why)) => Err(why),
        Err(e) => return super::refusal(&state, &org_url(&ctx, "settings/audit"), e),
    };
    let content = html! {
        h1 { "Audit Log" }
        p { "Every change in this organisation and every refused request, newest first. "
            "Times are UTC. Events cannot be changed or deleted." }
        (filter_form(&ctx, &q))
        (export_buttons(&ctx, &filters))
        @match &listing {
            Err(why) => p.error role="alert" { (why) },
            Ok(listing) => {
                @if listing.page.items.is_empty() {
                    p.notice { "No events match." }
                } @else {
                    (events_table(&ctx, &listing.page.items))
                }
                (pager(&ctx, &filters, listing))
            }
        }
    };
    let status = if listing.is_err() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        shell(&ctx, &orgs, "settings/audit", "Audit Log", content),
    )
        .into_response()
}

/// One page of events and where its neighbours start.
struct Listing {
    page: Page<AuditEvent>,
    /// `Some(None)`: the newer page is the first one; `Some(Some(c))`: it starts at cursor `c`.
    newer: Option<Option<String>>,
}

async fn read(
    state: &AppState,
    ctx: &OrgContext,
    q: &HashMap<String, String>,
) -> Result<Listing, ApiError> {
    let filter = filter_from_query(q)?;
    let before = q
        .get("cursor")
        .filter(|c| !c.is_empty())
        .map(|c| cursor_seq(c))
        .transpose()?;
    let page = newest_first(
        state.store.as_ref(),
        &ctx.org.id,
        &filter,
        before,
        PAGE_SIZE,
    )
    .await?;
    let newer = match before {
        Some(before) => Some(newer_cursor(state, ctx, &filter, before).await?),
        None => None,
    };
    Ok(Listing { page, newer })
}

/// The cursor of the page just newer than one that starts below `before`:
/// the `PAGE_SIZE` matching events from `before` upwards, read oldest first.
async fn newer_cursor(
    state: &AppState,
    ctx: &OrgContext,
    filter: &AuditFilter,
    before: i64,
) -> Result<Option<String>, ApiError> {
    let newer = state
        .store
        .audit_batch(&ctx.org.id, filter, before - 1, PAGE_SIZE + 1)
        .await?;
    // More than a page above: the newer page ends at the PAGE_SIZE-th of them.
    if newer.len() > PAGE_SIZE as usize {
        Ok(newer
            .get(PAGE_SIZE as usize - 1)
            .map(|e| cursor_before(e.seq + 1)))
    } else {
        Ok(None)
    }
}

fn filter_form(ctx: &OrgContext, q: &HashMap<String, String>) -> Markup {
    html! {
        form.filters method="get" action=(org_url(ctx, "settings/audit"))
            style="display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end" {
            @for (name, label, hint) in FILTERS {
                label style="margin:0" { (label)
                    input name=(name) value=[q.get(*name)] placeholder=(hint) maxlength="200";
                }
            }
            button type="submit" { "Filter" }
            a href=(org_url(ctx, "settings/audit")) { "Clear" }
        }
    }
}

/// A GET form per format to the API's export, carrying the current filters.
/// A plain button, so the console's live script re-gates it like any action.
fn export_buttons(ctx: &OrgContext, filters: &[(&str, String)]) -> Markup {
    let url = format!("/api/v1/orgs/{}/audit/export", ctx.org.id);
    html! {
        div.exports style="display:flex;gap:1rem;margin:1rem 0" {
            @for (format, label) in [("csv", "Export CSV"), ("jsonl", "Export JSON Lines")] {
                form method="get" action=(url) {
                    input type="hidden" name="format" value=(format);
                    @for (name, value) in filters { input type="hidden" name=(name) value=(value); }
                    (action(ctx, EXPORT, label))
                }
            }
        }
    }
}

fn events_table(ctx: &OrgContext, events: &[AuditEvent]) -> Markup {
    let base = org_url(ctx, "settings/audit");
    html! {
        table.audit {
            (header_row(&["When", "What happened", "Actor", "Action", "Target", "Before → After"]))
            tbody {
                @for e in events {
                    tr data-seq=(e.seq) data-event=(e.id)
                        class=[(e.outcome == Outcome::Denied).then_some("denied")] {
                        td { time datetime=(e.occurred_at) { (e.occurred_at) } }
                        td.summary { (summarise(e)) }
                        td.actor {
                            (e.actor.label.as_deref().unwrap_or("—"))
                            @if let Some(role) = &e.actor.role { " " span.reason { "(" (role) ")" } }
                            @if let Some(id) = &e.actor.id {
                                " " a href={ (base) "?actor=" (super::urlencode_query(id)) } title="Only this actor" { "⌕" }
                            }
                        }
                        td.action { a href={ (base) "?action=" (super::urlencode_query(&e.action)) } { code { (e.action) } } }
                        td.target {
                            (e.target.label.as_deref().or(e.target.id.as_deref()).unwrap_or("—"))
                            @if let Some(id) = &e.target.id {
                                " " a href={ (base) "?target=" (super::urlencode_query(id)) } title="Only this target" { "⌕" }
                            }
                        }
                        td.changes { code { (show(&e.changes.before)) } " → " code { (show(&e.changes.after)) } }
                    }
                }
            }
        }
    }
}

/// Compact JSON, `—` for nothing, cut when very long.
fn show(value: &Value) -> String {
    if value.is_null() {
        return "—".into();
    }
    let text = value.to_string();
    if text.chars().count() <= MAX_CHANGE_CHARS {
        text
    } else {
        let mut short: String = text.chars().take(MAX_CHANGE_CHARS).collect();
        short.push('…');
        short
    }
}

/// Newer and older links, keeping the filters.
fn pager(ctx: &OrgContext, filters: &[(&str, String)], listing: &Listing) -> Markup {
    let link = |cursor: Option<&str>| {
        let mut pairs: Vec<String> = filters
            .iter()
            .map(|(k, v)| format!("{k}={}", super::urlencode_query(v)))
            .collect();
        if let Some(c) = cursor {
            pairs.push(format!("cursor={}", super::urlencode_query(c)));
        }
        let base = org_url(ctx, "settings/audit");
        if pairs.is_empty() {
            base
        } else {
            format!("{base}?{}", pairs.join("&"))
        }
    };
    html! {
        p.pager {
            @if let Some(newer) = &listing.newer {
                a rel="prev" href=(link(newer.as_deref())) { "← Newer" }
                " "
            }
            @if let Some(older) = &listing.page.next_cursor {
                a rel="next" href=(link(Some(older))) { "Older →" }
            }
        }
    }
}
