//! The audit writer and reader. [`SqlStore::append`] is the only way an event
//! is written, and it is always called inside the transaction of the change.

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use teamgate_core::audit::{
    Actor, ActorType, AuditEvent, ChainBreak, ChainPosition, ChainVerifier, Changes, Context,
    EventDraft, Outcome, Target, GENESIS_HASH,
};
use teamgate_core::clock::{format_timestamp, unix_millis};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqlStore;
use crate::{AuditFilter, AuditMeta, ChainReport, Denied, StoreError, StoreResult};

const EVENT_COLUMNS: &str = "id, org_id, seq, occurred_at, actor_type, actor_id, actor_label, \
    actor_role, actor_on_behalf_of, action, target_type, target_id, target_label, changes, \
    context_ip, context_user_agent, context_request_id, outcome, prev_hash, hash";

impl SqlStore {
    /// Appends an event to the organisation's chain. The caller holds the
    /// organisation's lock (see `lock_org`), so `seq` and `prev_hash` cannot race.
    pub(super) async fn append(
        tx: &mut AnyConnection,
        org_id: &str,
        draft: EventDraft,
        now: OffsetDateTime,
    ) -> StoreResult<AuditEvent> {
        let last = sqlx::query(
            "SELECT seq, hash FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (seq, prev_hash) = match last {
            Some(row) => (
                row.try_get::<i64, _>("seq")? + 1,
                row.try_get::<String, _>("hash")?,
            ),
            None => (1, GENESIS_HASH.to_string()),
        };
        let event = AuditEvent::seal(
            draft,
            ChainPosition {
                id: Uuid::now_v7().to_string(),
                seq,
                org_id: org_id.to_string(),
                occurred_at: format_timestamp(now),
                prev_hash,
            },
        );
        let changes = serde_json::to_string(&event.changes)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(&format!(
            "INSERT INTO audit_events ({EVENT_COLUMNS}, occurred_ms) VALUES \
             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)"
        ))
        .bind(&event.id)
        .bind(&event.org_id)
        .bind(event.seq)
        .bind(&event.occurred_at)
        .bind(event.actor.kind.as_str())
        .bind(&event.actor.id)
        .bind(&event.actor.label)
        .bind(&event.actor.role)
        .bind(&event.actor.on_behalf_of)
        .bind(&event.action)
        .bind(&event.target.kind)
        .bind(&event.target.id)
        .bind(&event.target.label)
        .bind(changes)
        .bind(&event.context.ip)
        .bind(&event.context.user_agent)
        .bind(&event.context.request_id)
        .bind(event.outcome.as_str())
        .bind(&event.prev_hash)
        .bind(&event.hash)
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await?;
        Ok(event)
    }

    pub(super) async fn record_denied_impl(
        &self,
        org_id: &str,
        denied: Denied,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<AuditEvent> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let draft = EventDraft {
            actor: meta.actor.clone(),
            action: "access.denied".into(),
            target: Target {
                kind: "route".into(),
                id: Some(denied.route),
                label: None,
            },
            changes: Changes {
                before: serde_json::Value::Null,
                after: json!({"code": denied.code, "missing_permission": denied.missing_permission}),
            },
            context: meta.context.clone(),
            outcome: Outcome::Denied,
        };
        let event = Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(event)
    }

    pub(super) async fn audit_page_impl(
        &self,
        org_id: &str,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut q = FilterSql::new(org_id, filter);
        if let Some(before) = before {
            q.cond_int("seq <", before);
        }
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE {} ORDER BY seq DESC LIMIT {}",
            q.conditions.join(" AND "),
            limit
        );
        self.fetch_events(&sql, q.args).await
    }

    pub(super) async fn audit_batch_impl(
        &self,
        org_id: &str,
        filter: &AuditFilter,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut q = FilterSql::new(org_id, filter);
        q.cond_int("seq >", after);
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE {} ORDER BY seq ASC LIMIT {}",
            q.conditions.join(" AND "),
            limit
        );
        self.fetch_events(&sql, q.args).await
    }

    pub(super) async fn audit_event_impl(
        &self,
        org_id: &str,
        id: &str,
    ) -> StoreResult<Option<AuditEvent>> {
        // The org condition comes first, so another organisation's id finds nothing.
        let mut q = FilterSql::new(org_id, &AuditFilter::default());
        q.cond_text("id =", id.to_string());
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE {}",
            q.conditions.join(" AND ")
        );
        Ok(self.fetch_events(&sql, q.args).await?.into_iter().next())
    }

    async fn fetch_events(&self, sql: &str, args: Vec<Arg>) -> StoreResult<Vec<AuditEvent>> {
        self.fetch_rows(sql, args)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    async fn fetch_rows(&self, sql: &str, args: Vec<Arg>) -> StoreResult<Vec<AnyRow>> {
        let mut query = sqlx::query(sql);
        for arg in args {
            query = match arg {
                Arg::Text(s) => query.bind(s),
                Arg::Int(i) => query.bind(i),
            };
        }
        Ok(query.fetch_all(&self.reader).await?)
    }

    pub(super) async fn verify_chain_impl(
        &self,
        org_id: &str,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> StoreResult<ChainReport> {
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        loop {
            // The verifier expects seq 1, 2, 3…, so a deleted row shows as a break.
            let mut q = FilterSql::new(org_id, &AuditFilter::default());
            q.cond_int("seq >", after);
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM audit_events WHERE {} ORDER BY seq ASC LIMIT 2000",
                q.conditions.join(" AND ")
            );
            let rows = self.fetch_rows(&sql, q.args).await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("seq")?;
            for row in &rows {
                // A row that no longer decodes was altered too; it is the break.
                let checked = event_from_row(row).map_err(|e| ChainBreak {
                    id: row.try_get("id").unwrap_or_default(),
                    seq: row.try_get("seq").unwrap_or_default(),
                    problem: e.to_string(),
                });
                if let Err(broken) = checked.and_then(|event| verifier.push(&event)) {
                    return Ok(ChainReport {
                        ok: false,
                        events_checked: verifier.checked(),
                        first_bad_event: Some(broken),
                    });
                }
            }
            progress(verifier.checked());
        }
        Ok(ChainReport {
            ok: true,
            events_checked: verifier.checked(),
            first_bad_event: None,
        })
    }
}

enum Arg {
    Text(String),
    Int(i64),
}

/// The WHERE clause of an audit query, with `$n` parameters numbered as it grows.
struct FilterSql {
    conditions: Vec<String>,
    args: Vec<Arg>,
}

impl FilterSql {
    fn new(org_id: &str, filter: &AuditFilter) -> FilterSql {
        let mut q = FilterSql {
            conditions: Vec::new(),
            args: Vec::new(),
        };
        q.cond_text("org_id =", org_id.to_string());
        if let Some(action) = &filter.action {
            if action.ends_with('.') {
                let escaped = action
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                q.args.push(Arg::Text(format!("{escaped}%")));
                q.conditions
                    .push(format!("action LIKE ${} ESCAPE '\\'", q.args.len()));
            } else {
                q.cond_text("action =", action.clone());
            }
        }
        if let Some(actor) = &filter.actor {
            q.cond_text("actor_id =", actor.clone());
        }
        if let Some(target) = &filter.target {
            q.cond_text("target_id =", target.clone());
        }
        if let Some(since) = filter.since_ms {
            q.cond_int("occurred_ms >=", since);
        }
        if let Some(until) = filter.until_ms {
            q.cond_int("occurred_ms <", until);
        }
        q
    }

    fn cond_text(&mut self, left: &str, value: String) {
        self.args.push(Arg::Text(value));
        self.conditions.push(format!("{left} ${}", self.args.len()));
    }

    fn cond_int(&mut self, left: &str, value: i64) {
        self.args.push(Arg::Int(value));
        self.conditions.push(format!("{left} ${}", self.args.len()));
    }
}

fn event_from_row(row: &AnyRow) -> StoreResult<AuditEvent> {
    let actor_type: String = row.try_get("actor_type")?;
    let outcome: String = row.try_get("outcome")?;
    let changes: String = row.try_get("changes")?;
    let changes: Changes = serde_json::from_str(&changes)
        .map_err(|e| StoreError::Corrupt(format!("audit changes: {e}")))?;
    Ok(AuditEvent {
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        org_id: row.try_get("org_id")?,
        occurred_at: row.try_get("occurred_at")?,
        actor: Actor {
            kind: ActorType::parse(&actor_type)
                .ok_or_else(|| StoreError::Corrupt(format!("actor type `{actor_type}`")))?,
            id: row.try_get("actor_id")?,
            label: row.try_get("actor_label")?,
            role: row.try_get("actor_role")?,
            on_behalf_of: row.try_get("actor_on_behalf_of")?,
        },
        action: row.try_get("action")?,
        target: Target {
            kind: row.try_get("target_type")?,
            id: row.try_get("target_id")?,
            label: row.try_get("target_label")?,
        },
        changes,
        context: Context {
            ip: row.try_get("context_ip")?,
            user_agent: row.try_get("context_user_agent")?,
            request_id: row.try_get("context_request_id")?,
        },
        outcome: match outcome.as_str() {
            "denied" => Outcome::Denied,
            "success" => Outcome::Success,
            other => return Err(StoreError::Corrupt(format!("outcome `{other}`"))),
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
