//! The permission cache of one process.
//!
//! What it guarantees:
//! - a warm lookup is two hash probes under a read lock, with no allocation
//!   and no database round trip;
//! - a change made by this process is dropped from the cache before the
//!   change's response is sent, so this process never serves a stale decision;
//! - a value read from the database is cached only if no invalidation happened
//!   while it was being read (the epoch check), so a slow read cannot put an
//!   old role back after a change;
//! - while the cache cannot hear of other replicas' changes (PostgreSQL
//!   listener down), it is not trusted: every lookup goes to the database, and
//!   it is emptied when hearing resumes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;

use teamgate_core::{PermissionSet, Role};
use tokio::sync::broadcast;

use crate::{ApiKeyAuth, Member, Org, User};

/// A change to who may do what in an organisation, as replicas tell each
/// other. An empty `org_id` means a change to the person `user_id` (a
/// session ended, a password changed), which drops their cached sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub org_id: String,
    /// The member concerned, when one is.
    pub user_id: Option<String>,
    pub version: i64,
}

impl Change {
    /// A change to one person rather than one organisation.
    pub fn of_user(user_id: &str) -> Change {
        Change {
            org_id: String::new(),
            user_id: Some(user_id.to_string()),
            version: 0,
        }
    }

    pub fn is_user_change(&self) -> bool {
        self.org_id.is_empty()
    }

    /// `org:user:version`, the NOTIFY payload.
    pub fn to_payload(&self) -> String {
        format!(
            "{}:{}:{}",
            self.org_id,
            self.user_id.as_deref().unwrap_or(""),
            self.version
        )
    }

    pub fn from_payload(payload: &str) -> Option<Change> {
        let mut parts = payload.splitn(3, ':');
        let org_id = parts.next()?.to_string();
        let user = parts.next()?;
        let version = parts.next()?.parse().ok()?;
        if org_id.is_empty() && user.is_empty() {
            return None;
        }
        Some(Change {
            org_id,
            user_id: (!user.is_empty()).then(|| user.to_string()),
            version,
        })
    }
}

/// Maps keyed by ids and hashes. aHash, randomly seeded per map, hashes these
/// short strings several times faster than the standard SipHash and keeps
/// its resistance to crafted collisions; the keys are ids and hashes
/// teamgate made itself in any case.
type Map<V> = HashMap<String, V, ahash::RandomState>;

#[derive(Default)]
struct Entries {
    orgs: Map<Org>,
    members: Map<Map<Member>>,
    /// Live sessions by token hash, with their expiry (ms).
    sessions: Map<(User, i64)>,
    /// Live API keys by secret hash.
    keys: Map<ApiKeyAuth>,
}

/// Counters for `/metrics`.
#[derive(Debug, Default, Clone, Copy)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub invalidations_received: u64,
    pub trusted: bool,
}

pub struct PermissionCache {
    entries: RwLock<Entries>,
    /// Bumped by every invalidation, under the write lock.
    epoch: AtomicU64,
    trusted: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    received: AtomicU64,
    changes: broadcast::Sender<Change>,
}

impl PermissionCache {
    /// A cache that starts trusted (SQLite) or not (PostgreSQL, until its listener is up).
    pub fn new(trusted: bool) -> PermissionCache {
        PermissionCache {
            entries: RwLock::new(Entries::default()),
            epoch: AtomicU64::new(0),
            trusted: AtomicBool::new(trusted),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            received: AtomicU64::new(0),
            changes: broadcast::channel(1024).0,
        }
    }

    pub fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    /// The member's permissions, if cached: the hot path of every check.
    #[inline]
    pub fn permissions(&self, org_id: &str, user_id: &str) -> Option<PermissionSet> {
        self.role(org_id, user_id).map(Role::permissions)
    }

    #[inline]
    pub fn role(&self, org_id: &str, user_id: &str) -> Option<Role> {
        if !self.is_trusted() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let role = entries
            .members
            .get(org_id)
            .and_then(|m| m.get(user_id))
            .map(|m| m.role);
        self.count(role.is_some());
        role
    }

    pub(crate) fn member(&self, org_id: &str, user_id: &str) -> Option<Member> {
        if !self.is_trusted() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let member = entries
            .members
            .get(org_id)
            .and_then(|m| m.get(user_id))
            .cloned();
        self.count(member.is_some());
        member
    }

    pub(crate) fn org(&self, org_id: &str) -> Option<Org> {
        if !self.is_trusted() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let org = entries.orgs.get(org_id).cloned();
        self.count(org.is_some());
        org
    }

    fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The epoch to pass to `fill_*` after reading the database.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub(crate) fn fill_member(&self, epoch: u64, member: &Member, org_id: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.is_trusted() && self.epoch.load(Ordering::Acquire) == epoch {
            entries
                .members
                .entry(org_id.to_string())
                .or_default()
                .insert(member.user_id.clone(), member.clone());
        }
    }

    pub(crate) fn fill_org(&self, epoch: u64, org: &Org) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.is_trusted() && self.epoch.load(Ordering::Acquire) == epoch {
            entries.orgs.insert(org.id.clone(), org.clone());
        }
    }

    /// A cached live session: its user, if it has not expired by `now_ms`.
    pub(crate) fn session(&self, token_hash: &str, now_ms: i64) -> Option<User> {
        if !self.is_trusted() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let user = entries
            .sessions
            .get(token_hash)
            .filter(|(_, expires)| *expires > now_ms)
            .map(|(u, _)| u.clone());
        self.count(user.is_some());
        user
    }

    pub(crate) fn fill_session(&self, epoch: u64, token_hash: &str, user: &User, expires_ms: i64) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.is_trusted() && self.epoch.load(Ordering::Acquire) == epoch {
            entries
                .sessions
                .insert(token_hash.to_string(), (user.clone(), expires_ms));
        }
    }

    pub(crate) fn api_key(&self, secret_hash: &str) -> Option<ApiKeyAuth> {
        if !self.is_trusted() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let key = entries.keys.get(secret_hash).cloned();
        self.count(key.is_some());
        key
    }

    pub(crate) fn fill_api_key(&self, epoch: u64, secret_hash: &str, key: &ApiKeyAuth) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.is_trusted() && self.epoch.load(Ordering::Acquire) == epoch {
            entries.keys.insert(secret_hash.to_string(), key.clone());
        }
    }

    /// Fills the cache directly, for benchmarks that need millions of members.
    pub fn fill_member_for_bench(&self, org_id: &str, member: &Member) {
        self.fill_member(self.epoch(), member, org_id);
    }

    /// Forgets everything cached about the organisation and tells listeners.
    pub fn apply(&self, change: Change) {
        {
            let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
            self.epoch.fetch_add(1, Ordering::AcqRel);
            if change.is_user_change() {
                if let Some(user_id) = &change.user_id {
                    entries.sessions.retain(|_, (user, _)| &user.id != user_id);
                }
            } else {
                entries.orgs.remove(&change.org_id);
                entries.members.remove(&change.org_id);
                entries.keys.retain(|_, key| key.org_id != change.org_id);
            }
        }
        let _ = self.changes.send(change);
    }

    /// A change heard from another replica (or echoed back from this one).
    pub fn apply_remote(&self, change: Change) {
        self.received.fetch_add(1, Ordering::Relaxed);
        self.apply(change);
    }

    /// Hearing stopped: stop answering from the cache.
    pub fn distrust(&self) {
        if self.trusted.swap(false, Ordering::AcqRel) {
            tracing::warn!(
                "change notifications lost; answering from the database until they resume"
            );
        }
    }

    /// Hearing (re)started: whatever was missed meanwhile is flushed.
    pub fn reset_and_trust(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        *entries = Entries::default();
        self.trusted.store(true, Ordering::Release);
    }

    /// Changes as they happen, for live streams.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidations_received: self.received.load(Ordering::Relaxed),
            trusted: self.is_trusted(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role) -> Member {
        Member {
            user_id: "u".into(),
            email: "u@x.test".into(),
            name: "U".into(),
            role,
            joined_at: String::new(),
            version: 1,
        }
    }

    #[test]
    fn a_fill_after_an_invalidation_is_refused() {
        let cache = PermissionCache::new(true);
        let epoch = cache.epoch();
        cache.apply(Change {
            org_id: "o".into(),
            user_id: Some("u".into()),
            version: 2,
        });
        cache.fill_member(epoch, &member(Role::Admin), "o");
        assert_eq!(
            cache.role("o", "u"),
            None,
            "a stale read must not be cached"
        );
        cache.fill_member(cache.epoch(), &member(Role::Viewer), "o");
        assert_eq!(cache.role("o", "u"), Some(Role::Viewer));
    }

    #[test]
    fn an_untrusted_cache_answers_nothing() {
        let cache = PermissionCache::new(true);
        cache.fill_member(cache.epoch(), &member(Role::Admin), "o");
        cache.distrust();
        assert_eq!(cache.role("o", "u"), None);
        cache.reset_and_trust();
        assert_eq!(
            cache.role("o", "u"),
            None,
            "everything cached before is flushed"
        );
    }

    #[test]
    fn a_user_change_drops_that_users_sessions_only() {
        let cache = PermissionCache::new(true);
        let ada = User {
            id: "a".into(),
            email: "a@x.test".into(),
            name: "A".into(),
        };
        let bob = User {
            id: "b".into(),
            email: "b@x.test".into(),
            name: "B".into(),
        };
        cache.fill_session(cache.epoch(), "s1", &ada, 100);
        cache.fill_session(cache.epoch(), "s2", &bob, 100);
        assert_eq!(cache.session("s1", 50), Some(ada.clone()));
        assert_eq!(
            cache.session("s1", 150),
            None,
            "an expired session is not answered"
        );
        cache.apply(Change::of_user("a"));
        assert_eq!(cache.session("s1", 50), None);
        assert_eq!(cache.session("s2", 50), Some(bob));
    }

    #[test]
    fn payloads_round_trip() {
        let c = Change {
            org_id: "o".into(),
            user_id: Some("u".into()),
            version: 7,
        };
        assert_eq!(Change::from_payload(&c.to_payload()), Some(c));
        let org_only = Change {
            org_id: "o".into(),
            user_id: None,
            version: 3,
        };
        assert_eq!(Change::from_payload(&org_only.to_payload()), Some(org_only));
        let person = Change::of_user("u");
        assert_eq!(Change::from_payload(&person.to_payload()), Some(person));
        assert_eq!(Change::from_payload("::0"), None);
        assert_eq!(Change::from_payload("garbage"), None);
    }
}
