//! Organisations and their members.

use serde_json::json;
use sqlx::{AnyConnection, Row};
use teamgate_core::clock::{format_timestamp, from_unix_millis, unix_millis};
use teamgate_core::Role;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqlStore;
use crate::{parse_role, AuditMeta, Member, NewAccount, Org, OrgMembership, StoreResult, User};

impl SqlStore {
    /// Inserts an organisation and makes `creator` its admin, with both events.
    pub(super) async fn insert_org_with_admin(
        tx: &mut AnyConnection,
        creator: &User,
        name: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Org> {
        let org = Org {
            id: Uuid::now_v7().to_string(),
            name: name.to_string(),
            version: 1,
        };
        sqlx::query("INSERT INTO orgs (id, name, created_at, version) VALUES ($1, $2, $3, 1)")
            .bind(&org.id)
            .bind(&org.name)
            .bind(unix_millis(now))
            .execute(&mut *tx)
            .await?;
        let created = meta.success(
            "org.created",
            crate::target("org", &org.id, &org.name),
            serde_json::Value::Null,
            json!({"name": org.name}),
        );
        Self::append(tx, &org.id, created, now).await?;
        Self::insert_membership(tx, &org.id, creator, Role::Admin, meta, now).await?;
        Ok(org)
    }

    pub(super) async fn create_org_impl(
        &self,
        creator: &User,
        name: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Org> {
        let mut tx = self.begin().await?;
        let org = Self::insert_org_with_admin(&mut tx, creator, name, meta, now).await?;
        tx.commit().await?;
        Ok(org)
    }

    pub(super) async fn orgs_of_user_impl(&self, user_id: &str) -> StoreResult<Vec<OrgMembership>> {
        let rows = sqlx::query(
            "SELECT o.id, o.name, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id \
             WHERE m.user_id = $1 ORDER BY o.name, o.id",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrgMembership {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: parse_role(&r.try_get::<String, _>("role")?)?,
                })
            })
            .collect()
    }

    pub(super) async fn membership_impl(
        &self,
        org_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<Member>> {
        let mut conn = self.reader.acquire().await?;
        Self::find_member(&mut conn, org_id, user_id).await
    }

    /// One member with the organisation's current version, on any connection.
    pub(super) async fn find_member(
        conn: &mut AnyConnection,
        org_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<Member>> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, m.role, m.joined_at, o.version \
             FROM memberships m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id \
             WHERE m.org_id = $1 AND m.user_id = $2",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| member_from_row(&r)).transpose()
    }

    pub(super) async fn add_member_impl(
        &self,
        org_id: &str,
        account: NewAccount,
        role: Role,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        self.lock_org(&mut tx, org_id).await?;
        let user = Self::insert_user(&mut tx, account, now).await?;
        Self::insert_membership(&mut tx, org_id, &user, role, meta, now).await?;
        let change = self.bump_version(&mut tx, org_id, Some(&user.id)).await?;
        tx.commit().await?;
        self.changed(change);
        Ok(user)
    }

    /// Adds `user` to the organisation with `role` and records `member.added`.
    pub(super) async fn insert_membership(
        tx: &mut AnyConnection,
        org_id: &str,
        user: &User,
        role: Role,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, joined_at) VALUES ($1,$2,$3,$4)",
        )
        .bind(org_id)
        .bind(&user.id)
        .bind(role.key())
        .bind(unix_millis(now))
        .execute(&mut *tx)
        .await?;
        let added = meta.success(
            "member.added",
            crate::target("member", &user.id, &user.email),
            serde_json::Value::Null,
            json!({"role": role.key()}),
        );
        Self::append(tx, org_id, added, now).await?;
        Ok(())
    }

    pub(super) async fn rename_org_impl(
        &self,
        org_id: &str,
        name: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Org> {
        let mut tx = self.begin().await?;
        let before = self.lock_org(&mut tx, org_id).await?;
        sqlx::query("UPDATE orgs SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        let draft = meta.success(
            "org_settings.updated",
            crate::target("org", org_id, name),
            json!({"name": before.name}),
            json!({"name": name}),
        );
        Self::append(&mut tx, org_id, draft, now).await?;
        let change = self.bump_version(&mut tx, org_id, None).await?;
        tx.commit().await?;
        let version = change.version;
        self.changed(change);
        Ok(Org {
            id: before.id,
            name: name.to_string(),
            version,
        })
    }
}

pub(super) fn member_from_row(r: &sqlx::any::AnyRow) -> StoreResult<Member> {
    Ok(Member {
        user_id: r.try_get("id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        role: parse_role(&r.try_get::<String, _>("role")?)?,
        joined_at: format_timestamp(from_unix_millis(r.try_get("joined_at")?)),
        version: r.try_get("version")?,
    })
}
