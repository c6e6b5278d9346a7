//! `PATCH /me`: name and password, each audited in every organisation of the user.

use serde_json::json;
use teamgate_core::audit::Outcome;
use teamgate_core::Role;
use teamgate_store::Store;

use crate::helpers::{each_database, PASSWORD};

const NEW_PASSWORD: &str = "a brand new passphrase";

#[tokio::test]
async fn a_new_name_is_recorded_in_each_org_of_the_user() {
    each_database(async |app| {
        let ada = app.signed_in(&app.admin.email).await;
        let second = ada.create_org("Second").await;
        second.expect_status(201);
        let second_id = second.json()["id"].as_str().expect("an id").to_string();
        let (globex, _gus) = app.other_org().await;

        let answer = ada
            .update_me(json!({"name": "Ada King", "current_password": PASSWORD}))
            .await;
        answer.expect_status(200);
        assert_eq!(answer.json()["name"], json!("Ada King"));
        assert_eq!(ada.me().await.json()["name"], json!("Ada King"));

        for org in [&app.org.id, &second_id] {
            let events = app.events(org, "member.profile_updated").await;
            assert_eq!(events.len(), 1, "one event in {org}: {events:?}");
            let e = &events[0];
            assert_eq!(e.actor.id.as_deref(), Some(app.admin.id.as_str()));
            assert_eq!(e.target.id.as_deref(), Some(app.admin.id.as_str()));
            assert_eq!(e.outcome, Outcome::Success);
            assert_eq!(
                e.changes.after["name"],
                json!("Ada King"),
                "{:?}",
                e.changes
            );
            assert!(
                app.store
                    .verify_chain(org, &|_| {})
                    .await
                    .expect("reads")
                    .ok
            );
        }
        assert!(
            app.events(&globex.id, "member.profile_updated")
                .await
                .is_empty(),
            "an organisation Ada is not in hears nothing of her"
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions_but_not_this_one() {
    each_database(async |app| {
        let here = app.signed_in(&app.admin.email).await;
        let elsewhere = app.signed_in(&app.admin.email).await;
        elsewhere.me().await.expect_status(200);

        let answer = here
            .update_me(json!({"password": NEW_PASSWORD, "current_password": PASSWORD}))
            .await;
        answer.expect_status(200);
        assert!(
            !answer.body.contains("argon2"),
            "no hash in the answer: {}",
            answer.body
        );

        here.me().await.expect_status(200);
        elsewhere.me().await.problem(401, "unauthenticated");

        app.client()
            .sign_in(&app.admin.email, PASSWORD)
            .await
            .problem(401, "unauthenticated");
        app.client()
            .sign_in(&app.admin.email, NEW_PASSWORD)
            .await
            .expect_status(200);

        let events = app.events(&app.org.id, "member.profile_updated").await;
        assert_eq!(events.len(), 1);
        let changes = serde_json::to_string(&events[0].changes).expect("serialises");
        assert!(
            !changes.contains(NEW_PASSWORD) && !changes.contains("argon2"),
            "{changes}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_wrong_current_password_is_422_and_changes_nothing() {
    each_database(async |app| {
        let ada = app.signed_in(&app.admin.email).await;
        let answer = ada
            .update_me(json!({"name": "Mallory", "password": NEW_PASSWORD, "current_password": "wrong one!"}))
            .await;
        answer.problem(422, "invalid");
        let missing = ada.update_me(json!({"name": "Mallory"})).await;
        missing.problem(422, "invalid");

        assert_eq!(ada.me().await.json()["name"], json!("Ada Lovelace"));
        app.client().sign_in(&app.admin.email, PASSWORD).await.expect_status(200);
        assert!(app.events(&app.org.id, "member.profile_updated").await.is_empty(), "422 is not audited");
    })
    .await;
}

#[tokio::test]
async fn a_role_in_the_profile_body_changes_no_role() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let staff_client = app.signed_in(&staff.email).await;
        let answer = staff_client
            .update_me(json!({"role": "admin", "name": "Sam", "current_password": PASSWORD}))
            .await;
        answer.expect_status(200);
        let me = staff_client.me().await.json();
        assert_eq!(me["orgs"][0]["role"], json!("staff"), "{me}");
        assert_eq!(
            staff_client.permissions(&app.org.id).await.json()["role"],
            json!("staff")
        );

        let ada = app.signed_in(&app.admin.email).await;
        ada.update_me(json!({"role": "viewer", "name": "Ada", "current_password": PASSWORD}))
            .await
            .expect_status(200);
        assert_eq!(
            ada.permissions(&app.org.id).await.json()["role"],
            json!("admin")
        );
        let member = app
            .store
            .membership(&app.org.id, &app.admin.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(member.role, Role::Admin);
        assert!(app
            .events(&app.org.id, "member.role_changed")
            .await
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_too_short_new_password_is_422() {
    each_database(async |app| {
        let ada = app.signed_in(&app.admin.email).await;
        ada.update_me(json!({"password": "short", "current_password": PASSWORD}))
            .await
            .problem(422, "invalid");
        app.client()
            .sign_in(&app.admin.email, PASSWORD)
            .await
            .expect_status(200);
    })
    .await;
}
