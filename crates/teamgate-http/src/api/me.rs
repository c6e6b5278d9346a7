//! The signed-in person: `GET` and `PATCH /me`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use teamgate_store::ProfileChange;

use crate::api::clean_name;
use crate::auth::password::{check_new_password, hash_password, verify_password};
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::SignedIn;
use crate::AppState;

pub async fn show(State(state): State<AppState>, me: SignedIn) -> ApiResult<Json<Value>> {
    let orgs = state.store.orgs_of_user(&me.user.id).await?;
    Ok(Json(json!({
        "id": me.user.id,
        "email": me.user.email,
        "name": me.user.name,
        "orgs": orgs,
    })))
}

/// Fields other than these (a `role`, say) are ignored, never applied.
#[derive(Deserialize)]
pub struct UpdateMe {
    name: Option<String>,
    password: Option<String>,
    current_password: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    me: SignedIn,
    Body(req): Body<UpdateMe>,
) -> ApiResult<Json<Value>> {
    let name = req
        .name
        .as_deref()
        .map(|n| clean_name(n, "name", 100))
        .transpose()?;
    if let Some(password) = &req.password {
        check_new_password(password).map_err(ApiError::Invalid)?;
    }
    let current = req
        .current_password
        .ok_or_else(|| ApiError::invalid("current_password is required to change your profile"))?;
    let stored = state
        .store
        .user_by_id(&me.user.id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !verify_password(current, Some(stored.password_hash)).await {
        return Err(ApiError::invalid(
            "current_password is not your current password",
        ));
    }
    let password_hash = match req.password {
        Some(p) => Some(hash_password(p).await.map_err(ApiError::Internal)?),
        None => None,
    };
    let change = ProfileChange {
        name,
        password_hash,
        keep_session: Some(me.session_hash.clone()),
    };
    let user = state
        .store
        .update_profile(&me.user.id, change, &me.audit(None), state.now())
        .await?;
    let orgs = state.store.orgs_of_user(&user.id).await?;
    Ok(Json(
        json!({"id": user.id, "email": user.email, "name": user.name, "orgs": orgs}),
    ))
}
