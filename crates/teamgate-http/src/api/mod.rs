//! The JSON API under `/api/v1`.

pub mod agents;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod billing;
pub mod campaigns;
pub mod catalog;
pub mod check;
pub mod events;
pub mod fields;
pub mod inbox;
pub mod invites;
pub mod listing;
pub mod logs;
pub mod me;
pub mod members;
pub mod openapi;
pub mod orgs;
pub mod probes;
pub mod schemas;
pub mod session;

use serde::Serialize;

/// A page of a list: `{"items": [...], "next_cursor": "…" | null}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Trims a name and checks its length.
pub fn clean_name(raw: &str, what: &str, max: usize) -> Result<String, crate::error::ApiError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(crate::error::ApiError::invalid(format!(
            "{what} must not be empty"
        )));
    }
    if name.chars().count() > max || name.chars().any(char::is_control) {
        return Err(crate::error::ApiError::invalid(format!(
            "{what} must be at most {max} characters, without control characters"
        )));
    }
    Ok(name.to_string())
}

/// `limit` and `cursor` of a list request.
#[derive(Debug, Clone)]
pub struct Paging {
    pub limit: u32,
    pub cursor: Option<String>,
}

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

impl Paging {
    /// Reads `limit` (default 50, at most 200) and `cursor`; other parameters are ignored.
    pub fn from_query(
        q: &std::collections::HashMap<String, String>,
    ) -> Result<Paging, crate::error::ApiError> {
        let limit = match q.get("limit") {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if n >= 1 => n.min(MAX_LIMIT),
                _ => {
                    return Err(crate::error::ApiError::invalid(format!(
                        "limit must be a whole number from 1 to {MAX_LIMIT}"
                    )))
                }
            },
        };
        let cursor = q.get("cursor").filter(|c| !c.is_empty()).cloned();
        Ok(Paging { limit, cursor })
    }

    /// A page of a short list held in memory whole, in `position` order:
    /// the rows after the cursor, at most `limit` of them.
    pub fn page_of<T>(
        &self,
        rows: Vec<T>,
        position: impl Fn(&T) -> (i64, String),
    ) -> Result<Page<T>, crate::error::ApiError> {
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        let mut rows: Vec<T> = rows
            .into_iter()
            .filter(|r| after.as_ref().is_none_or(|a| position(r) > *a))
            .collect();
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = match rows.last() {
            Some(last) if more => {
                let (a, b) = position(last);
                Some(encode_cursor(a, &b))
            }
            _ => None,
        };
        Ok(Page {
            items: rows,
            next_cursor,
        })
    }
}

/// Cursors are opaque to clients: base64url of `a:b`.
pub fn encode_cursor(a: i64, b: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{a}:{b}"))
}

pub fn decode_cursor(cursor: &str) -> Result<(i64, String), crate::error::ApiError> {
    use base64::Engine;
    let bad = || crate::error::ApiError::invalid("cursor is not one this server handed out");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (a, b) = text.split_once(':').ok_or_else(bad)?;
    Ok((a.parse().map_err(|_| bad())?, b.to_string()))
}
