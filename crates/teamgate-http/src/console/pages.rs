//! The organisation's pages.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use teamgate_core::Role;

use super::layout::{shell, NAV};
use crate::api::clean_name;
use crate::error::ApiError;
use crate::gate::{MaybeSignedIn, OrgContext, SignedIn};
use crate::AppState;

/// `/`: a signed-in member goes to their organisation's home page.
pub async fn root(State(state): State<AppState>, MaybeSignedIn(me, _): MaybeSignedIn) -> Response {
    let Some(me) = me else {
        return Redirect::to("/signin").into_response();
    };
    let orgs = match state.store.orgs_of_user(&me.user.id).await {
        Ok(orgs) => orgs,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match orgs.first() {
        Some(org) => Redirect::to(&format!("/orgs/{}", org.id)).into_response(),
        None => super::layout::bare(
            "No organisation",
            html! {
                h1 { "You are not a member of any organisation" }
                p { "Ask an admin for an invite, or create an organisation of your own." }
                form method="post" action="/orgs" {
                    label { "Organisation name" input name="name" required; }
                    button type="submit" { "Create organisation" }
                }
                form method="post" action="/signout" { button type="submit" { "Sign out" } }
            },
        )
        .into_response(),
    }
}

#[derive(Deserialize)]
pub struct NewOrgForm {
    #[serde(default)]
    name: String,
}

pub async fn create_org(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<NewOrgForm>,
) -> Response {
    let name = match clean_name(&form.name, "the organisation name", 100) {
        Ok(n) => n,
        Err(e) => return (StatusCode::UNPROCESSABLE_ENTITY, e.detail()).into_response(),
    };
    match state
        .store
        .create_org(&me.user, &name, &me.audit(None), state.now())
        .await
    {
        Ok(org) => Redirect::to(&format!("/orgs/{}", org.id)).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub(super) async fn orgs_for(
    state: &AppState,
    ctx: &OrgContext,
) -> Vec<teamgate_store::OrgMembership> {
    match ctx.user() {
        Some(u) => state.store.orgs_of_user(&u.id).await.unwrap_or_default(),
        None => Vec::new(),
    }
}

pub async fn home(State(state): State<AppState>, ctx: OrgContext) -> Response {
    let orgs = orgs_for(&state, &ctx).await;
    let content = html! {
        h1 { (ctx.org.name) }
        p { "You are " strong.role { (ctx.role.name()) } " in this organisation." }
        p { (ctx.role.description()) }
        h3 { "What you can do" }
        ul.permissions {
            @for p in ctx.permissions.iter() { li { (p.describe()) } }
        }
    };
    shell(&ctx, &orgs, "", &ctx.org.name, content).into_response()
}

/// A feature or settings page, found by its path.
pub async fn feature(
    State(state): State<AppState>,
    ctx: OrgContext,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let prefix = format!("/orgs/{}/", ctx.org.id);
    let slug = uri
        .path()
        .strip_prefix(&prefix)
        .unwrap_or("")
        .trim_end_matches('/');
    let Some(entry) = NAV.iter().find(|e| e.slug == slug) else {
        return ApiError::NotFound.into_response();
    };
    let orgs = orgs_for(&state, &ctx).await;
    let content = match entry.slug {
        "settings/roles" => roles_page(),
        slug => match super::features::page(&state, &ctx, slug, &q).await {
            Some(Ok(content)) => content,
            Some(Err(e)) => return super::refusal(&state, uri.path(), e),
            None => html! {
                h1 { (entry.label) }
                p.notice { "Nothing here yet." }
            },
        },
    };
    shell(&ctx, &orgs, entry.slug, entry.label, content).into_response()
}

fn roles_page() -> maud::Markup {
    html! {
        h1 { "Roles" }
        p { "Built-in roles cannot be edited or deleted." }
        table {
            thead { tr { th { "Role" } th { "What it is for" } th { "Permissions" } } }
            tbody {
                @for r in Role::ALL {
                    tr data-role=(r.key()) {
                        td { (r.name()) }
                        td { (r.description()) }
                        td { (r.permissions().sorted_names().join(", ")) }
                    }
                }
            }
        }
    }
}
