//! One sentence per audit event, in the words an admin would use: "ada@x.test
//! changed bob@x.test's role from Staff to Manager".
//!
//! The sentence is built only from the event itself (actor and target labels
//! as they were when it happened), so it reads the same however the members
//! have changed since. Actions this module does not know still get a sentence.

use serde_json::Value;

use crate::audit::{ActorType, AuditEvent};
use crate::Role;

/// Values longer than this are cut in a summary; the table shows them whole.
const MAX_VALUE_CHARS: usize = 60;

/// The plain-words summary of `event`.
pub fn summarise(event: &AuditEvent) -> String {
    let actor = actor_name(event);
    let target = target_name(event);
    let before = &event.changes.before;
    let after = &event.changes.after;
    let (noun, verb) = event
        .action
        .split_once('.')
        .unwrap_or((event.action.as_str(), ""));

    match event.action.as_str() {
        "access.denied" => {
            let route = event.target.id.as_deref().unwrap_or("a route");
            match after.get("missing_permission").and_then(Value::as_str) {
                Some(p) => format!("{actor} was refused {route} (needs {p})"),
                None => {
                    let code = after
                        .get("code")
                        .and_then(Value::as_str)
                        .unwrap_or("refused");
                    format!("{actor} was refused {route} ({code})")
                }
            }
        }
        "member.role_changed" => format!(
            "{actor} changed {target}'s role from {} to {}",
            role_name(before),
            role_name(after)
        ),
        "member.added" => format!("{actor} added {target} as {}", role_name(after)),
        "member.removed" => format!("{actor} removed {target} (was {})", role_name(before)),
        "member.left" => format!("{target} left the organisation (was {})", role_name(before)),
        "member.profile_updated" => {
            let mut parts = Vec::new();
            if let Some(name) = after.get("name") {
                parts.push(format!(
                    "name from {} to {}",
                    show(before.get("name")),
                    show(Some(name))
                ));
            }
            if after.get("password").is_some() {
                parts.push("password".to_string());
            }
            if parts.is_empty() {
                format!("{actor} updated {target}'s profile")
            } else {
                format!("{actor} changed {target}'s {}", parts.join(" and "))
            }
        }
        "invite.created" => format!("{actor} invited {target} as {}", role_name(after)),
        "invite.resent" => format!("{actor} resent the invite to {target}"),
        "invite.revoked" => format!("{actor} revoked the invite to {target}"),
        "invite.accepted" => format!(
            "{actor} accepted the invite and joined as {}",
            role_name(after)
        ),
        "api_key.created" => format!(
            "{actor} created API key {target} with role {}",
            role_name(after)
        ),
        "api_key.revoked" => format!("{actor} revoked API key {target}"),
        "org.created" => format!("{actor} created the organisation {target}"),
        // These three are about the organisation itself, whose name the target holds.
        "org_settings.updated" => {
            settings_change(&actor, "the organisation's settings", before, after)
        }
        "billing.updated" => settings_change(&actor, "billing", before, after),
        "payment_settings.updated" => {
            settings_change(&actor, "the payment settings", before, after)
        }
        "campaign.launched" => format!("{actor} launched campaign {target}"),
        "conversation.created" => format!("{actor} recorded a new conversation with {target}"),
        "conversation.replied" => format!("{actor} replied to the conversation with {target}"),
        "conversation.closed" => format!("{actor} closed the conversation with {target}"),
        "conversation.assigned" => match after.get("assignee").and_then(Value::as_str) {
            Some(user) => format!("{actor} assigned the conversation with {target} to user {user}"),
            None => format!("{actor} unassigned the conversation with {target}"),
        },
        _ => {
            let thing = noun.replace('_', " ");
            match verb {
                "created" => format!("{actor} created {thing} {target}"),
                "deleted" => format!("{actor} deleted {thing} {target}"),
                "updated" => match changed_fields(before, after) {
                    Some(fields) => format!("{actor} changed {thing} {target}: {fields}"),
                    None => format!("{actor} updated {thing} {target}"),
                },
                _ => format!("{actor} did {} on {target}", event.action),
            }
        }
    }
}

fn settings_change(actor: &str, what: &str, before: &Value, after: &Value) -> String {
    match changed_fields(before, after) {
        Some(fields) => format!("{actor} changed {what}: {fields}"),
        None => format!("{actor} saved {what} unchanged"),
    }
}

fn actor_name(event: &AuditEvent) -> String {
    let a = &event.actor;
    let label = a.label.as_deref().or(a.id.as_deref()).unwrap_or("someone");
    match a.kind {
        ActorType::User => label.to_string(),
        ActorType::ApiKey => format!("API key \"{label}\""),
        ActorType::System => "teamgate".to_string(),
    }
}

fn target_name(event: &AuditEvent) -> String {
    let t = &event.target;
    let label = t
        .label
        .as_deref()
        .or(t.id.as_deref())
        .unwrap_or("(unnamed)");
    match t.kind.as_str() {
        // Things with free-form names are quoted, so the sentence stays readable.
        "member" | "invite" | "route" => label.to_string(),
        _ => format!("\"{label}\""),
    }
}

/// "Staff" for `{"role": "staff"}`; the raw value for a role this version does not know.
fn role_name(side: &Value) -> String {
    match side.get("role").and_then(Value::as_str) {
        Some(key) => key
            .parse::<Role>()
            .map(|r| r.name().to_string())
            .unwrap_or_else(|_| key.to_string()),
        None => "no role".to_string(),
    }
}

/// `billing_email set to "b@x.test", plan from "free" to "pro"`: the members
/// of two objects that differ, in key order. A `null` side (nothing set yet,
/// or nothing left) counts as an empty object.
fn changed_fields(before: &Value, after: &Value) -> Option<String> {
    let empty = serde_json::Map::new();
    let object = |v: &'_ Value| match v {
        Value::Object(map) => Some(map.clone()),
        Value::Null => Some(empty.clone()),
        _ => None,
    };
    let (b, a) = (object(before)?, object(after)?);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let parts: Vec<String> = keys
        .into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| match (b.get(k), a.get(k)) {
            // Nested objects (an agent's config) are too big for one sentence.
            (Some(Value::Object(_)), _) | (_, Some(Value::Object(_))) => k.to_string(),
            (None | Some(Value::Null), new) => format!("{k} set to {}", show(new)),
            (old, None | Some(Value::Null)) => format!("{k} cleared (was {})", show(old)),
            (old, new) => format!("{k} from {} to {}", show(old), show(new)),
        })
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(", "))
    }
}

/// A JSON value as a short quoted phrase.
fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "none".to_string(),
        // JSON's quoting shows line breaks and quotes inside the value plainly.
        Some(Value::String(s)) => cut(&Value::String(s.clone()).to_string()),
        Some(other) => cut(&other.to_string()),
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_VALUE_CHARS {
        s.to_string()
    } else {
        let mut short: String = s.chars().take(MAX_VALUE_CHARS).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::audit::{Actor, Changes, Context, Outcome, Target};

    fn event(action: &str, target: (&str, &str), before: Value, after: Value) -> AuditEvent {
        AuditEvent {
            id: "e".into(),
            seq: 1,
            org_id: "o".into(),
            occurred_at: "2026-12-04T10:31:07.412Z".into(),
            actor: Actor {
                kind: ActorType::User,
                id: Some("u1".into()),
                label: Some("ada@x.test".into()),
                role: Some("admin".into()),
                on_behalf_of: None,
            },
            action: action.into(),
            target: Target {
                kind: target.0.into(),
                id: Some("t1".into()),
                label: Some(target.1.into()),
            },
            changes: Changes { before, after },
            context: Context::default(),
            outcome: Outcome::Success,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn a_role_change_names_both_members_and_both_roles() {
        let e = event(
            "member.role_changed",
            ("member", "bob@x.test"),
            json!({"role": "staff"}),
            json!({"role": "manager"}),
        );
        assert_eq!(
            summarise(&e),
            "ada@x.test changed bob@x.test's role from Staff to Manager"
        );
    }

    #[test]
    fn an_invite_names_the_address_and_the_role() {
        let e = event(
            "invite.created",
            ("invite", "carl@x.test"),
            Value::Null,
            json!({"email": "carl@x.test", "role": "viewer"}),
        );
        assert_eq!(summarise(&e), "ada@x.test invited carl@x.test as Viewer");
    }

    #[test]
    fn a_refusal_names_the_route_and_the_missing_permission() {
        let mut e = event(
            "access.denied",
            ("route", ""),
            Value::Null,
            json!({"code": "forbidden", "missing_permission": "roles:view"}),
        );
        e.actor.label = Some("viewer@x.test".into());
        e.target = Target {
            kind: "route".into(),
            id: Some("GET /api/v1/orgs/{org}/roles".into()),
            label: None,
        };
        assert_eq!(
            summarise(&e),
            "viewer@x.test was refused GET /api/v1/orgs/{org}/roles (needs roles:view)"
        );

        e.changes.after = json!({"code": "csrf", "missing_permission": null});
        assert_eq!(
            summarise(&e),
            "viewer@x.test was refused GET /api/v1/orgs/{org}/roles (csrf)"
        );
    }

    #[test]
    fn an_api_key_actor_is_called_an_api_key() {
        let mut e = event(
            "chat_agent.created",
            ("chat_agent", "Helpdesk"),
            Value::Null,
            json!({"name": "Helpdesk"}),
        );
        e.actor.kind = ActorType::ApiKey;
        e.actor.label = Some("ci".into());
        assert_eq!(
            summarise(&e),
            "API key \"ci\" created chat agent \"Helpdesk\""
        );
    }

    #[test]
    fn an_update_lists_what_changed_and_leaves_out_nested_detail() {
        let e = event(
            "chat_agent.updated",
            ("chat_agent", "Bot"),
            json!({"name": "Bot", "config": {"greeting": "hi"}}),
            json!({"name": "Bot", "config": {"greeting": "hello"}}),
        );
        assert_eq!(
            summarise(&e),
            "ada@x.test changed chat agent \"Bot\": config"
        );

        let e = event(
            "billing.updated",
            ("billing", "Acme"),
            json!({"plan": "free", "billing_email": null}),
            json!({"plan": "pro", "billing_email": "b@x.test"}),
        );
        assert_eq!(summarise(&e),
            "ada@x.test changed billing: billing_email set to \"b@x.test\", plan from \"free\" to \"pro\"");
        let e = event(
            "payment_settings.updated",
            ("payment_settings", "Acme"),
            Value::Null,
            json!({"billing_address": "1 Main St\nSpringfield"}),
        );
        assert_eq!(summarise(&e), "ada@x.test changed the payment settings: billing_address set to \"1 Main St\\nSpringfield\"");
        let e = event(
            "org_settings.updated",
            ("org", "Acme 2"),
            json!({"name": "Acme"}),
            json!({"name": "Acme 2"}),
        );
        assert_eq!(
            summarise(&e),
            "ada@x.test changed the organisation's settings: name from \"Acme\" to \"Acme 2\""
        );
    }

    #[test]
    fn removals_and_departures_say_what_role_was_held() {
        let e = event(
            "member.removed",
            ("member", "bob@x.test"),
            json!({"role": "staff"}),
            Value::Null,
        );
        assert_eq!(summarise(&e), "ada@x.test removed bob@x.test (was Staff)");
        let e = event(
            "member.left",
            ("member", "bob@x.test"),
            json!({"role": "billing"}),
            Value::Null,
        );
        assert_eq!(
            summarise(&e),
            "bob@x.test left the organisation (was Billing)"
        );
    }

    #[test]
    fn an_unknown_action_still_gets_a_sentence_and_long_values_are_cut() {
        let e = event("widget.frobbed", ("widget", "W"), Value::Null, Value::Null);
        assert_eq!(summarise(&e), "ada@x.test did widget.frobbed on \"W\"");
        let long = "x".repeat(100);
        let e = event(
            "org_settings.updated",
            ("org", "Acme"),
            json!({"name": "Acme"}),
            json!({"name": long}),
        );
        assert!(summarise(&e).ends_with("xx…"), "{}", summarise(&e));
    }
}
