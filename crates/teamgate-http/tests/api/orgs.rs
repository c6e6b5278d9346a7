//! `POST /orgs`: the caller becomes the admin of a new organisation.

use serde_json::json;
use teamgate_core::Role;
use teamgate_store::Store;

use crate::helpers::{each_database, strings};

#[tokio::test]
async fn creating_an_org_makes_the_caller_its_admin_and_starts_a_valid_chain() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let client = app.signed_in(&staff.email).await;

        let created = client.create_org("  Initech  ").await;
        created.expect_status(201);
        let body = created.json();
        assert_eq!(
            body["name"],
            json!("Initech"),
            "the name is trimmed: {body}"
        );
        let id = body["id"].as_str().expect("an id").to_string();
        uuid::Uuid::parse_str(&id).expect("the id is a UUID");

        let perms = client.permissions(&id).await;
        perms.expect_status(200);
        assert_eq!(perms.json()["role"], json!("admin"));
        assert!(strings(&perms.json()["permissions"]).contains(&"org_settings:edit".to_string()));

        let me = client.me().await.json();
        let orgs = me["orgs"].as_array().expect("orgs");
        assert!(
            orgs.contains(&json!({"id": id, "name": "Initech", "role": "admin"})),
            "{me}"
        );
        assert!(
            orgs.contains(&json!({"id": app.org.id, "name": "Acme", "role": "staff"})),
            "{me}"
        );

        let report = app
            .store
            .verify_chain(&id, &|_| {})
            .await
            .expect("the chain reads");
        assert!(report.ok && report.events_checked >= 2, "{report:?}");
        let added = app.events(&id, "member.added").await;
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].actor.id.as_deref(), Some(staff.id.as_str()));

        // Staff of Acme is still staff there: a new org grants nothing elsewhere.
        let acme = client.permissions(&app.org.id).await.json();
        assert_eq!(acme["role"], json!("staff"));
    })
    .await;
}

#[tokio::test]
async fn an_org_needs_a_name_and_a_session() {
    each_database(async |app| {
        app.client()
            .create_org("Anon")
            .await
            .problem(401, "unauthenticated");
        let client = app.signed_in(&app.admin.email).await;
        client.create_org("   ").await.problem(422, "invalid");
        client
            .send(
                reqwest::Method::POST,
                "/api/v1/orgs",
                Some(json!({"title": "x"})),
            )
            .await
            .problem(422, "invalid");
        assert_eq!(
            client.me().await.json()["orgs"].as_array().map(Vec::len),
            Some(1)
        );
    })
    .await;
}
