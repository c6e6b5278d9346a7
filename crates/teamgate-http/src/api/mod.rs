//! The JSON API under `/api/v1`.

pub mod catalog;
pub mod check;
pub mod me;
pub mod orgs;
pub mod probes;
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
        return Err(crate::error::ApiError::invalid(format!("{what} must not be empty")));
    }
    if name.chars().count() > max || name.chars().any(char::is_control) {
        return Err(crate::error::ApiError::invalid(format!(
            "{what} must be at most {max} characters, without control characters"
        )));
    }
    Ok(name.to_string())
}
