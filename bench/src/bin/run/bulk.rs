//! Bulk data straight into the database, for the large-database figures:
//! members (users and memberships) and audit events with a valid hash chain,
//! sealed by teamgate's own `AuditEvent::seal`. Multi-row INSERTs on SQLite,
//! COPY on PostgreSQL. Setup only: nothing here is timed as a teamgate figure.

use std::fmt::Write as _;

use serde_json::json;
use sqlx::{Connection, PgConnection, QueryBuilder, Sqlite, SqliteConnection};
use teamgate_core::audit::{
    Actor, ActorType, AuditEvent, ChainPosition, Changes, Context, EventDraft, Outcome, Target,
};
use teamgate_core::clock::format_timestamp;
use time::OffsetDateTime;

/// A value of a row.
pub enum Val {
    Text(Option<String>),
    Int(i64),
}

fn text(s: impl Into<String>) -> Val {
    Val::Text(Some(s.into()))
}

fn opt(s: &Option<String>) -> Val {
    Val::Text(s.clone())
}

pub enum Raw {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Raw {
    pub async fn open(url: &str) -> Result<Raw, String> {
        if url.starts_with("sqlite:") {
            Ok(Raw::Sqlite(
                SqliteConnection::connect(url)
                    .await
                    .map_err(|e| e.to_string())?,
            ))
        } else {
            Ok(Raw::Postgres(
                PgConnection::connect(url)
                    .await
                    .map_err(|e| e.to_string())?,
            ))
        }
    }

    pub async fn write(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Val>>,
    ) -> Result<(), String> {
        match self {
            Raw::Sqlite(conn) => insert_sqlite(conn, table, columns, rows).await,
            Raw::Postgres(conn) => copy_postgres(conn, table, columns, rows).await,
        }
    }

    pub async fn execute(&mut self, sql: &str) -> Result<(), String> {
        match self {
            Raw::Sqlite(conn) => sqlx::query(sql).execute(conn).await.map(|_| ()),
            Raw::Postgres(conn) => sqlx::query(sql).execute(conn).await.map(|_| ()),
        }
        .map_err(|e| format!("{sql}: {e}"))
    }

    /// The last (seq, hash) of an organisation's chain.
    pub async fn chain_end(&mut self, org_id: &str) -> Result<(i64, String), String> {
        let sql = "SELECT seq, hash FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1";
        let row: Option<(i64, String)> = match self {
            Raw::Sqlite(conn) => sqlx::query_as(sql).bind(org_id).fetch_optional(conn).await,
            Raw::Postgres(conn) => sqlx::query_as(sql).bind(org_id).fetch_optional(conn).await,
        }
        .map_err(|e| e.to_string())?;
        Ok(row.unwrap_or((0, teamgate_core::audit::GENESIS_HASH.to_string())))
    }

    pub async fn close(self) {
        let _ = match self {
            Raw::Sqlite(conn) => conn.close().await,
            Raw::Postgres(conn) => conn.close().await,
        };
    }
}

async fn insert_sqlite(
    conn: &mut SqliteConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
) -> Result<(), String> {
    let per_statement = 30_000 / columns.len();
    let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_statement).collect();
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new(format!("INSERT INTO {table} ({}) ", columns.join(", ")));
        q.push_values(chunk, |mut b, row| {
            for v in row {
                match v {
                    Val::Text(s) => b.push_bind(s),
                    Val::Int(i) => b.push_bind(i),
                };
            }
        });
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())
}

fn copy_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

async fn copy_postgres(
    conn: &mut PgConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
) -> Result<(), String> {
    let mut data = String::with_capacity(rows.len() * 600);
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                data.push('\t');
            }
            match v {
                Val::Text(Some(s)) => copy_escape(&mut data, s),
                Val::Text(None) => data.push_str("\\N"),
                Val::Int(n) => {
                    let _ = write!(data, "{n}");
                }
            }
        }
        data.push('\n');
    }
    let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = conn
        .copy_in_raw(&statement)
        .await
        .map_err(|e| e.to_string())?;
    copy.send(data.into_bytes())
        .await
        .map_err(|e| e.to_string())?;
    copy.finish().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Adds `count` members (non-admin roles in rotation) to the organisation;
/// returns some of their ids, for audit targets.
pub async fn members(raw: &mut Raw, org_id: &str, count: u64) -> Result<Vec<String>, String> {
    const ROLES: [&str; 4] = ["manager", "staff", "viewer", "billing"];
    let start_ms = OffsetDateTime::now_utc().unix_timestamp() * 1000 - count as i64;
    let mut sample = Vec::new();
    let mut done = 0u64;
    while done < count {
        let batch = (count - done).min(20_000);
        let (mut users, mut memberships) = (Vec::new(), Vec::new());
        for i in done..done + batch {
            let id = uuid::Uuid::new_v4().to_string();
            let joined = start_ms + i as i64;
            users.push(vec![
                text(&id),
                text(format!("member{i}@big.test")),
                text(format!("Member {i}")),
                text("!"),
                Val::Int(joined),
            ]);
            memberships.push(vec![
                text(org_id),
                text(&id),
                text(ROLES[i as usize % 4]),
                Val::Int(joined),
            ]);
            if sample.len() < 1000 {
                sample.push(id);
            }
        }
        raw.write(
            "users",
            &["id", "email", "name", "password_hash", "created_at"],
            users,
        )
        .await?;
        raw.write(
            "memberships",
            &["org_id", "user_id", "role", "joined_at"],
            memberships,
        )
        .await?;
        done += batch;
    }
    Ok(sample)
}

const EVENT_COLUMNS: [&str; 21] = [
    "id",
    "org_id",
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "actor_role",
    "actor_on_behalf_of",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "changes",
    "context_ip",
    "context_user_agent",
    "context_request_id",
    "outcome",
    "prev_hash",
    "hash",
    "occurred_ms",
];

/// Three in ten are `member.*`, so `action=member.` matches 30%.
const ACTIONS: [&str; 10] = [
    "member.role_changed",
    "invite.created",
    "chat_agent.updated",
    "api_key.created",
    "access.denied",
    "member.removed",
    "campaign.updated",
    "invite.accepted",
    "inbox.replied",
    "member.left",
];

/// Appends `count` events to the organisation's chain, continuing it from
/// its current end. Sealing runs on its own thread while the database writes.
pub async fn events(
    raw: &mut Raw,
    org_id: &str,
    actor_id: &str,
    targets: Vec<String>,
    count: u64,
    batch: usize,
) -> Result<(), String> {
    let (mut seq, mut prev_hash) = raw.chain_end(org_id).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<Val>>>(4);
    let org = org_id.to_string();
    let actor_id = actor_id.to_string();
    let sealer = std::thread::spawn(move || {
        let start = OffsetDateTime::now_utc() - time::Duration::milliseconds(count as i64);
        let mut rows = Vec::with_capacity(batch);
        for i in 0..count {
            seq += 1;
            let at = start + time::Duration::milliseconds(i as i64);
            let action = ACTIONS[i as usize % ACTIONS.len()];
            let target = &targets[i as usize % targets.len().max(1)];
            let draft = EventDraft {
                actor: Actor {
                    kind: ActorType::User,
                    id: Some(actor_id.clone()),
                    label: Some("admin@big.test".into()),
                    role: Some("admin".into()),
                    on_behalf_of: None,
                },
                action: action.into(),
                target: Target {
                    kind: "member".into(),
                    id: Some(target.clone()),
                    label: Some(format!("{}@big.test", &target[..8])),
                },
                changes: Changes {
                    before: json!({"role": "staff"}),
                    after: json!({"role": "manager"}),
                },
                context: Context {
                    ip: Some("127.0.0.1".into()),
                    user_agent: Some("teamgate-bench".into()),
                    request_id: Some(uuid::Uuid::new_v4().to_string()),
                },
                outcome: if action == "access.denied" {
                    Outcome::Denied
                } else {
                    Outcome::Success
                },
            };
            let event = AuditEvent::seal(
                draft,
                ChainPosition {
                    id: uuid::Uuid::now_v7().to_string(),
                    seq,
                    org_id: org.clone(),
                    occurred_at: format_timestamp(at),
                    prev_hash: std::mem::take(&mut prev_hash),
                },
            );
            prev_hash = event.hash.clone();
            rows.push(event_row(event, at));
            let full = rows.len() == batch || i + 1 == count;
            if full
                && tx
                    .blocking_send(std::mem::replace(&mut rows, Vec::with_capacity(batch)))
                    .is_err()
            {
                return; // the writer stopped on an error, which it reports
            }
        }
    });
    while let Some(rows) = rx.recv().await {
        raw.write("audit_events", &EVENT_COLUMNS, rows).await?;
    }
    sealer
        .join()
        .map_err(|_| "the sealing thread panicked".to_string())
}

fn event_row(e: AuditEvent, at: OffsetDateTime) -> Vec<Val> {
    let changes = serde_json::to_string(&e.changes).unwrap_or_default();
    let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
    vec![
        text(e.id),
        text(e.org_id),
        Val::Int(e.seq),
        text(e.occurred_at),
        text(e.actor.kind.as_str()),
        opt(&e.actor.id),
        opt(&e.actor.label),
        opt(&e.actor.role),
        opt(&e.actor.on_behalf_of),
        text(e.action),
        text(e.target.kind),
        opt(&e.target.id),
        opt(&e.target.label),
        text(changes),
        opt(&e.context.ip),
        opt(&e.context.user_agent),
        opt(&e.context.request_id),
        text(e.outcome.as_str()),
        text(e.prev_hash),
        text(e.hash),
        Val::Int(ms),
    ]
}
