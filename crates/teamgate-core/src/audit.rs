//! Audit events and their tamper-evident hash chain (SPEC.md section 6).
//!
//! # The canonical form
//!
//! Each event's `hash` is the lowercase hex SHA-256 of the event's JSON object
//! *without* its `hash` member, serialised as RFC 8785 (JSON Canonicalization
//! Scheme): object keys sorted by their UTF-16 code units, no insignificant
//! whitespace, strings with the minimal JSON escapes, numbers as ECMAScript
//! prints them. Every member is present; a value that is absent is written as
//! `null`. The object includes `prev_hash`: the previous event's `hash` in the
//! same organisation, or 64 zeros for `seq` 1. `seq` counts 1, 2, 3… per
//! organisation with no gaps.
//!
//! An outside tool can therefore re-check a JSON Lines export line by line:
//! parse the line, remove `hash`, canonicalise, hash, compare, and compare
//! `prev_hash` with the previous line's `hash`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of an organisation's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorType {
    User,
    ApiKey,
    System,
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::User => "user",
            ActorType::ApiKey => "api_key",
            ActorType::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<ActorType> {
        match s {
            "user" => Some(ActorType::User),
            "api_key" => Some(ActorType::ApiKey),
            "system" => Some(ActorType::System),
            _ => None,
        }
    }
}

/// Who did it: always the authenticated caller, with their label and role as they were then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: ActorType,
    pub id: Option<String>,
    pub label: Option<String>,
    pub role: Option<String>,
    pub on_behalf_of: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            kind: ActorType::System,
            id: None,
            label: Some("teamgate".into()),
            role: None,
            on_behalf_of: None,
        }
    }
}

/// What it was done to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Changes {
    pub before: Value,
    pub after: Value,
}

/// Where the request came from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Context {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
        }
    }
}

/// An event as a caller describes it, before storage gives it its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub actor: Actor,
    pub action: String,
    pub target: Target,
    pub changes: Changes,
    pub context: Context,
    pub outcome: Outcome,
}

/// A stored audit event, exactly as the API and the JSON Lines export show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub seq: i64,
    pub org_id: String,
    pub occurred_at: String,
    pub actor: Actor,
    pub action: String,
    pub target: Target,
    pub changes: Changes,
    pub context: Context,
    pub outcome: Outcome,
    pub prev_hash: String,
    pub hash: String,
}

/// The place in the chain that storage assigns to a draft.
#[derive(Debug, Clone)]
pub struct ChainPosition {
    pub id: String,
    pub seq: i64,
    pub org_id: String,
    pub occurred_at: String,
    pub prev_hash: String,
}

impl AuditEvent {
    /// Fixes a draft at its position and computes its hash.
    pub fn seal(draft: EventDraft, at: ChainPosition) -> AuditEvent {
        let mut event = AuditEvent {
            id: at.id,
            seq: at.seq,
            org_id: at.org_id,
            occurred_at: at.occurred_at,
            actor: draft.actor,
            action: draft.action,
            target: draft.target,
            changes: draft.changes,
            context: draft.context,
            outcome: draft.outcome,
            prev_hash: at.prev_hash,
            hash: String::new(),
        };
        event.hash = event.compute_hash();
        event
    }

    /// The hash this event should carry, recomputed from its other members.
    pub fn compute_hash(&self) -> String {
        hash_of(&self.canonical_body())
    }

    /// The RFC 8785 text that is hashed: the event without `hash`.
    pub fn canonical_body(&self) -> String {
        let mut value = match serde_json::to_value(self) {
            Ok(v) => v,
            // Serialising plain structs of strings and JSON values cannot fail.
            Err(_) => return String::new(),
        };
        if let Value::Object(map) = &mut value {
            map.remove("hash");
        }
        serde_json_canonicalizer::to_string(&value).unwrap_or_default()
    }
}

fn hash_of(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Why a chain is broken, naming the first event where it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("event {id} (seq {seq}) breaks the chain: {problem}")]
pub struct ChainBreak {
    pub id: String,
    pub seq: i64,
    pub problem: String,
}

/// Walks one organisation's events in `seq` order and finds the first break.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, event: &AuditEvent) -> Result<(), ChainBreak> {
        let broken = |problem: String| ChainBreak {
            id: event.id.clone(),
            seq: event.seq,
            problem,
        };
        if event.seq != self.next_seq {
            return Err(broken(format!(
                "expected seq {}, found {}",
                self.next_seq, event.seq
            )));
        }
        if event.prev_hash != self.prev_hash {
            return Err(broken(
                "prev_hash does not match the previous event's hash".into(),
            ));
        }
        if event.compute_hash() != event.hash {
            return Err(broken("hash does not match the event's content".into()));
        }
        self.next_seq += 1;
        self.prev_hash = event.hash.clone();
        self.checked += 1;
        Ok(())
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(action: &str) -> EventDraft {
        EventDraft {
            actor: Actor {
                kind: ActorType::User,
                id: Some("u1".into()),
                label: Some("a@x.test".into()),
                role: Some("admin".into()),
                on_behalf_of: None,
            },
            action: action.into(),
            target: Target {
                kind: "member".into(),
                id: Some("u2".into()),
                label: Some("b@x.test".into()),
            },
            changes: Changes {
                before: json!({"role": "staff"}),
                after: json!({"role": "manager"}),
            },
            context: Context {
                ip: Some("127.0.0.1".into()),
                user_agent: None,
                request_id: Some("r".into()),
            },
            outcome: Outcome::Success,
        }
    }

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let e = AuditEvent::seal(
                    draft("member.role_changed"),
                    ChainPosition {
                        id: format!("e{seq}"),
                        seq,
                        org_id: "o".into(),
                        occurred_at: "2026-12-04T10:31:07.412Z".into(),
                        prev_hash: prev.clone(),
                    },
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn the_canonical_body_sorts_keys_keeps_nulls_and_drops_the_hash() {
        let e = &chain(1)[0];
        let body = e.canonical_body();
        assert!(body.starts_with(r#"{"action":"member.role_changed","actor":{"id":"u1","label":"a@x.test","on_behalf_of":null,"#));
        assert!(body.contains(r#""user_agent":null"#));
        assert!(!body.contains(r#""hash""#));
        assert!(body.contains(&format!(r#""prev_hash":"{GENESIS_HASH}""#)));
        assert_eq!(e.hash.len(), 64);
        assert_eq!(e.hash, hex::encode(Sha256::digest(body.as_bytes())));
    }

    #[test]
    fn an_intact_chain_verifies() {
        let mut v = ChainVerifier::default();
        for e in chain(5) {
            v.push(&e).unwrap();
        }
        assert_eq!(v.checked(), 5);
    }

    #[test]
    fn an_edited_event_is_named() {
        let mut events = chain(4);
        events[2].changes.after = json!({"role": "admin"});
        let mut v = ChainVerifier::default();
        let err = events.iter().try_for_each(|e| v.push(e)).unwrap_err();
        assert_eq!(err.seq, 3);
    }

    #[test]
    fn a_missing_or_reordered_event_is_named() {
        let mut events = chain(4);
        events.remove(1);
        let mut v = ChainVerifier::default();
        let err = events.iter().try_for_each(|e| v.push(e)).unwrap_err();
        assert_eq!(err.seq, 3);
    }

    #[test]
    fn the_json_form_round_trips() {
        let e = &chain(1)[0];
        let text = serde_json::to_string(e).unwrap();
        let back: AuditEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, e);
        assert_eq!(back.compute_hash(), e.hash);
    }
}
