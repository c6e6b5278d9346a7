//! Organisations: create, the caller's permissions, roles, settings.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use teamgate_core::Role;

use crate::api::{clean_name, Page, Paging};
use crate::error::{ApiResult, Body};
use crate::gate::{OrgContext, SignedIn};
use crate::AppState;

#[derive(Deserialize)]
pub struct NewOrg {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    me: SignedIn,
    Body(req): Body<NewOrg>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = clean_name(&req.name, "name", 100)?;
    let org = state
        .store
        .create_org(&me.user, &name, &me.audit(None), state.now())
        .await?;
    tracing::info!(org = %org.id, user = %me.user.id, "organisation created");
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": org.id, "name": org.name})),
    ))
}

pub async fn my_permissions(ctx: OrgContext) -> Json<Value> {
    Json(json!({
        "org_id": ctx.org.id,
        "role": ctx.role,
        "permissions": ctx.permissions,
        "version": ctx.org.version,
    }))
}

/// The built-in roles, paged like every list (`limit`, `cursor`).
pub async fn roles(Query(q): Query<HashMap<String, String>>) -> ApiResult<Json<Page<Value>>> {
    let paging = Paging::from_query(&q)?;
    let roles: Vec<(usize, Role)> = Role::ALL.into_iter().enumerate().collect();
    let page = paging.page_of(roles, |(i, r)| (*i as i64, r.key().to_string()))?;
    let items = page
        .items
        .into_iter()
        .map(|(_, r)| {
            json!({
                "key": r.key(),
                "name": r.name(),
                "description": r.description(),
                "built_in": true,
                "permissions": r.permissions(),
            })
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

pub async fn settings(ctx: OrgContext) -> Json<Value> {
    Json(json!({"id": ctx.org.id, "name": ctx.org.name}))
}

#[derive(Deserialize)]
pub struct SettingsChange {
    name: Option<String>,
}

pub async fn update_settings(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<SettingsChange>,
) -> ApiResult<Json<Value>> {
    let Some(name) = req.name else {
        return Ok(Json(json!({"id": ctx.org.id, "name": ctx.org.name})));
    };
    let name = clean_name(&name, "name", 100)?;
    let org = state
        .store
        .rename_org(&ctx.org.id, &name, &ctx.audit(), state.now())
        .await?;
    Ok(Json(json!({"id": org.id, "name": org.name})))
}
