//! teamgate: the per-process permission cache, warm, as the HTTP layer uses it.

use teamgate_core::{Permission, Role};
use teamgate_store::cache::{Change, PermissionCache};
use teamgate_store::Member;

use crate::{Engine, Scenario};

pub struct TeamgateEngine {
    cache: PermissionCache,
    /// (organisation id, member) per scenario member.
    members: Vec<(String, Member)>,
    version: i64,
}

impl TeamgateEngine {
    pub fn new(scenario: &Scenario) -> TeamgateEngine {
        let cache = PermissionCache::new(true);
        let members: Vec<(String, Member)> = scenario
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let member = Member {
                    user_id: m.user_id.clone(),
                    email: format!("member{i}@org{}.test", m.org),
                    name: format!("Member {i}"),
                    role: m.role,
                    joined_at: "2026-01-01T00:00:00.000Z".into(),
                    version: 1,
                };
                (scenario.orgs[m.org].clone(), member)
            })
            .collect();
        for (org, member) in &members {
            cache.fill_member_for_bench(org, member);
        }
        TeamgateEngine {
            cache,
            members,
            version: 1,
        }
    }
}

impl Engine for TeamgateEngine {
    fn name(&self) -> &'static str {
        "teamgate"
    }

    #[inline]
    fn check(&self, m: usize, permission: Permission) -> bool {
        let (org, member) = &self.members[m];
        self.cache
            .permissions(org, &member.user_id)
            .is_some_and(|p| p.contains(permission))
    }

    #[inline]
    fn permission_bits(&self, m: usize) -> u64 {
        let (org, member) = &self.members[m];
        self.cache
            .permissions(org, &member.user_id)
            .map_or(0, |p| p.bits())
    }

    /// What the store does once the change is committed: drop the
    /// organisation's entries, then the next read of the member fills the
    /// cache again (here straight from memory instead of the database).
    fn change_role(&mut self, m: usize, role: Role) {
        self.version += 1;
        let (org, member) = &mut self.members[m];
        member.role = role;
        member.version = self.version;
        self.cache.apply(Change {
            org_id: org.clone(),
            user_id: Some(member.user_id.clone()),
            version: self.version,
        });
        self.cache.fill_member_for_bench(org, member);
    }
}
