//! One scenario, three engines: teamgate's permission cache, `cedar-policy`
//! and `casbin`, each holding the same five roles over the SPEC catalog and
//! the same members, so a check, a role change and a member's whole
//! permission set can be timed side by side in one run.
//!
//! Each engine is set up the way its documentation suggests for multi-tenant
//! RBAC; [`Scenario::verify`] makes sure all three give the same answers
//! before anything is timed.

mod casbin_engine;
mod cedar_engine;
mod teamgate_engine;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use teamgate_core::{Permission, Role};

pub use casbin_engine::CasbinEngine;
pub use cedar_engine::CedarEngine;
pub use teamgate_engine::TeamgateEngine;

/// What every engine under comparison can do.
pub trait Engine {
    fn name(&self) -> &'static str;

    /// May member `m` (an index into the scenario) do `permission` in their organisation?
    fn check(&self, m: usize, permission: Permission) -> bool;

    /// The member's whole permission set, one bit per catalog permission.
    fn permission_bits(&self, m: usize) -> u64;

    /// Gives member `m` a new role; the next check must see it.
    fn change_role(&mut self, m: usize, role: Role);
}

/// A member of the scenario.
#[derive(Debug, Clone)]
pub struct ScenarioMember {
    pub org: usize,
    pub user_id: String,
    pub role: Role,
}

/// Organisations with their members, roles in rotation.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub orgs: Vec<String>,
    pub members: Vec<ScenarioMember>,
}

/// One random check and the answer it must get.
#[derive(Debug, Clone, Copy)]
pub struct CheckCase {
    pub member: usize,
    pub permission: Permission,
    pub allowed: bool,
}

impl Scenario {
    pub fn new(orgs: usize, members_per_org: usize, seed: u64) -> Scenario {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut uuid = || uuid::Uuid::from_u128(rng.gen()).to_string();
        let org_ids: Vec<String> = (0..orgs).map(|_| uuid()).collect();
        let mut members = Vec::with_capacity(orgs * members_per_org);
        for org in 0..orgs {
            for i in 0..members_per_org {
                members.push(ScenarioMember {
                    org,
                    user_id: uuid(),
                    role: Role::ALL[i % Role::ALL.len()],
                });
            }
        }
        Scenario {
            orgs: org_ids,
            members,
        }
    }

    /// `n` random checks whose answer is `allowed`: a random member and a
    /// random permission their role grants (or lacks).
    pub fn checks(&self, n: usize, allowed: bool, seed: u64) -> Vec<CheckCase> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut cases = Vec::with_capacity(n);
        while cases.len() < n {
            let member = rng.gen_range(0..self.members.len());
            let granted = self.members[member].role.permissions();
            let candidates: Vec<Permission> = Permission::all()
                .filter(|p| granted.contains(*p) == allowed)
                .collect();
            if candidates.is_empty() {
                continue; // an admin lacks nothing
            }
            let permission = candidates[rng.gen_range(0..candidates.len())];
            cases.push(CheckCase {
                member,
                permission,
                allowed,
            });
        }
        cases
    }

    /// Checks that an engine answers every case, and every member's whole
    /// set, as teamgate's catalog says it should.
    pub fn verify(&self, engine: &dyn Engine, cases: &[CheckCase]) -> Result<(), String> {
        for c in cases {
            if engine.check(c.member, c.permission) != c.allowed {
                return Err(format!(
                    "{} answers {} wrongly for member {}",
                    engine.name(),
                    c.permission,
                    c.member
                ));
            }
        }
        for (m, member) in self.members.iter().enumerate().step_by(97) {
            if engine.permission_bits(m) != member.role.permissions().bits() {
                return Err(format!(
                    "{} gives member {m} the wrong permission set",
                    engine.name()
                ));
            }
        }
        Ok(())
    }
}

/// The bit set of 44 single checks, as a peer without a batch answer builds it.
pub fn bits_by_single_checks(engine: &dyn Engine, m: usize) -> u64 {
    Permission::all()
        .filter(|p| engine.check(m, *p))
        .fold(0u64, |bits, p| bits | (1u64 << p.index()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_engines_agree_on_a_small_scenario() {
        let scenario = Scenario::new(3, 10, 7);
        let mut cases = scenario.checks(200, true, 1);
        cases.extend(scenario.checks(200, false, 2));
        let mut engines: Vec<Box<dyn Engine>> = vec![
            Box::new(TeamgateEngine::new(&scenario)),
            Box::new(CedarEngine::new(&scenario)),
            Box::new(CasbinEngine::new(&scenario)),
        ];
        for engine in &mut engines {
            scenario.verify(engine.as_ref(), &cases).unwrap();
            let inbox_reply = Permission::of("inbox", "reply");
            engine.change_role(2, Role::Viewer);
            assert!(!engine.check(2, inbox_reply), "{}", engine.name());
            engine.change_role(2, Role::Staff);
            assert!(engine.check(2, inbox_reply), "{}", engine.name());
        }
    }
}
