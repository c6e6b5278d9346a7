//! Team management: role changes, removal, leaving (invites live in
//! `invites.rs`). Each operation locks the organisation, re-reads the facts
//! the rules need, applies the rule from `teamgate_core::rules`, writes,
//! bumps the permission version and appends its audit event, all in one
//! transaction.

use serde_json::json;
use sqlx::{AnyConnection, Row};
use teamgate_core::audit::EventDraft;
use teamgate_core::rules::{self, MembershipChange};
use teamgate_core::{PermissionSet, Role};
use time::OffsetDateTime;

use super::orgs::member_from_row;
use super::SqlStore;
use crate::{parse_role, Acting, AuditMeta, Member, MemberCursor, StoreError, StoreResult};

impl SqlStore {
    /// The acting member's permissions now, inside the transaction.
    pub(super) async fn acting_permissions(
        tx: &mut AnyConnection,
        org_id: &str,
        acting: &Acting,
    ) -> StoreResult<(String, PermissionSet)> {
        match acting {
            Acting::User { user_id } => {
                // Removed a moment ago by a concurrent request: no longer a
                // member, so the organisation is not theirs to see (404).
                let role = Self::role_in_tx(tx, org_id, user_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok((user_id.clone(), role.permissions()))
            }
            Acting::ApiKey {
                role, created_by, ..
            } => {
                let creator = Self::role_in_tx(tx, org_id, created_by).await?;
                let permissions = rules::api_key_permissions(*role, creator.map(Role::permissions));
                // A key acts for its creator: it never counts as the member it changes.
                Ok((created_by.clone(), permissions))
            }
        }
    }

    pub(super) async fn role_in_tx(
        tx: &mut AnyConnection,
        org_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<Role>> {
        let row = sqlx::query("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        row.map(|r| parse_role(&r.try_get::<String, _>("role")?))
            .transpose()
    }

    async fn admin_count(tx: &mut AnyConnection, org_id: &str) -> StoreResult<u64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM memberships WHERE org_id = $1 AND role = $2")
                .bind(org_id)
                .bind(Role::Admin.key())
                .fetch_one(&mut *tx)
                .await?;
        Ok(row.try_get::<i64, _>("n")? as u64)
    }

    async fn member_in_tx(
        tx: &mut AnyConnection,
        org_id: &str,
        user_id: &str,
    ) -> StoreResult<Member> {
        Self::find_member(tx, org_id, user_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(super) async fn list_members_impl(
        &self,
        org_id: &str,
        after: Option<MemberCursor>,
        limit: u32,
    ) -> StoreResult<Vec<(Member, MemberCursor)>> {
        let (after_ms, after_id) = after
            .map(|c| (c.joined_ms, c.user_id))
            .unwrap_or((i64::MIN, String::new()));
        let sql = format!(
            "SELECT u.id, u.email, u.name, m.role, m.joined_at, o.version \
             FROM memberships m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id \
             WHERE m.org_id = $1 AND (m.joined_at > $2 OR (m.joined_at = $2 AND m.user_id > $3)) \
             ORDER BY m.joined_at, m.user_id LIMIT {limit}"
        );
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .bind(after_ms)
            .bind(after_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                let cursor = MemberCursor {
                    joined_ms: r.try_get("joined_at")?,
                    user_id: r.try_get("id")?,
                };
                Ok((member_from_row(r)?, cursor))
            })
            .collect()
    }

    pub(super) async fn change_role_impl(
        &self,
        org_id: &str,
        target: &str,
        new_role: Role,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Member> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let member = Self::member_in_tx(&mut tx, org_id, target).await?;
        let (actor_id, actor_permissions) =
            Self::acting_permissions(&mut tx, org_id, acting).await?;
        let admins = Self::admin_count(&mut tx, org_id).await?;
        let change = MembershipChange {
            actor_user: &actor_id,
            actor_permissions,
            target_user: target,
            target_role: member.role,
            admins,
        };
        rules::check_role_change(change, new_role)?;
        if member.role == new_role {
            return Ok(member);
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
            .bind(new_role.key())
            .bind(org_id)
            .bind(target)
            .execute(&mut *tx)
            .await?;
        let change = self.bump_version(&mut tx, org_id, Some(target)).await?;
        let version = change.version;
        let draft = member_event(
            meta,
            "member.role_changed",
            &member,
            json!({"role": member.role.key()}),
            json!({"role": new_role.key()}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        self.changed(change);
        Ok(Member {
            role: new_role,
            version,
            ..member
        })
    }

    pub(super) async fn remove_member_impl(
        &self,
        org_id: &str,
        target: &str,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let member = Self::member_in_tx(&mut tx, org_id, target).await?;
        let (actor_id, actor_permissions) =
            Self::acting_permissions(&mut tx, org_id, acting).await?;
        let admins = Self::admin_count(&mut tx, org_id).await?;
        rules::check_removal(MembershipChange {
            actor_user: &actor_id,
            actor_permissions,
            target_user: target,
            target_role: member.role,
            admins,
        })?;
        let change = self.delete_membership(&mut tx, org_id, target).await?;
        let draft = member_event(
            meta,
            "member.removed",
            &member,
            json!({"role": member.role.key()}),
            serde_json::Value::Null,
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        self.changed(change);
        Ok(())
    }

    pub(super) async fn leave_impl(
        &self,
        org_id: &str,
        user_id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let member = Self::member_in_tx(&mut tx, org_id, user_id).await?;
        let admins = Self::admin_count(&mut tx, org_id).await?;
        rules::check_leave(member.role, admins)?;
        let change = self.delete_membership(&mut tx, org_id, user_id).await?;
        let draft = member_event(
            meta,
            "member.left",
            &member,
            json!({"role": member.role.key()}),
            serde_json::Value::Null,
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        tx.commit().await?;
        self.changed(change);
        Ok(())
    }

    async fn delete_membership(
        &self,
        tx: &mut AnyConnection,
        org_id: &str,
        user_id: &str,
    ) -> StoreResult<crate::cache::Change> {
        sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        self.bump_version(tx, org_id, Some(user_id)).await
    }
}

fn member_event(
    meta: &AuditMeta,
    action: &str,
    member: &Member,
    before: serde_json::Value,
    after: serde_json::Value,
) -> EventDraft {
    meta.success(
        action,
        crate::target("member", &member.user_id, &member.email),
        before,
        after,
    )
}
