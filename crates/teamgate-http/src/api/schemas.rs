//! The JSON shapes of the API's answers and of the feature routes' bodies,
//! for the OpenAPI document ([`super::openapi`]). schemathesis checks every
//! answer against these (`scripts/schemathesis.sh`), so a field that changes
//! type, goes missing or turns `null` here is a failing run, not a surprise
//! for a client. Extra fields are allowed: a new field is not a break.

use axum::http::Method;
use serde_json::{json, Map, Value};
use teamgate_store::PLANS;

use crate::api::agents::{CONFIG_MAX_BYTES, NAME_MAX};
use crate::api::billing::{ADDRESS_MAX, LABEL_MAX};
use crate::api::inbox::BODY_MAX;

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn page_of(item: &str) -> Value {
    object(
        &["items", "next_cursor"],
        json!({
            "items": {"type": "array", "items": reference(item)},
            "next_cursor": {"type": ["string", "null"]},
        }),
    )
}

fn text() -> Value {
    json!({"type": "string"})
}

fn text_or_null() -> Value {
    json!({"type": ["string", "null"]})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn time_or_null() -> Value {
    json!({"type": ["string", "null"], "format": "date-time"})
}

fn count() -> Value {
    json!({"type": "integer", "minimum": 0})
}

fn role() -> Value {
    json!({"type": "string", "enum": ["admin", "manager", "staff", "viewer", "billing"]})
}

fn permissions() -> Value {
    json!({"type": "array", "items": {"type": "string", "pattern": "^[a-z_]+:[a-z_]+$"}})
}

/// The named shapes, for `components.schemas`.
pub fn components() -> Map<String, Value> {
    let user = object(
        &["id", "email", "name"],
        json!({"id": text(), "email": text(), "name": text()}),
    );
    let named_config = |extra: Value| {
        let mut properties = json!({"id": text(), "name": text(), "config": {"type": "object"},
            "created_at": time(), "updated_at": time()});
        if let (Some(p), Some(e)) = (properties.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        let mut required: Vec<String> = properties
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        required.sort();
        json!({"type": "object", "required": required, "properties": properties})
    };
    let shapes = [
        ("User", user.clone()),
        (
            "Me",
            object(
                &["id", "email", "name", "orgs"],
                json!({"id": text(), "email": text(), "name": text(),
            "orgs": {"type": "array", "items": object(&["id", "name", "role"],
                json!({"id": text(), "name": text(), "role": role()}))}}),
            ),
        ),
        (
            "Org",
            object(&["id", "name"], json!({"id": text(), "name": text()})),
        ),
        (
            "Permissions",
            object(
                &["org_id", "role", "permissions", "version"],
                json!({"org_id": text(),
            "role": role(), "permissions": permissions(), "version": {"type": "integer"}}),
            ),
        ),
        (
            "Role",
            object(
                &["key", "name", "description", "built_in", "permissions"],
                json!({"key": role(),
            "name": text(), "description": text(), "built_in": {"type": "boolean"}, "permissions": permissions()}),
            ),
        ),
        (
            "Member",
            object(
                &["user_id", "email", "name", "role", "joined_at"],
                json!({"user_id": text(),
            "email": text(), "name": text(), "role": role(), "joined_at": time()}),
            ),
        ),
        (
            "Invite",
            object(
                &[
                    "id",
                    "email",
                    "role",
                    "status",
                    "expires_at",
                    "created_at",
                    "invited_by",
                    "email_error",
                ],
                json!({"id": text(), "email": text(), "role": role(),
                "status": {"type": "string", "enum": ["pending", "accepted", "revoked", "expired", "replaced"]},
                "expires_at": time(), "created_at": time(), "invited_by": text(), "email_error": text_or_null(),
                "email_delivery": object(&["status", "error"], json!({
                    "status": {"type": "string", "enum": ["sent", "failed"]}, "error": text_or_null()}))}),
            ),
        ),
        (
            "InviteView",
            object(
                &["org_name", "email", "role", "status", "expires_at"],
                json!({"org_name": text(),
            "email": text(), "role": role(), "status": text(), "expires_at": time()}),
            ),
        ),
        (
            "Accepted",
            object(&["org_id", "user"], json!({"org_id": text(), "user": user})),
        ),
        (
            "ApiKey",
            object(
                &[
                    "id",
                    "name",
                    "role",
                    "prefix",
                    "created_by",
                    "created_at",
                    "last_used_at",
                    "revoked_at",
                ],
                json!({"id": text(), "name": text(), "role": role(), "prefix": text(), "created_by": text(),
                "created_at": time(), "last_used_at": time_or_null(), "revoked_at": time_or_null()}),
            ),
        ),
        (
            "Decision",
            object(
                &["allowed", "reason"],
                json!({"allowed": {"type": "boolean"}, "reason": text()}),
            ),
        ),
        ("AuditEvent", audit_event()),
        (
            "ChainReport",
            object(
                &["ok", "events_checked", "first_bad_event"],
                json!({"ok": {"type": "boolean"},
            "events_checked": count(),
            "first_bad_event": {"oneOf": [{"type": "null"}, object(&["id", "seq", "problem"],
                json!({"id": text(), "seq": {"type": "integer"}, "problem": text()}))]}}),
            ),
        ),
        ("Agent", named_config(json!({}))),
        (
            "Campaign",
            named_config(
                json!({"status": {"type": "string", "enum": ["draft", "launched"]},
            "launched_at": time_or_null()}),
            ),
        ),
        (
            "Conversation",
            object(
                &[
                    "id",
                    "contact",
                    "channel",
                    "status",
                    "assignee",
                    "message_count",
                    "last_message_at",
                    "created_at",
                    "updated_at",
                    "closed_at",
                ],
                json!({"id": text(), "contact": text(),
            "channel": {"type": "string", "enum": ["chat", "whatsapp", "voice"]},
            "status": {"type": "string", "enum": ["open", "closed"]}, "assignee": text_or_null(),
            "message_count": count(), "last_message_at": time_or_null(), "created_at": time(),
            "updated_at": time(), "closed_at": time_or_null()}),
            ),
        ),
        (
            "Message",
            object(
                &[
                    "id",
                    "conversation_id",
                    "contact",
                    "channel",
                    "direction",
                    "author",
                    "body",
                    "created_at",
                ],
                json!({"id": text(), "conversation_id": text(), "contact": text(),
            "channel": {"type": "string", "enum": ["chat", "whatsapp", "voice"]},
            "direction": {"type": "string", "enum": ["inbound", "outbound"]}, "author": text(), "body": text(),
            "created_at": time()}),
            ),
        ),
        (
            "Billing",
            object(
                &["plan", "billing_email", "updated_at"],
                json!({
            "plan": {"type": "string", "enum": PLANS}, "billing_email": text_or_null(),
            "updated_at": time_or_null()}),
            ),
        ),
        (
            "PaymentSettings",
            object(
                &["payment_method_label", "billing_address", "updated_at"],
                json!({
            "payment_method_label": text_or_null(), "billing_address": text_or_null(),
            "updated_at": time_or_null()}),
            ),
        ),
    ];
    shapes
        .into_iter()
        .map(|(name, schema)| (name.to_string(), schema))
        .collect()
}

/// SPEC.md section 6.
fn audit_event() -> Value {
    let hash = json!({"type": "string", "pattern": "^[0-9a-f]{64}$"});
    object(
        &[
            "id",
            "seq",
            "org_id",
            "occurred_at",
            "actor",
            "action",
            "target",
            "changes",
            "context",
            "outcome",
            "prev_hash",
            "hash",
        ],
        json!({
            "id": text(), "seq": {"type": "integer", "minimum": 1}, "org_id": text(), "occurred_at": time(),
            "actor": object(&["type", "id", "label", "role", "on_behalf_of"], json!({
                "type": {"type": "string", "enum": ["user", "api_key", "system"]}, "id": text_or_null(),
                "label": text_or_null(), "role": text_or_null(), "on_behalf_of": text_or_null()})),
            "action": {"type": "string", "pattern": "^[a-z_]+\\.[a-z_]+$"},
            "target": object(&["type", "id", "label"], json!({"type": text(), "id": text_or_null(),
                "label": text_or_null()})),
            "changes": object(&["before", "after"], json!({})),
            "context": object(&["ip", "user_agent", "request_id"], json!({"ip": text_or_null(),
                "user_agent": text_or_null(), "request_id": text_or_null()})),
            "outcome": {"type": "string", "enum": ["success", "denied"]},
            "prev_hash": hash.clone(), "hash": hash,
        }),
    )
}

/// The JSON a route answers with on success, when it answers JSON.
pub fn success(method: &Method, path: &str) -> Option<Value> {
    let tail = path.strip_prefix("/api/v1/orgs/{org}").unwrap_or(path);
    let one = |name: &str| Some(reference(name));
    let page = |name: &str| Some(page_of(name));
    let agents = ["/chat-agents", "/whatsapp-agents", "/voice-agents"];
    match (method.as_str(), tail) {
        ("GET", "/healthz" | "/readyz") => Some(object(&["status"], json!({"status": text()}))),
        ("GET", "/api/v1/catalog") => Some(object(
            &["features"],
            json!({"features": {"type": "array",
            "items": object(&["key", "name", "description", "actions", "permissions"], json!({"key": text(),
                "name": text(), "description": text(), "actions": {"type": "array", "items": text()},
                "permissions": permissions()}))}}),
        )),
        ("POST", "/api/v1/session") => Some(object(&["user"], json!({"user": reference("User")}))),
        ("GET" | "PATCH", "/api/v1/me") => one("Me"),
        ("POST", "/api/v1/orgs") | ("GET" | "PATCH", "/settings") => one("Org"),
        ("GET", "/api/v1/invites/{token}") => one("InviteView"),
        ("POST", "/api/v1/invites/accept") => one("Accepted"),
        ("GET", "/me/permissions") => one("Permissions"),
        ("GET", "/roles") => page("Role"),
        ("GET", "/members") => page("Member"),
        ("PATCH", "/members/{user}") => one("Member"),
        ("GET", "/invites") => page("Invite"),
        ("POST", "/invites" | "/invites/{id}/resend") => one("Invite"),
        ("GET", "/api-keys") => page("ApiKey"),
        ("POST", "/api-keys") => {
            Some(json!({"allOf": [reference("ApiKey"), object(&["key"], json!({"key": text()}))]}))
        }
        ("POST", "/check") => Some(
            json!({"oneOf": [reference("Decision"), object(&["results"], json!({
            "results": {"type": "array", "items": {"allOf": [reference("Decision"),
                object(&["user_id", "permission"], json!({"user_id": text(), "permission": text()}))]}}}))]}),
        ),
        ("GET", "/audit") => page("AuditEvent"),
        ("GET", "/audit/{id}") => one("AuditEvent"),
        ("GET", "/audit/verify") => one("ChainReport"),
        ("GET", t) if agents.contains(&t) => page("Agent"),
        ("POST", t) if agents.contains(&t) => one("Agent"),
        ("GET" | "PATCH", t) if agents.iter().any(|a| t == format!("{a}/{{id}}")) => one("Agent"),
        ("GET", "/campaigns") => page("Campaign"),
        ("POST", "/campaigns" | "/campaigns/{id}/launch")
        | ("GET" | "PATCH", "/campaigns/{id}") => one("Campaign"),
        ("GET", "/inbox/conversations") => page("Conversation"),
        (
            "POST",
            "/inbox/conversations"
            | "/inbox/conversations/{id}/assign"
            | "/inbox/conversations/{id}/close",
        ) => one("Conversation"),
        ("POST", "/inbox/conversations/{id}/replies") => one("Message"),
        ("GET", "/logs") => page("Message"),
        ("GET" | "PATCH", "/billing") => one("Billing"),
        ("GET" | "PATCH", "/payment-settings") => one("PaymentSettings"),
        ("GET", "/analytics") => {
            let totals = |keys: &[&str]| {
                let properties: Map<String, Value> =
                    keys.iter().map(|k| (k.to_string(), count())).collect();
                object(keys, Value::Object(properties))
            };
            Some(object(
                &[
                    "agents",
                    "campaigns",
                    "conversations",
                    "messages",
                    "messages_per_day",
                ],
                json!({
                    "agents": totals(&["chat", "whatsapp", "voice", "total"]),
                    "campaigns": totals(&["draft", "launched", "total"]),
                    "conversations": totals(&["open", "closed", "assigned", "total"]),
                    "messages": totals(&["inbound", "outbound", "total"]),
                    "messages_per_day": {"type": "array", "items": object(&["date", "inbound", "outbound"],
                        json!({"date": {"type": "string", "format": "date"}, "inbound": count(),
                            "outbound": count()}))},
                }),
            ))
        }
        ("GET", "/usage") => {
            let counters = [
                "conversations",
                "messages",
                "inbound_messages",
                "outbound_messages",
                "agents",
                "launched_campaigns",
                "members",
                "api_keys",
            ];
            let mut properties: Map<String, Value> =
                counters.iter().map(|k| (k.to_string(), count())).collect();
            properties.insert("period_start".into(), time());
            properties.insert("period_end".into(), time());
            let required: Vec<&str> = properties.keys().map(String::as_str).collect();
            Some(object(&required, Value::Object(properties.clone())))
        }
        _ => None,
    }
}

/// Routes whose handler reads no body at all: they document none.
pub fn takes_no_body(method: &Method, path: &str) -> bool {
    method == Method::POST
        && ["/leave", "/resend", "/launch", "/close"]
            .iter()
            .any(|action| path.ends_with(action))
}

/// The body of a feature route, where it is more than "an object".
pub fn request(method: &Method, path: &str) -> Option<Value> {
    let tail = path.strip_prefix("/api/v1/orgs/{org}")?;
    let name = json!({"type": "string", "minLength": 1, "maxLength": NAME_MAX, "pattern": "\\S"});
    let about_config = format!(
        "at most {CONFIG_MAX_BYTES} bytes of JSON; null or absent keeps it ({{}} for a new one)"
    );
    let config = json!({"type": ["object", "null"], "description": about_config});
    let body = json!({"type": "string", "minLength": 1, "maxLength": BODY_MAX, "pattern": "\\S"});
    let named = |required: &[&str]| object(required, json!({"name": name, "config": config}));
    // In an update, `null` leaves a field as it is, like leaving it out.
    let mut nullable_name = name.clone();
    nullable_name["type"] = json!(["string", "null"]);
    let update = object(&[], json!({"name": nullable_name, "config": config}));
    let creates_named = [
        "/chat-agents",
        "/whatsapp-agents",
        "/voice-agents",
        "/campaigns",
    ];
    Some(match (method.as_str(), tail) {
        ("POST", t) if creates_named.contains(&t) => named(&["name"]),
        ("PATCH", t) if creates_named.iter().any(|c| t == format!("{c}/{{id}}")) => update,
        ("POST", "/inbox/conversations") => object(
            &["contact", "body"],
            json!({
            "contact": {"type": "string", "minLength": 1, "maxLength": 200},
            "channel": {"type": ["string", "null"], "enum": ["chat", "whatsapp", "voice", null]},
            "body": body}),
        ),
        ("POST", "/inbox/conversations/{id}/replies") => object(&["body"], json!({"body": body})),
        ("POST", "/inbox/conversations/{id}/assign") => {
            object(&["user_id"], json!({"user_id": text_or_null()}))
        }
        ("PATCH", "/billing") => object(
            &[],
            json!({"plan": {"type": ["string", "null"],
                "enum": PLANS.iter().map(|p| json!(p)).chain([Value::Null]).collect::<Vec<_>>()},
            "billing_email": {"type": ["string", "null"], "format": "email", "maxLength": 254}}),
        ),
        ("PATCH", "/payment-settings") => object(
            &[],
            json!({
            "payment_method_label": {"type": ["string", "null"], "maxLength": LABEL_MAX},
            "billing_address": {"type": ["string", "null"], "maxLength": ADDRESS_MAX}}),
        ),
        _ => return None,
    })
}
