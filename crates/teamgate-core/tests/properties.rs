//! Property tests of the rules of SPEC.md section 2, as the core states them.
//!
//! The grants of each built-in role are written out here again from SPEC.md
//! section 1, apart from `role.rs`, so a slip in either shows up as a
//! difference. The membership model at the end drives random sequences of
//! invites, role changes, removals and leaves by random actors through the
//! core's rules and checks the section 2 invariants after every step, with
//! its own bookkeeping (it counts admins itself rather than trusting the
//! count it hands the rules).

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;
use teamgate_core::audit::{
    Actor, ActorType, AuditEvent, ChainPosition, ChainVerifier, Changes, Context, EventDraft,
    Outcome, Target, GENESIS_HASH,
};
use teamgate_core::catalog::PERMISSION_COUNT;
use teamgate_core::rules::{
    api_key_permissions, check_leave, check_removal, check_role_change, decide, may_grant,
    MembershipChange, RuleViolation,
};
use teamgate_core::{Permission, PermissionSet, Role};

/// SPEC.md section 1, written out again as a table.
fn spec_grants(role: Role) -> Vec<String> {
    const AGENTS: [&str; 3] = ["chat_agents", "whatsapp_agents", "voice_agents"];
    let whole = |feature: &str| -> Vec<String> {
        let actions: &[&str] = match feature {
            "campaigns" => &["view", "create", "edit", "delete", "launch"],
            "inbox" => &["view", "reply", "assign", "close"],
            "analytics" => &["view", "export"],
            "billing" | "payment_settings" => &["view", "edit"],
            _ => &["view", "create", "edit", "delete"],
        };
        actions.iter().map(|a| format!("{feature}:{a}")).collect()
    };
    let named = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    match role {
        Role::Admin => Permission::all().map(|p| p.to_string()).collect(),
        Role::Manager => AGENTS
            .iter()
            .chain(&["campaigns", "inbox", "analytics"])
            .flat_map(|f| whole(f))
            .chain(named(&[
                "logs:view",
                "team:view",
                "roles:view",
                "audit_log:view",
            ]))
            .collect(),
        Role::Staff => whole("inbox")
            .into_iter()
            .chain(
                AGENTS
                    .iter()
                    .chain(&["campaigns"])
                    .map(|f| format!("{f}:view")),
            )
            .chain(named(&["logs:view", "team:view"]))
            .collect(),
        Role::Viewer => named(&["analytics:view", "logs:view", "audit_log:view"]),
        Role::Billing => whole("billing")
            .into_iter()
            .chain(whole("payment_settings"))
            .chain(named(&["usage:view"]))
            .collect(),
    }
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn permission() -> impl Strategy<Value = Permission> {
    (0..PERMISSION_COUNT as u8).prop_filter_map("in the catalog", Permission::from_index)
}

/// Any set of catalog permissions, not only those of a built-in role.
fn permission_set() -> impl Strategy<Value = PermissionSet> {
    prop_oneof![
        any::<u64>()
            .prop_map(|bits| PermissionSet::from_bits(bits).intersection(PermissionSet::all())),
        role().prop_map(Role::permissions),
        prop::collection::vec(permission(), 0..8).prop_map(|ps| ps.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    // --- rule 1: deny by default -------------------------------------------

    #[test]
    fn a_role_grants_exactly_its_table(role in role(), p in permission()) {
        let listed = spec_grants(role).contains(&p.to_string());
        let decision = decide(role, p);
        prop_assert_eq!(decision.allowed, listed, "{} {}", role, p);
        prop_assert_eq!(role.permissions().contains(p), listed);
        let verb = if listed { "grants" } else { "does not grant" };
        prop_assert_eq!(decision.reason, format!("role {} {verb} {p}", role.key()));
    }

    #[test]
    fn a_name_outside_the_catalog_is_no_permission(name in "\\PC{0,40}") {
        let known = Permission::all().any(|p| p.to_string() == name);
        prop_assert_eq!(name.parse::<Permission>().is_ok(), known);
    }

    #[test]
    fn a_set_contains_exactly_what_it_lists(set in permission_set(), p in permission()) {
        prop_assert_eq!(set.contains(p), set.iter().any(|q| q == p));
        prop_assert!(set.is_subset_of(PermissionSet::all()));
        prop_assert_eq!(set.sorted_names().len() as u32, set.len());
    }

    // --- rule 2: role ceiling ------------------------------------------------

    #[test]
    fn a_role_may_be_given_exactly_when_the_actor_holds_all_of_it(actor in permission_set(), role in role()) {
        let holds_all = spec_grants(role)
            .iter()
            .all(|name| actor.iter().any(|p| p.to_string() == *name));
        prop_assert_eq!(may_grant(actor, role).is_ok(), holds_all);
        if !holds_all {
            prop_assert_eq!(may_grant(actor, role), Err(RuleViolation::RoleCeiling));
        }
    }

    #[test]
    fn a_member_above_the_actor_is_neither_changed_nor_removed(
        actor in permission_set(), target_role in role(), new_role in role(), admins in 1u64..4,
    ) {
        let change = MembershipChange {
            actor_user: "actor", actor_permissions: actor, target_user: "target", target_role, admins,
        };
        if may_grant(actor, target_role).is_err() {
            prop_assert_eq!(check_role_change(change, new_role), Err(RuleViolation::RoleCeiling));
            prop_assert_eq!(check_removal(change), Err(RuleViolation::RoleCeiling));
        }
        if may_grant(actor, new_role).is_err() {
            prop_assert!(check_role_change(change, new_role).is_err());
        }
    }

    #[test]
    fn an_api_key_never_exceeds_its_role_or_its_creator(key_role in role(), creator in proptest::option::of(permission_set())) {
        let granted = api_key_permissions(key_role, creator);
        prop_assert!(granted.is_subset_of(key_role.permissions()));
        match creator {
            Some(c) => prop_assert_eq!(granted, key_role.permissions().intersection(c)),
            // A creator who is no longer a member (of this organisation) leaves the key with nothing.
            None => prop_assert!(granted.is_empty()),
        }
    }

    // --- rule 3: nobody changes their own role -------------------------------

    #[test]
    fn nobody_changes_their_own_role(actor in permission_set(), current in role(), new_role in role(), admins in 1u64..4) {
        let change = MembershipChange {
            actor_user: "same", actor_permissions: actor, target_user: "same", target_role: current, admins,
        };
        prop_assert_eq!(check_role_change(change, new_role), Err(RuleViolation::OwnRole));
    }

    // --- rule 4: the last admin ----------------------------------------------

    #[test]
    fn no_allowed_change_leaves_zero_admins(
        actor in permission_set(), target_role in role(), new_role in role(), others in 0u64..3,
    ) {
        // `admins` counts the target too when the target is an admin.
        let admins = others + u64::from(target_role == Role::Admin);
        prop_assume!(admins >= 1);
        let change = MembershipChange {
            actor_user: "actor", actor_permissions: actor, target_user: "target", target_role, admins,
        };
        let loses_admin = target_role == Role::Admin;
        if check_role_change(change, new_role).is_ok() {
            let after = admins - u64::from(loses_admin && new_role != Role::Admin);
            prop_assert!(after >= 1);
        }
        if check_removal(change).is_ok() {
            prop_assert!(admins - u64::from(loses_admin) >= 1);
        }
        if check_leave(target_role, admins).is_ok() {
            prop_assert!(admins - u64::from(loses_admin) >= 1);
        }
        if loses_admin && admins == 1 {
            // The only admin: whatever the actor holds, they stay an admin and a member.
            prop_assert!(check_removal(change).is_err());
            prop_assert_eq!(check_leave(Role::Admin, 1), Err(RuleViolation::LastAdmin));
            if new_role != Role::Admin {
                prop_assert!(check_role_change(change, new_role).is_err());
            }
        }
    }

    // --- rule 5: tenant isolation, as far as the core sees it ----------------

    #[test]
    fn an_event_moved_to_another_organisation_no_longer_verifies(n in 1i64..6, moved in 0usize..6) {
        let mut events = chain("org-a", n);
        let moved = moved % events.len();
        events[moved].org_id = "org-b".into();
        prop_assert!(events[moved].compute_hash() != events[moved].hash);
        prop_assert!(verify(&events).is_err());
    }

    #[test]
    fn another_organisations_event_cannot_be_spliced_into_a_chain(n in 2i64..6, at in 0usize..6) {
        let mut a = chain("org-a", n);
        let b = chain("org-b", n);
        let at = at % a.len();
        // Same seq, same shape, valid in its own chain: still refused in A's.
        a[at] = b[at].clone();
        prop_assert!(verify(&a).is_err());
    }
}

fn draft(seq: i64) -> EventDraft {
    EventDraft {
        actor: Actor {
            kind: ActorType::User,
            id: Some("u1".into()),
            label: Some("a@x.test".into()),
            role: Some("admin".into()),
            on_behalf_of: None,
        },
        action: "member.role_changed".into(),
        target: Target {
            kind: "member".into(),
            id: Some(format!("u{seq}")),
            label: None,
        },
        changes: Changes {
            before: json!({"role": "staff"}),
            after: json!({"role": "viewer"}),
        },
        context: Context::default(),
        outcome: Outcome::Success,
    }
}

fn chain(org: &str, n: i64) -> Vec<AuditEvent> {
    let mut prev = GENESIS_HASH.to_string();
    (1..=n)
        .map(|seq| {
            let at = ChainPosition {
                id: format!("e{seq}"),
                seq,
                org_id: org.into(),
                occurred_at: "2026-12-04T10:00:00.000Z".into(),
                prev_hash: prev.clone(),
            };
            let event = AuditEvent::seal(draft(seq), at);
            prev = event.hash.clone();
            event
        })
        .collect()
}

fn verify(events: &[AuditEvent]) -> Result<(), teamgate_core::audit::ChainBreak> {
    let mut verifier = ChainVerifier::default();
    events.iter().try_for_each(|e| verifier.push(e))
}

// --- the membership model ----------------------------------------------------

/// One request against the organisation, by a member chosen by index.
#[derive(Debug, Clone)]
enum Op {
    /// Invite a new person with a role; accepted at once.
    Invite {
        actor: usize,
        role: Role,
    },
    ChangeRole {
        actor: usize,
        target: usize,
        role: Role,
    },
    Remove {
        actor: usize,
        target: usize,
    },
    Leave {
        member: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0usize..16;
    prop_oneof![
        1 => (who.clone(), role()).prop_map(|(actor, role)| Op::Invite { actor, role }),
        3 => (who.clone(), who.clone(), role()).prop_map(|(actor, target, role)| Op::ChangeRole { actor, target, role }),
        1 => (who.clone(), who.clone()).prop_map(|(actor, target)| Op::Remove { actor, target }),
        1 => who.prop_map(|member| Op::Leave { member }),
    ]
}

/// An organisation as a map from user to role, in joining order.
#[derive(Debug, Default)]
struct Org {
    members: BTreeMap<u32, Role>,
    next_user: u32,
}

impl Org {
    fn founded() -> Org {
        let mut org = Org::default();
        org.join(Role::Admin);
        org
    }

    fn join(&mut self, role: Role) {
        self.members.insert(self.next_user, role);
        self.next_user += 1;
    }

    /// The member at `index` modulo the team size (the team is never empty).
    fn pick(&self, index: usize) -> (u32, Role) {
        let (user, role) = self
            .members
            .iter()
            .nth(index % self.members.len())
            .map(|(u, r)| (*u, *r))
            .unwrap_or((u32::MAX, Role::Viewer));
        (user, role)
    }

    fn admins(&self) -> u64 {
        self.members.values().filter(|r| **r == Role::Admin).count() as u64
    }

    /// Rule 1 then rules 2 to 4, as the store applies them; applies the op when allowed.
    fn apply(&mut self, op: &Op) -> Result<Applied, &'static str> {
        let needs = |p: &str| p.parse::<Permission>().unwrap_or_else(|_| panic!("{p}"));
        let allowed = |role: Role, p: &str| decide(role, needs(p)).allowed;
        match *op {
            Op::Invite { actor, role } => {
                let (_, actor_role) = self.pick(actor);
                if !allowed(actor_role, "team:invite") {
                    return Err("forbidden");
                }
                may_grant(actor_role.permissions(), role).map_err(|_| "ceiling")?;
                self.join(role);
                Ok(Applied {
                    actor: actor_role,
                    target_before: None,
                    given: Some(role),
                    self_change: false,
                })
            }
            Op::ChangeRole {
                actor,
                target,
                role,
            } => {
                let (actor_user, actor_role) = self.pick(actor);
                let (target_user, target_role) = self.pick(target);
                if !allowed(actor_role, "team:change_role") {
                    return Err("forbidden");
                }
                let (a, t) = (actor_user.to_string(), target_user.to_string());
                let change = MembershipChange {
                    actor_user: &a,
                    actor_permissions: actor_role.permissions(),
                    target_user: &t,
                    target_role,
                    admins: self.admins(),
                };
                check_role_change(change, role).map_err(|_| "rule")?;
                self.members.insert(target_user, role);
                Ok(Applied {
                    actor: actor_role,
                    target_before: Some(target_role),
                    given: Some(role),
                    self_change: actor_user == target_user,
                })
            }
            Op::Remove { actor, target } => {
                let (actor_user, actor_role) = self.pick(actor);
                let (target_user, target_role) = self.pick(target);
                if !allowed(actor_role, "team:remove") {
                    return Err("forbidden");
                }
                let (a, t) = (actor_user.to_string(), target_user.to_string());
                let change = MembershipChange {
                    actor_user: &a,
                    actor_permissions: actor_role.permissions(),
                    target_user: &t,
                    target_role,
                    admins: self.admins(),
                };
                check_removal(change).map_err(|_| "rule")?;
                self.members.remove(&target_user);
                Ok(Applied {
                    actor: actor_role,
                    target_before: Some(target_role),
                    given: None,
                    self_change: false,
                })
            }
            Op::Leave { member } => {
                let (user, role) = self.pick(member);
                check_leave(role, self.admins()).map_err(|_| "rule")?;
                self.members.remove(&user);
                Ok(Applied {
                    actor: role,
                    target_before: None,
                    given: None,
                    self_change: false,
                })
            }
        }
    }
}

/// What an allowed operation did, for the invariants.
struct Applied {
    actor: Role,
    target_before: Option<Role>,
    given: Option<Role>,
    self_change: bool,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_sequence_of_membership_operations_keeps_the_invariants(ops in prop::collection::vec(op(), 1..80)) {
        let mut org = Org::founded();
        for op in &ops {
            let before = org.members.clone();
            match org.apply(op) {
                Ok(applied) => {
                    // Rule 3: a role change is never the actor's own.
                    prop_assert!(!applied.self_change, "{op:?} changed the actor's own role");
                    // Rule 2: what is given, and whom it is done to, lie within the actor.
                    if let Some(given) = applied.given {
                        prop_assert!(given.permissions().is_subset_of(applied.actor.permissions()), "{op:?}");
                    }
                    if let (Some(target), false) = (applied.target_before, matches!(op, Op::Leave { .. })) {
                        prop_assert!(target.permissions().is_subset_of(applied.actor.permissions()), "{op:?}");
                    }
                }
                Err(_) => prop_assert_eq!(&org.members, &before, "a refused {:?} changed the team", op),
            }
            // Rule 4: at least one admin, always; so the team is never empty.
            prop_assert!(org.admins() >= 1, "no admin left after {op:?}: {:?}", org.members);
        }
    }
}
