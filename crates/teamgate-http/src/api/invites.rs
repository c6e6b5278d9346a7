//! Invites: create (and email), list, resend, revoke; and, for whoever holds
//! the link, look up and accept.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use teamgate_core::email::normalise_email;
use teamgate_store::{Acceptor, Invite, InviteToken, NewAccount, StoreError};

use crate::api::members::{acting, parse_role_field};
use crate::api::session::start_session;
use crate::api::{clean_name, decode_cursor, encode_cursor, Page, Paging};
use crate::auth::password::{check_new_password, hash_password};
use crate::auth::session::set_cookie;
use crate::auth::token::{hash_token, new_token};
use crate::error::{ApiError, ApiResult, Body, Refusal};
use crate::gate::{origin_is_ours, MaybeSignedIn, OrgContext};
use crate::mail::invite_email;
use crate::state::lock;
use crate::AppState;

#[derive(Deserialize)]
pub struct NewInviteRequest {
    email: Option<String>,
    role: Option<Value>,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<NewInviteRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let email = normalise_email(req.email.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let role = parse_role_field(req.role)?;
    check_invite_limits(&state, &ctx)?;

    let token = new_token();
    let now = state.now();
    let new = teamgate_store::NewInvite {
        email,
        role,
        token_hash: hash_token(&token),
        expires_at: now + state.settings.invite_ttl,
    };
    let invite = state
        .store
        .create_invite(&ctx.org.id, new, &acting(&ctx)?, &ctx.audit(), now)
        .await?;
    tracing::info!(org = %ctx.org.id, invite = %invite.id, role = %role, "invite created");
    let delivery = deliver(&state, &ctx, &invite, &token).await;
    Ok((
        StatusCode::CREATED,
        Json(invite_json(&invite, Some(delivery))),
    ))
}

/// The per-member and per-organisation invite limits (429).
fn check_invite_limits(state: &AppState, ctx: &OrgContext) -> ApiResult<()> {
    let now = state.now();
    let actor = ctx.actor().id.unwrap_or_default();
    let mut per_actor = lock(&state.limits.invites_per_actor);
    let mut per_org = lock(&state.limits.invites_per_org);
    if per_actor.is_exhausted(&actor, now) || per_org.is_exhausted(&ctx.org.id, now) {
        let wait = per_actor
            .retry_after(&actor, now)
            .max(per_org.retry_after(&ctx.org.id, now));
        tracing::warn!(org = %ctx.org.id, "invite refused: rate limit");
        return Err(ApiError::RateLimited {
            retry_after_secs: wait.whole_seconds().max(1) as u64,
        });
    }
    per_actor.record(&actor, now);
    per_org.record(&ctx.org.id, now);
    Ok(())
}

/// Sends the invite email. A failure is kept on the invite and reported to
/// the admin; the invite stays resendable.
pub(crate) async fn deliver(
    state: &AppState,
    ctx: &OrgContext,
    invite: &Invite,
    token: &str,
) -> Value {
    let link = format!("{}/invite/{token}", state.settings.public_url);
    let inviter = ctx.actor().label.unwrap_or_else(|| "an admin".into());
    let email = invite_email(
        &invite.email,
        &ctx.org.name,
        &inviter,
        invite.role.name(),
        &invite.expires_at,
        &link,
    );
    match state.mailer.send(email).await {
        Ok(_) => {
            let _ = state.store.record_email_error(&invite.id, None).await;
            json!({"status": "sent", "error": null})
        }
        Err(e) => {
            let message = e.to_string();
            tracing::warn!(invite = %invite.id, error = %message, "invite email failed");
            if let Err(err) = state
                .store
                .record_email_error(&invite.id, Some(&message))
                .await
            {
                tracing::error!(error = %err, "could not note the email failure");
            }
            json!({"status": "failed", "error": message})
        }
    }
}

pub fn invite_json(invite: &Invite, delivery: Option<Value>) -> Value {
    let mut v = json!({
        "id": invite.id,
        "email": invite.email,
        "role": invite.role,
        "status": invite.status,
        "expires_at": invite.expires_at,
        "created_at": invite.created_at,
        "invited_by": invite.invited_by,
        "email_error": invite.email_error,
    });
    if let Some(d) = delivery {
        v["email_delivery"] = d;
    }
    v
}

pub async fn list(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Value>>> {
    let paging = Paging::from_query(&q)?;
    let after = paging.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut rows = state
        .store
        .pending_invites(&ctx.org.id, state.now(), after, paging.limit + 1)
        .await?;
    let more = rows.len() > paging.limit as usize;
    rows.truncate(paging.limit as usize);
    let next_cursor = if more {
        rows.last().map(|(_, (ms, id))| encode_cursor(*ms, id))
    } else {
        None
    };
    let items = rows.iter().map(|(i, _)| invite_json(i, None)).collect();
    Ok(Json(Page { items, next_cursor }))
}

pub async fn resend(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    state
        .store
        .invite(&ctx.org.id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_invite_limits(&state, &ctx)?;
    let token = new_token();
    let now = state.now();
    let expires = now + state.settings.invite_ttl;
    let invite = state
        .store
        .resend_invite(
            &ctx.org.id,
            &id,
            InviteToken {
                token_hash: hash_token(&token),
                expires_at: expires,
            },
            &acting(&ctx)?,
            &ctx.audit(),
            now,
        )
        .await?;
    let delivery = deliver(&state, &ctx, &invite, &token).await;
    Ok(Json(invite_json(&invite, Some(delivery))))
}

pub async fn revoke(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .revoke_invite(&ctx.org.id, &id, &ctx.audit(), state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /invites/{token}`: what the link holder may see. Gone invites answer 410.
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<Value>> {
    let view = match state
        .store
        .invite_by_token(&hash_token(&token), state.now())
        .await
    {
        Ok(Some(view)) => view,
        Ok(None) => return Err(ApiError::NotFound),
        Err(StoreError::InviteGone) => return Err(ApiError::InviteGone),
        Err(e) => return Err(e.into()),
    };
    if view.status != "pending" {
        return Err(ApiError::InviteGone);
    }
    Ok(Json(json!({
        "org_name": view.org_name,
        "email": view.email,
        "role": view.role,
        "status": view.status,
        "expires_at": view.expires_at,
    })))
}

/// Only these fields are read: a `role` in the body is ignored.
#[derive(Deserialize)]
pub struct AcceptRequest {
    token: Option<String>,
    name: Option<String>,
    password: Option<String>,
}

pub async fn accept(
    State(state): State<AppState>,
    MaybeSignedIn(me, meta): MaybeSignedIn,
    headers: axum::http::HeaderMap,
    Body(req): Body<AcceptRequest>,
) -> ApiResult<Response> {
    let token = req
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::invalid("token is required"))?;
    let token_hash = hash_token(&token);
    let outcome = accept_with(
        &state,
        me,
        meta,
        &headers,
        &token_hash,
        req.name,
        req.password,
    )
    .await?;
    let mut response = Json(json!({
        "org_id": outcome.org_id,
        "user": {"id": outcome.user.id, "email": outcome.user.email, "name": outcome.user.name},
    }))
    .into_response();
    if let Some(session) = outcome.new_session {
        let cookie = set_cookie(
            &session,
            state.settings.session_ttl,
            state.settings.secure_cookies(),
        );
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub struct Accepted {
    pub org_id: String,
    pub user: teamgate_store::User,
    /// The session token of a newly created account, signed in at once.
    pub new_session: Option<String>,
}

/// Accepts an invite for the API and the console alike.
pub async fn accept_with(
    state: &AppState,
    me: Option<crate::gate::SignedIn>,
    meta: crate::gate::RequestMeta,
    headers: &axum::http::HeaderMap,
    token_hash: &str,
    name: Option<String>,
    password: Option<String>,
) -> ApiResult<Accepted> {
    let audit = teamgate_store::AuditMeta {
        actor: teamgate_core::audit::Actor::system(),
        context: meta.context(),
    };
    let (acceptor, new_account) = match me {
        Some(signed_in) => {
            if !origin_is_ours(state, headers) {
                return Err(ApiError::Refused(Refusal::Csrf));
            }
            (Acceptor::SignedIn(signed_in.user), false)
        }
        None => {
            let view = match state.store.invite_by_token(token_hash, state.now()).await {
                Ok(Some(v)) => v,
                Ok(None) => return Err(ApiError::NotFound),
                Err(e) => return Err(e.into()),
            };
            if view.status != "pending" {
                return Err(ApiError::InviteGone);
            }
            if state.store.user_by_email(&view.email).await?.is_some() {
                return Err(ApiError::Unauthenticated);
            }
            let password = password
                .ok_or_else(|| ApiError::invalid("password is required to create your account"))?;
            check_new_password(&password).map_err(ApiError::Invalid)?;
            let default_name = view.email.split('@').next().unwrap_or("member").to_string();
            let name = match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(n) => clean_name(n, "name", 100)?,
                None => default_name,
            };
            let password_hash = hash_password(password).await.map_err(ApiError::Internal)?;
            (
                Acceptor::NewAccount(NewAccount {
                    email: view.email,
                    name,
                    password_hash,
                }),
                true,
            )
        }
    };
    let (user, org_id) = match state
        .store
        .accept_invite(token_hash, acceptor, &audit, state.now())
        .await
    {
        Ok(done) => done,
        Err(StoreError::WrongAccount) => return Err(ApiError::Refused(Refusal::WrongAccount)),
        Err(StoreError::SignInRequired) => return Err(ApiError::Unauthenticated),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(org = %org_id, user = %user.id, "invite accepted");
    let new_session = if new_account {
        Some(start_session(state, &user).await?)
    } else {
        None
    };
    Ok(Accepted {
        org_id,
        user,
        new_session,
    })
}
