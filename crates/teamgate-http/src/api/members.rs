//! Members: list, change role, remove, leave.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use teamgate_core::Role;
use teamgate_store::{Acting, Member, MemberCursor};

use crate::api::{decode_cursor, encode_cursor, Page, Paging};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

/// Who acts, as the store re-checks it inside the transaction.
pub fn acting(ctx: &OrgContext) -> ApiResult<Acting> {
    match &ctx.caller {
        Caller::User { user, .. } => Ok(Acting::User {
            user_id: user.id.clone(),
        }),
        Caller::ApiKey(key) => Ok(Acting::ApiKey {
            key_id: key.id.clone(),
            role: key.role,
            created_by: key.created_by.clone(),
        }),
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Member>>> {
    let paging = Paging::from_query(&q)?;
    let after = paging
        .cursor
        .as_deref()
        .map(decode_cursor)
        .transpose()?
        .map(|(joined_ms, user_id)| MemberCursor { joined_ms, user_id });
    // One more than asked tells whether another page follows.
    let mut rows = state
        .store
        .list_members(&ctx.org.id, after, paging.limit + 1)
        .await?;
    let more = rows.len() > paging.limit as usize;
    rows.truncate(paging.limit as usize);
    let next_cursor = if more {
        rows.last()
            .map(|(_, c)| encode_cursor(c.joined_ms, &c.user_id))
    } else {
        None
    };
    Ok(Json(Page {
        items: rows.into_iter().map(|(m, _)| m).collect(),
        next_cursor,
    }))
}

/// Only `role` is read; anything else in the body is ignored.
#[derive(Deserialize)]
pub struct RoleChange {
    role: Option<Value>,
}

pub async fn change_role(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, user_id)): Path<(String, String)>,
    Body(req): Body<RoleChange>,
) -> ApiResult<Json<Member>> {
    state
        .store
        .membership(&ctx.org.id, &user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = parse_role_field(req.role)?;
    let member = state
        .store
        .change_role(
            &ctx.org.id,
            &user_id,
            role,
            &acting(&ctx)?,
            &ctx.audit(),
            state.now(),
        )
        .await?;
    tracing::info!(org = %ctx.org.id, member = %user_id, role = %role, "role changed");
    Ok(Json(member))
}

pub fn parse_role_field(role: Option<Value>) -> ApiResult<Role> {
    match role {
        Some(Value::String(s)) => s
            .parse::<Role>()
            .map_err(|e| ApiError::Invalid(e.to_string())),
        Some(_) => Err(ApiError::invalid(
            "role must be a string such as \"manager\"",
        )),
        None => Err(ApiError::invalid("role is required")),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .remove_member(
            &ctx.org.id,
            &user_id,
            &acting(&ctx)?,
            &ctx.audit(),
            state.now(),
        )
        .await?;
    tracing::info!(org = %ctx.org.id, member = %user_id, "member removed");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn leave(State(state): State<AppState>, ctx: OrgContext) -> ApiResult<StatusCode> {
    let user = ctx.user().ok_or(ApiError::Unauthenticated)?;
    state
        .store
        .leave(&ctx.org.id, &user.id, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, member = %user.id, "member left");
    Ok(StatusCode::NO_CONTENT)
}
