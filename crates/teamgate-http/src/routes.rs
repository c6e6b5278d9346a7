//! Every route of teamgate and the gate it requires, in one table.
//!
//! A route can only be mounted through [`Routes::route`], which takes its
//! [`Gate`]; the authorization-matrix test walks [`Routes::decls`].

use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{on, MethodFilter};
use axum::Router;
use teamgate_core::Permission;

use crate::gate::{enforce, Gate, GateState, RouteDecl, Surface};
use crate::{api, console, observe, AppState};

const fn allow(feature: &str, action: &str) -> Gate {
    Gate::Allow(Permission::of(feature, action))
}

/// Builds the table: API first, then console pages.
pub fn all(state: AppState) -> Routes {
    use Gate::*;
    use Method as M;
    let r = Routes::new(state)
        // Probes and the public catalog.
        .route(M::GET, "/healthz", Public, api::probes::healthz)
        .route(M::GET, "/readyz", Public, api::probes::readyz)
        .route(M::GET, "/metrics", Public, crate::metrics::render)
        .route(M::GET, "/api/v1/catalog", Public, api::catalog::catalog)
        .route(M::GET, "/api/v1/openapi.json", Public, api::openapi::serve)
        // Sessions and the signed-in person.
        .route(M::POST, "/api/v1/session", Public, api::session::sign_in)
        .route(
            M::DELETE,
            "/api/v1/session",
            SignedIn,
            api::session::sign_out,
        )
        .route(M::GET, "/api/v1/me", SignedIn, api::me::show)
        .route(M::PATCH, "/api/v1/me", SignedIn, api::me::update)
        .route(M::POST, "/api/v1/orgs", SignedIn, api::orgs::create)
        // One organisation.
        .route(
            M::GET,
            "/api/v1/orgs/{org}/me/permissions",
            Member,
            api::orgs::my_permissions,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/roles",
            allow("roles", "view"),
            api::orgs::roles,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/check",
            Member,
            api::check::check,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/events",
            Member,
            api::events::events,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/settings",
            allow("org_settings", "view"),
            api::orgs::settings,
        )
        .route(
            M::PATCH,
            "/api/v1/orgs/{org}/settings",
            allow("org_settings", "edit"),
            api::orgs::update_settings,
        )
        // The team.
        .route(
            M::GET,
            "/api/v1/orgs/{org}/members",
            allow("team", "view"),
            api::members::list,
        )
        .route(
            M::PATCH,
            "/api/v1/orgs/{org}/members/{user}",
            allow("team", "change_role"),
            api::members::change_role,
        )
        .route(
            M::DELETE,
            "/api/v1/orgs/{org}/members/{user}",
            allow("team", "remove"),
            api::members::remove,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/leave",
            Member,
            api::members::leave,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/invites",
            allow("team", "invite"),
            api::invites::create,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/invites",
            allow("team", "view"),
            api::invites::list,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/invites/{id}/resend",
            allow("team", "invite"),
            api::invites::resend,
        )
        .route(
            M::DELETE,
            "/api/v1/orgs/{org}/invites/{id}",
            allow("team", "invite"),
            api::invites::revoke,
        )
        // The audit log: read-only; PUT, PATCH and DELETE here answer 405.
        .route(
            M::GET,
            "/api/v1/orgs/{org}/audit",
            allow("audit_log", "view"),
            api::audit::list,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/audit/export",
            allow("audit_log", "export"),
            api::audit::export,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/audit/verify",
            allow("audit_log", "view"),
            api::audit::verify,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/audit/{id}",
            allow("audit_log", "view"),
            api::audit::show,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/api-keys",
            allow("api_keys", "view"),
            api::api_keys::list,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/api-keys",
            allow("api_keys", "create"),
            api::api_keys::create,
        )
        .route(
            M::DELETE,
            "/api/v1/orgs/{org}/api-keys/{id}",
            allow("api_keys", "revoke"),
            api::api_keys::revoke,
        )
        // The platform's features (SPEC.md section 4, feature routes).
        .route(
            M::GET,
            "/api/v1/orgs/{org}/chat-agents",
            allow("chat_agents", "view"),
            api::agents::list::<api::agents::Chat>,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/chat-agents/{id}",
            allow("chat_agents", "view"),
            api::agents::show::<api::agents::Chat>,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/chat-agents",
            allow("chat_agents", "create"),
            api::agents::create::<api::agents::Chat>,
        )
        .route(
            M::PATCH,
            "/api/v1/orgs/{org}/chat-agents/{id}",
            allow("chat_agents", "edit"),
            api::agents::update::<api::agents::Chat>,
        )
        .route(
            M::DELETE,
            "/api/v1/orgs/{org}/chat-agents/{id}",
            allow("chat_agents", "delete"),
            api::agents::delete::<api::agents::Chat>,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/whatsapp-agents",
            allow("whatsapp_agents", "view"),
            api::agents::list::<api::agents::Whatsapp>,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/whatsapp-agents/{id}",
            allow("whatsapp_agents", "view"),
            api::agents::show::<api::agents::Whatsapp>,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/whatsapp-agents",
            allow("whatsapp_agents", "create"),
            api::agents::create::<api::agents::Whatsapp>,
        )
        .route(
            M::PATCH,
            "/api/v1/orgs/{org}/whatsapp-agents/{id}",
            allow("whatsapp_agents", "edit"),
            api::agents::update::<api::agents::Whatsapp>,
        )
        .route(
            M::DELETE,
            "/api/v1/orgs/{org}/whatsapp-agents/{id}",
            allow("whatsapp_agents", "delete"),
            api::agents::delete::<api::agents::Whatsapp>,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/voice-agents",
            allow("voice_agents", "view"),
            api::agents::list::<api::agents::Voice>,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/voice-agents/{id}",
            allow("voice_agents", "view"),
            api::agents::show::<api::agents::Voice>,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/voice-agents",
            allow("voice_agents", "create"),
            api::agents::create::<api::agents::Voice>,
        )
        .route(
            M::PATCH,
            "/api/v1/orgs/{org}/voice-agents/{id}",
            allow("voice_agents", "edit"),
            api::agents::update::<api::agents::Voice>,
        )
        .route(
            M::DELETE,
            "/api/v1/orgs/{org}/voice-agents/{id}",
            allow("voice_agents", "delete"),
            api::agents::delete::<api::agents::Voice>,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/campaigns",
            allow("campaigns", "view"),
            api::campaigns::list,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/campaigns/{id}",
            allow("campaigns", "view"),
            api::campaigns::show,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/campaigns",
            allow("campaigns", "create"),
            api::campaigns::create,
        )
        .route(
            M::PATCH,
            "/api/v1/orgs/{org}/campaigns/{id}",
            allow("campaigns", "edit"),
            api::campaigns::update,
        )
        .route(
            M::DELETE,
            "/api/v1/orgs/{org}/campaigns/{id}",
            allow("campaigns", "delete"),
            api::campaigns::delete,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/campaigns/{id}/launch",
            allow("campaigns", "launch"),
            api::campaigns::launch,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/inbox/conversations",
            allow("inbox", "view"),
            api::inbox::list,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/inbox/conversations",
            allow("inbox", "reply"),
            api::inbox::record,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/inbox/conversations/{id}/replies",
            allow("inbox", "reply"),
            api::inbox::reply,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/inbox/conversations/{id}/assign",
            allow("inbox", "assign"),
            api::inbox::assign,
        )
        .route(
            M::POST,
            "/api/v1/orgs/{org}/inbox/conversations/{id}/close",
            allow("inbox", "close"),
            api::inbox::close,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/analytics",
            allow("analytics", "view"),
            api::analytics::show,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/analytics/export",
            allow("analytics", "export"),
            api::analytics::export,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/logs",
            allow("logs", "view"),
            api::logs::list,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/billing",
            allow("billing", "view"),
            api::billing::show,
        )
        .route(
            M::PATCH,
            "/api/v1/orgs/{org}/billing",
            allow("billing", "edit"),
            api::billing::update,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/usage",
            allow("usage", "view"),
            api::analytics::usage,
        )
        .route(
            M::GET,
            "/api/v1/orgs/{org}/payment-settings",
            allow("payment_settings", "view"),
            api::billing::payment_settings,
        )
        .route(
            M::PATCH,
            "/api/v1/orgs/{org}/payment-settings",
            allow("payment_settings", "edit"),
            api::billing::update_payment_settings,
        )
        .route(
            M::GET,
            "/api/v1/invites/{token}",
            Public,
            api::invites::show,
        )
        .route(
            M::POST,
            "/api/v1/invites/accept",
            Public,
            api::invites::accept,
        );
    console::routes(r)
}

/// The router under construction, with the declaration of each route.
pub struct Routes {
    state: AppState,
    router: Router<AppState>,
    decls: Vec<RouteDecl>,
}

impl Routes {
    fn new(state: AppState) -> Routes {
        Routes {
            state,
            router: Router::new(),
            decls: Vec::new(),
        }
    }

    /// Mounts `handler` at `method path` behind `gate`.
    pub fn route<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        gate: Gate,
        handler: H,
    ) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let probe = matches!(path, "/healthz" | "/readyz" | "/metrics");
        let surface = if path.starts_with("/api/") || probe {
            Surface::Api
        } else {
            Surface::Console
        };
        let decl = RouteDecl {
            method: method.clone(),
            path,
            gate,
            surface,
        };
        let filter = MethodFilter::try_from(method).unwrap_or(MethodFilter::GET);
        let gate_state = GateState::new(self.state.clone(), decl.clone());
        let method_router = on(filter, handler).layer(from_fn_with_state(gate_state, enforce));
        self.router = self.router.route(path, method_router);
        self.decls.push(decl);
        self
    }

    /// Every route and its gate.
    pub fn decls(&self) -> &[RouteDecl] {
        &self.decls
    }

    /// The finished router: unknown paths and methods answer 404 and 405 problems,
    /// every request is traced.
    pub fn build(self, state: AppState) -> Router {
        let router = self
            .router
            .fallback(api::probes::not_found)
            .method_not_allowed_fallback(api::probes::method_not_allowed)
            .with_state(state);
        observe::layer(router)
    }
}
