//! teamgate's storage: the [`Store`] trait the HTTP layer talks to, and one
//! SQL implementation ([`SqlStore`]) that runs on SQLite or PostgreSQL.
//!
//! What it guarantees:
//! - every change and its audit event are written in one transaction, so there
//!   is never a change without its event nor an event without its change;
//! - the rules of SPEC.md section 2 are checked inside that transaction, on
//!   rows read under the organisation's write lock, so concurrent requests
//!   cannot slip past them together;
//! - tokens and secrets are only ever stored as SHA-256 hashes.

pub mod cache;
mod error;
mod features;
mod migrations;
mod model;
mod postgres;
mod sql;
mod sqlite;
pub mod testing;

use async_trait::async_trait;
use teamgate_core::audit::{
    Actor, AuditEvent, ChainBreak, Changes, Context, EventDraft, Outcome, Target,
};
use teamgate_core::Role;
use time::OffsetDateTime;

pub use error::{StoreError, StoreResult};
pub use features::*;
pub use model::*;
pub use sql::SqlStore;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who makes a change and from where; becomes the actor and context of its audit event.
#[derive(Debug, Clone)]
pub struct AuditMeta {
    pub actor: Actor,
    pub context: Context,
}

impl AuditMeta {
    /// A successful change by this actor, from this context, to `target`.
    pub fn success(
        &self,
        action: impl Into<String>,
        target: Target,
        before: serde_json::Value,
        after: serde_json::Value,
    ) -> EventDraft {
        EventDraft {
            actor: self.actor.clone(),
            action: action.into(),
            target,
            changes: Changes { before, after },
            context: self.context.clone(),
            outcome: Outcome::Success,
        }
    }
}

/// The target of an audit event: a kind, an id and a label for people.
pub fn target(kind: &str, id: &str, label: &str) -> Target {
    Target {
        kind: kind.into(),
        id: Some(id.to_string()),
        label: Some(label.to_string()),
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// This process's permission cache: hot-path lookups, change stream, stats.
    fn cache(&self) -> &std::sync::Arc<cache::PermissionCache>;

    /// Answers when the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// True once anybody has an account (setup is then closed).
    async fn has_users(&self) -> StoreResult<bool>;

    // --- accounts and sessions ---------------------------------------------

    /// Creates the first account and its organisation, with the account as admin.
    /// Fails with `Conflict` once any account exists.
    async fn bootstrap(
        &self,
        account: NewAccount,
        org_name: &str,
        now: OffsetDateTime,
    ) -> StoreResult<(User, Org)>;

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<Credentials>>;

    async fn user_by_id(&self, id: &str) -> StoreResult<Option<Credentials>>;

    async fn create_session(&self, session: NewSession) -> StoreResult<()>;

    /// The user a live session belongs to; `None` when unknown, expired or ended.
    async fn session_user(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<User>>;

    async fn end_session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<()>;

    /// Changes name and/or password. A new password ends every other session
    /// of the user. Each organisation of the user records `member.profile_updated`.
    async fn update_profile(
        &self,
        user_id: &str,
        change: ProfileChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<User>;

    // --- organisations and members -----------------------------------------

    /// Creates an organisation with `creator` as its admin.
    async fn create_org(
        &self,
        creator: &User,
        name: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Org>;

    async fn org(&self, org_id: &str) -> StoreResult<Option<Org>>;

    async fn orgs_of_user(&self, user_id: &str) -> StoreResult<Vec<OrgMembership>>;

    async fn membership(&self, org_id: &str, user_id: &str) -> StoreResult<Option<Member>>;

    /// The member's current role, if they are one: all a permission check
    /// needs, without copying the member.
    async fn member_role(&self, org_id: &str, user_id: &str) -> StoreResult<Option<Role>>;

    /// Creates an account and adds it to the organisation with `role`
    /// (`member.added`): how demo data and test fixtures make members.
    async fn add_member(
        &self,
        org_id: &str,
        account: NewAccount,
        role: Role,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<User>;

    async fn rename_org(
        &self,
        org_id: &str,
        name: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Org>;

    // --- team ----------------------------------------------------------------

    /// Members in join order, after `after`; each with the cursor of its position.
    async fn list_members(
        &self,
        org_id: &str,
        after: Option<MemberCursor>,
        limit: u32,
    ) -> StoreResult<Vec<(Member, MemberCursor)>>;

    async fn change_role(
        &self,
        org_id: &str,
        user_id: &str,
        role: Role,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Member>;

    async fn remove_member(
        &self,
        org_id: &str,
        user_id: &str,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    async fn leave(
        &self,
        org_id: &str,
        user_id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    async fn create_invite(
        &self,
        org_id: &str,
        invite: NewInvite,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Invite>;

    async fn invite(&self, org_id: &str, id: &str) -> StoreResult<Option<Invite>>;

    /// Pending, unexpired invites, oldest first, after the `(created_ms, id)` cursor.
    async fn pending_invites(
        &self,
        org_id: &str,
        now: OffsetDateTime,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> StoreResult<Vec<(Invite, (i64, String))>>;

    /// A new token and expiry; the old token stops working.
    async fn resend_invite(
        &self,
        org_id: &str,
        id: &str,
        token: InviteToken,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Invite>;

    async fn revoke_invite(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// Notes why the invite's email could not be sent (`None` once it was).
    async fn record_email_error(&self, invite_id: &str, error: Option<&str>) -> StoreResult<()>;

    async fn invite_by_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<InviteView>>;

    /// Accepts an invite; returns the member and the organisation id.
    async fn accept_invite(
        &self,
        token_hash: &str,
        acceptor: Acceptor,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<(User, String)>;

    // --- API keys ----------------------------------------------------------

    async fn create_api_key(
        &self,
        org_id: &str,
        key: NewApiKey,
        acting: &Acting,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<ApiKey>;

    /// Live (unrevoked) keys, oldest first.
    async fn api_keys(&self, org_id: &str) -> StoreResult<Vec<ApiKey>>;

    async fn api_key(&self, org_id: &str, id: &str) -> StoreResult<Option<ApiKey>>;

    async fn revoke_api_key(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// The live key a secret (hashed) belongs to; notes when it was last used.
    async fn api_key_by_secret(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ApiKeyAuth>>;

    // --- audit log ---------------------------------------------------------

    /// Records a refused request (`access.denied`).
    async fn record_denied(
        &self,
        org_id: &str,
        denied: Denied,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<AuditEvent>;

    /// Events newest first, `seq` below `before` when given.
    async fn audit_page(
        &self,
        org_id: &str,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>>;

    /// Events oldest first, `seq` above `after`, for verification and export.
    async fn audit_batch(
        &self,
        org_id: &str,
        filter: &AuditFilter,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>>;

    /// One event of the organisation; `None` when the id names none of its events.
    async fn audit_event(&self, org_id: &str, id: &str) -> StoreResult<Option<AuditEvent>>;

    /// Walks the organisation's whole chain; `progress` hears the count so far.
    async fn verify_chain(
        &self,
        org_id: &str,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> StoreResult<ChainReport>;

    async fn org_ids(&self) -> StoreResult<Vec<String>>;

    async fn audit_count(&self, org_id: &str) -> StoreResult<u64>;

    // --- features ----------------------------------------------------------
    // Every change locks the organisation and writes its audit event in the
    // same transaction; a row of another organisation is `NotFound`.

    async fn create_agent(
        &self,
        org_id: &str,
        kind: AgentKind,
        new: NewNamedConfig,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Agent>;

    /// Agents of one kind, oldest first, after the `(created_ms, id)` cursor.
    async fn agents(
        &self,
        org_id: &str,
        kind: AgentKind,
        after: Option<RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Agent>>;

    async fn agent(&self, org_id: &str, kind: AgentKind, id: &str) -> StoreResult<Option<Agent>>;

    async fn update_agent(
        &self,
        org_id: &str,
        kind: AgentKind,
        id: &str,
        change: NamedConfigChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Agent>;

    async fn delete_agent(
        &self,
        org_id: &str,
        kind: AgentKind,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    async fn create_campaign(
        &self,
        org_id: &str,
        new: NewNamedConfig,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Campaign>;

    /// Campaigns oldest first, after the `(created_ms, id)` cursor.
    async fn campaigns(
        &self,
        org_id: &str,
        after: Option<RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Campaign>>;

    async fn campaign(&self, org_id: &str, id: &str) -> StoreResult<Option<Campaign>>;

    async fn update_campaign(
        &self,
        org_id: &str,
        id: &str,
        change: NamedConfigChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Campaign>;

    async fn delete_campaign(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// Launches a draft; launching a launched campaign changes (and records) nothing.
    async fn launch_campaign(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Campaign>;

    /// Records a new inbound conversation with its first message.
    async fn record_inbound(
        &self,
        org_id: &str,
        new: NewConversation,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Conversation>;

    /// Conversations oldest first, after the `(created_ms, id)` cursor.
    async fn conversations(
        &self,
        org_id: &str,
        after: Option<RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>>;

    async fn conversation(&self, org_id: &str, id: &str) -> StoreResult<Option<Conversation>>;

    /// A conversation's messages, oldest first.
    async fn conversation_messages(&self, org_id: &str, id: &str) -> StoreResult<Vec<Message>>;

    /// An outbound reply; its author is the actor of `meta`.
    async fn reply(
        &self,
        org_id: &str,
        conversation_id: &str,
        body: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Message>;

    /// Assigns to a member (`Invalid` if `user_id` is not one), or unassigns with `None`.
    async fn assign_conversation(
        &self,
        org_id: &str,
        id: &str,
        user_id: Option<&str>,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Conversation>;

    /// Closes; closing a closed conversation changes (and records) nothing.
    async fn close_conversation(
        &self,
        org_id: &str,
        id: &str,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Conversation>;

    /// Messages of every conversation, newest first, before the `(created_ms, id)` cursor.
    async fn message_log(
        &self,
        org_id: &str,
        before: Option<RowCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;

    /// The plan and billing address; the free plan until set.
    async fn billing(&self, org_id: &str) -> StoreResult<Billing>;

    async fn update_billing(
        &self,
        org_id: &str,
        change: BillingChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<Billing>;

    async fn payment_settings(&self, org_id: &str) -> StoreResult<PaymentSettings>;

    /// Refuses (`Invalid`) any field holding what looks like a card number.
    async fn update_payment_settings(
        &self,
        org_id: &str,
        change: PaymentSettingsChange,
        meta: &AuditMeta,
        now: OffsetDateTime,
    ) -> StoreResult<PaymentSettings>;

    /// Counts over the organisation's data; conversations and messages only
    /// from `since_ms` on when given.
    async fn feature_counts(
        &self,
        org_id: &str,
        since_ms: Option<i64>,
    ) -> StoreResult<FeatureCounts>;

    /// Messages per UTC day from `since_ms` on, oldest day first; days without any are left out.
    async fn daily_messages(&self, org_id: &str, since_ms: i64) -> StoreResult<Vec<DailyMessages>>;
}

/// The outcome of walking a chain.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChainReport {
    pub ok: bool,
    pub events_checked: u64,
    pub first_bad_event: Option<ChainBreak>,
}

/// A role as a member holds it.
pub fn parse_role(s: &str) -> StoreResult<Role> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown role `{s}` in the database")))
}
