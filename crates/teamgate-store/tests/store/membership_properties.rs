//! A property of the store under concurrency: random batches of role
//! changes, removals, departures and additions, the requests of a batch
//! running at once, by random members of one organisation. Whatever the
//! interleaving:
//! - every call answers, or is refused by a rule or because its member is
//!   gone; the database never fails;
//! - replaying the audit log (`member.added`, `member.role_changed`,
//!   `member.removed`, `member.left`) from nothing gives exactly the team the
//!   store holds: no change without its event, no event without its change;
//! - at no point of that history is the organisation without an admin;
//! - the hash chain verifies.

use std::collections::BTreeMap;

use proptest::prelude::*;
use teamgate_core::audit::{Actor, ActorType, Context};
use teamgate_core::Role;
use teamgate_store::testing::fresh_databases;
use teamgate_store::{Acting, AuditFilter, AuditMeta, SqlStore, Store, StoreError};

use crate::{account, now};

#[derive(Debug, Clone)]
enum Op {
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
    Add {
        role: Role,
    },
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0usize..12;
    prop_oneof![
        4 => (who.clone(), who.clone(), role()).prop_map(|(actor, target, role)| Op::ChangeRole { actor, target, role }),
        1 => (who.clone(), who.clone()).prop_map(|(actor, target)| Op::Remove { actor, target }),
        1 => who.prop_map(|member| Op::Leave { member }),
        2 => role().prop_map(|role| Op::Add { role }),
    ]
}

fn meta(user_id: &str) -> AuditMeta {
    AuditMeta {
        actor: Actor {
            kind: ActorType::User,
            id: Some(user_id.into()),
            label: None,
            role: None,
            on_behalf_of: None,
        },
        context: Context::default(),
    }
}

/// Runs one op; `Ok` whether it was done or refused as the rules say.
async fn apply(
    store: &SqlStore,
    org: &str,
    team: &[String],
    op: &Op,
    serial: usize,
) -> Result<(), StoreError> {
    let pick = |i: usize| team[i % team.len()].clone();
    let outcome = match op {
        Op::ChangeRole {
            actor,
            target,
            role,
        } => {
            let (actor, target) = (pick(*actor), pick(*target));
            let acting = Acting::User {
                user_id: actor.clone(),
            };
            store
                .change_role(org, &target, *role, &acting, &meta(&actor), now())
                .await
                .map(drop)
        }
        Op::Remove { actor, target } => {
            let (actor, target) = (pick(*actor), pick(*target));
            let acting = Acting::User {
                user_id: actor.clone(),
            };
            store
                .remove_member(org, &target, &acting, &meta(&actor), now())
                .await
        }
        Op::Leave { member } => {
            let member = pick(*member);
            store.leave(org, &member, &meta(&member), now()).await
        }
        Op::Add { role } => {
            let system = AuditMeta {
                actor: Actor::system(),
                context: Context::default(),
            };
            let email = format!("m{serial}@x.test");
            store
                .add_member(org, account(&email), *role, &system, now())
                .await
                .map(drop)
        }
    };
    match outcome {
        Ok(()) | Err(StoreError::Rule(_)) | Err(StoreError::NotFound) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Replays the membership events in order and returns the team they describe.
async fn replay(store: &SqlStore, org: &str) -> Result<BTreeMap<String, Role>, String> {
    let filter = AuditFilter {
        action: Some("member.".into()),
        ..Default::default()
    };
    let events = store
        .audit_batch(org, &filter, 0, 1_000_000)
        .await
        .map_err(|e| e.to_string())?;
    let mut team = BTreeMap::new();
    let role_of = |v: &serde_json::Value| v["role"].as_str().and_then(|r| r.parse::<Role>().ok());
    for e in &events {
        let target = e.target.id.clone().ok_or("an event without its member")?;
        let before = team.get(&target).copied();
        match e.action.as_str() {
            "member.added" => {
                if before.is_some() {
                    return Err(format!("seq {}: {target} added twice", e.seq));
                }
                team.insert(
                    target,
                    role_of(&e.changes.after).ok_or("added without a role")?,
                );
            }
            "member.role_changed" | "member.removed" | "member.left" => {
                if before.is_none() || before != role_of(&e.changes.before) {
                    return Err(format!(
                        "seq {}: {} of {target} from {:?}, who was {before:?}",
                        e.seq, e.action, e.changes.before
                    ));
                }
                if e.action == "member.role_changed" {
                    team.insert(
                        target,
                        role_of(&e.changes.after).ok_or("changed to no role")?,
                    );
                } else {
                    team.remove(&target);
                }
            }
            _ => continue,
        }
        if !team.values().any(|r| *r == Role::Admin) {
            return Err(format!(
                "seq {}: {} left the organisation without an admin",
                e.seq, e.action
            ));
        }
    }
    Ok(team)
}

async fn run(batches: Vec<Vec<Op>>) -> Result<(), String> {
    for db in fresh_databases().await {
        let store = SqlStore::connect(&db.url)
            .await
            .map_err(|e| e.to_string())?;
        let (admin, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .map_err(|e| e.to_string())?;
        let mut serial = 0;
        for batch in &batches {
            let team: Vec<String> = store
                .list_members(&org.id, None, 200)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(m, _)| m.user_id)
                .collect();
            let calls = batch.iter().map(|op| {
                serial += 1;
                apply(&store, &org.id, &team, op, serial)
            });
            for (op, result) in batch.iter().zip(futures::future::join_all(calls).await) {
                result.map_err(|e| format!("{}: {op:?} failed: {e}", db.label))?;
            }
        }

        let replayed = replay(&store, &org.id)
            .await
            .map_err(|e| format!("{}: {e}", db.label))?;
        let held: BTreeMap<String, Role> = store
            .list_members(&org.id, None, 200)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(m, _)| (m.user_id, m.role))
            .collect();
        if replayed != held {
            return Err(format!(
                "{}: the log says {replayed:?}, the team is {held:?}",
                db.label
            ));
        }
        let report = store
            .verify_chain(&org.id, &|_| {})
            .await
            .map_err(|e| e.to_string())?;
        if !report.ok {
            return Err(format!(
                "{}: chain broken: {:?}",
                db.label, report.first_bad_event
            ));
        }
        let _ = admin;
        store.close().await;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_membership_changes_keep_an_admin_and_a_faithful_log(
        batches in prop::collection::vec(prop::collection::vec(op(), 1..5), 1..20),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(batches)).map_err(TestCaseError::fail)?;
    }
}
