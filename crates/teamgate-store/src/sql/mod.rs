//! The SQL implementation of [`Store`], shared by SQLite and PostgreSQL.
//!
//! Queries are written once in the SQL both databases accept (`$n`
//! parameters, text ids, integer milliseconds); what differs (connection
//! setup, migrations, row locks) lives in `sqlite.rs` and `postgres.rs`.

mod accounts;
mod api_keys;
mod audit;
mod billing;
mod features;
mod inbox;
mod invites;
mod orgs;
mod team;

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{Any, AnyConnection, AnyPool, Row, Transaction};
use teamgate_core::audit::AuditEvent;
use time::OffsetDateTime;

use teamgate_core::Role;

use crate::cache::{Change, PermissionCache};
use crate::{
    Acceptor, Acting, ApiKey, ApiKeyAuth, AuditFilter, AuditMeta, Backend, ChainReport,
    Credentials, Denied, Invite, InviteToken, InviteView, Member, MemberCursor, NewAccount,
    NewApiKey, NewInvite, NewSession, Org, OrgMembership, ProfileChange, Store, StoreError,
    StoreResult, User,
};

#[derive(Clone)]
pub struct SqlStore {
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
    cache: Arc<PermissionCache>,
    listener: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// A member read from the database (the cache missed), then cached
    /// unless an invalidation came in meanwhile.
    async fn load_member(&self, org_id: &str, user_id: &str) -> StoreResult<Option<Member>> {
        let epoch = self.cache.epoch();
        let member = self.membership_impl(org_id, user_id).await?;
        if let Some(member) = &member {
            self.cache.fill_member(epoch, member, org_id);
        }
        Ok(member)
    }
    /// Connects to `sqlite://PATH` or `postgres://…` and brings the schema up to date.
    pub async fn connect(url: &str) -> StoreResult<SqlStore> {
        SqlStore::connect_with_listen_url(url, None).await
    }

    /// As [`SqlStore::connect`], listening for other replicas' changes through
    /// `listen_url` when given: a direct connection where `url` goes through a
    /// pooler that cannot hold a LISTEN.
    pub async fn connect_with_listen_url(
        url: &str,
        listen_url: Option<&str>,
    ) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let no_listener = Arc::new(std::sync::Mutex::new(None));
        if url.starts_with("sqlite:") {
            // One process owns the file, so it hears every change itself.
            let (writer, reader) = crate::sqlite::open(url).await?;
            let cache = Arc::new(PermissionCache::new(true));
            Ok(SqlStore {
                backend: Backend::Sqlite,
                writer,
                reader,
                cache,
                listener: no_listener,
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = crate::postgres::open(url).await?;
            let cache = Arc::new(PermissionCache::new(false));
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            let listen_url = listen_url.unwrap_or(url).to_string();
            let task = tokio::spawn(crate::postgres::listen(listen_url, cache.clone(), ready_tx));
            // Until the listener is up the cache is distrusted, which is safe, so wait only briefly.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), ready_rx).await;
            *no_listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
            Ok(SqlStore {
                backend: Backend::Postgres,
                writer: pool.clone(),
                reader: pool,
                cache,
                listener: no_listener,
            })
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
        if let Some(task) = self
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            task.abort();
        }
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
        let row = sqlx::query(sql)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
        row.map(|r| org_from_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Marks a change to who may do what in the organisation: bumps its
    /// version and, on PostgreSQL, tells the other replicas when the
    /// transaction commits. Pass the result to [`SqlStore::changed`] after commit.
    async fn bump_version(
        &self,
        tx: &mut AnyConnection,
        org_id: &str,
        user_id: Option<&str>,
    ) -> StoreResult<Change> {
        let row =
            sqlx::query("UPDATE orgs SET version = version + 1 WHERE id = $1 RETURNING version")
                .bind(org_id)
                .fetch_one(&mut *tx)
                .await?;
        let change = Change {
            org_id: org_id.to_string(),
            user_id: user_id.map(str::to_string),
            version: row.try_get("version")?,
        };
        self.notify(tx, &change).await?;
        Ok(change)
    }

    /// On PostgreSQL, tells the other replicas when the transaction commits.
    async fn notify(&self, tx: &mut AnyConnection, change: &Change) -> StoreResult<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(crate::postgres::CHANNEL)
                .bind(change.to_payload())
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// After commit: this process forgets what changed before answering.
    fn changed(&self, change: Change) {
        self.cache.apply(change);
    }
}

fn org_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Org> {
    Ok(Org {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
    })
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    fn cache(&self) -> &Arc<PermissionCache> {
        &self.cache
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn has_users(&self) -> StoreResult<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    async fn bootstrap(
        &self,
        account: NewAccount,
        org_name: &str,
        now: OffsetDateTime,
    ) -> StoreResult<(User, Org)> {
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

    async fn session_user(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<User>> {
        self.session_user_impl(token_hash, now).await
    }

    async fn end_session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<()> {
        self.end_session_impl(token_hash, now).await
    }

    async fn update_profile(
        &self,
        user_id: &str,
        change: ProfileChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        self.update_profile_impl(user_id, change, meta, now).await
    }

    async fn create_org(
        &self,
        creator: &User,
        name: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Org> {
        self.create_org_impl(creator, name, meta, now).await
    }

    async fn org(&self, org_id: &str) -> StoreResult<Option<Org>> {
        if let Some(org) = self.cache.org(org_id) {
            return Ok(Some(org));
        }
        let epoch = self.cache.epoch();
        let row = sqlx::query("SELECT id, name, version FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&self.reader)
            .await?;
        let org = row.map(|r| org_from_row(&r)).transpose()?;
        if let Some(org) = &org {
            self.cache.fill_org(epoch, org);
        }
        Ok(org)
    }

    async fn orgs_of_user(&self, user_id: &str) -> StoreResult<Vec<OrgMembership>> {
        self.orgs_of_user_impl(user_id).await
    }

    async fn membership(&self, org_id: &str, user_id: &str) -> StoreResult<Option<Member>> {
        if let Some(member) = self.cache.member(org_id, user_id) {
            return Ok(Some(member));
        }
        self.load_member(org_id, user_id).await
    }

    async fn member_role(&self, org_id: &str, user_id: &str) -> StoreResult<Option<Role>> {
        if let Some(role) = self.cache.role(org_id, user_id) {
            return Ok(Some(role));
        }
        Ok(self.load_member(org_id, user_id).await?.map(|m| m.role))
    }

    async fn add_member(
        &self,
        org_id: &str,
        account: NewAccount,
        role: teamgate_core::Role,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        self.add_member_impl(org_id, account, role, meta, now).await
    }

    async fn rename_org(
        &self,
        org_id: &str,
        name: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Org> {
        self.rename_org_impl(org_id, name, meta, now).await
    }

    async fn list_members(
        &self,
        org_id: &str,
        after: Option<MemberCursor>,
        limit: u32,
    ) -> StoreResult<Vec<(Member, MemberCursor)>> {
        self.list_members_impl(org_id, after, limit).await
    }

    async fn change_role(
        &self,
        org_id: &str,
        user_id: &str,
        role: Role,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Member> {
        self.change_role_impl(org_id, user_id, role, acting, meta, now)
            .await
    }

    async fn remove_member(
        &self,
        org_id: &str,
        user_id: &str,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.remove_member_impl(org_id, user_id, acting, meta, now)
            .await
    }

    async fn leave(
        &self,
        org_id: &str,
        user_id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.leave_impl(org_id, user_id, meta, now).await
    }

    async fn create_invite(
        &self,
        org_id: &str,
        invite: NewInvite,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Invite> {
        self.create_invite_impl(org_id, invite, acting, meta, now)
            .await
    }

    async fn invite(&self, org_id: &str, id: &str) -> StoreResult<Option<Invite>> {
        self.invite_impl(org_id, id).await
    }

    async fn pending_invites(
        &self,
        org_id: &str,
        now: OffsetDateTime,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> StoreResult<Vec<(Invite, (i64, String))>> {
        self.pending_invites_impl(org_id, now, after, limit).await
    }

    async fn resend_invite(
        &self,
        org_id: &str,
        id: &str,
        token: InviteToken,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Invite> {
        self.resend_invite_impl(org_id, id, token, acting, meta, now)
            .await
    }

    async fn revoke_invite(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.revoke_invite_impl(org_id, id, meta, now).await
    }

    async fn record_email_error(&self, invite_id: &str, error: Option<&str>) -> StoreResult<()> {
        self.record_email_error_impl(invite_id, error).await
    }

    async fn invite_by_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<InviteView>> {
        self.invite_by_token_impl(token_hash, now).await
    }

    async fn accept_invite(
        &self,
        token_hash: &str,
        acceptor: Acceptor,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<(User, String)> {
        self.accept_invite_impl(token_hash, acceptor, meta, now)
            .await
    }

    async fn create_api_key(
        &self,
        org_id: &str,
        key: NewApiKey,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<ApiKey> {
        self.create_api_key_impl(org_id, key, acting, meta, now)
            .await
    }

    async fn api_keys(&self, org_id: &str) -> StoreResult<Vec<ApiKey>> {
        self.api_keys_impl(org_id).await
    }

    async fn api_key(&self, org_id: &str, id: &str) -> StoreResult<Option<ApiKey>> {
        self.api_key_impl(org_id, id).await
    }

    async fn revoke_api_key(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.revoke_api_key_impl(org_id, id, meta, now).await
    }

    async fn api_key_by_secret(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ApiKeyAuth>> {
        self.api_key_by_secret_impl(secret_hash, now).await
    }

    async fn record_denied(
        &self,
        org_id: &str,
        denied: Denied,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<AuditEvent> {
        self.record_denied_impl(org_id, denied, meta, now).await
    }

    async fn audit_page(
        &self,
        org_id: &str,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        self.audit_page_impl(org_id, filter, before, limit).await
    }

    async fn audit_batch(
        &self,
        org_id: &str,
        filter: &AuditFilter,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        self.audit_batch_impl(org_id, filter, after, limit).await
    }

    async fn audit_event(&self, org_id: &str, id: &str) -> StoreResult<Option<AuditEvent>> {
        self.audit_event_impl(org_id, id).await
    }

    async fn verify_chain(
        &self,
        org_id: &str,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> StoreResult<ChainReport> {
        self.verify_chain_impl(org_id, progress).await
    }

    async fn org_ids(&self) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM orgs ORDER BY created_at, id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    async fn audit_count(&self, org_id: &str) -> StoreResult<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get::<i64, _>("n")? as u64)
    }

    // --- features ----------------------------------------------------------

    async fn create_agent(
        &self,
        org_id: &str,
        kind: crate::AgentKind,
        new: crate::NewNamedConfig,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Agent> {
        self.create_agent_impl(org_id, kind, new, meta, now).await
    }

    async fn agents(
        &self,
        org_id: &str,
        kind: crate::AgentKind,
        after: Option<crate::RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<crate::Agent>> {
        self.agents_impl(org_id, kind, after, limit).await
    }

    async fn agent(
        &self,
        org_id: &str,
        kind: crate::AgentKind,
        id: &str,
    ) -> StoreResult<Option<crate::Agent>> {
        self.agent_impl(org_id, kind, id).await
    }

    async fn update_agent(
        &self,
        org_id: &str,
        kind: crate::AgentKind,
        id: &str,
        change: crate::NamedConfigChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Agent> {
        self.update_agent_impl(org_id, kind, id, change, meta, now)
            .await
    }

    async fn delete_agent(
        &self,
        org_id: &str,
        kind: crate::AgentKind,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.delete_agent_impl(org_id, kind, id, meta, now).await
    }

    async fn create_campaign(
        &self,
        org_id: &str,
        new: crate::NewNamedConfig,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Campaign> {
        self.create_campaign_impl(org_id, new, meta, now).await
    }

    async fn campaigns(
        &self,
        org_id: &str,
        after: Option<crate::RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<crate::Campaign>> {
        self.campaigns_impl(org_id, after, limit).await
    }

    async fn campaign(&self, org_id: &str, id: &str) -> StoreResult<Option<crate::Campaign>> {
        self.campaign_impl(org_id, id).await
    }

    async fn update_campaign(
        &self,
        org_id: &str,
        id: &str,
        change: crate::NamedConfigChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Campaign> {
        self.update_campaign_impl(org_id, id, change, meta, now)
            .await
    }

    async fn delete_campaign(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.delete_campaign_impl(org_id, id, meta, now).await
    }

    async fn launch_campaign(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Campaign> {
        self.launch_campaign_impl(org_id, id, meta, now).await
    }

    async fn record_inbound(
        &self,
        org_id: &str,
        new: crate::NewConversation,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Conversation> {
        self.record_inbound_impl(org_id, new, meta, now).await
    }

    async fn conversations(
        &self,
        org_id: &str,
        after: Option<crate::RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<crate::Conversation>> {
        self.conversations_impl(org_id, after, limit).await
    }

    async fn conversation(
        &self,
        org_id: &str,
        id: &str,
    ) -> StoreResult<Option<crate::Conversation>> {
        self.conversation_impl(org_id, id).await
    }

    async fn conversation_messages(
        &self,
        org_id: &str,
        id: &str,
    ) -> StoreResult<Vec<crate::Message>> {
        self.conversation_messages_impl(org_id, id).await
    }

    async fn reply(
        &self,
        org_id: &str,
        conversation_id: &str,
        body: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Message> {
        self.reply_impl(org_id, conversation_id, body, meta, now)
            .await
    }

    async fn assign_conversation(
        &self,
        org_id: &str,
        id: &str,
        user_id: Option<&str>,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Conversation> {
        self.assign_conversation_impl(org_id, id, user_id, meta, now)
            .await
    }

    async fn close_conversation(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Conversation> {
        self.close_conversation_impl(org_id, id, meta, now).await
    }

    async fn message_log(
        &self,
        org_id: &str,
        before: Option<crate::RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<crate::Message>> {
        self.message_log_impl(org_id, before, limit).await
    }

    async fn billing(&self, org_id: &str) -> StoreResult<crate::Billing> {
        self.billing_impl(org_id).await
    }

    async fn update_billing(
        &self,
        org_id: &str,
        change: crate::BillingChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::Billing> {
        self.update_billing_impl(org_id, change, meta, now).await
    }

    async fn payment_settings(&self, org_id: &str) -> StoreResult<crate::PaymentSettings> {
        self.payment_settings_impl(org_id).await
    }

    async fn update_payment_settings(
        &self,
        org_id: &str,
        change: crate::PaymentSettingsChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<crate::PaymentSettings> {
        self.update_payment_settings_impl(org_id, change, meta, now)
            .await
    }

    async fn feature_counts(
        &self,
        org_id: &str,
        since_ms: Option<i64>,
    ) -> StoreResult<crate::FeatureCounts> {
        self.feature_counts_impl(org_id, since_ms).await
    }

    async fn daily_messages(
        &self,
        org_id: &str,
        since_ms: i64,
    ) -> StoreResult<Vec<crate::DailyMessages>> {
        self.daily_messages_impl(org_id, since_ms).await
    }
}
