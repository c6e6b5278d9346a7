//! The platform's features: each change writes exactly one audit event with
//! its before and after, in the same transaction, and another organisation's
//! rows behave as if they did not exist.

use serde_json::{json, Value};
use teamgate_core::Role;
use teamgate_store::{
    AgentKind, AuditFilter, BillingChange, NamedConfigChange, NewConversation, NewNamedConfig,
    PaymentSettingsChange, SqlStore, Store, StoreError, User,
};

use super::{account, each_database, meta_for, now};

fn named(name: &str, config: Value) -> NewNamedConfig {
    NewNamedConfig {
        name: name.into(),
        config,
    }
}

/// The newest event, after asserting the log grew by exactly one.
async fn one_new_event(
    store: &SqlStore,
    org: &str,
    count_before: u64,
    label: &str,
) -> teamgate_core::audit::AuditEvent {
    assert_eq!(
        store.audit_count(org).await.unwrap(),
        count_before + 1,
        "{label}: one event per change"
    );
    let page = store
        .audit_page(org, &AuditFilter::default(), None, 1)
        .await
        .unwrap();
    page.into_iter().next().expect("an event")
}

#[tokio::test]
async fn agent_changes_each_write_one_event_with_before_and_after() {
    each_database(|db, store| async move {
        let (ada, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let meta = meta_for(&ada);
        for kind in AgentKind::ALL {
            let noun = kind.audit_noun();
            let n = store.audit_count(&org.id).await.unwrap();
            let agent = store
                .create_agent(
                    &org.id,
                    kind,
                    named("Helper", json!({"greeting": "Hi"})),
                    &meta,
                    now(),
                )
                .await
                .unwrap();
            let e = one_new_event(&store, &org.id, n, db.label).await;
            assert_eq!(e.action, format!("{noun}.created"), "{}", db.label);
            assert_eq!(e.target.id.as_deref(), Some(agent.id.as_str()));
            assert_eq!(e.changes.before, Value::Null);
            assert_eq!(
                e.changes.after,
                json!({"name": "Helper", "config": {"greeting": "Hi"}})
            );
            assert_eq!(
                e.actor.id.as_deref(),
                Some(ada.id.as_str()),
                "the actor comes from the meta"
            );

            let change = NamedConfigChange {
                name: Some("Greeter".into()),
                config: None,
            };
            let n = n + 1;
            let updated = store
                .update_agent(&org.id, kind, &agent.id, change, &meta, now())
                .await
                .unwrap();
            assert_eq!(updated.name, "Greeter");
            assert_eq!(
                updated.config,
                json!({"greeting": "Hi"}),
                "an absent field stays"
            );
            let e = one_new_event(&store, &org.id, n, db.label).await;
            assert_eq!(e.action, format!("{noun}.updated"));
            assert_eq!(e.changes.before["name"], "Helper");
            assert_eq!(e.changes.after["name"], "Greeter");

            // The same values again change nothing, so nothing is recorded.
            let same = NamedConfigChange {
                name: Some("Greeter".into()),
                config: None,
            };
            store
                .update_agent(&org.id, kind, &agent.id, same, &meta, now())
                .await
                .unwrap();
            assert_eq!(
                store.audit_count(&org.id).await.unwrap(),
                n + 1,
                "{}",
                db.label
            );

            store
                .delete_agent(&org.id, kind, &agent.id, &meta, now())
                .await
                .unwrap();
            let e = one_new_event(&store, &org.id, n + 1, db.label).await;
            assert_eq!(e.action, format!("{noun}.deleted"));
            assert_eq!(e.changes.before["name"], "Greeter");
            assert_eq!(e.changes.after, Value::Null);
            assert!(store
                .agent(&org.id, kind, &agent.id)
                .await
                .unwrap()
                .is_none());
        }
        assert!(
            store.verify_chain(&org.id, &|_| {}).await.unwrap().ok,
            "{}",
            db.label
        );
    })
    .await;
}

#[tokio::test]
async fn an_agent_of_one_kind_is_not_found_as_another_kind() {
    each_database(|db, store| async move {
        let (ada, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let chat = store
            .create_agent(
                &org.id,
                AgentKind::Chat,
                named("Web", json!({})),
                &meta_for(&ada),
                now(),
            )
            .await
            .unwrap();
        let as_voice = store
            .agent(&org.id, AgentKind::Voice, &chat.id)
            .await
            .unwrap();
        assert!(as_voice.is_none(), "{}", db.label);
        let delete = store
            .delete_agent(&org.id, AgentKind::Voice, &chat.id, &meta_for(&ada), now())
            .await;
        assert!(matches!(delete, Err(StoreError::NotFound)), "{}", db.label);
    })
    .await;
}

#[tokio::test]
async fn another_organisations_rows_are_not_found() {
    each_database(|db, store| async move {
        let (ada, acme) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let globex = store
            .create_org(&ada, "Globex", &meta_for(&ada), now())
            .await
            .unwrap();
        let meta = meta_for(&ada);
        let agent = store
            .create_agent(
                &acme.id,
                AgentKind::Chat,
                named("A", json!({})),
                &meta,
                now(),
            )
            .await
            .unwrap();
        let campaign = store
            .create_campaign(&acme.id, named("C", json!({})), &meta, now())
            .await
            .unwrap();
        let inbound = NewConversation {
            contact: "Zoe".into(),
            channel: AgentKind::Chat,
            body: "Hello".into(),
        };
        let conv = store
            .record_inbound(&acme.id, inbound, &meta, now())
            .await
            .unwrap();
        let globex_events = store.audit_count(&globex.id).await.unwrap();
        let g = &globex.id;

        assert!(store
            .agent(g, AgentKind::Chat, &agent.id)
            .await
            .unwrap()
            .is_none());
        assert!(store.campaign(g, &campaign.id).await.unwrap().is_none());
        assert!(store.conversation(g, &conv.id).await.unwrap().is_none());
        assert!(store
            .conversation_messages(g, &conv.id)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .agents(g, AgentKind::Chat, None, 50)
            .await
            .unwrap()
            .is_empty());
        assert!(store.message_log(g, None, 50).await.unwrap().is_empty());
        let not_found = |r: Result<(), StoreError>| matches!(r, Err(StoreError::NotFound));
        let change = || NamedConfigChange {
            name: Some("Mine".into()),
            config: None,
        };
        assert!(not_found(
            store
                .update_agent(g, AgentKind::Chat, &agent.id, change(), &meta, now())
                .await
                .map(drop)
        ));
        assert!(not_found(
            store
                .delete_agent(g, AgentKind::Chat, &agent.id, &meta, now())
                .await
        ));
        assert!(not_found(
            store
                .update_campaign(g, &campaign.id, change(), &meta, now())
                .await
                .map(drop)
        ));
        assert!(not_found(
            store
                .launch_campaign(g, &campaign.id, &meta, now())
                .await
                .map(drop)
        ));
        assert!(not_found(
            store.delete_campaign(g, &campaign.id, &meta, now()).await
        ));
        assert!(not_found(
            store.reply(g, &conv.id, "hi", &meta, now()).await.map(drop)
        ));
        assert!(not_found(
            store
                .assign_conversation(g, &conv.id, Some(&ada.id), &meta, now())
                .await
                .map(drop)
        ));
        assert!(not_found(
            store
                .close_conversation(g, &conv.id, &meta, now())
                .await
                .map(drop)
        ));
        assert_eq!(
            store.audit_count(g).await.unwrap(),
            globex_events,
            "{}: nothing recorded",
            db.label
        );
        let still = store
            .agent(&acme.id, AgentKind::Chat, &agent.id)
            .await
            .unwrap()
            .expect("kept");
        assert_eq!(still.name, "A", "{}", db.label);
    })
    .await;
}

#[tokio::test]
async fn a_campaign_is_launched_once() {
    each_database(|db, store| async move {
        let (ada, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let meta = meta_for(&ada);
        let c = store
            .create_campaign(
                &org.id,
                named("Spring sale", json!({"audience": "all"})),
                &meta,
                now(),
            )
            .await
            .unwrap();
        assert_eq!(
            (c.status.as_str(), c.launched_at.as_deref()),
            ("draft", None)
        );
        let n = store.audit_count(&org.id).await.unwrap();
        let launched = store
            .launch_campaign(&org.id, &c.id, &meta, now())
            .await
            .unwrap();
        assert_eq!(launched.status, "launched");
        assert!(launched.launched_at.is_some());
        let e = one_new_event(&store, &org.id, n, db.label).await;
        assert_eq!(e.action, "campaign.launched");
        assert_eq!(e.changes.before["status"], "draft");
        assert_eq!(e.changes.after["status"], "launched");
        let again = store
            .launch_campaign(&org.id, &c.id, &meta, now())
            .await
            .unwrap();
        assert_eq!(again, launched);
        assert_eq!(
            store.audit_count(&org.id).await.unwrap(),
            n + 1,
            "{}: no second event",
            db.label
        );
    })
    .await;
}

async fn acme_with_staff(store: &SqlStore) -> (User, User, String) {
    let (ada, org) = store
        .bootstrap(account("ada@x.test"), "Acme", now())
        .await
        .unwrap();
    let sam = store
        .add_member(
            &org.id,
            account("sam@x.test"),
            Role::Staff,
            &meta_for(&ada),
            now(),
        )
        .await
        .unwrap();
    (ada, sam, org.id)
}

#[tokio::test]
async fn the_inbox_records_replies_assignment_and_closing() {
    each_database(|db, store| async move {
        let (ada, sam, org) = acme_with_staff(&store).await;
        let meta = meta_for(&ada);
        let n = store.audit_count(&org).await.unwrap();
        let inbound = NewConversation {
            contact: "Zoe".into(),
            channel: AgentKind::Whatsapp,
            body: "Where is my order?".into(),
        };
        let conv = store
            .record_inbound(&org, inbound, &meta, now())
            .await
            .unwrap();
        assert_eq!((conv.status.as_str(), conv.message_count), ("open", 1));
        let e = one_new_event(&store, &org, n, db.label).await;
        assert_eq!(e.action, "conversation.created");
        assert_eq!(e.changes.before, Value::Null);

        let reply = store
            .reply(&org, &conv.id, "On its way!", &meta, now())
            .await
            .unwrap();
        assert_eq!(
            (reply.direction.as_str(), reply.author.as_str()),
            ("outbound", "ada@x.test")
        );
        assert_eq!(
            one_new_event(&store, &org, n + 1, db.label).await.action,
            "conversation.replied"
        );

        let assigned = store
            .assign_conversation(&org, &conv.id, Some(&sam.id), &meta, now())
            .await
            .unwrap();
        assert_eq!(assigned.assignee.as_deref(), Some(sam.id.as_str()));
        let e = one_new_event(&store, &org, n + 2, db.label).await;
        assert_eq!(e.action, "conversation.assigned");
        assert_eq!(e.changes.before, json!({"assignee": null}));
        assert_eq!(e.changes.after, json!({"assignee": sam.id}));

        // Ada's other organisation's members are no members here.
        let elsewhere = store
            .create_org(&ada, "Elsewhere", &meta, now())
            .await
            .unwrap();
        let eve = store
            .add_member(
                &elsewhere.id,
                account("eve@x.test"),
                Role::Viewer,
                &meta,
                now(),
            )
            .await
            .unwrap();
        let outsider = store
            .assign_conversation(&org, &conv.id, Some(&eve.id), &meta, now())
            .await;
        assert!(
            matches!(outsider, Err(StoreError::Invalid(_))),
            "{}: {outsider:?}",
            db.label
        );
        let bad = store
            .assign_conversation(&org, &conv.id, Some("not-a-member"), &meta, now())
            .await;
        assert!(
            matches!(bad, Err(StoreError::Invalid(_))),
            "{}: {bad:?}",
            db.label
        );

        let closed = store
            .close_conversation(&org, &conv.id, &meta, now())
            .await
            .unwrap();
        assert_eq!(closed.status, "closed");
        assert_eq!(
            one_new_event(&store, &org, n + 3, db.label).await.action,
            "conversation.closed"
        );
        store
            .close_conversation(&org, &conv.id, &meta, now())
            .await
            .unwrap();
        assert_eq!(
            store.audit_count(&org).await.unwrap(),
            n + 4,
            "{}: closing twice records once",
            db.label
        );

        let log = store.message_log(&org, None, 50).await.unwrap();
        let bodies: Vec<_> = log.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(
            bodies,
            ["On its way!", "Where is my order?"],
            "{}: newest first",
            db.label
        );
        assert_eq!(
            store
                .conversation_messages(&org, &conv.id)
                .await
                .unwrap()
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn billing_and_payment_settings_record_before_and_after() {
    each_database(|db, store| async move {
        let (ada, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let meta = meta_for(&ada);
        assert_eq!(store.billing(&org.id).await.unwrap().plan, "free");
        let n = store.audit_count(&org.id).await.unwrap();
        let change = BillingChange {
            plan: Some("growth".into()),
            billing_email: Some(Some("ap@x.test".into())),
        };
        let billing = store
            .update_billing(&org.id, change, &meta, now())
            .await
            .unwrap();
        assert_eq!(
            (billing.plan.as_str(), billing.billing_email.as_deref()),
            ("growth", Some("ap@x.test"))
        );
        let e = one_new_event(&store, &org.id, n, db.label).await;
        assert_eq!(e.action, "billing.updated");
        assert_eq!(e.changes.before, Value::Null, "nothing existed before");
        let change = BillingChange {
            plan: Some("starter".into()),
            billing_email: None,
        };
        store
            .update_billing(&org.id, change, &meta, now())
            .await
            .unwrap();
        let e = one_new_event(&store, &org.id, n + 1, db.label).await;
        assert_eq!(
            e.changes.before,
            json!({"plan": "growth", "billing_email": "ap@x.test"})
        );
        assert_eq!(
            e.changes.after,
            json!({"plan": "starter", "billing_email": "ap@x.test"})
        );

        let card = PaymentSettingsChange {
            payment_method_label: Some(Some("Visa 4111 1111 1111 1111".into())),
            billing_address: None,
        };
        let refused = store
            .update_payment_settings(&org.id, card, &meta, now())
            .await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{}",
            db.label
        );
        assert_eq!(
            store.audit_count(&org.id).await.unwrap(),
            n + 2,
            "a refusal records nothing"
        );
        assert_eq!(
            store
                .payment_settings(&org.id)
                .await
                .unwrap()
                .payment_method_label,
            None
        );

        let fine = PaymentSettingsChange {
            payment_method_label: Some(Some("Visa ending 1111".into())),
            billing_address: Some(Some("1 Main St, Springfield".into())),
        };
        let saved = store
            .update_payment_settings(&org.id, fine, &meta, now())
            .await
            .unwrap();
        assert_eq!(
            saved.payment_method_label.as_deref(),
            Some("Visa ending 1111")
        );
        let e = one_new_event(&store, &org.id, n + 2, db.label).await;
        assert_eq!(e.action, "payment_settings.updated");
        assert_eq!(e.changes.before, Value::Null);
        assert_eq!(e.changes.after["billing_address"], "1 Main St, Springfield");
    })
    .await;
}

#[tokio::test]
async fn pages_walk_every_row_once_even_with_equal_timestamps() {
    each_database(|db, store| async move {
        let (ada, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let meta = meta_for(&ada);
        let mut made = Vec::new();
        for i in 0..7 {
            let a = store
                .create_agent(
                    &org.id,
                    AgentKind::Voice,
                    named(&format!("V{i}"), json!({})),
                    &meta,
                    now(),
                )
                .await
                .unwrap();
            made.push(a.id);
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .agents(&org.id, AgentKind::Voice, after.clone(), 3)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some((last.created_ms, last.id.clone()));
            seen.extend(page.iter().map(|a| a.id.clone()));
        }
        assert_eq!(seen, made, "{}", db.label);

        let counts = store.feature_counts(&org.id, None).await.unwrap();
        assert_eq!(
            (counts.voice_agents, counts.chat_agents, counts.members),
            (7, 0, 1),
            "{}",
            db.label
        );
    })
    .await;
}

#[tokio::test]
async fn configurations_with_awkward_numbers_keep_the_chain_verifiable() {
    each_database(|db, store| async move {
        let (ada, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let config: Value = serde_json::from_str(
            r#"{"t": 0.30000000000000004, "big": 123456789012345678901234567890, "tiny": 5e-324,
                "neg": -0.0, "max": 18446744073709551615, "min": -9223372036854775808,
                "text": "\u00e9\u2028\ud83d\ude00", "nested": [{"a": null}, 1.5e300]}"#,
        )
        .unwrap();
        let agent = store
            .create_agent(
                &org.id,
                AgentKind::Chat,
                named("Odd", config.clone()),
                &meta_for(&ada),
                now(),
            )
            .await
            .unwrap();
        let change = NamedConfigChange {
            name: None,
            config: Some(json!({"t": 1e-7})),
        };
        store
            .update_agent(
                &org.id,
                AgentKind::Chat,
                &agent.id,
                change,
                &meta_for(&ada),
                now(),
            )
            .await
            .unwrap();
        let report = store.verify_chain(&org.id, &|_| {}).await.unwrap();
        assert!(report.ok, "{}: {report:?}", db.label);
    })
    .await;
}
