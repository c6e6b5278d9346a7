//! Organisation Settings → Team Members, and the invite acceptance page.
//!
//! Forms post to console routes gated like their API twins; each action
//! answers by redirecting back with a notice, or with the refusal in words.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use teamgate_core::email::normalise_email;
use teamgate_core::rules::may_grant;
use teamgate_core::{Permission, Role};
use teamgate_store::{Invite, InviteToken, NewInvite, StoreError};

use super::layout::{action, bare, shell};
use crate::api::invites::accept_with;
use crate::api::members::acting;
use crate::auth::session::set_cookie;
use crate::auth::token::{hash_token, new_token};
use crate::error::ApiError;
use crate::gate::{MaybeSignedIn, OrgContext};
use crate::AppState;

const INVITE: Permission = Permission::of("team", "invite");
const CHANGE_ROLE: Permission = Permission::of("team", "change_role");
const REMOVE: Permission = Permission::of("team", "remove");

fn team_url(ctx: &OrgContext) -> String {
    format!("/orgs/{}/settings/team", ctx.org.id)
}

/// A refusal in words people understand.
fn explain(e: &ApiError) -> String {
    match e.code() {
        "last_admin" => {
            "That would leave the organisation without an admin. Make someone else admin first."
                .into()
        }
        "role_ceiling" => {
            "You can only give or manage roles whose permissions you hold yourself.".into()
        }
        "own_role" => "You cannot change your own role; ask another admin.".into(),
        "invite_pending" => {
            "That address already has a pending invite. Resend or revoke it below.".into()
        }
        "already_member" => "That address already belongs to a member of this organisation.".into(),
        _ => e.detail(),
    }
}

fn back(ctx: &OrgContext, outcome: Result<String, ApiError>) -> Response {
    let (key, text) = match outcome {
        Ok(notice) => ("notice", notice),
        Err(e) => ("error", explain(&e)),
    };
    let query = super::urlencode_query(&text);
    Redirect::to(&format!("{}?{key}={query}", team_url(ctx))).into_response()
}

pub async fn page(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let members = state.store.list_members(&ctx.org.id, None, 500).await;
    let invites = state
        .store
        .pending_invites(&ctx.org.id, state.now(), None, 200)
        .await;
    let (members, invites) = match (members, invites) {
        (Ok(m), Ok(i)) => (m, i),
        (Err(e), _) | (_, Err(e)) => return ApiError::from(e).into_response(),
    };
    let grantable: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| may_grant(ctx.permissions, *r).is_ok())
        .collect();
    let me = ctx.user().map(|u| u.id.clone()).unwrap_or_default();
    let orgs = super::pages::orgs_for(&state, &ctx).await;
    let content = html! {
        h1 { "Team Members" }
        @if let Some(n) = q.get("notice") { p.notice role="status" { (n) } }
        @if let Some(e) = q.get("error") { p.error role="alert" { (e) } }
        section.invite {
            h2 { "Invite Member" }
            form method="post" action={ (team_url(&ctx)) "/invite" } {
                label { "Email" input type="email" name="email" required disabled[!ctx.can(INVITE)]; }
                label { "Role"
                    select name="role" disabled[!ctx.can(INVITE)] {
                        @for r in &grantable { option value=(r.key()) { (r.name()) } }
                    }
                }
                (action(&ctx, INVITE, "Invite Member"))
            }
        }
        h2 { "Members" }
        table.members {
            thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "Joined" } th { "Actions" } } }
            tbody {
                @for (m, _) in &members {
                    tr data-user=(m.user_id) {
                        td { (m.name) }
                        td { (m.email) }
                        td.role { (m.role.name()) }
                        td { (m.joined_at) }
                        td {
                            @if m.user_id == me {
                                span.reason { "You cannot change your own role." }
                            } @else {
                                (member_actions(&ctx, m.role, &m.user_id, &grantable))
                            }
                        }
                    }
                }
            }
        }
        h2 { "Pending invites" }
        @if invites.is_empty() { p { "No pending invites." } }
        @else {
            table.invites {
                thead { tr { th { "Email" } th { "Role" } th { "Expires" } th { "Email delivery" } th { "Actions" } } }
                tbody { @for (i, _) in &invites { (invite_row(&ctx, i)) } }
            }
        }
    };
    shell(&ctx, &orgs, "settings/team", "Team Members", content).into_response()
}

fn member_actions(ctx: &OrgContext, role: Role, user_id: &str, grantable: &[Role]) -> Markup {
    let within = may_grant(ctx.permissions, role).is_ok();
    let base = format!("{}/members/{user_id}", team_url(ctx));
    html! {
        form method="post" action={ (base) "/role" } class="change-role" {
            select name="role" aria-label="New role" disabled[!ctx.can(CHANGE_ROLE) || !within] {
                @for r in grantable { option value=(r.key()) selected[*r == role] { (r.name()) } }
            }
            (action(ctx, CHANGE_ROLE, "Change Role"))
        }
        form method="post" action={ (base) "/remove" } class="remove"
            onsubmit="return confirm('Remove this member from the organisation?')" {
            (action(ctx, REMOVE, "Remove"))
        }
        @if !within { span.reason { "This member's role reaches beyond your own permissions." } }
    }
}

fn invite_row(ctx: &OrgContext, i: &Invite) -> Markup {
    let base = format!("{}/invites/{}", team_url(ctx), i.id);
    html! {
        tr data-invite=(i.id) {
            td { (i.email) }
            td { (i.role.name()) }
            td { (i.expires_at) }
            td { @match &i.email_error { Some(e) => span.error { "Not sent: " (e) }, None => "Sent" } }
            td {
                form method="post" action={ (base) "/resend" } { (action(ctx, INVITE, "Resend")) }
                form method="post" action={ (base) "/revoke" } { (action(ctx, INVITE, "Revoke")) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite(
    State(state): State<AppState>,
    ctx: OrgContext,
    Form(form): Form<InviteForm>,
) -> Response {
    let outcome = async {
        let email = normalise_email(&form.email).map_err(|e| ApiError::Invalid(e.to_string()))?;
        let role: Role = form
            .role
            .parse()
            .map_err(|e: teamgate_core::role::UnknownRole| ApiError::Invalid(e.to_string()))?;
        let token = new_token();
        let now = state.now();
        let new = NewInvite {
            email,
            role,
            token_hash: hash_token(&token),
            expires_at: now + state.settings.invite_ttl,
        };
        let invite = state
            .store
            .create_invite(&ctx.org.id, new, &acting(&ctx)?, &ctx.audit(), now)
            .await?;
        let delivery = crate::api::invites::deliver(&state, &ctx, &invite, &token).await;
        if delivery["status"] == "failed" {
            return Ok(format!(
                "Invited {}, but the email could not be sent: {}. Use Resend to try again.",
                invite.email,
                delivery["error"].as_str().unwrap_or("")
            ));
        }
        Ok(format!(
            "Invited {} as {}.",
            invite.email,
            invite.role.name()
        ))
    }
    .await;
    back(&ctx, outcome)
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, user_id)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    let outcome = async {
        let role: Role = form
            .role
            .parse()
            .map_err(|e: teamgate_core::role::UnknownRole| ApiError::Invalid(e.to_string()))?;
        let m = state
            .store
            .change_role(
                &ctx.org.id,
                &user_id,
                role,
                &acting(&ctx)?,
                &ctx.audit(),
                state.now(),
            )
            .await?;
        Ok(format!("{} is now {}.", m.email, m.role.name()))
    }
    .await;
    back(&ctx, outcome)
}

pub async fn remove(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, user_id)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        state
            .store
            .remove_member(
                &ctx.org.id,
                &user_id,
                &acting(&ctx)?,
                &ctx.audit(),
                state.now(),
            )
            .await?;
        Ok("Member removed.".to_string())
    }
    .await;
    back(&ctx, outcome)
}

pub async fn resend(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        let token = new_token();
        let now = state.now();
        let invite = state
            .store
            .resend_invite(
                &ctx.org.id,
                &id,
                InviteToken {
                    token_hash: hash_token(&token),
                    expires_at: now + state.settings.invite_ttl,
                },
                &acting(&ctx)?,
                &ctx.audit(),
                now,
            )
            .await?;
        let delivery = crate::api::invites::deliver(&state, &ctx, &invite, &token).await;
        if delivery["status"] == "failed" {
            return Ok(format!(
                "The email to {} could not be sent: {}.",
                invite.email,
                delivery["error"].as_str().unwrap_or("")
            ));
        }
        Ok(format!("Sent a new invite link to {}.", invite.email))
    }
    .await;
    back(&ctx, outcome)
}

pub async fn revoke(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        state
            .store
            .revoke_invite(&ctx.org.id, &id, &ctx.audit(), state.now())
            .await?;
        Ok("Invite revoked.".to_string())
    }
    .await;
    back(&ctx, outcome)
}

/// `/invite/{token}`: the page an emailed link opens.
pub async fn invite_page(
    State(state): State<AppState>,
    MaybeSignedIn(me, _): MaybeSignedIn,
    Path(token): Path<String>,
) -> Response {
    invite_page_with(
        &state,
        me.as_ref().map(|m| m.user.email.as_str()),
        &token,
        None,
    )
    .await
}

async fn invite_page_with(
    state: &AppState,
    signed_in_as: Option<&str>,
    token: &str,
    error: Option<&str>,
) -> Response {
    let view = match state.store.invite_by_token(&hash_token(token), state.now()).await {
        Ok(Some(v)) if v.status == "pending" => v,
        Ok(None) => return gone_page(StatusCode::NOT_FOUND, "This invite link is not valid."),
        Ok(Some(_)) | Err(StoreError::InviteGone) => {
            return gone_page(StatusCode::GONE, "This invite can no longer be used: it expired, was used, revoked or replaced by a newer link. Ask an admin to resend it.")
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let has_account = state
        .store
        .user_by_email(&view.email)
        .await
        .ok()
        .flatten()
        .is_some();
    let here = format!("/invite/{token}");
    let body = html! {
        h1 { "Join " (view.org_name) }
        p { "You are invited to join " strong { (view.org_name) } " as " strong { (view.role.name()) }
            ", for " strong { (view.email) } ". The invite expires at " (view.expires_at) "." }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @match signed_in_as {
            Some(email) if email == view.email => {
                form method="post" action=(here) { button type="submit" { "Accept and join" } }
            }
            Some(other) => {
                p.error data-code="wrong_account" { "You are signed in as " (other) ", but this invite is for " (view.email) ". Sign out, then open the link again." }
                form method="post" action="/signout" { button type="submit" { "Sign out" } }
            }
            None if has_account => {
                p { "You already have an account. " a href={ "/signin?next=" (super::urlencode(&here)) } { "Sign in" } " to accept." }
            }
            None => {
                form method="post" action=(here) {
                    label { "Your name" input name="name" autocomplete="name" required; }
                    label { "Choose a password (at least " (crate::auth::password::MIN_PASSWORD_CHARS) " characters)"
                        input type="password" name="password" autocomplete="new-password" required; }
                    button type="submit" { "Create account and join" }
                }
            }
        }
    };
    bare("Invitation", body).into_response()
}

fn gone_page(status: StatusCode, text: &str) -> Response {
    (
        status,
        bare(
            "Invitation",
            html! { h1 { "Invitation" } p.error { (text) } p { a href="/" { "Go to teamgate" } } },
        ),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct AcceptForm {
    name: Option<String>,
    password: Option<String>,
}

pub async fn accept(
    State(state): State<AppState>,
    MaybeSignedIn(me, meta): MaybeSignedIn,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AcceptForm>,
) -> Response {
    let email = me.as_ref().map(|m| m.user.email.clone());
    match accept_with(
        &state,
        me,
        meta,
        &headers,
        &hash_token(&token),
        form.name,
        form.password,
    )
    .await
    {
        Ok(done) => {
            let home = format!("/orgs/{}", done.org_id);
            let mut response = Redirect::to(&home).into_response();
            if let Some(session) = done.new_session {
                let cookie = set_cookie(
                    &session,
                    state.settings.session_ttl,
                    state.settings.secure_cookies(),
                );
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(e) => invite_page_with(&state, email.as_deref(), &token, Some(&explain(&e))).await,
    }
}
