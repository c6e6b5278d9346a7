//! Reading fields of a JSON body by hand, so a wrong type is a 422 that
//! names the field, and `null` can be told from a field left out.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// For `#[serde(default, deserialize_with = "present")]`: an absent field is
/// `None`, an explicit `null` is `Some(Value::Null)`.
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Some(Value::deserialize(d)?))
}

/// A required string field.
pub fn required_text(value: Option<Value>, field: &str) -> ApiResult<String> {
    match value {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid(format!("{field} must be a string"))),
        None => Err(ApiError::invalid(format!("{field} is required"))),
    }
}

/// A field that may be set to text or cleared with `null`; `None` when absent.
pub fn clearable(value: Option<Value>, field: &str) -> ApiResult<Option<Option<String>>> {
    match value {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s))),
        Some(_) => Err(ApiError::invalid(format!(
            "{field} must be a string or null"
        ))),
    }
}
