//! The shared inbox (conversations, a thread with reply, assign and close)
//! and the logs (every message, newest first).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use teamgate_core::Permission;
use teamgate_store::{AgentKind, Conversation, NewConversation};

use super::features::{back_to, console_listing, flash, header_row, org_url, pager};
use super::layout::action;
use crate::api::clean_name;
use crate::api::inbox::{channel, message_body};
use crate::error::ApiError;
use crate::gate::OrgContext;
use crate::AppState;

const REPLY: Permission = Permission::of("inbox", "reply");
const ASSIGN: Permission = Permission::of("inbox", "assign");
const CLOSE: Permission = Permission::of("inbox", "close");
const TEAM_VIEW: Permission = Permission::of("team", "view");

fn inbox_url(ctx: &OrgContext) -> String {
    org_url(ctx, "inbox/conversations")
}

fn thread_url(ctx: &OrgContext, id: &str) -> String {
    format!("{}?c={id}", inbox_url(ctx))
}

pub(super) async fn inbox_page(
    state: &AppState,
    ctx: &OrgContext,
    q: &HashMap<String, String>,
) -> Result<Markup, ApiError> {
    let listing = console_listing(q)?;
    let rows = state
        .store
        .conversations(&ctx.org.id, listing.position.clone(), listing.fetch())
        .await?;
    let page = listing.page(rows, |c| (c.created_ms, c.id.as_str()));
    // Members name the assignees and fill the assign menu, for those who may see the team.
    let members = if ctx.can(ASSIGN) || ctx.can(TEAM_VIEW) {
        state
            .store
            .list_members(&ctx.org.id, None, 500)
            .await?
            .into_iter()
            .map(|(m, _)| m)
            .collect()
    } else {
        Vec::new()
    };
    let who = |id: &str| {
        members
            .iter()
            .find(|m| m.user_id == id)
            .map_or(id.to_string(), |m| m.email.clone())
    };
    let open = match q.get("c") {
        Some(id) => state.store.conversation(&ctx.org.id, id).await?,
        None => None,
    };
    let thread = match &open {
        Some(c) => Some(thread(state, ctx, c, &members).await?),
        None => None,
    };
    let base = inbox_url(ctx);
    Ok(html! {
        h1 { "Inbox" }
        (flash(q))
        @if let Some(thread) = thread { (thread) }
        h2 { "Conversations" }
        @if page.items.is_empty() { p.empty { "No conversations yet." } }
        @else {
            table.conversations {
                (header_row(&["Contact", "Channel", "Status", "Assigned to", "Messages", "Last message"]))
                tbody {
                    @for c in &page.items {
                        tr data-id=(c.id) data-status=(c.status) {
                            td { a href=(thread_url(ctx, &c.id)) { (c.contact) } }
                            td { (c.channel) }
                            td.status { (c.status) }
                            td.assignee { @if let Some(a) = &c.assignee { (who(a)) } @else { "—" } }
                            td { (c.message_count) }
                            td { (c.last_message_at.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
        }
        (pager(&base, page.next_cursor.as_deref()))
        section.record {
            h2 { "Record an inbound message" }
            p { "Messages from contacts arrive through the platform's channels; this records one by hand." }
            form method="post" action=(base) {
                label { "Contact" input name="contact" required maxlength="200"; }
                label { "Channel"
                    select name="channel" {
                        @for k in AgentKind::ALL { option value=(k.key()) { (k.label()) } }
                    }
                }
                label { "Message" textarea name="body" rows="3" cols="60" required {} }
                (action(ctx, REPLY, "Record Message"))
            }
        }
    })
}

/// One conversation's messages with its reply, assign and close forms.
async fn thread(
    state: &AppState,
    ctx: &OrgContext,
    c: &Conversation,
    members: &[teamgate_store::Member],
) -> Result<Markup, ApiError> {
    let messages = state
        .store
        .conversation_messages(&ctx.org.id, &c.id)
        .await?;
    let base = format!("{}/{}", inbox_url(ctx), c.id);
    Ok(html! {
        section.thread data-id=(c.id) {
            h2 { (c.contact) " · " (c.channel) " · " span.status { (c.status) } }
            ol.messages {
                @for m in &messages {
                    li class=(m.direction) {
                        strong { (m.author) } " · " small { (m.created_at) }
                        p { (m.body) }
                    }
                }
            }
            form method="post" action={ (base) "/replies" } {
                label { "Reply" textarea name="body" rows="3" cols="60" required {} }
                (action(ctx, REPLY, "Send Reply"))
            }
            form method="post" action={ (base) "/assign" } class="assign" {
                label { "Assign to"
                    select name="user_id" {
                        option value="" selected[c.assignee.is_none()] { "Nobody" }
                        @for m in members {
                            @let chosen = c.assignee.as_deref() == Some(m.user_id.as_str());
                            option value=(m.user_id) selected[chosen] { (m.email) }
                        }
                    }
                }
                (action(ctx, ASSIGN, "Assign"))
            }
            @if c.status == "open" {
                form method="post" action={ (base) "/close" } { (action(ctx, CLOSE, "Close Conversation")) }
            }
        }
    })
}

#[derive(Deserialize)]
pub struct InboundForm {
    #[serde(default)]
    contact: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    body: String,
}

pub async fn record(
    State(state): State<AppState>,
    ctx: OrgContext,
    Form(form): Form<InboundForm>,
) -> Response {
    let outcome = async {
        let new = NewConversation {
            contact: clean_name(&form.contact, "the contact", 200)?,
            channel: channel(&form.channel)?,
            body: message_body(&form.body)?,
        };
        let c = state
            .store
            .record_inbound(&ctx.org.id, new, &ctx.audit(), state.now())
            .await?;
        Ok((format!("Recorded a message from {}.", c.contact), c.id))
    }
    .await;
    match outcome {
        Ok((notice, id)) => back_to(&thread_url(&ctx, &id), Ok(notice)),
        Err(e) => back_to(&inbox_url(&ctx), Err(e)),
    }
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
}

pub async fn reply(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<ReplyForm>,
) -> Response {
    let outcome = async {
        state
            .store
            .conversation(&ctx.org.id, &id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let body = message_body(&form.body)?;
        state
            .store
            .reply(&ctx.org.id, &id, &body, &ctx.audit(), state.now())
            .await?;
        Ok("Reply sent.".to_string())
    }
    .await;
    back_to(&thread_url(&ctx, &id), outcome)
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    user_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<AssignForm>,
) -> Response {
    let outcome = async {
        let user_id = Some(form.user_id.trim()).filter(|u| !u.is_empty());
        let c = state
            .store
            .assign_conversation(&ctx.org.id, &id, user_id, &ctx.audit(), state.now())
            .await?;
        let done = if c.assignee.is_some() {
            "Conversation assigned."
        } else {
            "Conversation unassigned."
        };
        Ok(done.to_string())
    }
    .await;
    back_to(&thread_url(&ctx, &id), outcome)
}

pub async fn close(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        state
            .store
            .close_conversation(&ctx.org.id, &id, &ctx.audit(), state.now())
            .await?;
        Ok("Conversation closed.".to_string())
    }
    .await;
    back_to(&thread_url(&ctx, &id), outcome)
}

pub(super) async fn logs_page(
    state: &AppState,
    ctx: &OrgContext,
    q: &HashMap<String, String>,
) -> Result<Markup, ApiError> {
    let listing = console_listing(q)?;
    let rows = state
        .store
        .message_log(&ctx.org.id, listing.position.clone(), listing.fetch())
        .await?;
    let page = listing.page(rows, |m| (m.created_ms, m.id.as_str()));
    Ok(html! {
        h1 { "Logs" }
        p { "Every message of every conversation, newest first." }
        @if page.items.is_empty() { p.empty { "No messages yet." } }
        @else {
            table.logs {
                (header_row(&["When", "Contact", "Channel", "Direction", "Author", "Message"]))
                tbody {
                    @for m in &page.items {
                        tr data-id=(m.id) {
                            td { (m.created_at) }
                            td { (m.contact) }
                            td { (m.channel) }
                            td { (m.direction) }
                            td { (m.author) }
                            td { (m.body) }
                        }
                    }
                }
            }
        }
        (pager(&org_url(ctx, "logs"), page.next_cursor.as_deref()))
    })
}
