//! Signing in and out.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use teamgate_core::email::normalise_email;
use teamgate_store::{NewSession, User};

use crate::auth::password::verify_password;
use crate::auth::session::{clear_cookie, set_cookie};
use crate::auth::token::{hash_token, new_token};
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::{MaybeSignedIn, SignedIn};
use crate::state::lock;
use crate::AppState;

#[derive(Deserialize)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    MaybeSignedIn(_, meta): MaybeSignedIn,
    Body(req): Body<SignInRequest>,
) -> ApiResult<Response> {
    let client = meta.ip_text();
    let user = check_credentials(&state, &req.email, &req.password, &client).await?;
    let token = start_session(&state, &user).await?;
    let cookie = set_cookie(
        &token,
        state.settings.session_ttl,
        state.settings.secure_cookies(),
    );
    let body = Json(json!({"user": {"id": user.id, "email": user.email, "name": user.name}}));
    Ok((StatusCode::OK, [(header::SET_COOKIE, cookie)], body).into_response())
}

/// Checks an address and password under the failed-sign-in limits.
/// Unknown addresses and wrong passwords fail alike.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: &str,
    client: &str,
) -> ApiResult<User> {
    let now = state.now();
    let email_key = normalise_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    let client_key = client.to_string();
    {
        let mut per_email = lock(&state.limits.per_email);
        let per_client = lock(&state.limits.per_client);
        if per_email.is_exhausted(&email_key, now) || per_client.is_exhausted(&client_key, now) {
            let wait = per_email
                .retry_after(&email_key, now)
                .max(per_client.retry_after(&client_key, now));
            tracing::warn!(client = %client, "sign-in refused: too many failures");
            return Err(ApiError::RateLimited {
                retry_after_secs: wait.whole_seconds().max(1) as u64,
            });
        }
        // Charged before the slow password check, under the same lock as the
        // check above, so parallel attempts cannot all slip under the limit;
        // a success clears it again.
        per_email.record(&email_key, now);
    }
    let found = state.store.user_by_email(&email_key).await?;
    let stored = found.as_ref().map(|c| c.password_hash.clone());
    let ok = verify_password(password.to_string(), stored).await;
    match (ok, found) {
        (true, Some(credentials)) => {
            lock(&state.limits.per_email).clear(&email_key);
            tracing::info!(user = %credentials.user.id, "signed in");
            Ok(credentials.user)
        }
        _ => {
            lock(&state.limits.per_client).record(&client_key, now);
            tracing::info!(client = %client, "sign-in failed");
            Err(ApiError::Unauthenticated)
        }
    }
}

/// Creates a session and returns its token (which only the cookie carries).
pub async fn start_session(state: &AppState, user: &User) -> ApiResult<String> {
    let token = new_token();
    let now = state.now();
    state
        .store
        .create_session(NewSession {
            token_hash: hash_token(&token),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now + state.settings.session_ttl,
        })
        .await?;
    Ok(token)
}

pub async fn sign_out(State(state): State<AppState>, signed_in: SignedIn) -> ApiResult<Response> {
    state
        .store
        .end_session(&signed_in.session_hash, state.now())
        .await?;
    let cookie = clear_cookie(state.settings.secure_cookies());
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
