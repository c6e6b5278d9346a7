//! `POST /orgs/{org}/check`: may this member do that? Single or batch.
//!
//! Any member may check themself; checking others needs `team:view` (or an
//! API key of the organisation). A denied check is an answer, not a refusal,
//! so it is not audited; a caller not allowed to ask gets 403, which is.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use teamgate_core::rules::decide;
use teamgate_core::Permission;

use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

const MAX_BATCH: usize = 200;
const TEAM_VIEW: Permission = Permission::of("team", "view");

#[derive(Deserialize)]
#[serde(untagged)]
pub enum CheckRequest {
    Batch { checks: Vec<OneCheck> },
    One(OneCheck),
}

#[derive(Deserialize)]
pub struct OneCheck {
    user_id: String,
    permission: String,
}

pub async fn check(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<CheckRequest>,
) -> ApiResult<Json<Value>> {
    let (checks, batch) = match req {
        CheckRequest::Batch { checks } => (checks, true),
        CheckRequest::One(one) => (vec![one], false),
    };
    if checks.len() > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "at most {MAX_BATCH} checks per request"
        )));
    }
    let myself = ctx.user().map(|u| u.id.as_str());
    let about_others = checks.iter().any(|c| Some(c.user_id.as_str()) != myself);
    let by_key = matches!(ctx.caller, crate::auth::Caller::ApiKey(_));
    if about_others && !by_key && !ctx.can(TEAM_VIEW) {
        // The gate records this 403 as access.denied, like any other.
        return Err(ApiError::Forbidden(TEAM_VIEW));
    }

    // The members addressed (404) come before the input (422).
    let mut members = Vec::with_capacity(checks.len());
    for c in &checks {
        members.push(
            state
                .store
                .membership(&ctx.org.id, &c.user_id)
                .await?
                .ok_or(ApiError::NotFound)?,
        );
    }
    let parsed = checks
        .iter()
        .map(|c| {
            c.permission
                .parse::<Permission>()
                .map_err(|e| ApiError::Invalid(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut results = Vec::with_capacity(checks.len());
    for ((c, permission), member) in checks.iter().zip(parsed).zip(members) {
        let started = std::time::Instant::now();
        let decision = decide(member.role, permission);
        crate::metrics::record_check(decision.allowed, started);
        results.push(json!({
            "user_id": c.user_id,
            "permission": permission,
            "allowed": decision.allowed,
            "reason": decision.reason,
        }));
    }
    if batch {
        Ok(Json(json!({"results": results})))
    } else {
        let one = results.pop().unwrap_or(Value::Null);
        Ok(Json(
            json!({"allowed": one["allowed"], "reason": one["reason"]}),
        ))
    }
}
