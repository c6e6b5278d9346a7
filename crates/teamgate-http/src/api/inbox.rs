//! The shared inbox: inbound conversations, replies, assignment to a member,
//! and closing.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use teamgate_store::{AgentKind, Conversation, Message, NewConversation};

use crate::api::fields::{present, required_text};
use crate::api::listing::Listing;
use crate::api::{clean_name, Page};
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

/// The longest message body, in characters.
pub const BODY_MAX: usize = 4000;

/// A message body: trimmed, not empty, not too long; line breaks are kept.
pub fn message_body(raw: &str) -> ApiResult<String> {
    let body = raw.trim();
    if body.is_empty() {
        return Err(ApiError::invalid("body must not be empty"));
    }
    if body.chars().count() > BODY_MAX {
        return Err(ApiError::invalid(format!(
            "body must be at most {BODY_MAX} characters"
        )));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ApiError::invalid("body must not hold control characters"));
    }
    Ok(body.to_string())
}

/// A channel name: `chat`, `whatsapp` or `voice`.
pub fn channel(raw: &str) -> ApiResult<AgentKind> {
    AgentKind::parse(raw.trim())
        .ok_or_else(|| ApiError::invalid("channel must be chat, whatsapp or voice"))
}

pub async fn list(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Conversation>>> {
    let listing = Listing::from_query(&q)?;
    let rows = state
        .store
        .conversations(&ctx.org.id, listing.position.clone(), listing.fetch())
        .await?;
    Ok(Json(listing.page(rows, |c| (c.created_ms, c.id.as_str()))))
}

#[derive(Deserialize)]
pub struct InboundRequest {
    contact: Option<Value>,
    channel: Option<Value>,
    body: Option<Value>,
}

/// Records a new inbound conversation with its first message.
pub async fn record(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<InboundRequest>,
) -> ApiResult<(StatusCode, Json<Conversation>)> {
    let contact = clean_name(&required_text(req.contact, "contact")?, "contact", 200)?;
    let channel = match req.channel {
        None => AgentKind::Chat,
        Some(Value::String(s)) => channel(&s)?,
        Some(_) => return Err(ApiError::invalid("channel must be chat, whatsapp or voice")),
    };
    let body = message_body(&required_text(req.body, "body")?)?;
    let new = NewConversation {
        contact,
        channel,
        body,
    };
    let conversation = state
        .store
        .record_inbound(&ctx.org.id, new, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, conversation = %conversation.id, "inbound conversation recorded");
    Ok((StatusCode::CREATED, Json(conversation)))
}

#[derive(Deserialize)]
pub struct ReplyRequest {
    body: Option<Value>,
}

pub async fn reply(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
    body: Result<Body<ReplyRequest>, ApiError>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    state
        .store
        .conversation(&ctx.org.id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Body(req) = body?;
    let text = message_body(&required_text(req.body, "body")?)?;
    let message = state
        .store
        .reply(&ctx.org.id, &id, &text, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, conversation = %id, "reply sent");
    Ok((StatusCode::CREATED, Json(message)))
}

#[derive(Deserialize)]
pub struct AssignRequest {
    /// Absent is an error; `null` unassigns.
    #[serde(default, deserialize_with = "present")]
    user_id: Option<Value>,
}

/// The assignee must be a member of the organisation (else 422).
pub async fn assign(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
    body: Result<Body<AssignRequest>, ApiError>,
) -> ApiResult<Json<Conversation>> {
    state
        .store
        .conversation(&ctx.org.id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Body(req) = body?;
    let user_id = match req.user_id {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) => None,
        Some(_) => {
            return Err(ApiError::invalid(
                "user_id must be a member's user id, or null",
            ))
        }
        None => return Err(ApiError::invalid("user_id is required")),
    };
    let conversation = state
        .store
        .assign_conversation(
            &ctx.org.id,
            &id,
            user_id.as_deref(),
            &ctx.audit(),
            state.now(),
        )
        .await?;
    tracing::info!(org = %ctx.org.id, conversation = %id, "conversation assigned");
    Ok(Json(conversation))
}

pub async fn close(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Conversation>> {
    let conversation = state
        .store
        .close_conversation(&ctx.org.id, &id, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, conversation = %id, "conversation closed");
    Ok(Json(conversation))
}
