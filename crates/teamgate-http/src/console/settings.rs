//! Organisation Settings → General (the name), and API Keys: the list, a
//! create form whose answer shows the new secret this once, and revocation.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use teamgate_core::rules::may_grant;
use teamgate_core::{Permission, Role};

use super::features::{back_to, flash, header_row, org_url};
use super::layout::{action, shell};
use crate::api::api_keys::issue;
use crate::api::clean_name;
use crate::error::ApiError;
use crate::gate::OrgContext;
use crate::AppState;

const RENAME: Permission = Permission::of("org_settings", "edit");
const KEY_CREATE: Permission = Permission::of("api_keys", "create");
const KEY_REVOKE: Permission = Permission::of("api_keys", "revoke");

pub(super) fn general_page(
    ctx: &OrgContext,
    q: &HashMap<String, String>,
) -> Result<Markup, ApiError> {
    Ok(html! {
        h1 { "General" }
        (flash(q))
        dl { dt { "Organisation id" } dd { code { (ctx.org.id) } } }
        form method="post" action=(org_url(ctx, "settings/general")) {
            label { "Organisation name" input name="name" value=(ctx.org.name) required maxlength="100"; }
            (action(ctx, RENAME, "Rename Organisation"))
        }
    })
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(
    State(state): State<AppState>,
    ctx: OrgContext,
    Form(form): Form<RenameForm>,
) -> Response {
    let outcome = async {
        let name = clean_name(&form.name, "the organisation name", 100)?;
        let org = state
            .store
            .rename_org(&ctx.org.id, &name, &ctx.audit(), state.now())
            .await?;
        Ok(format!("The organisation is now called {}.", org.name))
    }
    .await;
    back_to(&org_url(&ctx, "settings/general"), outcome)
}

pub(super) async fn api_keys_page(
    state: &AppState,
    ctx: &OrgContext,
    q: &HashMap<String, String>,
) -> Result<Markup, ApiError> {
    let keys = state.store.api_keys(&ctx.org.id).await?;
    let members = state.store.list_members(&ctx.org.id, None, 500).await?;
    let creator = |id: &str| {
        members
            .iter()
            .find(|(m, _)| m.user_id == id)
            .map_or("a former member".to_string(), |(m, _)| m.email.clone())
    };
    let grantable: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| may_grant(ctx.permissions, *r).is_ok())
        .collect();
    let base = org_url(ctx, "api-keys");
    Ok(html! {
        h1 { "API Keys" }
        (flash(q))
        p { "A key acts with its own role, capped by the current permissions of the member who created it. "
            "Its secret is shown once, when it is created." }
        section.create {
            h2 { "New API Key" }
            form method="post" action=(base) {
                label { "Name" input name="name" required maxlength="100"; }
                label { "Role"
                    select name="role" {
                        @for r in &grantable { option value=(r.key()) { (r.name()) } }
                    }
                }
                (action(ctx, KEY_CREATE, "Create API Key"))
            }
        }
        h2 { "Keys" }
        @if keys.is_empty() { p.empty { "No API keys yet." } }
        @else {
            table.api-keys {
                (header_row(&["Name", "Role", "Prefix", "Created by", "Created", "Last used", "Actions"]))
                tbody {
                    @for k in &keys {
                        tr data-id=(k.id) {
                            td { (k.name) }
                            td { (k.role.name()) }
                            td { code { (k.prefix) "…" } }
                            td { (creator(&k.created_by)) }
                            td { (k.created_at) }
                            td { (k.last_used_at.as_deref().unwrap_or("never")) }
                            td {
                                form method="post" action={ (base) "/" (k.id) "/revoke" }
                                    onsubmit="return confirm('Revoke this key? Whatever uses it stops at once.')" {
                                    (action(ctx, KEY_REVOKE, "Revoke"))
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

#[derive(Deserialize)]
pub struct NewKeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// Answers with the page showing the secret, never a redirect: a secret in a
/// URL would end up in the browser's history and in logs.
pub async fn create_key(
    State(state): State<AppState>,
    ctx: OrgContext,
    Form(form): Form<NewKeyForm>,
) -> Response {
    let created = async {
        let name = clean_name(&form.name, "the key name", 100)?;
        let role: Role = form
            .role
            .parse()
            .map_err(|e: teamgate_core::role::UnknownRole| ApiError::Invalid(e.to_string()))?;
        issue(&state, &ctx, name, role).await
    }
    .await;
    let (key, secret) = match created {
        Ok(created) => created,
        Err(e) => return back_to(&org_url(&ctx, "api-keys"), Err(e)),
    };
    let orgs = super::pages::orgs_for(&state, &ctx).await;
    let content = html! {
        h1 { "API Key created" }
        p.notice role="status" { "Copy the key now: it will not be shown again." }
        dl {
            dt { "Name" } dd { (key.name) }
            dt { "Role" } dd { (key.role.name()) }
            dt { "Key" } dd { code.secret data-key-id=(key.id) { (secret) } }
        }
        p { "Send it as " code { "Authorization: Bearer <key>" } "." }
        p { a href=(org_url(&ctx, "api-keys")) { "Back to API Keys" } }
    };
    let mut response = shell(&ctx, &orgs, "api-keys", "API Key created", content).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn revoke_key(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        state
            .store
            .revoke_api_key(&ctx.org.id, &id, &ctx.audit(), state.now())
            .await?;
        tracing::info!(org = %ctx.org.id, key = %id, "API key revoked");
        Ok("API key revoked.".to_string())
    }
    .await;
    back_to(&org_url(&ctx, "api-keys"), outcome)
}
