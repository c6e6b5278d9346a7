//! `/api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the
//! route table itself, so every mounted API route is in it with the
//! permission it needs, and no route can be missing.

use axum::Json;
use serde_json::{json, Map, Value};

use crate::gate::{Gate, RouteDecl, Surface};

/// The document for `decls` (the API routes among them).
pub fn document(decls: &[RouteDecl]) -> Value {
    let mut paths = Map::new();
    for decl in decls.iter().filter(|d| d.surface == Surface::Api) {
        let entry = paths
            .entry(decl.path.to_string())
            .or_insert_with(|| json!({}));
        entry[decl.method.as_str().to_lowercase()] = operation(decl);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "teamgate",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Team and access control: roles, permissions, members, invites, API keys and the audit log. \
                Each operation names the permission it needs in `x-permission`.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::session::COOKIE_NAME},
                "apiKey": {"type": "http", "scheme": "bearer"},
            },
            "schemas": components(),
        },
    })
}

/// The route table never changes while the process runs, so neither does the document.
static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();

pub async fn serve(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
) -> Json<Value> {
    Json(
        DOCUMENT
            .get_or_init(|| document(crate::routes::all(state).decls()))
            .clone(),
    )
}

/// `Problem` and the shapes of [`crate::api::schemas`].
fn components() -> Value {
    let mut schemas = crate::api::schemas::components();
    schemas.insert("Problem".into(), problem_schema());
    Value::Object(schemas)
}

fn operation(decl: &RouteDecl) -> Value {
    let permission = match decl.gate {
        Gate::Public => "anyone".to_string(),
        Gate::SignedIn => "signed in".to_string(),
        Gate::Member => "member".to_string(),
        Gate::Allow(p) => p.to_string(),
    };
    let mut op = json!({
        "operationId": operation_id(decl),
        "summary": format!("{} {} (needs: {permission})", decl.method, decl.path),
        "x-permission": permission,
        "parameters": parameters(decl),
        "responses": responses(decl),
    });
    if decl.gate != Gate::Public {
        op["security"] = json!([{"session": []}, {"apiKey": []}]);
    }
    if let Some(schema) = request_schema(decl) {
        op["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    op
}

fn operation_id(decl: &RouteDecl) -> String {
    let path: String = decl
        .path
        .trim_start_matches("/api/v1/")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!(
        "{}_{}",
        decl.method.as_str().to_lowercase(),
        path.trim_matches('_')
    )
}

fn parameters(decl: &RouteDecl) -> Value {
    let mut params: Vec<Value> = decl
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = if name == "token" {
                json!({"type": "string"})
            } else {
                json!({"type": "string", "format": "uuid"})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    if decl.method == axum::http::Method::GET && lists(decl.path) {
        params.push(json!({"name": "limit", "in": "query", "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}));
        params.push(json!({"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}}));
    }
    if decl.method == axum::http::Method::GET
        && (decl.path.ends_with("/audit") || decl.path.ends_with("/audit/export"))
    {
        params.extend(crate::api::audit::query_parameters(
            decl.path.ends_with("/export"),
        ));
    }
    Value::Array(params)
}

/// Collections that answer `{"items": [...], "next_cursor": ...}`.
fn lists(path: &str) -> bool {
    !path.ends_with('}')
        && [
            "/members",
            "/invites",
            "/api-keys",
            "/agents",
            "/campaigns",
            "/conversations",
            "/logs",
            "/audit",
            "/roles",
        ]
        .iter()
        .any(|suffix| path.ends_with(suffix))
}

fn responses(decl: &RouteDecl) -> Value {
    use axum::http::Method;
    let last = decl.path.rsplit('/').next().unwrap_or("");
    let problem = json!({"description": "An error, as RFC 9457 problem details.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let mut out = Map::new();
    let actions = [
        "check", "accept", "session", "resend", "launch", "assign", "close",
    ];
    let (code, content) = if decl.method == Method::DELETE || last == "leave" {
        ("204", None)
    } else if decl.method == Method::POST && !last.starts_with('{') && !actions.contains(&last) {
        ("201", Some(json!({"application/json": {"schema": {}}})))
    } else if last == "events" {
        (
            "200",
            Some(json!({"text/event-stream": {"schema": {"type": "string"}}})),
        )
    } else if last == "export" {
        (
            "200",
            Some(
                json!({"text/csv": {"schema": {"type": "string"}}, "application/x-ndjson": {"schema": {"type": "string"}}}),
            ),
        )
    } else if last == "metrics" {
        (
            "200",
            Some(json!({"text/plain": {"schema": {"type": "string"}}})),
        )
    } else {
        ("200", Some(json!({"application/json": {"schema": {}}})))
    };
    let mut success = json!({"description": "Done."});
    if let Some(mut content) = content {
        let schema = crate::api::schemas::success(&decl.method, decl.path);
        if let (Some(json), Some(schema)) = (content.get_mut("application/json"), schema) {
            json["schema"] = schema;
        }
        success["content"] = content;
    }
    out.insert(code.to_string(), success);
    if last == "readyz" {
        out.insert(
            "503".into(),
            json!({"description": "The database does not answer.",
            "content": {"application/json": {"schema": {}}}}),
        );
    }
    out.insert("default".into(), problem);
    Value::Object(out)
}

fn string(max: u32) -> Value {
    json!({"type": "string", "maxLength": max})
}

/// A name: trimmed by the server, so it needs one character that is not a space.
fn name(max: u32) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S"})
}

fn new_password() -> Value {
    json!({"type": "string", "minLength": crate::auth::password::MIN_PASSWORD_CHARS, "maxLength": 1024})
}

fn request_schema(decl: &RouteDecl) -> Option<Value> {
    use axum::http::Method;
    let role =
        json!({"type": "string", "enum": ["admin", "manager", "staff", "viewer", "billing"]});
    let one_check = json!({"type": "object", "required": ["user_id", "permission"],
        "properties": {"user_id": {"type": "string"}, "permission": {"type": "string"}}});
    let schema = match (&decl.method, decl.path) {
        (&Method::POST, "/api/v1/session") => {
            json!({"type": "object", "required": ["email", "password"],
            "properties": {"email": string(254), "password": string(1024)}})
        }
        (&Method::PATCH, "/api/v1/me") => {
            json!({"type": "object", "required": ["current_password"],
            "properties": {"name": name(100), "password": new_password(), "current_password": string(1024)}})
        }
        (&Method::POST, "/api/v1/orgs") => {
            json!({"type": "object", "required": ["name"], "properties": {"name": name(100)}})
        }
        // One check, or a batch; a body with both is refused.
        (&Method::POST, "/api/v1/orgs/{org}/check") => json!({"oneOf": [
            {"allOf": [one_check.clone(), {"not": {"required": ["checks"]}}]},
            {"type": "object", "required": ["checks"],
             "properties": {"checks": {"type": "array", "items": one_check, "maxItems": 200}},
             "not": {"anyOf": [{"required": ["user_id"]}, {"required": ["permission"]}]}}]}),
        // `name: null` leaves the name as it is.
        (&Method::PATCH, "/api/v1/orgs/{org}/settings") => {
            json!({"type": "object", "properties": {"name":
            {"type": ["string", "null"], "minLength": 1, "maxLength": 100, "pattern": "\\S"}}})
        }
        (&Method::PATCH, "/api/v1/orgs/{org}/members/{user}") => {
            json!({"type": "object", "required": ["role"], "properties": {"role": role}})
        }
        (&Method::POST, "/api/v1/orgs/{org}/invites") => {
            json!({"type": "object", "required": ["email", "role"],
            "properties": {"email": {"type": "string", "format": "email", "maxLength": 254}, "role": role}})
        }
        (&Method::POST, "/api/v1/orgs/{org}/api-keys") => {
            json!({"type": "object", "required": ["name", "role"],
            "properties": {"name": name(100), "role": role}})
        }
        (&Method::POST, "/api/v1/invites/accept") => {
            json!({"type": "object", "required": ["token"],
            "properties": {"token": {"type": "string", "minLength": 1, "maxLength": 200}, "name": string(100),
                "password": new_password()}})
        }
        (m, path) if crate::api::schemas::takes_no_body(m, path) => return None,
        (m, path) if *m == Method::POST || *m == Method::PATCH => {
            crate::api::schemas::request(m, path).unwrap_or_else(|| json!({"type": "object"}))
        }
        _ => return None,
    };
    Some(schema)
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "missing_permission": {"type": ["string", "null"]},
        },
    })
}
