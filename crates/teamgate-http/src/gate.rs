//! The gate every route passes through, in the order SPEC.md section 4 fixes:
//! authentication (401), membership of the organisation (404), the route's
//! permission (403, recorded as `access.denied`). A route cannot be mounted
//! without declaring its [`Gate`] (see [`crate::routes`]).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::RequestPartsExt;
use teamgate_core::audit::{Actor, ActorType, Context};
use teamgate_core::rules::api_key_permissions;
use teamgate_core::{Permission, PermissionSet, Role};
use teamgate_store::{AuditMeta, Denied, Org, User};

use crate::auth::caller::{self, Caller};
use crate::error::{ApiError, Refusal};
use crate::AppState;

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Anybody, signed in or not.
    Public,
    /// A signed-in person.
    SignedIn,
    /// Any member of the organisation in the path (route-specific rules inside).
    Member,
    /// A member whose role grants this permission.
    Allow(Permission),
}

/// Whether a route answers JSON or console pages; decides how refusals look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Api,
    Console,
}

/// One route and what it requires: the table [`crate::routes`] builds.
#[derive(Debug, Clone)]
pub struct RouteDecl {
    pub method: Method,
    pub path: &'static str,
    pub gate: Gate,
    pub surface: Surface,
}

impl RouteDecl {
    /// `GET /api/v1/orgs/{org}/roles`: how denials name the route.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Where the request came from, for audit events. Kept as it arrived and
/// turned into text only when an event is written.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    ip: Option<IpAddr>,
    user_agent: Option<HeaderValue>,
    request_id: Option<HeaderValue>,
}

impl RequestMeta {
    fn of(req: &Request) -> RequestMeta {
        let headers = req.headers();
        RequestMeta {
            ip: req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
            user_agent: headers.get(header::USER_AGENT).cloned(),
            request_id: headers.get(&crate::observe::REQUEST_ID).cloned(),
        }
    }

    /// The client's address as text, empty when unknown.
    pub fn ip_text(&self) -> String {
        self.ip.map(|ip| ip.to_string()).unwrap_or_default()
    }

    /// The audit event's `context`.
    pub fn context(&self) -> Context {
        Context {
            ip: self.ip.map(|ip| ip.to_string()),
            user_agent: self.user_agent.as_ref().map(|v| header_text(v, 512)),
            request_id: self.request_id.as_ref().map(|v| header_text(v, 128)),
        }
    }
}

fn header_text(value: &HeaderValue, max: usize) -> String {
    String::from_utf8_lossy(value.as_bytes())
        .chars()
        .take(max)
        .collect()
}

/// A signed-in person (for [`Gate::SignedIn`] routes).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub session_hash: String,
    pub meta: RequestMeta,
}

impl SignedIn {
    pub fn audit(&self, role: Option<Role>) -> AuditMeta {
        AuditMeta {
            actor: user_actor(&self.user, role),
            context: self.meta.context(),
        }
    }
}

/// The caller, if any, of a [`Gate::Public`] route.
#[derive(Debug, Clone)]
pub struct MaybeSignedIn(pub Option<SignedIn>, pub RequestMeta);

/// A member acting in an organisation (for [`Gate::Member`] and [`Gate::Allow`]
/// routes). The gate and the handler both hold it, so it is shared, not copied.
#[derive(Debug, Clone)]
pub struct OrgContext(Arc<OrgAccess>);

/// What [`OrgContext`] holds; its fields read through the context.
#[derive(Debug)]
pub struct OrgAccess {
    pub org: Org,
    pub caller: Caller,
    pub role: Role,
    pub permissions: PermissionSet,
    pub meta: RequestMeta,
}

impl std::ops::Deref for OrgContext {
    type Target = OrgAccess;

    fn deref(&self) -> &OrgAccess {
        &self.0
    }
}

impl OrgAccess {
    pub fn audit(&self) -> AuditMeta {
        AuditMeta {
            actor: self.actor(),
            context: self.meta.context(),
        }
    }

    pub fn actor(&self) -> Actor {
        match &self.caller {
            Caller::User { user, .. } => user_actor(user, Some(self.role)),
            Caller::ApiKey(key) => Actor {
                kind: ActorType::ApiKey,
                id: Some(key.id.clone()),
                label: Some(key.name.clone()),
                role: Some(key.role.key().to_string()),
                on_behalf_of: Some(key.created_by.clone()),
            },
        }
    }

    pub fn user(&self) -> Option<&User> {
        self.caller.user()
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }
}

pub fn user_actor(user: &User, role: Option<Role>) -> Actor {
    Actor {
        kind: ActorType::User,
        id: Some(user.id.clone()),
        label: Some(user.email.clone()),
        role: role.map(|r| r.key().to_string()),
        on_behalf_of: None,
    }
}

macro_rules! from_extensions {
    ($t:ty) => {
        impl<S: Send + Sync> FromRequestParts<S> for $t {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
                parts.extensions.get::<$t>().cloned().ok_or_else(|| {
                    ApiError::Internal(
                        concat!(
                            stringify!($t),
                            " asked for on a route whose gate does not give it"
                        )
                        .into(),
                    )
                })
            }
        }
    };
}
from_extensions!(OrgContext);
from_extensions!(SignedIn);
from_extensions!(MaybeSignedIn);

/// The state of one route's gate; cloned per request, so shared.
#[derive(Clone)]
pub struct GateState(Arc<RouteGate>);

pub struct RouteGate {
    pub app: AppState,
    pub decl: RouteDecl,
}

impl GateState {
    pub fn new(app: AppState, decl: RouteDecl) -> GateState {
        GateState(Arc::new(RouteGate { app, decl }))
    }
}

impl std::ops::Deref for GateState {
    type Target = RouteGate;

    fn deref(&self) -> &RouteGate {
        &self.0
    }
}

/// The middleware that applies a route's [`Gate`].
pub async fn enforce(State(g): State<GateState>, mut req: Request, next: Next) -> Response {
    let meta = RequestMeta::of(&req);
    let surface = g.decl.surface;
    tracing::Span::current().record("route", g.decl.path);
    match admit(&g, &mut req, meta).await {
        Ok(()) => {
            let ctx = req.extensions().get::<OrgContext>().cloned();
            let response = next.run(req).await;
            // A rule refused it inside the handler (own role, ceiling…): also a 403 to record.
            if let (Some(ctx), Some(code)) =
                (ctx, response.extensions().get::<crate::error::ErrorCode>())
            {
                if response.status() == axum::http::StatusCode::FORBIDDEN {
                    let denied = Denied {
                        route: g.decl.label(),
                        code: code.0.to_string(),
                        missing_permission: code.1.map(|p| p.to_string()),
                    };
                    record(&g.app, &ctx, denied).await;
                }
            }
            response
        }
        Err(e) => match surface {
            Surface::Api => e.into_response(),
            Surface::Console => crate::console::refusal(&g.app, req.uri().path(), e),
        },
    }
}

async fn admit(g: &GateState, req: &mut Request, meta: RequestMeta) -> Result<(), ApiError> {
    let state = &g.app;
    if g.decl.gate == Gate::Public {
        let caller = caller::resolve(state, req.headers()).await.ok().flatten();
        let signed_in = caller.and_then(|c| match c {
            Caller::User { user, session_hash } => Some(SignedIn {
                user,
                session_hash,
                meta: meta.clone(),
            }),
            Caller::ApiKey(_) => None,
        });
        req.extensions_mut().insert(MaybeSignedIn(signed_in, meta));
        return Ok(());
    }

    let caller = caller::resolve(state, req.headers())
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    // Console pages are for people; a key is refused there as if absent.
    if g.decl.surface == Surface::Console && matches!(caller, Caller::ApiKey(_)) {
        return Err(ApiError::Unauthenticated);
    }
    tracing::Span::current().record("actor", tracing::field::display(ActorLabel(&caller)));
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let csrf_ok = !(unsafe_method && caller.by_cookie()) || origin_is_ours(state, req.headers());

    let permission = match g.decl.gate {
        Gate::Public => unreachable!("handled above"),
        Gate::SignedIn => {
            // Routes about a person need the person, not one of their keys.
            let Caller::User { user, session_hash } = caller else {
                return Err(ApiError::Unauthenticated);
            };
            if !csrf_ok {
                return Err(ApiError::Refused(Refusal::Csrf));
            }
            req.extensions_mut().insert(SignedIn {
                user,
                session_hash,
                meta,
            });
            return Ok(());
        }
        Gate::Member => None,
        Gate::Allow(p) => Some(p),
    };

    let started = std::time::Instant::now();
    let org_id = org_param(req).await.ok_or(ApiError::NotFound)?;
    let org = state.store.org(&org_id).await?.ok_or(ApiError::NotFound)?;
    tracing::Span::current().record("org", org.id.as_str());
    let (role, permissions) = match &caller {
        Caller::User { user, .. } => {
            let role = state
                .store
                .member_role(&org.id, &user.id)
                .await?
                .ok_or(ApiError::NotFound)?;
            (role, role.permissions())
        }
        Caller::ApiKey(key) => {
            // A key belongs to one organisation; any other behaves as if it did not exist.
            if key.org_id != org.id {
                return Err(ApiError::NotFound);
            }
            // Rule 7: capped by the creator's current permissions; gone with the creator.
            let creator = state.store.member_role(&org.id, &key.created_by).await?;
            let Some(creator) = creator else {
                return Err(ApiError::Unauthenticated);
            };
            (
                key.role,
                api_key_permissions(key.role, Some(creator.permissions())),
            )
        }
    };
    let ctx = OrgContext(Arc::new(OrgAccess {
        org,
        caller,
        role,
        permissions,
        meta,
    }));

    let refusal = if !csrf_ok {
        Some(ApiError::Refused(Refusal::Csrf))
    } else {
        permission
            .filter(|p| !permissions.contains(*p))
            .map(ApiError::Forbidden)
    };
    if permission.is_some() {
        crate::metrics::record_check(refusal.is_none(), started);
    }
    if let Some(refusal) = refusal {
        record_denial(state, &ctx, &g.decl, &refusal).await;
        return Err(refusal);
    }
    req.extensions_mut().insert(ctx);
    Ok(())
}

/// Records a 403 on an organisation's route (SPEC.md section 2, rule 8).
pub async fn record_denial(state: &AppState, ctx: &OrgContext, decl: &RouteDecl, e: &ApiError) {
    let denied = Denied {
        route: decl.label(),
        code: e.code().to_string(),
        missing_permission: e.missing_permission().map(|p| p.to_string()),
    };
    record(state, ctx, denied).await;
}

async fn record(state: &AppState, ctx: &OrgContext, denied: Denied) {
    tracing::info!(org = %ctx.org.id, route = %denied.route, code = %denied.code, "access denied");
    if let Err(err) = state
        .store
        .record_denied(&ctx.org.id, denied, &ctx.audit(), state.now())
        .await
    {
        tracing::error!(error = %err, "could not record access.denied");
    }
}

async fn org_param(req: &mut Request) -> Option<String> {
    let (mut parts, body) = std::mem::take(req).into_parts();
    let params = parts.extract::<RawPathParams>().await.ok();
    let org = params.and_then(|p| {
        p.iter()
            .find(|(k, _)| *k == "org")
            .map(|(_, v)| v.to_string())
    });
    *req = Request::from_parts(parts, body);
    // Ids are UUIDs; anything else cannot name an organisation.
    org.filter(|id| uuid::Uuid::parse_str(id).is_ok())
}

/// The CSRF rule: the `Origin` must be teamgate's public origin, or the origin
/// the request was addressed to (its `Host`), which no other site can forge.
pub(crate) fn origin_is_ours(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin.eq_ignore_ascii_case(&state.settings.origin()) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    host.is_some_and(|host| {
        origin.eq_ignore_ascii_case(&format!("http://{host}"))
            || origin.eq_ignore_ascii_case(&format!("https://{host}"))
    })
}

/// `user:ID` or `api_key:ID`, written straight into the log line.
struct ActorLabel<'a>(&'a Caller);

impl std::fmt::Display for ActorLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Caller::User { user, .. } => write!(f, "user:{}", user.id),
            Caller::ApiKey(key) => write!(f, "api_key:{}", key.id),
        }
    }
}
