//! Chat, WhatsApp and voice agents: one set of handlers, told apart by a
//! marker type, so the three features cannot drift apart. An agent is
//! `{id, name, config, created_at, updated_at}`; `config` is a JSON object.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use teamgate_store::{Agent, AgentKind, NamedConfigChange, NewNamedConfig};

use crate::api::listing::Listing;
use crate::api::{clean_name, Page};
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

/// The longest a name may be, in characters.
pub const NAME_MAX: usize = 100;
/// The most a configuration may weigh, serialised.
pub const CONFIG_MAX_BYTES: usize = 16 * 1024;

/// Which agent feature a handler serves.
pub trait Kind: Send + Sync + 'static {
    const KIND: AgentKind;
}

pub struct Chat;
pub struct Whatsapp;
pub struct Voice;

impl Kind for Chat {
    const KIND: AgentKind = AgentKind::Chat;
}
impl Kind for Whatsapp {
    const KIND: AgentKind = AgentKind::Whatsapp;
}
impl Kind for Voice {
    const KIND: AgentKind = AgentKind::Voice;
}

/// The body of a create or update; fields are checked by hand so that a
/// wrong type is a clear 422 and unknown fields are ignored.
#[derive(Deserialize)]
pub struct NamedConfigRequest {
    name: Option<Value>,
    config: Option<Value>,
}

impl NamedConfigRequest {
    /// For a create: the name is required, the configuration defaults to `{}`.
    pub fn into_new(self) -> ApiResult<NewNamedConfig> {
        let name = self
            .name
            .ok_or_else(|| ApiError::invalid("name is required"))?;
        let config = match self.config {
            Some(config) => check_config(config)?,
            None => Value::Object(Default::default()),
        };
        Ok(NewNamedConfig {
            name: name_field(name)?,
            config,
        })
    }

    /// For an update: whatever is present is checked and changed.
    pub fn into_change(self) -> ApiResult<NamedConfigChange> {
        Ok(NamedConfigChange {
            name: self.name.map(name_field).transpose()?,
            config: self.config.map(check_config).transpose()?,
        })
    }
}

fn name_field(value: Value) -> ApiResult<String> {
    match value {
        Value::String(s) => clean_name(&s, "name", NAME_MAX),
        _ => Err(ApiError::invalid("name must be a string")),
    }
}

/// A configuration must be a JSON object of at most 16 KB.
pub fn check_config(value: Value) -> ApiResult<Value> {
    if !value.is_object() {
        return Err(ApiError::invalid("config must be a JSON object"));
    }
    let size = serde_json::to_string(&value)
        .map(|s| s.len())
        .unwrap_or(usize::MAX);
    if size > CONFIG_MAX_BYTES {
        return Err(ApiError::invalid(format!(
            "config must be at most {CONFIG_MAX_BYTES} bytes of JSON"
        )));
    }
    Ok(value)
}

pub async fn list<K: Kind>(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Agent>>> {
    let listing = Listing::from_query(&q)?;
    let rows = state
        .store
        .agents(
            &ctx.org.id,
            K::KIND,
            listing.position.clone(),
            listing.fetch(),
        )
        .await?;
    Ok(Json(listing.page(rows, |a| (a.created_ms, a.id.as_str()))))
}

pub async fn show<K: Kind>(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Agent>> {
    let agent = state
        .store
        .agent(&ctx.org.id, K::KIND, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(agent))
}

pub async fn create<K: Kind>(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<NamedConfigRequest>,
) -> ApiResult<(StatusCode, Json<Agent>)> {
    let new = req.into_new()?;
    let agent = state
        .store
        .create_agent(&ctx.org.id, K::KIND, new, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, agent = %agent.id, kind = K::KIND.key(), "agent created");
    Ok((StatusCode::CREATED, Json(agent)))
}

/// The agent is looked up before the body is read: a missing one is 404
/// whatever the body holds.
pub async fn update<K: Kind>(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
    body: Result<Body<NamedConfigRequest>, ApiError>,
) -> ApiResult<Json<Agent>> {
    state
        .store
        .agent(&ctx.org.id, K::KIND, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Body(req) = body?;
    let change = req.into_change()?;
    let agent = state
        .store
        .update_agent(&ctx.org.id, K::KIND, &id, change, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, agent = %id, kind = K::KIND.key(), "agent updated");
    Ok(Json(agent))
}

pub async fn delete<K: Kind>(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_agent(&ctx.org.id, K::KIND, &id, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, agent = %id, kind = K::KIND.key(), "agent deleted");
    Ok(StatusCode::NO_CONTENT)
}
