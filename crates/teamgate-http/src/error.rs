//! The one place where errors become HTTP answers: `application/problem+json`
//! (RFC 9457) with a stable `code`. Internal detail is logged with the request
//! id and never shown to the client.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;
use teamgate_core::rules::RuleViolation;
use teamgate_core::Permission;
use teamgate_store::StoreError;

/// A 403 that is not about a missing permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    OwnRole,
    RoleCeiling,
    WrongAccount,
    Csrf,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::OwnRole => "own_role",
            Refusal::RoleCeiling => "role_ceiling",
            Refusal::WrongAccount => "wrong_account",
            Refusal::Csrf => "csrf",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Refusal::OwnRole => "You cannot change your own role.",
            Refusal::RoleCeiling => {
                "You can only give or manage roles whose permissions you hold yourself."
            }
            Refusal::WrongAccount => "This invite is for another email address than the one you are signed in with.",
            Refusal::Csrf => "A change made with the session cookie must carry an Origin header naming teamgate's own origin.",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: not signed in, or the credentials are unknown, expired or revoked.
    #[error("not signed in")]
    Unauthenticated,
    /// 403 `forbidden`: the caller's role lacks the permission the route needs.
    #[error("missing permission {0}")]
    Forbidden(Permission),
    /// 403 with one of the other codes.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// 404: no such thing in this organisation, or not a member of it.
    #[error("not found")]
    NotFound,
    /// 405: the path exists but does not take this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409 with `last_admin`, `already_member` or `invite_pending`.
    #[error("conflict {code}: {detail}")]
    Conflict { code: &'static str, detail: String },
    /// 410: the invite is expired, used, revoked or replaced.
    #[error("invite gone")]
    InviteGone,
    /// 422: the input is not valid; the detail says what is wrong.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// 429: too many attempts; try again after the given seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// 500: logged in full, shown as a bare message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(detail: impl Into<String>) -> ApiError {
        ApiError::Invalid(detail.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::Refused(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::InviteGone => StatusCode::GONE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Refused(r) => r.code(),
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::InviteGone => "invite_gone",
            ApiError::Invalid(_) => "invalid",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
        }
    }

    /// What the client is told; never internal detail.
    pub fn detail(&self) -> String {
        match self {
            ApiError::Unauthenticated => "Sign in, or send a valid API key.".into(),
            ApiError::Forbidden(p) => {
                format!(
                    "Your role does not allow you to {} (needs {p}).",
                    p.describe()
                )
            }
            ApiError::Refused(r) => r.detail().into(),
            ApiError::NotFound => "There is no such thing in this organisation.".into(),
            ApiError::MethodNotAllowed => "This address does not take that method.".into(),
            ApiError::Conflict { detail, .. } => detail.clone(),
            ApiError::InviteGone => {
                "This invite can no longer be used: it expired, was used, revoked or replaced."
                    .into()
            }
            ApiError::Invalid(detail) => detail.clone(),
            ApiError::RateLimited { retry_after_secs } => {
                format!("Too many attempts; try again in {retry_after_secs} seconds.")
            }
            ApiError::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "Not signed in",
            ApiError::Forbidden(_) | ApiError::Refused(_) => "Not allowed",
            ApiError::NotFound => "Not found",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::InviteGone => "Invite no longer valid",
            ApiError::Invalid(_) => "Invalid input",
            ApiError::RateLimited { .. } => "Too many attempts",
            ApiError::Internal(_) => "Internal error",
        }
    }

    /// The permission a `forbidden` answer names.
    pub fn missing_permission(&self) -> Option<Permission> {
        match self {
            ApiError::Forbidden(p) => Some(*p),
            _ => None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Rule(rule) => rule.into(),
            StoreError::InviteGone => ApiError::InviteGone,
            StoreError::Invalid(detail) => ApiError::Invalid(detail),
            StoreError::Conflict(code) => ApiError::Conflict {
                code,
                detail: conflict_detail(code),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<RuleViolation> for ApiError {
    fn from(rule: RuleViolation) -> ApiError {
        match rule {
            RuleViolation::OwnRole => ApiError::Refused(Refusal::OwnRole),
            RuleViolation::RoleCeiling => ApiError::Refused(Refusal::RoleCeiling),
            RuleViolation::LastAdmin => ApiError::Conflict {
                code: "last_admin",
                detail:
                    "An organisation must keep at least one admin; make someone else admin first."
                        .into(),
            },
        }
    }
}

fn conflict_detail(code: &str) -> String {
    match code {
        "already_member" => "That address already belongs to a member of this organisation.",
        "invite_pending" => "That address already has a pending invite; resend or revoke it.",
        "email_taken" => "An account with that address already exists.",
        "already_set_up" => "teamgate is already set up.",
        _ => "The request conflicts with the current state.",
    }
    .to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let mut body = json!({
            "type": format!("urn:teamgate:problem:{}", self.code()),
            "title": self.title(),
            "status": status.as_u16(),
            "detail": self.detail(),
            "code": self.code(),
        });
        if status == StatusCode::FORBIDDEN {
            body["missing_permission"] = json!(self.missing_permission().map(|p| p.to_string()));
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::RateLimited { retry_after_secs } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                headers.insert(header::RETRY_AFTER, v);
            }
        }
        response
            .extensions_mut()
            .insert(ErrorCode(self.code(), self.missing_permission()));
        response
    }
}

/// The code of an error answer, for the request log.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str, pub Option<Permission>);

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON object body whose rejection is a 422 problem, not axum's plain text.
///
/// Every body of the API is an object: an array or a bare value is refused
/// before serde sees it, since serde would read `["x", {}]` into a struct
/// field by field, by position. The body is read once; a mismatch names the
/// field it is in.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::invalid(
                "send a JSON body with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::Invalid(e.body_text()))?;
        // Whatever does not start with `{` is no object; what does is parsed
        // once, straight into the target, which also finds bad syntax.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::invalid("the body must be a JSON object"));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(body)) => Ok(Body(body)),
            Err(rejection) => Err(ApiError::Invalid(describe_rejection(rejection))),
        }
    }
}

/// `application/json` or `application/…+json`, parameters allowed.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5
                && subtype.is_char_boundary(subtype.len() - 5)
                && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json"))
}

fn describe_rejection(r: JsonRejection) -> String {
    match r {
        JsonRejection::JsonSyntaxError(e) => {
            format!("the body is not valid JSON: {}", e.body_text())
        }
        JsonRejection::JsonDataError(e) => format!("the body does not fit: {}", e.body_text()),
        other => other.body_text(),
    }
}
