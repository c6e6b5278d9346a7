//! Structured inputs built from fuzzer bytes: audit events with any strings
//! and any JSON in their changes, and query maps.

use std::collections::HashMap;

use arbitrary::{Result, Unstructured};
use serde_json::{Map, Number, Value};
use teamgate_core::audit::{Actor, ActorType, AuditEvent, Changes, Context, Outcome, Target};

/// Text that leans towards what breaks CSV, JSON and spreadsheets.
pub fn text(u: &mut Unstructured<'_>) -> Result<String> {
    const PIECES: &[&str] = &[
        "=",
        "+",
        "-",
        "@",
        "\t",
        "\r",
        "\n",
        "\r\n",
        "\"",
        ",",
        ";",
        "'",
        "\\",
        "\u{0}",
        "\u{2028}",
        "\u{feff}",
        "é",
        "😀",
        "=HYPERLINK(\"x\")",
        "-1",
        "@SUM(A1)",
        " ",
        "member.role_changed",
    ];
    let mut out = String::new();
    for _ in 0..u.int_in_range(0..=6)? {
        if u.ratio(1, 2)? {
            out.push_str(u.choose(PIECES)?);
        } else {
            for _ in 0..u.int_in_range(0..=12)? {
                out.push(u.arbitrary::<char>()?);
            }
        }
    }
    Ok(out)
}

fn maybe_text(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    if u.ratio(1, 4)? {
        Ok(None)
    } else {
        text(u).map(Some)
    }
}

/// Any JSON value, numbers of every kind included, a few levels deep.
pub fn json(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let kinds = if depth == 0 { 6 } else { 8 };
    Ok(match u.int_in_range(0..=kinds - 1)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(Number::from(u.arbitrary::<i64>()?)),
        3 => Value::Number(Number::from(u.arbitrary::<u64>()?)),
        4 => Number::from_f64(u.arbitrary::<f64>()?).map_or(Value::Null, Value::Number),
        5 => Value::String(text(u)?),
        6 => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                items.push(json(u, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                map.insert(text(u)?, json(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// Any audit event: the shapes are fixed, every value is free.
pub fn audit_event(u: &mut Unstructured<'_>) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: text(u)?,
        seq: u.arbitrary()?,
        org_id: text(u)?,
        occurred_at: text(u)?,
        actor: Actor {
            kind: *u.choose(&[ActorType::User, ActorType::ApiKey, ActorType::System])?,
            id: maybe_text(u)?,
            label: maybe_text(u)?,
            role: maybe_text(u)?,
            on_behalf_of: maybe_text(u)?,
        },
        action: text(u)?,
        target: Target {
            kind: text(u)?,
            id: maybe_text(u)?,
            label: maybe_text(u)?,
        },
        changes: Changes {
            before: json(u, 3)?,
            after: json(u, 3)?,
        },
        context: Context {
            ip: maybe_text(u)?,
            user_agent: maybe_text(u)?,
            request_id: maybe_text(u)?,
        },
        outcome: *u.choose(&[Outcome::Success, Outcome::Denied])?,
        prev_hash: text(u)?,
        hash: text(u)?,
    })
}

/// A query string's parameters: known names more often than not.
pub fn query(u: &mut Unstructured<'_>, names: &[&str]) -> Result<HashMap<String, String>> {
    let mut q = HashMap::new();
    for _ in 0..u.int_in_range(0..=names.len() + 1)? {
        let name = if u.ratio(4, 5)? {
            u.choose(names)?.to_string()
        } else {
            text(u)?
        };
        q.insert(name, text(u)?);
    }
    Ok(q)
}
