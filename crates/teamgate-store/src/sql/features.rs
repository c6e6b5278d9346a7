//! Agents and campaigns. Each change locks the organisation, writes, and
//! appends its audit event (`chat_agent.created`, `campaign.launched`, …) with
//! the state before and after, all in one transaction. Every query names the
//! organisation, so a row of another one is simply not found.

use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use teamgate_core::audit::EventDraft;
use teamgate_core::clock::{format_timestamp, from_unix_millis, unix_millis};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqlStore;
use crate::{
    Agent, AgentKind, AuditMeta, Campaign, NamedConfigChange, NewNamedConfig, RowCursor,
    StoreError, StoreResult,
};

const AGENT_COLUMNS: &str = "id, kind, name, config, created_at, updated_at";
const CAMPAIGN_COLUMNS: &str = "id, name, config, status, launched_at, created_at, updated_at";

/// The start of a list: before every `(created_ms, id)`.
pub(super) fn first_position(after: Option<RowCursor>) -> RowCursor {
    after.unwrap_or((i64::MIN, String::new()))
}

/// An audit event about one feature object.
pub(super) fn feature_event(
    meta: &AuditMeta,
    action: String,
    kind: &str,
    id: &str,
    label: &str,
    before: Value,
    after: Value,
) -> EventDraft {
    meta.success(action, crate::target(kind, id, label), before, after)
}

pub(super) fn json_text(value: &Value) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn json_column(row: &AnyRow, column: &str) -> StoreResult<Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(super) fn timestamp(ms: i64) -> String {
    format_timestamp(from_unix_millis(ms))
}

/// What an agent's or campaign's audit events show of it.
fn named_config(name: &str, config: &Value) -> Value {
    json!({"name": name, "config": config})
}

impl SqlStore {
    // --- agents -------------------------------------------------------------

    pub(super) async fn create_agent_impl(
        &self,
        org_id: &str,
        kind: AgentKind,
        new: NewNamedConfig,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Agent> {
        let config = json_text(&new.config)?;
        let id = Uuid::now_v7().to_string();
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        sqlx::query(
            "INSERT INTO agents (id, org_id, kind, name, config, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(kind.key())
        .bind(&new.name)
        .bind(config)
        .bind(unix_millis(now))
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await?;
        let agent = Self::agent_in(&mut tx, org_id, kind, &id).await?;
        let draft = feature_event(
            meta,
            format!("{}.created", kind.audit_noun()),
            kind.audit_noun(),
            &agent.id,
            &agent.name,
            Value::Null,
            named_config(&agent.name, &agent.config),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(agent)
    }

    async fn agent_in(
        conn: &mut AnyConnection,
        org_id: &str,
        kind: AgentKind,
        id: &str,
    ) -> StoreResult<Agent> {
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE org_id = $1 AND kind = $2 AND id = $3"
        );
        let row = sqlx::query(&sql)
            .bind(org_id)
            .bind(kind.key())
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| agent_from_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    pub(super) async fn agents_impl(
        &self,
        org_id: &str,
        kind: AgentKind,
        after: Option<RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Agent>> {
        let (after_ms, after_id) = first_position(after);
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE org_id = $1 AND kind = $2 \
             AND (created_at > $3 OR (created_at = $3 AND id > $4)) \
             ORDER BY created_at, id LIMIT {limit}"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .bind(kind.key())
            .bind(after_ms)
            .bind(after_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(agent_from_row).collect()
    }

    pub(super) async fn agent_impl(
        &self,
        org_id: &str,
        kind: AgentKind,
        id: &str,
    ) -> StoreResult<Option<Agent>> {
        let mut conn = self.reader.acquire().await?;
        found(Self::agent_in(&mut conn, org_id, kind, id).await)
    }

    pub(super) async fn update_agent_impl(
        &self,
        org_id: &str,
        kind: AgentKind,
        id: &str,
        change: NamedConfigChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Agent> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::agent_in(&mut tx, org_id, kind, id).await?;
        let name = change.name.unwrap_or_else(|| before.name.clone());
        let config = change.config.unwrap_or_else(|| before.config.clone());
        // Nothing changes, so nothing is written or recorded.
        if name == before.name && config == before.config {
            return Ok(before);
        }
        sqlx::query("UPDATE agents SET name = $1, config = $2, updated_at = $3 WHERE org_id = $4 AND id = $5")
            .bind(&name)
            .bind(json_text(&config)?)
            .bind(unix_millis(now))
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = Self::agent_in(&mut tx, org_id, kind, id).await?;
        let draft = feature_event(
            meta,
            format!("{}.updated", kind.audit_noun()),
            kind.audit_noun(),
            id,
            &after.name,
            named_config(&before.name, &before.config),
            named_config(&after.name, &after.config),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub(super) async fn delete_agent_impl(
        &self,
        org_id: &str,
        kind: AgentKind,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::agent_in(&mut tx, org_id, kind, id).await?;
        sqlx::query("DELETE FROM agents WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let draft = feature_event(
            meta,
            format!("{}.deleted", kind.audit_noun()),
            kind.audit_noun(),
            id,
            &before.name,
            named_config(&before.name, &before.config),
            Value::Null,
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(())
    }

    // --- campaigns ----------------------------------------------------------

    pub(super) async fn create_campaign_impl(
        &self,
        org_id: &str,
        new: NewNamedConfig,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Campaign> {
        let config = json_text(&new.config)?;
        let id = Uuid::now_v7().to_string();
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        sqlx::query(
            "INSERT INTO campaigns (id, org_id, name, config, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'draft', $5, $6)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&new.name)
        .bind(config)
        .bind(unix_millis(now))
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await?;
        let campaign = Self::campaign_in(&mut tx, org_id, &id).await?;
        let draft = feature_event(
            meta,
            "campaign.created".into(),
            "campaign",
            &id,
            &campaign.name,
            Value::Null,
            campaign_state(&campaign),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(campaign)
    }

    async fn campaign_in(
        conn: &mut AnyConnection,
        org_id: &str,
        id: &str,
    ) -> StoreResult<Campaign> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| campaign_from_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    pub(super) async fn campaigns_impl(
        &self,
        org_id: &str,
        after: Option<RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Campaign>> {
        let (after_ms, after_id) = first_position(after);
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE org_id = $1 \
             AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
             ORDER BY created_at, id LIMIT {limit}"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .bind(after_ms)
            .bind(after_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(campaign_from_row).collect()
    }

    pub(super) async fn campaign_impl(
        &self,
        org_id: &str,
        id: &str,
    ) -> StoreResult<Option<Campaign>> {
        let mut conn = self.reader.acquire().await?;
        found(Self::campaign_in(&mut conn, org_id, id).await)
    }

    pub(super) async fn update_campaign_impl(
        &self,
        org_id: &str,
        id: &str,
        change: NamedConfigChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Campaign> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::campaign_in(&mut tx, org_id, id).await?;
        let name = change.name.unwrap_or_else(|| before.name.clone());
        let config = change.config.unwrap_or_else(|| before.config.clone());
        if name == before.name && config == before.config {
            return Ok(before);
        }
        sqlx::query("UPDATE campaigns SET name = $1, config = $2, updated_at = $3 WHERE org_id = $4 AND id = $5")
            .bind(&name)
            .bind(json_text(&config)?)
            .bind(unix_millis(now))
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = Self::campaign_in(&mut tx, org_id, id).await?;
        let draft = feature_event(
            meta,
            "campaign.updated".into(),
            "campaign",
            id,
            &after.name,
            campaign_state(&before),
            campaign_state(&after),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub(super) async fn delete_campaign_impl(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::campaign_in(&mut tx, org_id, id).await?;
        sqlx::query("DELETE FROM campaigns WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let draft = feature_event(
            meta,
            "campaign.deleted".into(),
            "campaign",
            id,
            &before.name,
            campaign_state(&before),
            Value::Null,
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn launch_campaign_impl(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Campaign> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::campaign_in(&mut tx, org_id, id).await?;
        if before.status == "launched" {
            return Ok(before);
        }
        sqlx::query(
            "UPDATE campaigns SET status = 'launched', launched_at = $1, updated_at = $2 \
             WHERE org_id = $3 AND id = $4",
        )
        .bind(unix_millis(now))
        .bind(unix_millis(now))
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let after = Self::campaign_in(&mut tx, org_id, id).await?;
        let draft = feature_event(
            meta,
            "campaign.launched".into(),
            "campaign",
            id,
            &after.name,
            json!({"status": before.status, "launched_at": before.launched_at}),
            json!({"status": after.status, "launched_at": after.launched_at}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// `Ok(None)` for a row that is not there (in this organisation).
pub(super) fn found<T>(result: StoreResult<T>) -> StoreResult<Option<T>> {
    match result {
        Ok(row) => Ok(Some(row)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

fn campaign_state(c: &Campaign) -> Value {
    json!({"name": c.name, "config": c.config, "status": c.status})
}

fn agent_from_row(r: &AnyRow) -> StoreResult<Agent> {
    let kind: String = r.try_get("kind")?;
    let created_ms: i64 = r.try_get("created_at")?;
    Ok(Agent {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        config: json_column(r, "config")?,
        created_at: timestamp(created_ms),
        updated_at: timestamp(r.try_get("updated_at")?),
        kind: AgentKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("agent kind `{kind}`")))?,
        created_ms,
    })
}

fn campaign_from_row(r: &AnyRow) -> StoreResult<Campaign> {
    let created_ms: i64 = r.try_get("created_at")?;
    Ok(Campaign {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        config: json_column(r, "config")?,
        status: r.try_get("status")?,
        launched_at: r.try_get::<Option<i64>, _>("launched_at")?.map(timestamp),
        created_at: timestamp(created_ms),
        updated_at: timestamp(r.try_get("updated_at")?),
        created_ms,
    })
}
