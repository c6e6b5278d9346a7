//! The authorization matrix: every route of the route table, called as each
//! built-in role, as an API key of each role, without authentication and as
//! the admin of another organisation, against the status each cell must have.
//!
//! The expectations are generated from each route's declared gate and the
//! role table of SPEC.md section 1; the contract's list of API routes below
//! must match the route table exactly, so a new route without a row fails.

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::Method;
use serde_json::json;
use teamgate_core::{Permission, Role};
use teamgate_http::gate::{Gate, RouteDecl, Surface};
use teamgate_http::{AppState, Settings};

use crate::helpers::{each_database, TestApp};

/// SPEC.md section 4's API routes and what each needs: `public`,
/// `signed_in`, `member`, or a permission.
const CONTRACT: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "public"),
    ("GET", "/readyz", "public"),
    ("GET", "/metrics", "public"),
    ("GET", "/api/v1/catalog", "public"),
    ("GET", "/api/v1/openapi.json", "public"),
    ("POST", "/api/v1/session", "public"),
    ("DELETE", "/api/v1/session", "signed_in"),
    ("GET", "/api/v1/me", "signed_in"),
    ("PATCH", "/api/v1/me", "signed_in"),
    ("POST", "/api/v1/orgs", "signed_in"),
    ("GET", "/api/v1/orgs/{}/me/permissions", "member"),
    ("GET", "/api/v1/orgs/{}/roles", "roles:view"),
    ("POST", "/api/v1/orgs/{}/check", "member"),
    ("GET", "/api/v1/orgs/{}/events", "member"),
    ("GET", "/api/v1/orgs/{}/settings", "org_settings:view"),
    ("PATCH", "/api/v1/orgs/{}/settings", "org_settings:edit"),
    ("GET", "/api/v1/orgs/{}/members", "team:view"),
    ("PATCH", "/api/v1/orgs/{}/members/{}", "team:change_role"),
    ("DELETE", "/api/v1/orgs/{}/members/{}", "team:remove"),
    ("POST", "/api/v1/orgs/{}/leave", "member"),
    ("POST", "/api/v1/orgs/{}/invites", "team:invite"),
    ("GET", "/api/v1/orgs/{}/invites", "team:view"),
    ("POST", "/api/v1/orgs/{}/invites/{}/resend", "team:invite"),
    ("DELETE", "/api/v1/orgs/{}/invites/{}", "team:invite"),
    ("GET", "/api/v1/invites/{}", "public"),
    ("POST", "/api/v1/invites/accept", "public"),
    ("GET", "/api/v1/orgs/{}/audit", "audit_log:view"),
    ("GET", "/api/v1/orgs/{}/audit/export", "audit_log:export"),
    ("GET", "/api/v1/orgs/{}/audit/verify", "audit_log:view"),
    ("GET", "/api/v1/orgs/{}/audit/{}", "audit_log:view"),
    ("GET", "/api/v1/orgs/{}/api-keys", "api_keys:view"),
    ("POST", "/api/v1/orgs/{}/api-keys", "api_keys:create"),
    ("DELETE", "/api/v1/orgs/{}/api-keys/{}", "api_keys:revoke"),
    ("GET", "/api/v1/orgs/{}/chat-agents", "chat_agents:view"),
    ("GET", "/api/v1/orgs/{}/chat-agents/{}", "chat_agents:view"),
    ("POST", "/api/v1/orgs/{}/chat-agents", "chat_agents:create"),
    (
        "PATCH",
        "/api/v1/orgs/{}/chat-agents/{}",
        "chat_agents:edit",
    ),
    (
        "DELETE",
        "/api/v1/orgs/{}/chat-agents/{}",
        "chat_agents:delete",
    ),
    (
        "GET",
        "/api/v1/orgs/{}/whatsapp-agents",
        "whatsapp_agents:view",
    ),
    (
        "GET",
        "/api/v1/orgs/{}/whatsapp-agents/{}",
        "whatsapp_agents:view",
    ),
    (
        "POST",
        "/api/v1/orgs/{}/whatsapp-agents",
        "whatsapp_agents:create",
    ),
    (
        "PATCH",
        "/api/v1/orgs/{}/whatsapp-agents/{}",
        "whatsapp_agents:edit",
    ),
    (
        "DELETE",
        "/api/v1/orgs/{}/whatsapp-agents/{}",
        "whatsapp_agents:delete",
    ),
    ("GET", "/api/v1/orgs/{}/voice-agents", "voice_agents:view"),
    (
        "GET",
        "/api/v1/orgs/{}/voice-agents/{}",
        "voice_agents:view",
    ),
    (
        "POST",
        "/api/v1/orgs/{}/voice-agents",
        "voice_agents:create",
    ),
    (
        "PATCH",
        "/api/v1/orgs/{}/voice-agents/{}",
        "voice_agents:edit",
    ),
    (
        "DELETE",
        "/api/v1/orgs/{}/voice-agents/{}",
        "voice_agents:delete",
    ),
    ("GET", "/api/v1/orgs/{}/campaigns", "campaigns:view"),
    ("GET", "/api/v1/orgs/{}/campaigns/{}", "campaigns:view"),
    ("POST", "/api/v1/orgs/{}/campaigns", "campaigns:create"),
    ("PATCH", "/api/v1/orgs/{}/campaigns/{}", "campaigns:edit"),
    ("DELETE", "/api/v1/orgs/{}/campaigns/{}", "campaigns:delete"),
    (
        "POST",
        "/api/v1/orgs/{}/campaigns/{}/launch",
        "campaigns:launch",
    ),
    ("GET", "/api/v1/orgs/{}/inbox/conversations", "inbox:view"),
    ("POST", "/api/v1/orgs/{}/inbox/conversations", "inbox:reply"),
    (
        "POST",
        "/api/v1/orgs/{}/inbox/conversations/{}/replies",
        "inbox:reply",
    ),
    (
        "POST",
        "/api/v1/orgs/{}/inbox/conversations/{}/assign",
        "inbox:assign",
    ),
    (
        "POST",
        "/api/v1/orgs/{}/inbox/conversations/{}/close",
        "inbox:close",
    ),
    ("GET", "/api/v1/orgs/{}/analytics", "analytics:view"),
    (
        "GET",
        "/api/v1/orgs/{}/analytics/export",
        "analytics:export",
    ),
    ("GET", "/api/v1/orgs/{}/logs", "logs:view"),
    ("GET", "/api/v1/orgs/{}/billing", "billing:view"),
    ("PATCH", "/api/v1/orgs/{}/billing", "billing:edit"),
    ("GET", "/api/v1/orgs/{}/usage", "usage:view"),
    (
        "GET",
        "/api/v1/orgs/{}/payment-settings",
        "payment_settings:view",
    ),
    (
        "PATCH",
        "/api/v1/orgs/{}/payment-settings",
        "payment_settings:edit",
    ),
];

/// `/orgs/{org}/members/{user}` → `/orgs/{}/members/{}`.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn gate_name(gate: Gate) -> String {
    match gate {
        Gate::Public => "public".into(),
        Gate::SignedIn => "signed_in".into(),
        Gate::Member => "member".into(),
        Gate::Allow(p) => p.to_string(),
    }
}

fn decls_of(app: &TestApp) -> Vec<RouteDecl> {
    let state = AppState::new(
        Arc::new(app.store.clone()),
        app.clock.clone(),
        Settings::new(app.address.clone()),
    );
    teamgate_http::routes::all(state).decls().to_vec()
}

#[tokio::test]
async fn the_route_table_matches_the_contract_row_for_row() {
    each_database(async |app| {
        let table: BTreeSet<(String, String, String)> = decls_of(app)
            .iter()
            .filter(|d| d.surface == Surface::Api)
            .map(|d| (d.method.to_string(), shape(d.path), gate_name(d.gate)))
            .collect();
        let contract: BTreeSet<(String, String, String)> = CONTRACT
            .iter()
            .map(|(m, p, g)| (m.to_string(), p.to_string(), g.to_string()))
            .collect();
        let unlisted: Vec<_> = table.difference(&contract).collect();
        let unmounted: Vec<_> = contract.difference(&table).collect();
        assert!(
            unlisted.is_empty(),
            "routes without a row in the contract (or with another gate): {unlisted:#?}"
        );
        assert!(
            unmounted.is_empty(),
            "contract rows no route serves: {unmounted:#?}"
        );
    })
    .await;
}

#[tokio::test]
async fn every_console_page_of_an_organisation_is_gated() {
    each_database(async |app| {
        for d in decls_of(app)
            .iter()
            .filter(|d| d.surface == Surface::Console && d.path.starts_with("/orgs/{org}"))
        {
            assert!(
                matches!(d.gate, Gate::Member | Gate::Allow(_)),
                "{} {} is not gated",
                d.method,
                d.path
            );
        }
    })
    .await;
}

/// Who calls, in one cell of the matrix.
#[derive(Clone)]
enum Caller {
    Nobody,
    Session { role: Role, cookie: String },
    Key { role: Role, secret: String },
    OtherAdmin { cookie: String },
}

impl Caller {
    fn label(&self) -> String {
        match self {
            Caller::Nobody => "unauthenticated".into(),
            Caller::Session { role, .. } => format!("{role} session"),
            Caller::Key { role, .. } => format!("{role} API key"),
            Caller::OtherAdmin { .. } => "admin of another org".into(),
        }
    }
}

/// What a cell must answer.
#[derive(Debug, PartialEq)]
enum Expect {
    Unauthenticated,
    NotFound,
    Denied(Option<Permission>),
    Allowed,
}

fn expected(decl: &RouteDecl, caller: &Caller) -> Expect {
    let org_route = decl.path.contains("{org}");
    match (caller, decl.gate) {
        (_, Gate::Public) => Expect::Allowed,
        (Caller::Nobody, _) => Expect::Unauthenticated,
        (Caller::Key { .. }, Gate::SignedIn) => Expect::Unauthenticated,
        // Leaving is something a person does; a key has no membership to leave.
        (Caller::Key { .. }, _) if decl.path.ends_with("/leave") => Expect::Unauthenticated,
        (Caller::Key { .. }, _) if decl.surface == Surface::Console => Expect::Unauthenticated,
        (Caller::OtherAdmin { .. }, _) if org_route => Expect::NotFound,
        (Caller::OtherAdmin { .. }, _) => Expect::Allowed,
        (_, Gate::SignedIn | Gate::Member) => Expect::Allowed,
        (Caller::Session { role, .. } | Caller::Key { role, .. }, Gate::Allow(p)) => {
            if role.permissions().contains(p) {
                Expect::Allowed
            } else {
                Expect::Denied(Some(p))
            }
        }
    }
}

/// A concrete request path: the org is ours, any other id is one that does not exist.
fn concrete(decl: &RouteDecl, org: &str) -> String {
    decl.path
        .split('/')
        .map(|seg| match seg {
            "{org}" => org.to_string(),
            s if s.starts_with('{') => uuid::Uuid::new_v4().to_string(),
            s => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Routes that end the caller's own session or membership get a throwaway one.
fn self_destructive(decl: &RouteDecl) -> bool {
    decl.path.ends_with("/leave")
        || decl.path == "/api/v1/session" && decl.method == Method::DELETE
        || decl.path == "/signout"
}

async fn call(app: &TestApp, decl: &RouteDecl, caller: &Caller) -> (u16, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}{}", app.address, concrete(decl, &app.org.id));
    let mut req = http
        .request(decl.method.clone(), url)
        .header("Origin", &app.address);
    req = match caller {
        Caller::Nobody => req,
        Caller::Session { cookie, .. } | Caller::OtherAdmin { cookie } => {
            req.header("cookie", cookie)
        }
        Caller::Key { secret, .. } => req.bearer_auth(secret),
    };
    if decl.method == Method::POST || decl.method == Method::PATCH {
        req = if decl.surface == Surface::Api {
            req.json(&json!({}))
        } else {
            req.form(&[("unused", "")])
        };
    }
    if decl.path.ends_with("/events") {
        // A stream never ends; its status is all the cell needs.
        let res = req.send().await.expect("teamgate answers");
        return (res.status().as_u16(), String::new());
    }
    let res = req.send().await.expect("teamgate answers");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

fn judge(decl: &RouteDecl, expect: &Expect, status: u16, body: &str) -> Result<(), String> {
    let console = decl.surface == Surface::Console;
    let ok = match expect {
        Expect::Unauthenticated if console => status == 303 || status == 401,
        Expect::Unauthenticated => status == 401,
        Expect::NotFound => status == 404,
        Expect::Denied(p) => {
            status == 403
                && (console
                    || p.is_none_or(|p| body.contains(&format!("\"missing_permission\":\"{p}\""))))
        }
        // Public routes judge credentials themselves (a sign-in form may answer 401).
        Expect::Allowed if decl.gate == Gate::Public => status != 403 && status < 500,
        Expect::Allowed => {
            let only_org_param = decl.path.matches('{').count() <= 1;
            !matches!(status, 401 | 403)
                && status < 500
                && !(only_org_param && status == 404 && decl.path.contains("{org}"))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected {expect:?}, got {status}: {}",
            body.chars().take(160).collect::<String>()
        ))
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_role_matrix_says() {
    each_database(async |app| {
        let decls = decls_of(app);
        let mut callers = vec![Caller::Nobody];
        let admin = app.signed_in("ada@x.test").await;
        for role in Role::ALL {
            let member = app.member(role).await;
            let client = app.signed_in(&member.email).await;
            callers.push(Caller::Session {
                role,
                cookie: client.cookie_header().unwrap(),
            });
            let key = admin
                .send(
                    Method::POST,
                    &format!("/api/v1/orgs/{}/api-keys", app.org.id),
                    Some(json!({"name": role.key(), "role": role.key()})),
                )
                .await;
            let secret = key.json()["key"]
                .as_str()
                .expect("a key secret")
                .to_string();
            callers.push(Caller::Key { role, secret });
        }
        app.other_org().await;
        let gus = app.signed_in("gus@globex.test").await;
        callers.push(Caller::OtherAdmin {
            cookie: gus.cookie_header().unwrap(),
        });

        let mut failures = Vec::new();
        let mut cells = 0;
        for decl in &decls {
            for caller in &callers {
                let caller = match (caller, self_destructive(decl)) {
                    // A throwaway member of the same role, so the real one stays.
                    (Caller::Session { role, .. }, true) => {
                        let email = format!("throwaway-{}@x.test", uuid::Uuid::new_v4().simple());
                        app.add_member(&app.org.id, &email, *role).await;
                        let client = app.signed_in(&email).await;
                        Caller::Session {
                            role: *role,
                            cookie: client.cookie_header().unwrap(),
                        }
                    }
                    (Caller::OtherAdmin { .. }, true) => {
                        let client = app.signed_in("gus@globex.test").await;
                        Caller::OtherAdmin {
                            cookie: client.cookie_header().unwrap(),
                        }
                    }
                    (c, _) => c.clone(),
                };
                let expect = expected(decl, &caller);
                let (status, body) = call(app, decl, &caller).await;
                cells += 1;
                if let Err(why) = judge(decl, &expect, status, &body) {
                    failures.push(format!(
                        "{} {} as {}: {why}",
                        decl.method,
                        decl.path,
                        caller.label()
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {cells} cells wrong on {}:\n{}",
            failures.len(),
            app.db,
            failures.join("\n")
        );
        eprintln!(
            "authorization matrix: {cells} cells, all as expected on {}",
            app.db
        );
    })
    .await;
}
