//! The console: server-rendered pages whose menus and actions follow the
//! member's permissions. Every gated element carries `data-permission`.

mod assets;
mod layout;
mod pages;
mod signin;
mod team;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use teamgate_core::Permission;

use crate::error::ApiError;
use crate::gate::Gate;
use crate::routes::Routes;
use crate::AppState;

pub use layout::{NavEntry, NAV};

/// Mounts the console's pages.
pub fn routes(r: Routes) -> Routes {
    use Gate::*;
    use Method as M;
    let team_view = Gate::Allow(Permission::of("team", "view"));
    let mut r = r
        .route(M::GET, "/", Public, pages::root)
        .route(M::GET, "/signin", Public, signin::page)
        .route(M::GET, "/static/live.js", Public, assets::live_js)
        .route(M::GET, "/removed", Public, assets::removed)
        .route(M::POST, "/signin", Public, signin::submit)
        .route(M::POST, "/signout", SignedIn, signin::sign_out)
        .route(M::GET, "/setup", Public, signin::setup_page)
        .route(M::POST, "/setup", Public, signin::setup_submit)
        .route(M::POST, "/orgs", SignedIn, pages::create_org)
        .route(M::GET, "/orgs/{org}", Member, pages::home)
        .route(M::GET, "/invite/{token}", Public, team::invite_page)
        .route(M::POST, "/invite/{token}", Public, team::accept)
        .route(M::GET, "/orgs/{org}/settings/team", team_view, team::page)
        .route(M::POST, "/orgs/{org}/settings/team/invite", Gate::Allow(Permission::of("team", "invite")), team::invite)
        .route(M::POST, "/orgs/{org}/settings/team/members/{user}/role", Gate::Allow(Permission::of("team", "change_role")), team::change_role)
        .route(M::POST, "/orgs/{org}/settings/team/members/{user}/remove", Gate::Allow(Permission::of("team", "remove")), team::remove)
        .route(M::POST, "/orgs/{org}/settings/team/invites/{id}/resend", Gate::Allow(Permission::of("team", "invite")), team::resend)
        .route(M::POST, "/orgs/{org}/settings/team/invites/{id}/revoke", Gate::Allow(Permission::of("team", "invite")), team::revoke);
    // The remaining sidebar pages share one handler.
    for entry in NAV.iter().filter(|e| e.slug != "settings/team") {
        r = r.route(M::GET, entry.route, Gate::Allow(entry.permission), pages::feature);
    }
    r
}

/// How a refused console request looks: sign-in for 401, a page otherwise.
pub fn refusal(state: &AppState, path: &str, e: ApiError) -> Response {
    let _ = state;
    match e {
        ApiError::Unauthenticated => {
            let next = urlencode(path);
            Redirect::to(&format!("/signin?next={next}")).into_response()
        }
        other => {
            let status = other.status();
            let title = match status {
                StatusCode::FORBIDDEN => "You do not have access to this page",
                StatusCode::NOT_FOUND => "Page not found",
                _ => other.title(),
            };
            if status.is_server_error() {
                tracing::error!(error = %other, "console request failed");
            }
            let page = layout::bare(title, maud::html! {
                h1 { (title) }
                p.reason data-code=(other.code()) { (other.detail()) }
                @if let Some(p) = other.missing_permission() {
                    p { "Ask an admin of your organisation for a role that can " (p.describe()) "." }
                }
                p { a href="/" { "Back to your organisation" } }
            });
            (status, page).into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Percent-encodes text for a query string value.
fn urlencode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
