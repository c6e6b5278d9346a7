//! Billing, payment settings, and the counts analytics and usage are computed
//! from. Payment settings never hold a card number: the store refuses one
//! even when a caller forgot to check.

use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};
use teamgate_core::card::contains_card_number;
use teamgate_core::clock::unix_millis;
use time::OffsetDateTime;

use super::features::{feature_event, timestamp};
use super::SqlStore;
use crate::{
    AuditMeta, Billing, BillingChange, DailyMessages, FeatureCounts, PaymentSettings,
    PaymentSettingsChange, StoreError, StoreResult, PLANS,
};

const DAY_MS: i64 = 86_400_000;

impl SqlStore {
    /// The billing row, `None` while the organisation never set it.
    async fn billing_in(conn: &mut AnyConnection, org_id: &str) -> StoreResult<Option<Billing>> {
        let row =
            sqlx::query("SELECT plan, billing_email, updated_at FROM billing WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(&mut *conn)
                .await?;
        row.map(|r| {
            Ok(Billing {
                plan: r.try_get("plan")?,
                billing_email: r.try_get("billing_email")?,
                updated_at: Some(timestamp(r.try_get("updated_at")?)),
            })
        })
        .transpose()
    }

    pub(super) async fn billing_impl(&self, org_id: &str) -> StoreResult<Billing> {
        let mut conn = self.reader.acquire().await?;
        let billing = Self::billing_in(&mut conn, org_id).await?;
        Ok(billing.unwrap_or_default())
    }

    pub(super) async fn update_billing_impl(
        &self,
        org_id: &str,
        change: BillingChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Billing> {
        if let Some(plan) = &change.plan {
            if !PLANS.contains(&plan.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "plan must be one of {}",
                    PLANS.join(", ")
                )));
            }
        }
        let mut tx = self.begin().await?;
        let org = self.lock_org(&mut tx, org_id).await?;
        let before = Self::billing_in(&mut tx, org_id).await?;
        let current = before.clone().unwrap_or_default();
        let plan = change.plan.unwrap_or(current.plan.clone());
        let email = change
            .billing_email
            .unwrap_or(current.billing_email.clone());
        // Nothing changes (the defaults count as what is there), so nothing is written or recorded.
        if plan == current.plan && email == current.billing_email {
            return Ok(current);
        }
        let sql = if before.is_some() {
            "UPDATE billing SET plan = $2, billing_email = $3, updated_at = $4 WHERE org_id = $1"
        } else {
            "INSERT INTO billing (org_id, plan, billing_email, updated_at) VALUES ($1, $2, $3, $4)"
        };
        sqlx::query(sql)
            .bind(org_id)
            .bind(&plan)
            .bind(&email)
            .bind(unix_millis(now))
            .execute(&mut *tx)
            .await?;
        let before_json = before.map_or(
            Value::Null,
            |b| json!({"plan": b.plan, "billing_email": b.billing_email}),
        );
        let draft = feature_event(
            meta,
            "billing.updated".into(),
            "billing",
            org_id,
            &org.name,
            before_json,
            json!({"plan": plan, "billing_email": email}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        let after = Self::billing_in(&mut tx, org_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn payment_settings_in(
        conn: &mut AnyConnection,
        org_id: &str,
    ) -> StoreResult<Option<PaymentSettings>> {
        let row = sqlx::query(
            "SELECT payment_method_label, billing_address, updated_at FROM payment_settings WHERE org_id = $1",
        )
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| {
            Ok(PaymentSettings {
                payment_method_label: r.try_get("payment_method_label")?,
                billing_address: r.try_get("billing_address")?,
                updated_at: Some(timestamp(r.try_get("updated_at")?)),
            })
        })
        .transpose()
    }

    pub(super) async fn payment_settings_impl(&self, org_id: &str) -> StoreResult<PaymentSettings> {
        let mut conn = self.reader.acquire().await?;
        let settings = Self::payment_settings_in(&mut conn, org_id).await?;
        Ok(settings.unwrap_or_default())
    }

    pub(super) async fn update_payment_settings_impl(
        &self,
        org_id: &str,
        change: PaymentSettingsChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<PaymentSettings> {
        let fields = [&change.payment_method_label, &change.billing_address];
        if fields.iter().any(|f| {
            f.as_ref()
                .and_then(|v| v.as_deref())
                .is_some_and(contains_card_number)
        }) {
            return Err(StoreError::Invalid(
                "payment settings never hold a card number".into(),
            ));
        }
        let mut tx = self.begin().await?;
        let org = self.lock_org(&mut tx, org_id).await?;
        let before = Self::payment_settings_in(&mut tx, org_id).await?;
        let (label_before, address_before) = before
            .as_ref()
            .map(|b| (b.payment_method_label.clone(), b.billing_address.clone()))
            .unwrap_or((None, None));
        let label = change.payment_method_label.unwrap_or(label_before.clone());
        let address = change.billing_address.unwrap_or(address_before.clone());
        if label == label_before && address == address_before {
            return Ok(before.unwrap_or_default());
        }
        let sql = if before.is_some() {
            "UPDATE payment_settings SET payment_method_label = $2, billing_address = $3, updated_at = $4 \
             WHERE org_id = $1"
        } else {
            "INSERT INTO payment_settings (org_id, payment_method_label, billing_address, updated_at) \
             VALUES ($1, $2, $3, $4)"
        };
        sqlx::query(sql)
            .bind(org_id)
            .bind(&label)
            .bind(&address)
            .bind(unix_millis(now))
            .execute(&mut *tx)
            .await?;
        let before_json = before.as_ref().map_or(
            Value::Null,
            |_| json!({"payment_method_label": label_before, "billing_address": address_before}),
        );
        let draft = feature_event(
            meta,
            "payment_settings.updated".into(),
            "payment_settings",
            org_id,
            &org.name,
            before_json,
            json!({"payment_method_label": label, "billing_address": address}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        let after = Self::payment_settings_in(&mut tx, org_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    pub(super) async fn feature_counts_impl(
        &self,
        org_id: &str,
        since_ms: Option<i64>,
    ) -> StoreResult<FeatureCounts> {
        let since = since_ms.unwrap_or(i64::MIN);
        let row = sqlx::query(
            "SELECT \
             (SELECT COUNT(*) FROM agents WHERE org_id = $1 AND kind = 'chat') AS chat_agents, \
             (SELECT COUNT(*) FROM agents WHERE org_id = $1 AND kind = 'whatsapp') AS whatsapp_agents, \
             (SELECT COUNT(*) FROM agents WHERE org_id = $1 AND kind = 'voice') AS voice_agents, \
             (SELECT COUNT(*) FROM campaigns WHERE org_id = $1 AND status = 'draft') AS campaigns_draft, \
             (SELECT COUNT(*) FROM campaigns WHERE org_id = $1 AND status = 'launched') AS campaigns_launched, \
             (SELECT COUNT(*) FROM conversations WHERE org_id = $1 AND created_at >= $2 \
                AND status = 'open') AS conversations_open, \
             (SELECT COUNT(*) FROM conversations WHERE org_id = $1 AND created_at >= $2 \
                AND status = 'closed') AS conversations_closed, \
             (SELECT COUNT(*) FROM conversations WHERE org_id = $1 AND created_at >= $2 \
                AND assignee IS NOT NULL) AS conversations_assigned, \
             (SELECT COUNT(*) FROM messages WHERE org_id = $1 AND created_at >= $2 \
                AND direction = 'inbound') AS messages_inbound, \
             (SELECT COUNT(*) FROM messages WHERE org_id = $1 AND created_at >= $2 \
                AND direction = 'outbound') AS messages_outbound, \
             (SELECT COUNT(*) FROM memberships WHERE org_id = $1) AS members, \
             (SELECT COUNT(*) FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL) AS api_keys",
        )
        .bind(org_id)
        .bind(since)
        .fetch_one(&self.reader)
        .await?;
        Ok(FeatureCounts {
            chat_agents: row.try_get("chat_agents")?,
            whatsapp_agents: row.try_get("whatsapp_agents")?,
            voice_agents: row.try_get("voice_agents")?,
            campaigns_draft: row.try_get("campaigns_draft")?,
            campaigns_launched: row.try_get("campaigns_launched")?,
            conversations_open: row.try_get("conversations_open")?,
            conversations_closed: row.try_get("conversations_closed")?,
            conversations_assigned: row.try_get("conversations_assigned")?,
            messages_inbound: row.try_get("messages_inbound")?,
            messages_outbound: row.try_get("messages_outbound")?,
            members: row.try_get("members")?,
            api_keys: row.try_get("api_keys")?,
        })
    }

    pub(super) async fn daily_messages_impl(
        &self,
        org_id: &str,
        since_ms: i64,
    ) -> StoreResult<Vec<DailyMessages>> {
        let sql = format!(
            "SELECT created_at / {DAY_MS} AS day, \
             SUM(CASE WHEN direction = 'inbound' THEN 1 ELSE 0 END) AS inbound, \
             SUM(CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END) AS outbound \
             FROM messages WHERE org_id = $1 AND created_at >= $2 \
             GROUP BY created_at / {DAY_MS} ORDER BY day"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .bind(since_ms)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DailyMessages {
                    day: r.try_get("day")?,
                    inbound: r.try_get("inbound")?,
                    outbound: r.try_get("outbound")?,
                })
            })
            .collect()
    }
}
