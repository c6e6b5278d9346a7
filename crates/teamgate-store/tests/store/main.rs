//! Storage behaviour, each test on a fresh SQLite database and, when
//! configured, a fresh PostgreSQL schema.

mod audit_log;
mod features;
mod membership_properties;

use teamgate_core::audit::{Actor, ActorType, Context};
use teamgate_core::clock::from_unix_millis;
use teamgate_store::testing::fresh_databases;
use teamgate_store::{
    AuditFilter, AuditMeta, NewAccount, NewSession, ProfileChange, SqlStore, Store, StoreError,
    User,
};
use time::{Duration, OffsetDateTime};

fn now() -> OffsetDateTime {
    from_unix_millis(1_796_380_267_412)
}

fn account(email: &str) -> NewAccount {
    NewAccount {
        email: email.into(),
        name: "Ada".into(),
        password_hash: "not-a-real-hash".into(),
    }
}

fn meta_for(user: &User) -> AuditMeta {
    AuditMeta {
        actor: Actor {
            kind: ActorType::User,
            id: Some(user.id.clone()),
            label: Some(user.email.clone()),
            role: Some("admin".into()),
            on_behalf_of: None,
        },
        context: Context {
            ip: Some("127.0.0.1".into()),
            user_agent: Some("test".into()),
            request_id: None,
        },
    }
}

#[derive(Clone, Copy)]
struct DbKind {
    label: &'static str,
    postgres: bool,
}

impl DbKind {
    fn is_postgres(self) -> bool {
        self.postgres
    }
}

async fn each_database<F, Fut>(test: F)
where
    F: Fn(DbKind, SqlStore) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in fresh_databases().await {
        let store = SqlStore::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot open the test database: {e}", db.label));
        // `db` stays alive (and its files with it) until the test is over.
        test(
            DbKind {
                label: db.label,
                postgres: db.is_postgres(),
            },
            store.clone(),
        )
        .await;
        store.close().await;
    }
}

#[tokio::test]
async fn bootstrap_creates_the_first_admin_once_and_audits_it() {
    each_database(|db, store| async move {
        assert!(!store.has_users().await.unwrap());
        let (user, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        assert!(store.has_users().await.unwrap());
        let m = store
            .membership(&org.id, &user.id)
            .await
            .unwrap()
            .expect("admin membership");
        assert_eq!(m.role, teamgate_core::Role::Admin, "{}", db.label);

        let again = store.bootstrap(account("eve@x.test"), "Other", now()).await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{}",
            db.label
        );

        let events = store
            .audit_page(&org.id, &AuditFilter::default(), None, 50)
            .await
            .unwrap();
        let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["member.added", "org.created"], "{}", db.label);
        assert_eq!(events[1].seq, 1);
        assert_eq!(events[0].prev_hash, events[1].hash);
        let report = store.verify_chain(&org.id, &|_| {}).await.unwrap();
        assert!(
            report.ok && report.events_checked == 2,
            "{}: {report:?}",
            db.label
        );
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_and_end() {
    each_database(|db, store| async move {
        let (user, _) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        store
            .create_session(NewSession {
                token_hash: "h1".into(),
                user_id: user.id.clone(),
                created_at: now(),
                expires_at: now() + Duration::hours(1),
            })
            .await
            .unwrap();
        assert_eq!(
            store.session_user("h1", now()).await.unwrap().as_ref(),
            Some(&user)
        );
        assert_eq!(
            store
                .session_user("h1", now() + Duration::hours(2))
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.session_user("nope", now()).await.unwrap(), None);
        store.end_session("h1", now()).await.unwrap();
        assert_eq!(
            store.session_user("h1", now()).await.unwrap(),
            None,
            "{}",
            db.label
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_password_ends_other_sessions_and_each_org_records_the_change() {
    each_database(|db, store| async move {
        let (user, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let second = store
            .create_org(&user, "Second", &meta_for(&user), now())
            .await
            .unwrap();
        for h in ["keep", "other"] {
            store
                .create_session(NewSession {
                    token_hash: h.into(),
                    user_id: user.id.clone(),
                    created_at: now(),
                    expires_at: now() + Duration::hours(1),
                })
                .await
                .unwrap();
        }
        let change = ProfileChange {
            name: Some("Ada L".into()),
            password_hash: Some("new-hash".into()),
            keep_session: Some("keep".into()),
        };
        let updated = store
            .update_profile(&user.id, change, &meta_for(&user), now())
            .await
            .unwrap();
        assert_eq!(updated.name, "Ada L");
        assert!(
            store.session_user("keep", now()).await.unwrap().is_some(),
            "{}",
            db.label
        );
        assert!(
            store.session_user("other", now()).await.unwrap().is_none(),
            "{}",
            db.label
        );
        for org_id in [&org.id, &second.id] {
            let filter = AuditFilter {
                action: Some("member.".into()),
                ..Default::default()
            };
            let events = store.audit_page(org_id, &filter, None, 50).await.unwrap();
            assert_eq!(events[0].action, "member.profile_updated", "{}", db.label);
            assert_eq!(events[0].changes.after["name"], "Ada L");
            let text = serde_json::to_string(&events[0]).unwrap();
            assert!(
                !text.contains("new-hash"),
                "the audit log must never hold a password hash"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn the_audit_table_refuses_update_and_delete() {
    each_database(|db, store| async move {
        store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let update = sqlx::query("UPDATE audit_events SET action = 'x'")
            .execute(store.pool())
            .await;
        assert!(update.is_err(), "{}: UPDATE went through", db.label);
        let delete = sqlx::query("DELETE FROM audit_events")
            .execute(store.pool())
            .await;
        assert!(delete.is_err(), "{}: DELETE went through", db.label);
    })
    .await;
}

#[tokio::test]
async fn verify_names_a_row_altered_behind_teamgates_back() {
    each_database(|db, store| async move {
        let (user, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        store
            .rename_org(&org.id, "Acme 2", &meta_for(&user), now())
            .await
            .unwrap();
        store
            .rename_org(&org.id, "Acme 3", &meta_for(&user), now())
            .await
            .unwrap();
        let disable = if db.is_postgres() {
            vec!["ALTER TABLE audit_events DISABLE TRIGGER USER"]
        } else {
            vec!["DROP TRIGGER audit_events_no_update"]
        };
        for sql in disable {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        sqlx::query(
            "UPDATE audit_events SET actor_label = 'mallory@x.test' WHERE org_id = $1 AND seq = 3",
        )
        .bind(&org.id)
        .execute(store.pool())
        .await
        .unwrap();
        let report = store.verify_chain(&org.id, &|_| {}).await.unwrap();
        assert!(!report.ok, "{}", db.label);
        assert_eq!(report.first_bad_event.unwrap().seq, 3, "{}", db.label);
        assert_eq!(report.events_checked, 2);
    })
    .await;
}

#[tokio::test]
async fn audit_filters_by_action_prefix_and_pages_by_seq() {
    each_database(|db, store| async move {
        let (user, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        for i in 0..5 {
            store
                .rename_org(&org.id, &format!("Acme {i}"), &meta_for(&user), now())
                .await
                .unwrap();
        }
        let org_only = AuditFilter {
            action: Some("org_settings.".into()),
            ..Default::default()
        };
        let page = store.audit_page(&org.id, &org_only, None, 3).await.unwrap();
        assert_eq!(page.len(), 3, "{}", db.label);
        let rest = store
            .audit_page(&org.id, &org_only, Some(page[2].seq), 3)
            .await
            .unwrap();
        assert_eq!(rest.len(), 2, "{}", db.label);
        // `_` in a prefix is not a wildcard.
        let odd = AuditFilter {
            action: Some("org_settings_".into()),
            ..Default::default()
        };
        assert!(store
            .audit_page(&org.id, &odd, None, 50)
            .await
            .unwrap()
            .is_empty());
        let weird = AuditFilter {
            action: Some("org%.".into()),
            ..Default::default()
        };
        assert!(store
            .audit_page(&org.id, &weird, None, 50)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn member_role_follows_every_change_and_agrees_with_membership() {
    use teamgate_core::Role;
    use teamgate_store::Acting;
    each_database(|db, store| async move {
        let (admin, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let meta = meta_for(&admin);
        let bob = store
            .add_member(&org.id, account("bob@x.test"), Role::Staff, &meta, now())
            .await
            .unwrap();
        let acting = Acting::User {
            user_id: admin.id.clone(),
        };
        let role = |user: String| {
            let store = store.clone();
            let org = org.id.clone();
            async move {
                let fast = store.member_role(&org, &user).await.unwrap();
                let full = store.membership(&org, &user).await.unwrap().map(|m| m.role);
                assert_eq!(fast, full, "member_role and membership disagree");
                fast
            }
        };
        // Twice each: the first read may come from the database, the second from the cache.
        for _ in 0..2 {
            assert_eq!(
                role(bob.id.clone()).await,
                Some(Role::Staff),
                "{}",
                db.label
            );
            assert_eq!(
                role(admin.id.clone()).await,
                Some(Role::Admin),
                "{}",
                db.label
            );
        }
        store
            .change_role(&org.id, &bob.id, Role::Viewer, &acting, &meta, now())
            .await
            .unwrap();
        assert_eq!(
            role(bob.id.clone()).await,
            Some(Role::Viewer),
            "{}",
            db.label
        );
        store
            .remove_member(&org.id, &bob.id, &acting, &meta, now())
            .await
            .unwrap();
        assert_eq!(role(bob.id.clone()).await, None, "{}", db.label);
        assert_eq!(
            role(uuid::Uuid::new_v4().to_string()).await,
            None,
            "{}",
            db.label
        );
        assert_eq!(
            store.member_role("not-an-org", &admin.id).await.unwrap(),
            None,
            "{}",
            db.label
        );
    })
    .await;
}
