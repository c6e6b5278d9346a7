//! The audit log under `/orgs/{org}/audit`: search, one event, export and
//! verification. Read-only by construction: no route here takes a body, and
//! PUT, PATCH and DELETE on these paths answer 405 from the router.
//!
//! Paging and export both move by `seq`, never by time, so a walk returns
//! every event once even when thousands share one millisecond.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream::{self, Stream};
use teamgate_core::audit::AuditEvent;
use teamgate_core::clock::{parse_timestamp, unix_millis};
use teamgate_core::export::{csv_header, csv_row, jsonl_line};
use teamgate_store::{AuditFilter, ChainReport, Store};

use crate::api::{decode_cursor, encode_cursor, Page, Paging};
use crate::error::{ApiError, ApiResult};
use crate::gate::OrgContext;
use crate::AppState;

/// Events an export reads per query: big enough to be quick, small enough
/// that memory stays flat whatever the log's size.
const EXPORT_BATCH: u32 = 1_000;

/// Longest filter value accepted; real ids, actions and times are far shorter.
const MAX_FILTER_CHARS: usize = 200;

/// Marks a cursor as one of this list, so another list's cursor is refused.
const CURSOR_TAG: &str = "seq";

/// The filters of a search or export: `action` (exact, or a prefix when it
/// ends with `.`), `actor`, `target`, `since` and `until` (RFC 3339; `until`
/// is exclusive). Empty values count as absent; unknown parameters are ignored.
pub fn filter_from_query(q: &HashMap<String, String>) -> ApiResult<AuditFilter> {
    let text = |name: &str| -> ApiResult<Option<String>> {
        let Some(value) = q.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if value.chars().count() > MAX_FILTER_CHARS || value.chars().any(char::is_control) {
            return Err(ApiError::invalid(format!(
                "{name} must be at most {MAX_FILTER_CHARS} characters, without control characters"
            )));
        }
        Ok(Some(value.to_string()))
    };
    let time = |name: &str| -> ApiResult<Option<i64>> {
        let Some(raw) = text(name)? else {
            return Ok(None);
        };
        // A `+01:00` offset sent unencoded arrives as ` 01:00`; read it as meant.
        let parsed = parse_timestamp(&raw).or_else(|| parse_timestamp(&raw.replace(' ', "+")));
        match parsed {
            Some(t) => Ok(Some(unix_millis(t))),
            None => Err(ApiError::invalid(format!(
                "{name} must be an RFC 3339 time such as 2026-12-04T10:31:07Z"
            ))),
        }
    };
    Ok(AuditFilter {
        action: text("action")?,
        actor: text("actor")?,
        target: text("target")?,
        since_ms: time("since")?,
        until_ms: time("until")?,
    })
}

/// The filters (and, for the export, `format`) as OpenAPI query parameters.
pub fn query_parameters(export: bool) -> Vec<serde_json::Value> {
    use serde_json::json;
    let text = |name: &str, about: &str| {
        json!({"name": name, "in": "query", "required": false, "description": about,
            "schema": {"type": "string", "maxLength": MAX_FILTER_CHARS}})
    };
    let time = |name: &str, about: &str| {
        json!({"name": name, "in": "query", "required": false, "description": about,
            "schema": {"type": "string", "format": "date-time"}})
    };
    let mut params = vec![
        text(
            "action",
            "An exact action, or a prefix ending in `.` such as `member.`.",
        ),
        text("actor", "The id of the actor (user or API key)."),
        text("target", "The id of the target."),
        time("since", "Events at or after this time (RFC 3339)."),
        time("until", "Events before this time (RFC 3339)."),
    ];
    if export {
        params.push(json!({"name": "format", "in": "query", "required": true,
            "schema": {"type": "string", "enum": ["csv", "jsonl"]}}));
    }
    params
}

/// The `seq` a page starts below, from its cursor.
pub fn cursor_seq(cursor: &str) -> ApiResult<i64> {
    match decode_cursor(cursor)? {
        (seq, tag) if tag == CURSOR_TAG && seq > 0 => Ok(seq),
        _ => Err(ApiError::invalid(
            "cursor is not one this server handed out",
        )),
    }
}

/// The cursor of the page whose events all have `seq` below `seq`.
pub fn cursor_before(seq: i64) -> String {
    encode_cursor(seq, CURSOR_TAG)
}

/// One page of events, newest first, below the `before` seq when given.
pub async fn newest_first(
    store: &dyn Store,
    org_id: &str,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u32,
) -> ApiResult<Page<AuditEvent>> {
    // One more than the page holds tells whether another page follows.
    let mut items = store.audit_page(org_id, filter, before, limit + 1).await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_cursor = if more {
        items.last().map(|e| cursor_before(e.seq))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// `GET /orgs/{org}/audit`.
pub async fn list(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    let filter = filter_from_query(&q)?;
    let paging = Paging::from_query(&q)?;
    let before = paging.cursor.as_deref().map(cursor_seq).transpose()?;
    let page = newest_first(
        state.store.as_ref(),
        &ctx.org.id,
        &filter,
        before,
        paging.limit,
    )
    .await?;
    Ok(Json(page))
}

/// `GET /orgs/{org}/audit/{id}`: one event of this organisation.
pub async fn show(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AuditEvent>> {
    // Event ids are UUIDs; anything else names nothing.
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let event = state.store.audit_event(&ctx.org.id, &id).await?;
    event.map(Json).ok_or(ApiError::NotFound)
}

/// `GET /orgs/{org}/audit/verify`: walks the whole chain.
pub async fn verify(
    State(state): State<AppState>,
    ctx: OrgContext,
) -> ApiResult<Json<ChainReport>> {
    let report = state.store.verify_chain(&ctx.org.id, &|_| {}).await?;
    if let Some(broken) = &report.first_bad_event {
        tracing::warn!(org = %ctx.org.id, seq = broken.seq, problem = %broken.problem, "audit chain broken");
    }
    Ok(Json(report))
}

/// The two export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

impl ExportFormat {
    fn parse(q: &HashMap<String, String>) -> ApiResult<ExportFormat> {
        match q.get("format").map(|f| f.trim()) {
            Some("csv") => Ok(ExportFormat::Csv),
            Some("jsonl") => Ok(ExportFormat::Jsonl),
            _ => Err(ApiError::invalid("format must be csv or jsonl")),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Jsonl => "application/x-ndjson",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
        }
    }

    /// One event as the format writes it: the same lines `teamgate audit export` writes.
    fn line(self, event: &AuditEvent) -> String {
        match self {
            ExportFormat::Csv => csv_row(event),
            ExportFormat::Jsonl => jsonl_line(event),
        }
    }
}

/// `GET /orgs/{org}/audit/export?format=csv|jsonl`, with the search's filters.
pub async fn export(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let format = ExportFormat::parse(&q)?;
    let filter = filter_from_query(&q)?;
    tracing::info!(org = %ctx.org.id, format = format.extension(), "audit log export");
    let body = Body::from_stream(export_stream(
        state.store.clone(),
        ctx.org.id.clone(),
        filter,
        format,
    ));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    // The org id is a UUID, so the file name needs no quoting beyond the quotes.
    let disposition = format!(
        "attachment; filename=\"audit-{}.{}\"",
        ctx.org.id,
        format.extension()
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Where an export stands between two batches.
struct ExportCursor {
    store: Arc<dyn Store>,
    org_id: String,
    filter: AuditFilter,
    format: ExportFormat,
    /// The highest `seq` written so far.
    after: i64,
    header_due: bool,
    done: bool,
}

/// The export as a stream of chunks, one per batch, oldest first. Only one
/// batch is held at a time. A database error once the answer has started can
/// only cut the body short, which the client sees as a broken transfer.
fn export_stream(
    store: Arc<dyn Store>,
    org_id: String,
    filter: AuditFilter,
    format: ExportFormat,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let header_due = format == ExportFormat::Csv;
    let start = ExportCursor {
        store,
        org_id,
        filter,
        format,
        after: 0,
        header_due,
        done: false,
    };
    stream::unfold(start, |mut at| async move {
        if at.done {
            return None;
        }
        let batch = match at
            .store
            .audit_batch(&at.org_id, &at.filter, at.after, EXPORT_BATCH)
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(org = %at.org_id, error = %e, "audit export failed mid-stream");
                at.done = true;
                return Some((
                    Err(std::io::Error::other("the audit export could not be read")),
                    at,
                ));
            }
        };
        let mut chunk = String::new();
        if at.header_due {
            chunk.push_str(&csv_header());
            at.header_due = false;
        }
        match batch.last() {
            Some(last) => at.after = last.seq,
            None => at.done = true,
        }
        if batch.len() < EXPORT_BATCH as usize {
            // A short batch is the last one; no need to ask again.
            at.done = true;
        }
        for event in &batch {
            chunk.push_str(&at.format.line(event));
        }
        if chunk.is_empty() {
            return None;
        }
        Some((Ok(Bytes::from(chunk)), at))
    })
}
