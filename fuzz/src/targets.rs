//! The targets. Each reads its input the way the server receives it (text,
//! a query string, header bytes) or builds a structured value from it, and
//! panics when a property breaks. Beyond "never panics", each checks what
//! the parser promises.

use std::collections::HashMap;

use arbitrary::Unstructured;
use teamgate_core::audit::AuditEvent;
use teamgate_core::clock::from_unix_millis;
use teamgate_core::email::normalise_email;
use teamgate_core::export::{csv_header, csv_row, jsonl_line, neutralise, CSV_COLUMNS};
use teamgate_core::{Permission, Role};
use teamgate_http::api::audit::{cursor_before, cursor_seq, filter_from_query};
use teamgate_http::api::listing::Listing;
use teamgate_http::api::{decode_cursor, encode_cursor, Paging, MAX_LIMIT};
use teamgate_http::auth::session::{bearer_token, session_token};
use teamgate_http::auth::token::{constant_time_eq, hash_token};
use teamgate_store::cache::Change;

use crate::input;

/// A query string as axum's `Query<HashMap<..>>` reads it (a repeated name keeps its last value).
fn query_map(data: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(data).into_owned().collect()
}

/// `Permission::from_str` and `Role::from_str`: a name is accepted exactly
/// when it is one of the catalog, and an error never echoes unbounded input.
pub fn permission_name(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<Permission>() {
        Ok(p) => assert_eq!(p.to_string(), text, "a permission must be spelled exactly"),
        Err(e) => assert!(
            e.0.chars().count() <= 80,
            "the error echoes {} characters",
            e.0.len()
        ),
    }
    let via_json = serde_json::from_value::<Permission>(serde_json::Value::String(text.into()));
    assert_eq!(via_json.ok(), text.parse::<Permission>().ok());
    match text.parse::<Role>() {
        Ok(role) => assert!(role.key().eq_ignore_ascii_case(text.trim())),
        Err(e) => assert!(e.0.chars().count() <= 80),
    }
}

/// `normalise_email`: what it accepts is one address, already normal, that
/// can go into an email header as it is.
pub fn email(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match normalise_email(text) {
        Ok(email) => {
            assert_eq!(
                normalise_email(&email).as_ref(),
                Ok(&email),
                "normalising twice changes it"
            );
            assert_eq!(email, email.to_lowercase());
            assert!(email.len() <= 254);
            assert!(
                !email.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{email:?}"
            );
            let (local, domain) = email.split_once('@').expect("an address has an @");
            assert!(!local.is_empty() && local.len() <= 64, "{email:?}");
            assert!(!domain.is_empty() && !domain.contains('@'), "{email:?}");
            assert!(!email.contains(['<', '>', ',', ';', '"']), "{email:?}");
        }
        Err(e) => assert!(e.0.chars().count() <= 100),
    }
}

/// List cursors and paging: a cursor the server accepts re-encodes to one
/// naming the same position; `limit` always ends up within 1..=200.
pub fn cursor(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((a, b)) = decode_cursor(text) {
            let again = decode_cursor(&encode_cursor(a, &b)).ok();
            assert_eq!(again, Some((a, b.clone())), "cursor {text:?}");
        }
        if let Ok(seq) = cursor_seq(text) {
            assert!(seq > 0);
            assert_eq!(cursor_seq(&cursor_before(seq)).ok(), Some(seq));
        }
    }
    // Any position the server hands out decodes to itself.
    if data.len() >= 8 {
        let (head, rest) = data.split_at(8);
        let a = i64::from_le_bytes(head.try_into().unwrap_or_default());
        let b = String::from_utf8_lossy(rest);
        assert_eq!(
            decode_cursor(&encode_cursor(a, &b)).ok(),
            Some((a, b.to_string()))
        );
    }
    let q = query_map(data);
    if let Ok(paging) = Paging::from_query(&q) {
        assert!(
            (1..=MAX_LIMIT).contains(&paging.limit),
            "limit {}",
            paging.limit
        );
        assert!(paging.cursor.as_deref().is_none_or(|c| !c.is_empty()));
    }
    if let Ok(listing) = Listing::from_query(&q) {
        assert!(listing.fetch() <= MAX_LIMIT + 1);
    }
}

/// The audit log's filters: accepted text is trimmed, bounded and free of
/// control characters; times are RFC 3339 and land in the range the clock handles.
pub fn audit_filter(data: &[u8]) {
    let q = query_map(data);
    let Ok(filter) = filter_from_query(&q) else {
        return;
    };
    for (name, value) in [
        ("action", &filter.action),
        ("actor", &filter.actor),
        ("target", &filter.target),
    ] {
        let raw = q.get(name).map(|v| v.trim()).unwrap_or("");
        match value {
            Some(v) => {
                assert_eq!(v, raw, "{name}");
                assert!(
                    !v.is_empty() && v.chars().count() <= 200 && !v.chars().any(char::is_control)
                );
            }
            None => assert!(raw.is_empty(), "{name}={raw:?} was dropped"),
        }
    }
    for (name, ms) in [("since", filter.since_ms), ("until", filter.until_ms)] {
        let raw = q.get(name).map(|v| v.trim()).unwrap_or("");
        assert_eq!(ms.is_some(), !raw.is_empty(), "{name}={raw:?}");
        if let Some(ms) = ms {
            let _ = from_unix_millis(ms);
        }
    }
}

/// The change notifications replicas send over PostgreSQL: whatever parses
/// is a real change and survives a round trip through its payload.
pub fn change_payload(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(change) = Change::from_payload(text) {
        assert!(
            !(change.org_id.is_empty() && change.user_id.is_none()),
            "{text:?} names nobody"
        );
        assert_eq!(
            Change::from_payload(&change.to_payload()),
            Some(change.clone()),
            "{text:?}"
        );
    }
    // Ids never hold ':' (they are UUIDs), and then every change round-trips.
    let mut parts = text.splitn(3, '\u{1f}');
    let (org, user) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let names_someone = !(org.is_empty() && user.is_empty());
    if names_someone && !org.contains(':') && !user.contains(':') {
        let version = data.len() as i64 - 7;
        let change = Change {
            org_id: org.into(),
            user_id: (!user.is_empty()).then(|| user.into()),
            version,
        };
        assert_eq!(Change::from_payload(&change.to_payload()), Some(change));
    }
}

/// Session cookies, bearer credentials and the token hash they are looked up by.
pub fn credentials(data: &[u8]) {
    use axum::http::{header, HeaderMap, HeaderValue};
    let half = data.len() / 2;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(&data[..half]) {
        headers.insert(header::COOKIE, v);
    }
    if let Ok(v) = HeaderValue::from_bytes(&data[half..]) {
        headers.insert(header::AUTHORIZATION, v);
    }
    if let Some(token) = session_token(&headers) {
        assert!(
            !token.is_empty() && !token.contains(';') && token == token.trim(),
            "{token:?}"
        );
        assert_eq!(hash_token(&token).len(), 64);
    }
    if let Some(token) = bearer_token(&headers) {
        assert_eq!(token, token.trim());
        let hash = hash_token(&token);
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(hash, hash_token(&token));
    }
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_at(
        text.char_indices()
            .nth(text.chars().count() / 2)
            .map_or(0, |(i, _)| i),
    );
    assert_eq!(constant_time_eq(a, b), a == b);
}

/// The CSV export: any event becomes exactly one record of the header's
/// columns, and no cell opens with what a spreadsheet would run as a formula.
pub fn export_csv(data: &[u8]) {
    let Ok(event) = input::audit_event(&mut Unstructured::new(data)) else {
        return;
    };
    let row = csv_row(&event);
    assert!(row.ends_with("\r\n"), "{row:?}");
    let text = format!("{}{row}", csv_header());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header, CSV_COLUMNS);
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("parses as CSV");
    assert_eq!(records.len(), 1, "one event, one record: {row:?}");
    let record = &records[0];
    assert_eq!(record.len(), CSV_COLUMNS.len());
    for (column, cell) in CSV_COLUMNS.iter().zip(record.iter()) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{column} opens as a formula: {cell:?}"
        );
    }
    let cell = |name: &str| {
        record
            .get(CSV_COLUMNS.iter().position(|c| *c == name).unwrap_or(0))
            .unwrap_or("")
    };
    assert_eq!(cell("id"), neutralise(event.id.clone()));
    assert_eq!(cell("action"), neutralise(event.action.clone()));
    assert_eq!(
        cell("actor_label"),
        neutralise(event.actor.label.clone().unwrap_or_default())
    );
    assert_eq!(
        cell("user_agent"),
        neutralise(event.context.user_agent.clone().unwrap_or_default())
    );
    let after = if event.changes.after.is_null() {
        String::new()
    } else {
        event.changes.after.to_string()
    };
    assert_eq!(cell("after"), neutralise(after));
}

/// The JSON form of an audit event (API, JSON Lines export, hashing): one
/// line, read back equal, hashing to the same value; and any edit changes the hash.
pub fn audit_json(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let event = if mode % 2 == 0 {
        match serde_json::from_slice::<AuditEvent>(rest) {
            Ok(e) => e,
            Err(_) => return,
        }
    } else {
        match input::audit_event(&mut Unstructured::new(rest)) {
            Ok(e) => e,
            Err(_) => return,
        }
    };
    let line = jsonl_line(&event);
    assert_eq!(
        line.matches('\n').count(),
        1,
        "a JSON Lines record is one line"
    );
    assert!(line.ends_with('\n'));
    let back: AuditEvent = serde_json::from_str(&line).expect("the line reads back");
    assert_eq!(back, event);

    let body = event.canonical_body();
    assert!(!body.is_empty(), "no canonical form for {line}");
    let parsed: serde_json::Value =
        serde_json::from_str(&body).expect("the canonical form is JSON");
    assert!(parsed.get("hash").is_none() && parsed.get("prev_hash").is_some());
    let hash = event.compute_hash();
    assert_eq!(
        back.compute_hash(),
        hash,
        "the hash does not survive a round trip"
    );

    let mut edited = event.clone();
    edited.action.push('x');
    assert_ne!(
        edited.compute_hash(),
        hash,
        "an edited event keeps its hash"
    );
}
