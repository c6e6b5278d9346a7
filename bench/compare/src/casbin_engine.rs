//! casbin: the RBAC-with-domains model, organisations as domains. The role
//! permissions hold in every domain (`p, role, feature, action`); a member's
//! role is a grouping policy in their organisation (`g, user, role, org`).
//! The matcher compares the cheap fields before asking the role manager.

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use teamgate_core::{Permission, Role};

use crate::{bits_by_single_checks, Engine, Scenario};

const MODEL: &str = "\
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.act == p.act && g(r.sub, p.sub, r.dom)
";

pub struct CasbinEngine {
    enforcer: Enforcer,
    runtime: tokio::runtime::Runtime,
    /// Per scenario member: user id, organisation id, current role.
    members: Vec<(String, String, Role)>,
    /// Per catalog permission, by index: (feature, action).
    permissions: Vec<(String, String)>,
}

fn role_subject(role: Role) -> String {
    format!("role:{}", role.key())
}

impl CasbinEngine {
    pub fn new(scenario: &Scenario) -> CasbinEngine {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
        let members: Vec<(String, String, Role)> = scenario
            .members
            .iter()
            .map(|m| (m.user_id.clone(), scenario.orgs[m.org].clone(), m.role))
            .collect();
        let permissions: Vec<(String, String)> = Permission::all()
            .map(|p| (p.feature().key.to_string(), p.action().to_string()))
            .collect();

        let enforcer = runtime.block_on(async {
            let model = DefaultModel::from_str(MODEL)
                .await
                .expect("the casbin model parses");
            let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
                .await
                .expect("an enforcer");
            let mut rules = Vec::new();
            for role in Role::ALL {
                for p in role.permissions().iter() {
                    rules.push(vec![
                        role_subject(role),
                        p.feature().key.to_string(),
                        p.action().to_string(),
                    ]);
                }
            }
            enforcer
                .add_policies(rules)
                .await
                .expect("role permissions");
            let grouping = members
                .iter()
                .map(|(user, org, role)| vec![user.clone(), role_subject(*role), org.clone()])
                .collect();
            enforcer
                .add_grouping_policies(grouping)
                .await
                .expect("memberships");
            enforcer
        });
        CasbinEngine {
            enforcer,
            runtime,
            members,
            permissions,
        }
    }
}

impl Engine for CasbinEngine {
    fn name(&self) -> &'static str {
        "casbin"
    }

    fn check(&self, m: usize, permission: Permission) -> bool {
        let (user, org, _) = &self.members[m];
        let (feature, action) = &self.permissions[permission.index() as usize];
        self.enforcer
            .enforce((
                user.as_str(),
                org.as_str(),
                feature.as_str(),
                action.as_str(),
            ))
            .unwrap_or(false)
    }

    fn permission_bits(&self, m: usize) -> u64 {
        bits_by_single_checks(self, m)
    }

    /// Removes the old grouping policy and adds the new one; casbin updates
    /// its role links as it goes.
    fn change_role(&mut self, m: usize, role: Role) {
        let (user, org, old) = self.members[m].clone();
        let enforcer = &mut self.enforcer;
        self.runtime.block_on(async {
            enforcer
                .remove_grouping_policy(vec![user.clone(), role_subject(old), org.clone()])
                .await
                .expect("remove");
            enforcer
                .add_grouping_policy(vec![user, role_subject(role), org])
                .await
                .expect("add");
        });
        self.members[m].2 = role;
    }
}
