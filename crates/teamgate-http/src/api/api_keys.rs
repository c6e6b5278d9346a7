//! API keys: create (the secret shown once), list (never the secret), revoke.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use teamgate_store::NewApiKey;

use crate::api::members::{acting, parse_role_field};
use crate::api::{clean_name, Page};
use crate::auth::token::{hash_token, new_token};
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

#[derive(Deserialize)]
pub struct NewKeyRequest {
    name: Option<String>,
    role: Option<Value>,
}

pub async fn create(State(state): State<AppState>, ctx: OrgContext, Body(req): Body<NewKeyRequest>)
    -> ApiResult<(StatusCode, Json<Value>)>
{
    let name = clean_name(req.name.as_deref().unwrap_or(""), "name", 100)?;
    let role = parse_role_field(req.role)?;
    let random = new_token();
    let prefix = format!("tg_{}", &random[..8]);
    let secret = format!("{prefix}_{}", &random[8..]);
    let new = NewApiKey { name, role, prefix, secret_hash: hash_token(&secret) };
    let key = state.store.create_api_key(&ctx.org.id, new, &acting(&ctx)?, &ctx.audit(), state.now()).await?;
    tracing::info!(org = %ctx.org.id, key = %key.id, role = %key.role, "API key created");
    let mut body = serde_json::to_value(&key).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["key"] = json!(secret);
    Ok((StatusCode::CREATED, Json(body)))
}

pub async fn list(State(state): State<AppState>, ctx: OrgContext) -> ApiResult<Json<Page<teamgate_store::ApiKey>>> {
    let items = state.store.api_keys(&ctx.org.id).await?;
    Ok(Json(Page { items, next_cursor: None }))
}

pub async fn revoke(State(state): State<AppState>, ctx: OrgContext,
    Path((_, id)): Path<(String, String)>) -> ApiResult<StatusCode>
{
    state.store.revoke_api_key(&ctx.org.id, &id, &ctx.audit(), state.now()).await?;
    tracing::info!(org = %ctx.org.id, key = %id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}
