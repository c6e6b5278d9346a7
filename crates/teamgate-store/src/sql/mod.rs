//! The SQL implementation of [`Store`], shared by SQLite and PostgreSQL.
//!
//! Queries are written once in the SQL both databases accept (`$n`
//! parameters, text ids, integer milliseconds); what differs (connection
//! setup, migrations, row locks) lives in `sqlite.rs` and `postgres.rs`.

mod accounts;
mod audit;
mod orgs;

use async_trait::async_trait;
use sqlx::{Any, AnyConnection, AnyPool, Row, Transaction};
use teamgate_core::audit::AuditEvent;
use time::OffsetDateTime;

use crate::{
    AuditFilter, AuditMeta, Backend, ChainReport, Credentials, Denied, Member, NewAccount,
    NewSession, Org, OrgMembership, ProfileChange, Store, StoreError, StoreResult, User,
};

#[derive(Debug, Clone)]
pub struct SqlStore {
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
}

impl SqlStore {
    /// Connects to `sqlite://PATH` or `postgres://…` and brings the schema up to date.
    pub async fn connect(url: &str) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let (writer, reader) = crate::sqlite::open(url).await?;
            Ok(SqlStore { backend: Backend::Sqlite, writer, reader })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = crate::postgres::open(url).await?;
            Ok(SqlStore { backend: Backend::Postgres, writer: pool.clone(), reader: pool })
        } else {
            Err(StoreError::Corrupt(
                "the database URL must start with sqlite:// or postgres://".to_string(),
            ))
        }
    }

    /// The pool that writes; tests use it to run raw SQL against the schema.
    pub fn pool(&self) -> &AnyPool {
        &self.writer
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Any>> {
        Ok(self.writer.begin().await?)
    }

    /// Takes the organisation's write lock for the rest of the transaction.
    /// On SQLite the single writer connection already serialises writes.
    async fn lock_org(&self, tx: &mut AnyConnection, org_id: &str) -> StoreResult<Org> {
        let sql = match self.backend {
            Backend::Postgres => "SELECT id, name, version FROM orgs WHERE id = $1 FOR UPDATE",
            Backend::Sqlite => "SELECT id, name, version FROM orgs WHERE id = $1",
        };
        let row = sqlx::query(sql).bind(org_id).fetch_optional(&mut *tx).await?;
        row.map(|r| org_from_row(&r)).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Marks a change to who may do what in the organisation.
    async fn bump_version(tx: &mut AnyConnection, org_id: &str) -> StoreResult<i64> {
        let row = sqlx::query("UPDATE orgs SET version = version + 1 WHERE id = $1 RETURNING version")
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await?;
        Ok(row.try_get("version")?)
    }
}

fn org_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Org> {
    Ok(Org { id: row.try_get("id")?, name: row.try_get("name")?, version: row.try_get("version")? })
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn has_users(&self) -> StoreResult<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.reader).await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    async fn bootstrap(&self, account: NewAccount, org_name: &str, now: OffsetDateTime)
        -> StoreResult<(User, Org)>
    {
        self.bootstrap_impl(account, org_name, now).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<Credentials>> {
        self.credentials_where("email", email).await
    }

    async fn user_by_id(&self, id: &str) -> StoreResult<Option<Credentials>> {
        self.credentials_where("id", id).await
    }

    async fn create_session(&self, session: NewSession) -> StoreResult<()> {
        self.create_session_impl(session).await
    }

    async fn session_user(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<User>> {
        self.session_user_impl(token_hash, now).await
    }

    async fn end_session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<()> {
        self.end_session_impl(token_hash, now).await
    }

    async fn update_profile(&self, user_id: &str, change: ProfileChange, meta: &AuditMeta,
        now: OffsetDateTime) -> StoreResult<User>
    {
        self.update_profile_impl(user_id, change, meta, now).await
    }

    async fn create_org(&self, creator: &User, name: &str, meta: &AuditMeta, now: OffsetDateTime)
        -> StoreResult<Org>
    {
        self.create_org_impl(creator, name, meta, now).await
    }

    async fn org(&self, org_id: &str) -> StoreResult<Option<Org>> {
        let row = sqlx::query("SELECT id, name, version FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| org_from_row(&r)).transpose()
    }

    async fn orgs_of_user(&self, user_id: &str) -> StoreResult<Vec<OrgMembership>> {
        self.orgs_of_user_impl(user_id).await
    }

    async fn membership(&self, org_id: &str, user_id: &str) -> StoreResult<Option<Member>> {
        self.membership_impl(org_id, user_id).await
    }

    async fn add_member(&self, org_id: &str, account: NewAccount, role: teamgate_core::Role,
        meta: &AuditMeta, now: OffsetDateTime) -> StoreResult<User>
    {
        self.add_member_impl(org_id, account, role, meta, now).await
    }

    async fn rename_org(&self, org_id: &str, name: &str, meta: &AuditMeta, now: OffsetDateTime)
        -> StoreResult<Org>
    {
        self.rename_org_impl(org_id, name, meta, now).await
    }

    async fn record_denied(&self, org_id: &str, denied: Denied, meta: &AuditMeta,
        now: OffsetDateTime) -> StoreResult<AuditEvent>
    {
        self.record_denied_impl(org_id, denied, meta, now).await
    }

    async fn audit_page(&self, org_id: &str, filter: &AuditFilter, before: Option<i64>, limit: u32)
        -> StoreResult<Vec<AuditEvent>>
    {
        self.audit_page_impl(org_id, filter, before, limit).await
    }

    async fn audit_batch(&self, org_id: &str, filter: &AuditFilter, after: i64, limit: u32)
        -> StoreResult<Vec<AuditEvent>>
    {
        self.audit_batch_impl(org_id, filter, after, limit).await
    }

    async fn verify_chain(&self, org_id: &str, progress: &(dyn Fn(u64) + Send + Sync))
        -> StoreResult<ChainReport>
    {
        self.verify_chain_impl(org_id, progress).await
    }

    async fn org_ids(&self) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM orgs ORDER BY created_at, id").fetch_all(&self.reader).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    async fn audit_count(&self, org_id: &str) -> StoreResult<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get::<i64, _>("n")? as u64)
    }
}
