//! The shared inbox: conversations and their messages. Recording an inbound
//! conversation, replying, assigning and closing each lock the organisation
//! and append their audit event in the same transaction.

use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use teamgate_core::clock::unix_millis;
use time::OffsetDateTime;
use uuid::Uuid;

use super::features::{feature_event, first_position, found, timestamp};
use super::SqlStore;
use crate::{
    AuditMeta, Conversation, Message, NewConversation, RowCursor, StoreError, StoreResult,
};

/// A conversation with how many messages it holds and when the last came.
const CONVERSATION_SELECT: &str = "SELECT c.id, c.contact, c.channel, c.status, c.assignee, \
    c.created_at, c.updated_at, c.closed_at, \
    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count, \
    (SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id) AS last_message_ms \
    FROM conversations c";

const MESSAGE_SELECT: &str = "SELECT m.id, m.conversation_id, c.contact, c.channel, m.direction, \
    m.author, m.body, m.created_at FROM messages m JOIN conversations c ON c.id = m.conversation_id";

impl SqlStore {
    pub(super) async fn record_inbound_impl(
        &self,
        org_id: &str,
        new: NewConversation,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Conversation> {
        let id = Uuid::now_v7().to_string();
        let ms = unix_millis(now);
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        sqlx::query(
            "INSERT INTO conversations (id, org_id, contact, channel, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'open', $5, $6)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&new.contact)
        .bind(new.channel.key())
        .bind(ms)
        .bind(ms)
        .execute(&mut *tx)
        .await?;
        let message_id = Self::insert_message(
            &mut tx,
            org_id,
            &id,
            "inbound",
            &new.contact,
            None,
            &new.body,
            ms,
        )
        .await?;
        let conversation = Self::conversation_in(&mut tx, org_id, &id).await?;
        let after = json!({
            "contact": new.contact,
            "channel": new.channel.key(),
            "status": "open",
            "message": {"id": message_id, "direction": "inbound", "body": new.body},
        });
        let draft = feature_event(
            meta,
            "conversation.created".into(),
            "conversation",
            &id,
            &new.contact,
            Value::Null,
            after,
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(conversation)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_message(
        conn: &mut AnyConnection,
        org_id: &str,
        conversation_id: &str,
        direction: &str,
        author: &str,
        author_id: Option<&str>,
        body: &str,
        ms: i64,
    ) -> StoreResult<String> {
        let id = Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO messages (id, org_id, conversation_id, direction, author, author_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(conversation_id)
        .bind(direction)
        .bind(author)
        .bind(author_id)
        .bind(body)
        .bind(ms)
        .execute(&mut *conn)
        .await?;
        Ok(id)
    }

    async fn conversation_in(
        conn: &mut AnyConnection,
        org_id: &str,
        id: &str,
    ) -> StoreResult<Conversation> {
        let sql = format!("{CONVERSATION_SELECT} WHERE c.org_id = $1 AND c.id = $2");
        let row = sqlx::query(&sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| conversation_from_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    pub(super) async fn conversations_impl(
        &self,
        org_id: &str,
        after: Option<RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>> {
        let (after_ms, after_id) = first_position(after);
        let sql = format!(
            "{CONVERSATION_SELECT} WHERE c.org_id = $1 \
             AND (c.created_at > $2 OR (c.created_at = $2 AND c.id > $3)) \
             ORDER BY c.created_at, c.id LIMIT {limit}"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .bind(after_ms)
            .bind(after_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(conversation_from_row).collect()
    }

    pub(super) async fn conversation_impl(
        &self,
        org_id: &str,
        id: &str,
    ) -> StoreResult<Option<Conversation>> {
        let mut conn = self.reader.acquire().await?;
        found(Self::conversation_in(&mut conn, org_id, id).await)
    }

    pub(super) async fn conversation_messages_impl(
        &self,
        org_id: &str,
        id: &str,
    ) -> StoreResult<Vec<Message>> {
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.org_id = $1 AND m.conversation_id = $2 ORDER BY m.created_at, m.id"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .bind(id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    pub(super) async fn reply_impl(
        &self,
        org_id: &str,
        conversation_id: &str,
        body: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Message> {
        let ms = unix_millis(now);
        let author = meta
            .actor
            .label
            .clone()
            .unwrap_or_else(|| "teamgate".to_string());
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let conversation = Self::conversation_in(&mut tx, org_id, conversation_id).await?;
        let message_id = Self::insert_message(
            &mut tx,
            org_id,
            conversation_id,
            "outbound",
            &author,
            meta.actor.id.as_deref(),
            body,
            ms,
        )
        .await?;
        sqlx::query("UPDATE conversations SET updated_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(ms)
            .bind(org_id)
            .bind(conversation_id)
            .execute(&mut *tx)
            .await?;
        let after = json!({"message": {"id": message_id, "direction": "outbound", "body": body}});
        let draft = feature_event(
            meta,
            "conversation.replied".into(),
            "conversation",
            conversation_id,
            &conversation.contact,
            Value::Null,
            after,
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        let sql = format!("{MESSAGE_SELECT} WHERE m.org_id = $1 AND m.id = $2");
        let row = sqlx::query(&sql)
            .bind(org_id)
            .bind(&message_id)
            .fetch_one(&mut *tx)
            .await?;
        let message = message_from_row(&row)?;
        tx.commit().await?;
        Ok(message)
    }

    pub(super) async fn assign_conversation_impl(
        &self,
        org_id: &str,
        id: &str,
        user_id: Option<&str>,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Conversation> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::conversation_in(&mut tx, org_id, id).await?;
        // Checked under the lock, so a member removed a moment ago cannot be assigned.
        if let Some(user_id) = user_id {
            if Self::role_in_tx(&mut tx, org_id, user_id).await?.is_none() {
                return Err(StoreError::Invalid(
                    "user_id is not a member of this organisation".into(),
                ));
            }
        }
        if before.assignee.as_deref() == user_id {
            return Ok(before);
        }
        sqlx::query(
            "UPDATE conversations SET assignee = $1, updated_at = $2 WHERE org_id = $3 AND id = $4",
        )
        .bind(user_id)
        .bind(unix_millis(now))
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let after = Self::conversation_in(&mut tx, org_id, id).await?;
        let draft = feature_event(
            meta,
            "conversation.assigned".into(),
            "conversation",
            id,
            &after.contact,
            json!({"assignee": before.assignee}),
            json!({"assignee": after.assignee}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub(super) async fn close_conversation_impl(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Conversation> {
        let ms = unix_millis(now);
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let before = Self::conversation_in(&mut tx, org_id, id).await?;
        if before.status == "closed" {
            return Ok(before);
        }
        sqlx::query(
            "UPDATE conversations SET status = 'closed', closed_at = $1, updated_at = $2 \
             WHERE org_id = $3 AND id = $4",
        )
        .bind(ms)
        .bind(ms)
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let after = Self::conversation_in(&mut tx, org_id, id).await?;
        let draft = feature_event(
            meta,
            "conversation.closed".into(),
            "conversation",
            id,
            &after.contact,
            json!({"status": before.status}),
            json!({"status": after.status}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub(super) async fn message_log_impl(
        &self,
        org_id: &str,
        before: Option<RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let (before_ms, before_id) = before.unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.org_id = $1 \
             AND (m.created_at < $2 OR (m.created_at = $2 AND m.id < $3)) \
             ORDER BY m.created_at DESC, m.id DESC LIMIT {limit}"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .bind(before_ms)
            .bind(before_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(message_from_row).collect()
    }
}

fn conversation_from_row(r: &AnyRow) -> StoreResult<Conversation> {
    let created_ms: i64 = r.try_get("created_at")?;
    Ok(Conversation {
        id: r.try_get("id")?,
        contact: r.try_get("contact")?,
        channel: r.try_get("channel")?,
        status: r.try_get("status")?,
        assignee: r.try_get("assignee")?,
        message_count: r.try_get("message_count")?,
        last_message_at: r
            .try_get::<Option<i64>, _>("last_message_ms")?
            .map(timestamp),
        created_at: timestamp(created_ms),
        updated_at: timestamp(r.try_get("updated_at")?),
        closed_at: r.try_get::<Option<i64>, _>("closed_at")?.map(timestamp),
        created_ms,
    })
}

fn message_from_row(r: &AnyRow) -> StoreResult<Message> {
    let created_ms: i64 = r.try_get("created_at")?;
    Ok(Message {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        contact: r.try_get("contact")?,
        channel: r.try_get("channel")?,
        direction: r.try_get("direction")?,
        author: r.try_get("author")?,
        body: r.try_get("body")?,
        created_at: timestamp(created_ms),
        created_ms,
    })
}
