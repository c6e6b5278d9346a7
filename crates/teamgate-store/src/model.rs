//! The rows the store hands out.

use serde::Serialize;
use teamgate_core::Role;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// A user with the password hash, which never leaves the server.
#[derive(Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A new account; `email` already normalised, `password_hash` already computed.
#[derive(Clone)]
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

#[derive(Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A profile change; `keep_session` is the session making it, which a new
/// password does not end.
#[derive(Clone, Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub keep_session: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    pub id: String,
    pub name: String,
    #[serde(skip)]
    pub version: i64,
}

/// One organisation of a user, with the user's role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgMembership {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// A member of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: String,
    /// The organisation's permission version when read.
    #[serde(skip)]
    pub version: i64,
}

/// A refused request, for `access.denied`.
#[derive(Debug, Clone)]
pub struct Denied {
    pub route: String,
    pub code: String,
    pub missing_permission: Option<String>,
}

/// Filters of the audit log; every one optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// An exact action, or a prefix ending in `.` (such as `member.`).
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

/// Who acts on a team change; their permissions are re-read inside the
/// transaction, so a member demoted a moment ago cannot still act as before.
#[derive(Debug, Clone)]
pub enum Acting {
    User {
        user_id: String,
    },
    /// An API key: its own role, capped by its creator's current permissions.
    ApiKey {
        key_id: String,
        role: Role,
        created_by: String,
    },
}

/// An invite as admins see it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invite {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub status: String,
    pub expires_at: String,
    pub created_at: String,
    pub invited_by: String,
    /// Why the last email could not be sent, if it could not.
    pub email_error: Option<String>,
}

/// What someone holding an invite link may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InviteView {
    pub org_id: String,
    pub org_name: String,
    pub email: String,
    pub role: Role,
    pub status: String,
    pub expires_at: String,
}

/// A new invite: the address normalised, the token already hashed.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub email: String,
    pub role: Role,
    pub token_hash: String,
    pub expires_at: OffsetDateTime,
}

/// A fresh invite link: its token (hashed) and when it stops working.
#[derive(Debug, Clone)]
pub struct InviteToken {
    pub token_hash: String,
    pub expires_at: OffsetDateTime,
}

/// Who accepts an invite.
#[derive(Clone)]
pub enum Acceptor {
    /// An account that is signed in.
    SignedIn(User),
    /// Someone without an account, who creates it now.
    NewAccount(NewAccount),
}

/// A page of members, in join order with the user id as tie-breaker.
#[derive(Debug, Clone)]
pub struct MemberCursor {
    pub joined_ms: i64,
    pub user_id: String,
}

/// An API key as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub created_by: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A new API key: its secret already hashed.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub secret_hash: String,
}

/// What a bearer secret resolves to.
#[derive(Debug, Clone)]
pub struct ApiKeyAuth {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub role: Role,
    pub created_by: String,
    pub last_used_ms: Option<i64>,
}
