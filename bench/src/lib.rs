//! Shared set-up for teamgate's benchmarks.

use teamgate_core::Role;
use teamgate_store::cache::PermissionCache;
use teamgate_store::Member;

/// A trusted cache holding `orgs × members_per_org` members (roles in
/// rotation), and one (org, user) pair from its middle, staff by role.
pub fn warm_cache(orgs: usize, members_per_org: usize) -> (PermissionCache, String, String) {
    let cache = PermissionCache::new(true);
    let mut pick = (String::new(), String::new());
    for o in 0..orgs {
        let org = uuid::Uuid::new_v4().to_string();
        for m in 0..members_per_org {
            let member = Member {
                user_id: uuid::Uuid::new_v4().to_string(),
                email: format!("m{m}@o{o}.test"),
                name: format!("Member {m}"),
                role: Role::ALL[m % Role::ALL.len()],
                joined_at: String::new(),
                version: 1,
            };
            cache.fill_member_for_bench(&org, &member);
            if o == orgs / 2 && m % Role::ALL.len() == 2 {
                pick = (org.clone(), member.user_id.clone());
            }
        }
    }
    (cache, pick.0, pick.1)
}
