//! API keys: create (the secret shown once), list (never the secret), revoke.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use teamgate_core::clock::{parse_timestamp, unix_millis};
use teamgate_core::Role;
use teamgate_store::{ApiKey, NewApiKey};

use crate::api::members::{acting, parse_role_field};
use crate::api::{clean_name, Page, Paging};
use crate::auth::token::{hash_token, new_token};
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

#[derive(Deserialize)]
pub struct NewKeyRequest {
    name: Option<String>,
    role: Option<Value>,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<NewKeyRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = clean_name(req.name.as_deref().unwrap_or(""), "name", 100)?;
    let role = parse_role_field(req.role)?;
    let (key, secret) = issue(&state, &ctx, name, role).await?;
    let mut body = serde_json::to_value(&key).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["key"] = json!(secret);
    Ok((StatusCode::CREATED, Json(body)))
}

/// Creates a key with a fresh secret and returns both; the secret is stored
/// only as its hash, so this is the one time anybody sees it. The API and the
/// console both create keys through here.
pub async fn issue(
    state: &AppState,
    ctx: &OrgContext,
    name: String,
    role: Role,
) -> ApiResult<(ApiKey, String)> {
    let random = new_token();
    let prefix = format!("tg_{}", &random[..8]);
    let secret = format!("{prefix}_{}", &random[8..]);
    let new = NewApiKey {
        name,
        role,
        prefix,
        secret_hash: hash_token(&secret),
    };
    let key = state
        .store
        .create_api_key(&ctx.org.id, new, &acting(ctx)?, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, key = %key.id, role = %key.role, "API key created");
    Ok((key, secret))
}

/// Live keys, oldest first, paged like every list (`limit`, `cursor`).
pub async fn list(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<ApiKey>>> {
    let paging = Paging::from_query(&q)?;
    let keys = state.store.api_keys(&ctx.org.id).await?;
    let created_ms = |k: &ApiKey| parse_timestamp(&k.created_at).map_or(0, unix_millis);
    Ok(Json(
        paging.page_of(keys, |k| (created_ms(k), k.id.clone()))?,
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .revoke_api_key(&ctx.org.id, &id, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, key = %id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}
