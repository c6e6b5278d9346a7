//! cedar-policy: one `permit` per role; a member is an entity whose parents
//! are its role and its organisation, and the organisation is the resource,
//! so a role held in one organisation grants nothing in another.

use std::collections::HashSet;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request,
};
use teamgate_core::{Permission, Role};

use crate::{bits_by_single_checks, Engine, Scenario};

pub struct CedarEngine {
    authorizer: Authorizer,
    policies: PolicySet,
    entities: Entities,
    /// Per scenario member: its entity and its organisation's entity.
    members: Vec<(EntityUid, EntityUid)>,
    /// Per catalog permission, by index.
    actions: Vec<EntityUid>,
    roles: Vec<EntityUid>,
}

fn uid(kind: &str, id: &str) -> EntityUid {
    let kind = EntityTypeName::from_str(kind).expect("a valid entity type name");
    EntityUid::from_type_name_and_id(kind, EntityId::new(id))
}

/// The policy set: one `permit` per built-in role, listing its actions.
pub fn cedar_policies() -> String {
    let mut text = String::new();
    for role in Role::ALL {
        let actions: Vec<String> = role
            .permissions()
            .iter()
            .map(|p| format!("Action::\"{p}\""))
            .collect();
        text.push_str(&format!(
            "permit(principal in Role::\"{}\", action in [{}], resource) when {{ principal in resource }};\n",
            role.key(),
            actions.join(", ")
        ));
    }
    text
}

fn member_entity(member: &EntityUid, role: &EntityUid, org: &EntityUid) -> Entity {
    Entity::new_no_attrs(member.clone(), HashSet::from([role.clone(), org.clone()]))
}

impl CedarEngine {
    pub fn new(scenario: &Scenario) -> CedarEngine {
        let policies = PolicySet::from_str(&cedar_policies()).expect("the policies parse");
        let roles: Vec<EntityUid> = Role::ALL.iter().map(|r| uid("Role", r.key())).collect();
        let orgs: Vec<EntityUid> = scenario.orgs.iter().map(|o| uid("Org", o)).collect();
        let actions: Vec<EntityUid> = Permission::all()
            .map(|p| uid("Action", &p.to_string()))
            .collect();
        let members: Vec<(EntityUid, EntityUid)> = scenario
            .members
            .iter()
            .map(|m| {
                (
                    uid("Member", &format!("{}/{}", scenario.orgs[m.org], m.user_id)),
                    orgs[m.org].clone(),
                )
            })
            .collect();

        let mut all = Vec::with_capacity(roles.len() + orgs.len() + members.len());
        all.extend(
            roles
                .iter()
                .map(|r| Entity::new_no_attrs(r.clone(), HashSet::new())),
        );
        all.extend(
            orgs.iter()
                .map(|o| Entity::new_no_attrs(o.clone(), HashSet::new())),
        );
        for ((member, org), m) in members.iter().zip(&scenario.members) {
            all.push(member_entity(member, &roles[role_index(m.role)], org));
        }
        let entities = Entities::from_entities(all, None).expect("the entities are consistent");
        CedarEngine {
            authorizer: Authorizer::new(),
            policies,
            entities,
            members,
            actions,
            roles,
        }
    }
}

fn role_index(role: Role) -> usize {
    Role::ALL.iter().position(|r| *r == role).unwrap_or(0)
}

impl Engine for CedarEngine {
    fn name(&self) -> &'static str {
        "cedar-policy"
    }

    fn check(&self, m: usize, permission: Permission) -> bool {
        let (member, org) = &self.members[m];
        let action = self.actions[permission.index() as usize].clone();
        let Ok(request) = Request::new(member.clone(), action, org.clone(), Context::empty(), None)
        else {
            return false;
        };
        self.authorizer
            .is_authorized(&request, &self.policies, &self.entities)
            .decision()
            == Decision::Allow
    }

    fn permission_bits(&self, m: usize) -> u64 {
        bits_by_single_checks(self, m)
    }

    /// Replaces the member's entity with one under the new role; cedar
    /// recomputes the transitive closure of the entity store.
    fn change_role(&mut self, m: usize, role: Role) {
        let (member, org) = &self.members[m];
        let updated = member_entity(member, &self.roles[role_index(role)], org);
        let entities = std::mem::replace(&mut self.entities, Entities::empty());
        self.entities = entities
            .upsert_entities([updated], None)
            .expect("the entity store accepts the update");
    }
}
