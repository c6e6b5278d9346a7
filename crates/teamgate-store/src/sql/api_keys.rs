//! API keys: the secret is stored only as a hash; the key's effective
//! permissions are its role capped by its creator's current ones.

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use teamgate_core::audit::EventDraft;
use teamgate_core::clock::{format_timestamp, from_unix_millis, unix_millis};
use teamgate_core::rules;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqlStore;
use crate::{
    parse_role, Acting, ApiKey, ApiKeyAuth, AuditMeta, NewApiKey, StoreError, StoreResult,
};

const KEY_COLUMNS: &str =
    "id, name, role, prefix, created_by, created_at, last_used_at, revoked_at";

/// `last_used_at` is written at most this often per key, to keep reads cheap.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

impl SqlStore {
    pub(super) async fn create_api_key_impl(
        &self,
        org_id: &str,
        key: NewApiKey,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<ApiKey> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let (creator, permissions) = Self::acting_permissions(&mut tx, org_id, acting).await?;
        rules::may_grant(permissions, key.role)?;
        let id = Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO api_keys (id, org_id, name, role, prefix, secret_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&key.name)
        .bind(key.role.key())
        .bind(&key.prefix)
        .bind(&key.secret_hash)
        .bind(&creator)
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await?;
        let created = self.api_key_in(&mut tx, org_id, &id).await?;
        let draft = key_event(
            meta,
            "api_key.created",
            &created,
            serde_json::Value::Null,
            json!({"name": created.name, "role": created.role.key(), "prefix": created.prefix}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn api_key_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        org_id: &str,
        id: &str,
    ) -> StoreResult<ApiKey> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| key_from_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    pub(super) async fn api_keys_impl(&self, org_id: &str) -> StoreResult<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL \
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    pub(super) async fn api_key_impl(&self, org_id: &str, id: &str) -> StoreResult<Option<ApiKey>> {
        let mut conn = self.reader.acquire().await?;
        match self.api_key_in(&mut conn, org_id, id).await {
            Ok(k) => Ok(Some(k)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn revoke_api_key_impl(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let key = self.api_key_in(&mut tx, org_id, id).await?;
        if key.revoked_at.is_some() {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2")
            .bind(unix_millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let draft = key_event(
            meta,
            "api_key.revoked",
            &key,
            json!({"revoked": false}),
            json!({"revoked": true}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        let change = self.bump_version(&mut tx, org_id, None).await?;
        tx.commit().await?;
        self.changed(change);
        Ok(())
    }

    pub(super) async fn api_key_by_secret_impl(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ApiKeyAuth>> {
        let now_ms = unix_millis(now);
        // Taken before the key is read, from the cache or the database: a
        // revocation committed after this point makes every fill below a
        // no-op, so a revoked key can never be put back in the cache.
        let epoch = self.cache.epoch();
        let (key, cached) = match self.cache.api_key(secret_hash) {
            Some(key) => (key, true),
            None => {
                let row = sqlx::query(
                    "SELECT id, org_id, name, role, created_by, last_used_at FROM api_keys \
                     WHERE secret_hash = $1 AND revoked_at IS NULL",
                )
                .bind(secret_hash)
                .fetch_optional(&self.reader)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let key = ApiKeyAuth {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    name: r.try_get("name")?,
                    role: parse_role(&r.try_get::<String, _>("role")?)?,
                    created_by: r.try_get("created_by")?,
                    last_used_ms: r.try_get("last_used_at")?,
                };
                (key, false)
            }
        };
        // The last-used time is written at most once a minute per key.
        let touch = key
            .last_used_ms
            .is_none_or(|t| now_ms - t >= LAST_USED_RESOLUTION_MS);
        if touch {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(now_ms)
                .bind(&key.id)
                .execute(&self.writer)
                .await?;
        }
        if touch || !cached {
            let last_used_ms = if touch {
                Some(now_ms)
            } else {
                key.last_used_ms
            };
            self.cache.fill_api_key(
                epoch,
                secret_hash,
                &ApiKeyAuth {
                    last_used_ms,
                    ..key.clone()
                },
            );
        }
        Ok(Some(key))
    }
}

fn key_event(
    meta: &AuditMeta,
    action: &str,
    key: &ApiKey,
    before: serde_json::Value,
    after: serde_json::Value,
) -> EventDraft {
    meta.success(
        action,
        crate::target("api_key", &key.id, &key.name),
        before,
        after,
    )
}

fn key_from_row(r: &AnyRow) -> StoreResult<ApiKey> {
    let ts = |v: Option<i64>| v.map(|ms| format_timestamp(from_unix_millis(ms)));
    Ok(ApiKey {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: parse_role(&r.try_get::<String, _>("role")?)?,
        prefix: r.try_get("prefix")?,
        created_by: r.try_get("created_by")?,
        created_at: format_timestamp(from_unix_millis(r.try_get("created_at")?)),
        last_used_at: ts(r.try_get("last_used_at")?),
        revoked_at: ts(r.try_get("revoked_at")?),
    })
}
