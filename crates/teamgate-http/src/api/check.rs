//! `POST /orgs/{org}/check`: may this member do that? Single or batch.
//!
//! Any member may check themself; checking others needs `team:view` (or an
//! API key of the organisation). A denied check is an answer, not a refusal,
//! so it is not audited; a caller not allowed to ask gets 403, which is.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use teamgate_core::rules::decide;
use teamgate_core::Permission;

use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

const MAX_BATCH: usize = 200;
const TEAM_VIEW: Permission = Permission::of("team", "view");

/// One check (`user_id` and `permission`) or a batch (`checks`).
#[derive(Deserialize)]
pub struct CheckRequest {
    checks: Option<Vec<OneCheck>>,
    user_id: Option<String>,
    permission: Option<String>,
}

#[derive(Deserialize)]
pub struct OneCheck {
    user_id: String,
    permission: String,
}

impl CheckRequest {
    /// The checks asked for, and whether they came as a batch.
    fn into_checks(self) -> ApiResult<(Vec<OneCheck>, bool)> {
        match self {
            CheckRequest {
                checks: Some(checks),
                user_id: None,
                permission: None,
            } => Ok((checks, true)),
            CheckRequest {
                checks: None,
                user_id: Some(user_id),
                permission: Some(permission),
            } => Ok((
                vec![OneCheck {
                    user_id,
                    permission,
                }],
                false,
            )),
            CheckRequest {
                checks: Some(_), ..
            } => Err(ApiError::invalid(
                "send either `checks` or `user_id` with `permission`, not both",
            )),
            CheckRequest { user_id: None, .. } => Err(ApiError::invalid("missing field `user_id`")),
            CheckRequest { .. } => Err(ApiError::invalid("missing field `permission`")),
        }
    }
}

/// One answer: allowed or not, and why.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission: Option<Permission>,
    allowed: bool,
    reason: String,
}

#[derive(Serialize)]
struct Batch<'a> {
    results: Vec<Answer<'a>>,
}

pub async fn check(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<CheckRequest>,
) -> ApiResult<Response> {
    let (checks, batch) = req.into_checks()?;
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
    let mut roles = Vec::with_capacity(checks.len());
    for c in &checks {
        // The caller's own role was read by the gate for this very request.
        let role = if Some(c.user_id.as_str()) == myself {
            ctx.role
        } else {
            state
                .store
                .member_role(&ctx.org.id, &c.user_id)
                .await?
                .ok_or(ApiError::NotFound)?
        };
        roles.push(role);
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
    for ((c, permission), role) in checks.iter().zip(parsed).zip(roles) {
        let started = std::time::Instant::now();
        let decision = decide(role, permission);
        crate::metrics::record_check(decision.allowed, started);
        results.push(Answer {
            user_id: batch.then_some(c.user_id.as_str()),
            permission: batch.then_some(permission),
            allowed: decision.allowed,
            reason: decision.reason,
        });
    }
    Ok(if batch {
        Json(Batch { results }).into_response()
    } else {
        Json(results.pop()).into_response()
    })
}
