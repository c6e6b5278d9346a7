//! Resolving the caller of a request from its credential.

use axum::http::HeaderMap;
use teamgate_store::{ApiKeyAuth, User};

use crate::auth::session::{bearer_token, session_token};
use crate::auth::token::hash_token;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A person, signed in with the session cookie.
    User { user: User, session_hash: String },
    /// An API key of one organisation, sent as `Authorization: Bearer`.
    ApiKey(ApiKeyAuth),
}

impl Caller {
    pub fn user(&self) -> Option<&User> {
        match self {
            Caller::User { user, .. } => Some(user),
            Caller::ApiKey(_) => None,
        }
    }

    /// True when the request was authenticated by the cookie (so CSRF rules apply).
    pub fn by_cookie(&self) -> bool {
        matches!(self, Caller::User { .. })
    }
}

/// Finds who is calling; `Ok(None)` when the request carries no credential.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Caller>> {
    if let Some(secret) = bearer_token(headers) {
        return match state
            .store
            .api_key_by_secret(&hash_token(&secret), state.now())
            .await?
        {
            Some(key) => Ok(Some(Caller::ApiKey(key))),
            None => Err(ApiError::Unauthenticated),
        };
    }
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    let hash = hash_token(&token);
    match state.store.session_user(&hash, state.now()).await? {
        Some(user) => Ok(Some(Caller::User {
            user,
            session_hash: hash,
        })),
        None => Err(ApiError::Unauthenticated),
    }
}
