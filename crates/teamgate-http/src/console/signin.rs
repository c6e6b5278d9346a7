//! Sign-in, sign-out and first-time setup pages.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use teamgate_core::email::normalise_email;
use teamgate_store::NewAccount;

use super::layout::bare;
use crate::api::clean_name;
use crate::api::session::{check_credentials, start_session};
use crate::auth::password::{check_new_password, hash_password, MIN_PASSWORD_CHARS};
use crate::auth::session::{clear_cookie, set_cookie};
use crate::error::ApiError;
use crate::gate::{MaybeSignedIn, SignedIn};
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

/// Only a path of this site may follow sign-in. Browsers drop tabs and
/// newlines from a `Location`, so `/\t/evil.test` would become `//evil.test`.
fn safe_next(next: Option<&str>) -> String {
    let plain =
        |n: &str| !n.contains('\\') && !n.chars().any(|c| c.is_control() || c.is_whitespace());
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && plain(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn signin_form(next: &str, error: Option<&str>) -> Markup {
    bare(
        "Sign in",
        html! {
            h1 { "Sign in to teamgate" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/signin" {
                input type="hidden" name="next" value=(next);
                label { "Email" input type="email" name="email" autocomplete="username" required; }
                label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
        },
    )
}

pub async fn page(MaybeSignedIn(me, _): MaybeSignedIn, Query(q): Query<Next>) -> Response {
    let next = safe_next(q.next.as_deref());
    if me.is_some() {
        return Redirect::to(&next).into_response();
    }
    signin_form(&next, None).into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    MaybeSignedIn(_, meta): MaybeSignedIn,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let client = meta.ip_text();
    let signed_in = match check_credentials(&state, &form.email, &form.password, &client).await {
        Ok(user) => start_session(&state, &user).await,
        Err(e) => Err(e),
    };
    match signed_in {
        Ok(token) => {
            let cookie = set_cookie(
                &token,
                state.settings.session_ttl,
                state.settings.secure_cookies(),
            );
            (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, cookie),
                    (
                        header::LOCATION,
                        next.parse()
                            .unwrap_or(header::HeaderValue::from_static("/")),
                    ),
                ],
            )
                .into_response()
        }
        Err(e) => {
            let message = match &e {
                ApiError::Unauthenticated => {
                    "That email and password do not match an account.".to_string()
                }
                other => other.detail(),
            };
            (e.status(), signin_form(&next, Some(&message))).into_response()
        }
    }
}

pub async fn sign_out(State(state): State<AppState>, me: SignedIn) -> Response {
    if let Err(e) = state.store.end_session(&me.session_hash, state.now()).await {
        return ApiError::from(e).into_response();
    }
    let cookie = clear_cookie(state.settings.secure_cookies());
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (
                header::LOCATION,
                header::HeaderValue::from_static("/signin"),
            ),
        ],
    )
        .into_response()
}

#[derive(Deserialize, Default)]
pub struct SetupQuery {
    token: Option<String>,
}

fn setup_form(token: &str, error: Option<&str>) -> Markup {
    bare(
        "Set up teamgate",
        html! {
            h1 { "Set up teamgate" }
            p { "Create your organisation and its first admin." }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/setup" {
                input type="hidden" name="token" value=(token);
                label { "Organisation name" input name="org" required; }
                label { "Your name" input name="name" autocomplete="name" required; }
                label { "Your email" input type="email" name="email" autocomplete="username" required; }
                label { "Password (at least " (MIN_PASSWORD_CHARS) " characters)"
                    input type="password" name="password" autocomplete="new-password" required; }
                button type="submit" { "Create organisation" }
            }
        },
    )
}

fn setup_closed() -> Response {
    (
        StatusCode::GONE,
        bare(
            "Setup is closed",
            html! {
                h1 { "Setup is closed" }
                p { "teamgate is already set up, or this setup link is not the current one. "
                    a href="/signin" { "Sign in" } }
            },
        ),
    )
        .into_response()
}

pub async fn setup_page(State(state): State<AppState>, Query(q): Query<SetupQuery>) -> Response {
    let token = q.token.unwrap_or_default();
    if !state.setup_token_matches(&token) || state.store.has_users().await.unwrap_or(true) {
        return setup_closed();
    }
    setup_form(&token, None).into_response()
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn setup_submit(State(state): State<AppState>, Form(form): Form<SetupForm>) -> Response {
    if !state.setup_token_matches(&form.token) {
        return setup_closed();
    }
    let checked = (|| {
        let org = clean_name(&form.org, "the organisation name", 100)?;
        let name = clean_name(&form.name, "your name", 100)?;
        let email = normalise_email(&form.email).map_err(|e| ApiError::Invalid(e.to_string()))?;
        check_new_password(&form.password).map_err(ApiError::Invalid)?;
        Ok::<_, ApiError>((org, name, email))
    })();
    let (org_name, name, email) = match checked {
        Ok(v) => v,
        Err(e) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                setup_form(&form.token, Some(&e.detail())),
            )
                .into_response()
        }
    };
    let password_hash = match hash_password(form.password).await {
        Ok(h) => h,
        Err(e) => return ApiError::Internal(e).into_response(),
    };
    let account = NewAccount {
        email,
        name,
        password_hash,
    };
    let (user, org) = match state.store.bootstrap(account, &org_name, state.now()).await {
        Ok(done) => done,
        Err(teamgate_store::StoreError::Conflict(_)) => return setup_closed(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    state.close_setup();
    tracing::info!(org = %org.id, user = %user.id, "setup complete");
    match start_session(&state, &user).await {
        Ok(token) => {
            let cookie = set_cookie(
                &token,
                state.settings.session_ttl,
                state.settings.secure_cookies(),
            );
            let home = format!("/orgs/{}", org.id);
            (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, cookie),
                    (
                        header::LOCATION,
                        home.parse()
                            .unwrap_or(header::HeaderValue::from_static("/")),
                    ),
                ],
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}
