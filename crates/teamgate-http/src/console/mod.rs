//! The console: server-rendered pages whose menus and actions follow the
//! member's permissions. Every gated element carries `data-permission`.

mod agents;
mod assets;
mod audit;
mod billing;
mod features;
mod inbox;
mod insights;
mod layout;
mod pages;
mod settings;
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
        .route(
            M::GET,
            "/orgs/{org}/settings/audit",
            Gate::Allow(Permission::of("audit_log", "view")),
            audit::page,
        )
        .route(
            M::POST,
            "/orgs/{org}/settings/team/invite",
            Gate::Allow(Permission::of("team", "invite")),
            team::invite,
        )
        .route(
            M::POST,
            "/orgs/{org}/settings/team/members/{user}/role",
            Gate::Allow(Permission::of("team", "change_role")),
            team::change_role,
        )
        .route(
            M::POST,
            "/orgs/{org}/settings/team/members/{user}/remove",
            Gate::Allow(Permission::of("team", "remove")),
            team::remove,
        )
        .route(
            M::POST,
            "/orgs/{org}/settings/team/invites/{id}/resend",
            Gate::Allow(Permission::of("team", "invite")),
            team::resend,
        )
        .route(
            M::POST,
            "/orgs/{org}/settings/team/invites/{id}/revoke",
            Gate::Allow(Permission::of("team", "invite")),
            team::revoke,
        );
    r = feature_forms(r);
    // The remaining sidebar pages share one handler.
    for entry in NAV
        .iter()
        .filter(|e| !matches!(e.slug, "settings/team" | "settings/audit"))
    {
        r = r.route(
            M::GET,
            entry.route,
            Gate::Allow(entry.permission),
            pages::feature,
        );
    }
    r
}

/// The feature pages' form posts, each gated like its API twin.
fn feature_forms(r: Routes) -> Routes {
    use crate::api::agents::{Chat, Voice, Whatsapp};
    use Method as M;
    const fn allow(feature: &str, action: &str) -> Gate {
        Gate::Allow(Permission::of(feature, action))
    }
    r.route(
        M::POST,
        "/orgs/{org}/chat-agents",
        allow("chat_agents", "create"),
        agents::create_agent::<Chat>,
    )
    .route(
        M::POST,
        "/orgs/{org}/chat-agents/{id}/edit",
        allow("chat_agents", "edit"),
        agents::edit_agent::<Chat>,
    )
    .route(
        M::POST,
        "/orgs/{org}/chat-agents/{id}/delete",
        allow("chat_agents", "delete"),
        agents::delete_agent::<Chat>,
    )
    .route(
        M::POST,
        "/orgs/{org}/whatsapp-agents",
        allow("whatsapp_agents", "create"),
        agents::create_agent::<Whatsapp>,
    )
    .route(
        M::POST,
        "/orgs/{org}/whatsapp-agents/{id}/edit",
        allow("whatsapp_agents", "edit"),
        agents::edit_agent::<Whatsapp>,
    )
    .route(
        M::POST,
        "/orgs/{org}/whatsapp-agents/{id}/delete",
        allow("whatsapp_agents", "delete"),
        agents::delete_agent::<Whatsapp>,
    )
    .route(
        M::POST,
        "/orgs/{org}/voice-agents",
        allow("voice_agents", "create"),
        agents::create_agent::<Voice>,
    )
    .route(
        M::POST,
        "/orgs/{org}/voice-agents/{id}/edit",
        allow("voice_agents", "edit"),
        agents::edit_agent::<Voice>,
    )
    .route(
        M::POST,
        "/orgs/{org}/voice-agents/{id}/delete",
        allow("voice_agents", "delete"),
        agents::delete_agent::<Voice>,
    )
    .route(
        M::POST,
        "/orgs/{org}/campaigns",
        allow("campaigns", "create"),
        agents::create_campaign,
    )
    .route(
        M::POST,
        "/orgs/{org}/campaigns/{id}/edit",
        allow("campaigns", "edit"),
        agents::edit_campaign,
    )
    .route(
        M::POST,
        "/orgs/{org}/campaigns/{id}/delete",
        allow("campaigns", "delete"),
        agents::delete_campaign,
    )
    .route(
        M::POST,
        "/orgs/{org}/campaigns/{id}/launch",
        allow("campaigns", "launch"),
        agents::launch_campaign,
    )
    .route(
        M::POST,
        "/orgs/{org}/inbox/conversations",
        allow("inbox", "reply"),
        inbox::record,
    )
    .route(
        M::POST,
        "/orgs/{org}/inbox/conversations/{id}/replies",
        allow("inbox", "reply"),
        inbox::reply,
    )
    .route(
        M::POST,
        "/orgs/{org}/inbox/conversations/{id}/assign",
        allow("inbox", "assign"),
        inbox::assign,
    )
    .route(
        M::POST,
        "/orgs/{org}/inbox/conversations/{id}/close",
        allow("inbox", "close"),
        inbox::close,
    )
    .route(
        M::POST,
        "/orgs/{org}/billing",
        allow("billing", "edit"),
        billing::update_billing,
    )
    .route(
        M::POST,
        "/orgs/{org}/payment-settings",
        allow("payment_settings", "edit"),
        billing::update_payment,
    )
    .route(
        M::POST,
        "/orgs/{org}/api-keys",
        allow("api_keys", "create"),
        settings::create_key,
    )
    .route(
        M::POST,
        "/orgs/{org}/api-keys/{id}/revoke",
        allow("api_keys", "revoke"),
        settings::revoke_key,
    )
    .route(
        M::POST,
        "/orgs/{org}/settings/general",
        allow("org_settings", "edit"),
        settings::rename,
    )
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
            let page = layout::bare(
                title,
                maud::html! {
                    h1 { (title) }
                    p.reason data-code=(other.code()) { (other.detail()) }
                    @if let Some(p) = other.missing_permission() {
                        p { "Ask an admin of your organisation for a role that can " (p.describe()) "." }
                    }
                    p { a href="/" { "Back to your organisation" } }
                },
            );
            (status, page).into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Percent-encodes text for a query string value.
fn urlencode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
