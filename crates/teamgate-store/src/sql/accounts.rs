//! Users and sessions.

use serde_json::json;
use sqlx::Row;
use teamgate_core::audit::{Actor, ActorType, Context};
use teamgate_core::clock::unix_millis;
use teamgate_core::Role;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqlStore;
use crate::cache::Change;
use crate::{
    parse_role, AuditMeta, Credentials, NewAccount, NewSession, Org, ProfileChange, StoreError,
    StoreResult, User,
};

impl SqlStore {
    pub(super) async fn bootstrap_impl(
        &self,
        account: NewAccount,
        org_name: &str,
        now: OffsetDateTime,
    ) -> StoreResult<(User, Org)> {
        let mut tx = self.begin().await?;
        if self.backend == crate::Backend::Postgres {
            // Two replicas opening setup at once must not both create a first admin.
            sqlx::query("LOCK TABLE users IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let existing = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&mut *tx)
            .await?;
        if existing.try_get::<i64, _>("n")? > 0 {
            return Err(StoreError::Conflict("already_set_up"));
        }
        let user = Self::insert_user(&mut tx, account, now).await?;
        let meta = AuditMeta {
            actor: Actor {
                kind: ActorType::User,
                id: Some(user.id.clone()),
                label: Some(user.email.clone()),
                role: None,
                on_behalf_of: None,
            },
            context: Context::default(),
        };
        let org = Self::insert_org_with_admin(&mut tx, &user, org_name, &meta, now).await?;
        tx.commit().await?;
        Ok((user, org))
    }

    pub(super) async fn insert_user(
        tx: &mut sqlx::AnyConnection,
        account: NewAccount,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        let user = User {
            id: Uuid::now_v7().to_string(),
            email: account.email,
            name: account.name,
        };
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1,$2,$3,$4,$5)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&account.password_hash)
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => Ok(user),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("email_taken")),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn credentials_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> StoreResult<Option<Credentials>> {
        let sql = format!("SELECT id, email, name, password_hash FROM users WHERE {column} = $1");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(Credentials {
                user: User {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                },
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    pub(super) async fn create_session_impl(&self, s: NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1,$2,$3,$4)",
        )
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(unix_millis(s.created_at))
        .bind(unix_millis(s.expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(super) async fn session_user_impl(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<User>> {
        let now_ms = unix_millis(now);
        if let Some(user) = self.cache.session(token_hash, now_ms) {
            return Ok(Some(user));
        }
        let epoch = self.cache.epoch();
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let user = User {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            name: r.try_get("name")?,
        };
        self.cache
            .fill_session(epoch, token_hash, &user, r.try_get("expires_at")?);
        Ok(Some(user))
    }

    pub(super) async fn end_session_impl(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let ended = sqlx::query(
            "UPDATE sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL RETURNING user_id",
        )
        .bind(unix_millis(now))
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let change = match ended {
            Some(row) => {
                let change = Change::of_user(&row.try_get::<String, _>("user_id")?);
                self.notify(&mut tx, &change).await?;
                Some(change)
            }
            None => None,
        };
        tx.commit().await?;
        if let Some(change) = change {
            self.changed(change);
        }
        Ok(())
    }

    pub(super) async fn update_profile_impl(
        &self,
        user_id: &str,
        change: ProfileChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let before = sqlx::query("SELECT id, email, name FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut user = User {
            id: before.try_get("id")?,
            email: before.try_get("email")?,
            name: before.try_get("name")?,
        };
        let old_name = user.name.clone();
        if let Some(name) = &change.name {
            sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            user.name = name.clone();
        }
        if let Some(hash) = &change.password_hash {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL \
                 AND token_hash <> $3",
            )
            .bind(unix_millis(now))
            .bind(user_id)
            .bind(change.keep_session.clone().unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        }

        let orgs =
            sqlx::query("SELECT org_id, role FROM memberships WHERE user_id = $1 ORDER BY org_id")
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
        let mut before = json!({});
        let mut after = json!({});
        if change.name.is_some() {
            before["name"] = json!(old_name);
            after["name"] = json!(user.name);
        }
        if change.password_hash.is_some() {
            before["password"] = json!("(unchanged)");
            after["password"] = json!("(changed)");
        }
        let mut changes = Vec::new();
        // Cached sessions hold the old name, and with a new password the other
        // sessions ended: every replica drops this person's cached sessions.
        let person = Change::of_user(user_id);
        self.notify(&mut tx, &person).await?;
        changes.push(person);
        for row in orgs {
            let org_id: String = row.try_get("org_id")?;
            let role: Role = parse_role(&row.try_get::<String, _>("role")?)?;
            self.lock_org(&mut tx, &org_id).await?;
            let mut actor = meta.actor.clone();
            actor.role = Some(role.key().to_string());
            let acting_here = AuditMeta {
                actor,
                context: meta.context.clone(),
            };
            let draft = acting_here.success(
                "member.profile_updated",
                crate::target("member", &user.id, &user.email),
                before.clone(),
                after.clone(),
            );
            Self::append(&mut tx, &org_id, draft, now).await?;
            changes.push(self.bump_version(&mut tx, &org_id, Some(user_id)).await?);
        }
        tx.commit().await?;
        for change in changes {
            self.changed(change);
        }
        Ok(user)
    }
}

/// True when a write failed on a UNIQUE constraint, in either database.
pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.code()
                .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
