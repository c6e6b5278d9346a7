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
        // Sessions and the signed-in person.
        .route(M::POST, "/api/v1/session", Public, api::session::sign_in)
        .route(M::DELETE, "/api/v1/session", SignedIn, api::session::sign_out)
        .route(M::GET, "/api/v1/me", SignedIn, api::me::show)
        .route(M::PATCH, "/api/v1/me", SignedIn, api::me::update)
        .route(M::POST, "/api/v1/orgs", SignedIn, api::orgs::create)
        // One organisation.
        .route(M::GET, "/api/v1/orgs/{org}/me/permissions", Member, api::orgs::my_permissions)
        .route(M::GET, "/api/v1/orgs/{org}/roles", allow("roles", "view"), api::orgs::roles)
        .route(M::POST, "/api/v1/orgs/{org}/check", Member, api::check::check)
        .route(M::GET, "/api/v1/orgs/{org}/events", Member, api::events::events)
        .route(M::GET, "/api/v1/orgs/{org}/settings", allow("org_settings", "view"), api::orgs::settings)
        .route(M::PATCH, "/api/v1/orgs/{org}/settings", allow("org_settings", "edit"), api::orgs::update_settings)
        // The team.
        .route(M::GET, "/api/v1/orgs/{org}/members", allow("team", "view"), api::members::list)
        .route(M::PATCH, "/api/v1/orgs/{org}/members/{user}", allow("team", "change_role"), api::members::change_role)
        .route(M::DELETE, "/api/v1/orgs/{org}/members/{user}", allow("team", "remove"), api::members::remove)
        .route(M::POST, "/api/v1/orgs/{org}/leave", Member, api::members::leave)
        .route(M::POST, "/api/v1/orgs/{org}/invites", allow("team", "invite"), api::invites::create)
        .route(M::GET, "/api/v1/orgs/{org}/invites", allow("team", "view"), api::invites::list)
        .route(M::POST, "/api/v1/orgs/{org}/invites/{id}/resend", allow("team", "invite"), api::invites::resend)
        .route(M::DELETE, "/api/v1/orgs/{org}/invites/{id}", allow("team", "invite"), api::invites::revoke)
        .route(M::GET, "/api/v1/orgs/{org}/api-keys", allow("api_keys", "view"), api::api_keys::list)
        .route(M::POST, "/api/v1/orgs/{org}/api-keys", allow("api_keys", "create"), api::api_keys::create)
        .route(M::DELETE, "/api/v1/orgs/{org}/api-keys/{id}", allow("api_keys", "revoke"), api::api_keys::revoke)
        .route(M::GET, "/api/v1/invites/{token}", Public, api::invites::show)
        .route(M::POST, "/api/v1/invites/accept", Public, api::invites::accept);
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
        Routes { state, router: Router::new(), decls: Vec::new() }
    }

    /// Mounts `handler` at `method path` behind `gate`.
    pub fn route<H, T>(mut self, method: Method, path: &'static str, gate: Gate, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let probe = matches!(path, "/healthz" | "/readyz" | "/metrics");
        let surface = if path.starts_with("/api/") || probe { Surface::Api } else { Surface::Console };
        let decl = RouteDecl { method: method.clone(), path, gate, surface };
        let filter = MethodFilter::try_from(method).unwrap_or(MethodFilter::GET);
        let gate_state = GateState { app: self.state.clone(), decl: decl.clone() };
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
