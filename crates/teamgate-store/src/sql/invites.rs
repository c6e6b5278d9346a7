//! Invites: created with a hashed token, resent with a new one (the old
//! stops working), revoked, and accepted under the same rules as any other
//! way of giving a role, all inside the organisation's lock.

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use teamgate_core::audit::{Actor, ActorType, EventDraft};
use teamgate_core::clock::{format_timestamp, from_unix_millis, unix_millis};
use teamgate_core::rules::{self, RuleViolation};
use teamgate_core::Role;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqlStore;
use crate::{
    parse_role, Acceptor, Acting, AuditMeta, Invite, InviteToken, InviteView, NewInvite,
    StoreError, StoreResult, User,
};

const INVITE_COLUMNS: &str =
    "id, email, role, status, expires_at, created_at, invited_by, email_error";

impl SqlStore {
    pub(super) async fn create_invite_impl(
        &self,
        org_id: &str,
        invite: NewInvite,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Invite> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let (actor_id, actor_permissions) =
            Self::acting_permissions(&mut tx, org_id, acting).await?;
        rules::may_grant(actor_permissions, invite.role)?;
        let member = sqlx::query(
            "SELECT 1 AS one FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND u.email = $2",
        )
        .bind(org_id)
        .bind(&invite.email)
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_some() {
            return Err(StoreError::Conflict("already_member"));
        }
        // A pending invite past its expiry no longer blocks a new one.
        sqlx::query(
            "UPDATE invites SET status = 'expired' WHERE org_id = $1 AND email = $2 \
             AND status = 'pending' AND expires_at <= $3",
        )
        .bind(org_id)
        .bind(&invite.email)
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await?;
        let id = Uuid::now_v7().to_string();
        let inserted = sqlx::query(
            "INSERT INTO invites (id, org_id, email, role, status, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&invite.email)
        .bind(invite.role.key())
        .bind(&actor_id)
        .bind(unix_millis(now))
        .bind(unix_millis(invite.expires_at))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if super::accounts::is_unique_violation(&e) => {
                return Err(StoreError::Conflict("invite_pending"))
            }
            other => other?,
        };
        Self::insert_token(&mut tx, &id, &invite.token_hash, now).await?;
        let created = Self::invite_in_tx(&mut tx, org_id, &id).await?;
        let draft = invite_event(
            meta,
            "invite.created",
            &created,
            serde_json::Value::Null,
            json!({"email": created.email, "role": created.role.key(), "expires_at": created.expires_at}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn insert_token(
        tx: &mut AnyConnection,
        invite_id: &str,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE invite_tokens SET replaced = 1 WHERE invite_id = $1")
            .bind(invite_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO invite_tokens (token_hash, invite_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(invite_id)
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    async fn invite_in_tx(tx: &mut AnyConnection, org_id: &str, id: &str) -> StoreResult<Invite> {
        let sql = format!("SELECT {INVITE_COLUMNS} FROM invites WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        row.map(|r| invite_from_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    pub(super) async fn invite_impl(&self, org_id: &str, id: &str) -> StoreResult<Option<Invite>> {
        let sql = format!("SELECT {INVITE_COLUMNS} FROM invites WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| invite_from_row(&r)).transpose()
    }

    pub(super) async fn pending_invites_impl(
        &self,
        org_id: &str,
        now: OffsetDateTime,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> StoreResult<Vec<(Invite, (i64, String))>> {
        let (after_ms, after_id) = after.unwrap_or((i64::MIN, String::new()));
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE org_id = $1 AND status = 'pending' \
             AND expires_at > $2 AND (created_at > $3 OR (created_at = $3 AND id > $4)) \
             ORDER BY created_at, id LIMIT {limit}"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .bind(unix_millis(now))
            .bind(after_ms)
            .bind(after_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    invite_from_row(r)?,
                    (r.try_get("created_at")?, r.try_get("id")?),
                ))
            })
            .collect()
    }

    pub(super) async fn resend_invite_impl(
        &self,
        org_id: &str,
        id: &str,
        token: InviteToken,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Invite> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::invite_in_tx(&mut tx, org_id, id).await?;
        let (_, actor_permissions) = Self::acting_permissions(&mut tx, org_id, acting).await?;
        rules::may_grant(actor_permissions, before.role)?;
        if !matches!(before.status.as_str(), "pending" | "expired") {
            return Err(StoreError::InviteGone);
        }
        sqlx::query("UPDATE invites SET status = 'pending', expires_at = $1, email_error = NULL WHERE id = $2")
            .bind(unix_millis(token.expires_at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Self::insert_token(&mut tx, id, &token.token_hash, now).await?;
        let after = Self::invite_in_tx(&mut tx, org_id, id).await?;
        let draft = invite_event(
            meta,
            "invite.resent",
            &after,
            json!({"expires_at": before.expires_at}),
            json!({"expires_at": after.expires_at}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub(super) async fn revoke_invite_impl(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::invite_in_tx(&mut tx, org_id, id).await?;
        if !matches!(before.status.as_str(), "pending" | "expired") {
            return Err(StoreError::InviteGone);
        }
        sqlx::query("UPDATE invites SET status = 'revoked' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let draft = invite_event(
            meta,
            "invite.revoked",
            &before,
            json!({"status": "pending"}),
            json!({"status": "revoked"}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn record_email_error_impl(
        &self,
        invite_id: &str,
        error: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE invites SET email_error = $1 WHERE id = $2")
            .bind(error)
            .bind(invite_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Finds the invite a token belongs to: `Ok(None)` for an unknown token,
    /// `InviteGone` for one that was replaced by a resend.
    async fn invite_of_token(
        &self,
        conn: &mut AnyConnection,
        token_hash: &str,
    ) -> StoreResult<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT t.invite_id, t.replaced, i.org_id FROM invite_tokens t \
             JOIN invites i ON i.id = t.invite_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<i64, _>("replaced")? != 0 {
            return Err(StoreError::InviteGone);
        }
        Ok(Some((row.try_get("org_id")?, row.try_get("invite_id")?)))
    }

    pub(super) async fn invite_by_token_impl(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<InviteView>> {
        let mut conn = self.reader.acquire().await?;
        let Some((org_id, invite_id)) = self.invite_of_token(&mut conn, token_hash).await? else {
            return Ok(None);
        };
        let sql = "SELECT i.email, i.role, i.status, i.expires_at, o.name FROM invites i \
             JOIN orgs o ON o.id = i.org_id WHERE i.id = $1";
        let row = sqlx::query(sql)
            .bind(&invite_id)
            .fetch_one(&mut *conn)
            .await?;
        let expires_ms: i64 = row.try_get("expires_at")?;
        let mut status: String = row.try_get("status")?;
        if status == "pending" && expires_ms <= unix_millis(now) {
            status = "expired".into();
        }
        Ok(Some(InviteView {
            org_id,
            org_name: row.try_get("name")?,
            email: row.try_get("email")?,
            role: parse_role(&row.try_get::<String, _>("role")?)?,
            status,
            expires_at: format_timestamp(from_unix_millis(expires_ms)),
        }))
    }

    pub(super) async fn accept_invite_impl(
        &self,
        token_hash: &str,
        acceptor: Acceptor,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<(User, String)> {
        let mut tx = self.begin().await?;
        let Some((org_id, invite_id)) = self.invite_of_token(&mut tx, token_hash).await? else {
            return Err(StoreError::NotFound);
        };
        self.lock_org(&mut tx, &org_id).await?;
        let invite = Self::invite_in_tx(&mut tx, &org_id, &invite_id).await?;
        let expires_ms = teamgate_core::clock::parse_timestamp(&invite.expires_at).map(unix_millis);
        if invite.status != "pending" || expires_ms.is_none_or(|e| e <= unix_millis(now)) {
            return Err(StoreError::InviteGone);
        }
        let user = match acceptor {
            Acceptor::SignedIn(user) => {
                if user.email != invite.email {
                    return Err(StoreError::WrongAccount);
                }
                user
            }
            Acceptor::NewAccount(account) => {
                if account.email != invite.email {
                    return Err(StoreError::WrongAccount);
                }
                let existing = sqlx::query("SELECT 1 AS one FROM users WHERE email = $1")
                    .bind(&account.email)
                    .fetch_optional(&mut *tx)
                    .await?;
                if existing.is_some() {
                    return Err(StoreError::SignInRequired);
                }
                Self::insert_user(&mut tx, account, now).await?
            }
        };
        if Self::role_in_tx(&mut tx, &org_id, &user.id)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict("already_member"));
        }
        // The ceiling holds at acceptance too: the inviter must still hold the role's permissions.
        let inviter = Self::role_in_tx(&mut tx, &org_id, &invite.invited_by).await?;
        rules::may_grant(
            inviter.map(Role::permissions).unwrap_or_default(),
            invite.role,
        )
        .map_err(|_| StoreError::Rule(RuleViolation::RoleCeiling))?;

        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, joined_at) VALUES ($1,$2,$3,$4)",
        )
        .bind(&org_id)
        .bind(&user.id)
        .bind(invite.role.key())
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE invites SET status = 'accepted', accepted_by = $1 WHERE id = $2")
            .bind(&user.id)
            .bind(&invite_id)
            .execute(&mut *tx)
            .await?;
        let change = self.bump_version(&mut tx, &org_id, Some(&user.id)).await?;
        let mut actor_meta = meta.clone();
        actor_meta.actor = Actor {
            kind: ActorType::User,
            id: Some(user.id.clone()),
            label: Some(user.email.clone()),
            role: Some(invite.role.key().to_string()),
            on_behalf_of: None,
        };
        let draft = invite_event(
            &actor_meta,
            "invite.accepted",
            &invite,
            json!({"status": "pending"}),
            json!({"status": "accepted", "user_id": user.id, "role": invite.role.key()}),
        );
        Self::append(&mut tx, &org_id, draft, now).await?;
        tx.commit().await?;
        self.changed(change);
        Ok((user, org_id))
    }
}

fn invite_event(
    meta: &AuditMeta,
    action: &str,
    invite: &Invite,
    before: serde_json::Value,
    after: serde_json::Value,
) -> EventDraft {
    meta.success(
        action,
        crate::target("invite", &invite.id, &invite.email),
        before,
        after,
    )
}

fn invite_from_row(r: &AnyRow) -> StoreResult<Invite> {
    Ok(Invite {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        role: parse_role(&r.try_get::<String, _>("role")?)?,
        status: r.try_get("status")?,
        expires_at: format_timestamp(from_unix_millis(r.try_get("expires_at")?)),
        created_at: format_timestamp(from_unix_millis(r.try_get("created_at")?)),
        invited_by: r.try_get("invited_by")?,
        email_error: r.try_get("email_error")?,
    })
}
