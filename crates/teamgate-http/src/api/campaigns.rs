//! Outbound campaigns: like agents (a name and a JSON configuration), plus a
//! status that launching moves from `draft` to `launched`, once.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use teamgate_store::Campaign;

use crate::api::agents::NamedConfigRequest;
use crate::api::listing::Listing;
use crate::api::Page;
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

pub async fn list(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Campaign>>> {
    let listing = Listing::from_query(&q)?;
    let rows = state
        .store
        .campaigns(&ctx.org.id, listing.position.clone(), listing.fetch())
        .await?;
    Ok(Json(listing.page(rows, |c| (c.created_ms, c.id.as_str()))))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Campaign>> {
    let campaign = state
        .store
        .campaign(&ctx.org.id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(campaign))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<NamedConfigRequest>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    let new = req.into_new()?;
    let campaign = state
        .store
        .create_campaign(&ctx.org.id, new, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, campaign = %campaign.id, "campaign created");
    Ok((StatusCode::CREATED, Json(campaign)))
}

/// The campaign is looked up before the body is read (404 before 422).
pub async fn update(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
    body: Result<Body<NamedConfigRequest>, ApiError>,
) -> ApiResult<Json<Campaign>> {
    state
        .store
        .campaign(&ctx.org.id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Body(req) = body?;
    let change = req.into_change()?;
    let campaign = state
        .store
        .update_campaign(&ctx.org.id, &id, change, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, campaign = %id, "campaign updated");
    Ok(Json(campaign))
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_campaign(&ctx.org.id, &id, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, campaign = %id, "campaign deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Launching a launched campaign answers it as it is.
pub async fn launch(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Campaign>> {
    let campaign = state
        .store
        .launch_campaign(&ctx.org.id, &id, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, campaign = %id, "campaign launched");
    Ok(Json(campaign))
}
