//! Tenant isolation (SPEC.md section 2, rule 5): another organisation, and
//! anything in it, behaves as if it did not exist.

use reqwest::Method;
use serde_json::json;
use teamgate_core::Role;
use teamgate_store::Store;

use crate::helpers::{each_database, Client};

/// Every organisation route this suite covers, as the member would call it.
async fn org_routes_all_404(client: &Client, org: &str, user_in_org: &str) {
    let answers = [
        ("me/permissions", client.permissions(org).await),
        ("roles", client.roles(org).await),
        ("settings", client.settings(org).await),
        (
            "PATCH settings",
            client.update_settings(org, json!({"name": "Taken"})).await,
        ),
        (
            "check",
            client
                .check(
                    org,
                    json!({"user_id": user_in_org, "permission": "team:view"}),
                )
                .await,
        ),
    ];
    for (route, answer) in answers {
        assert_eq!(answer.status, 404, "{route} of {org}: {}", answer.body);
        answer.problem(404, "not_found");
    }
}

#[tokio::test]
async fn a_member_of_one_org_gets_404_on_every_route_of_another() {
    each_database(async |app| {
        let (globex, gus) = app.other_org().await;
        let ada = app.signed_in(&app.admin.email).await;

        org_routes_all_404(&ada, &globex.id, &gus.id).await;

        let gus_client = app.signed_in(&gus.email).await;
        org_routes_all_404(&gus_client, &app.org.id, &app.admin.id).await;
        let globex_settings = app
            .store
            .org(&globex.id)
            .await
            .expect("reads")
            .expect("exists");
        assert_eq!(globex_settings.name, "Globex", "nothing was renamed");
        assert_eq!(
            app.store.org(&app.org.id).await.unwrap().unwrap().name,
            "Acme"
        );

        // A refusal for an organisation one does not belong to is a 404, not a
        // 403, so it is recorded in neither organisation.
        assert!(app.events(&globex.id, "access.denied").await.is_empty());
        assert!(app.events(&app.org.id, "access.denied").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_unknown_or_malformed_org_id_is_404() {
    each_database(async |app| {
        let ada = app.signed_in(&app.admin.email).await;
        let unknown = uuid::Uuid::new_v4().to_string();
        org_routes_all_404(&ada, &unknown, &app.admin.id).await;
        org_routes_all_404(&ada, "not-a-uuid", &app.admin.id).await;
        // The same org id in another case or with junk is not the organisation.
        let junk = format!("{}x", app.org.id);
        ada.permissions(&junk).await.problem(404, "not_found");
    })
    .await;
}

#[tokio::test]
async fn checking_a_user_of_another_org_is_404() {
    each_database(async |app| {
        let (_globex, gus) = app.other_org().await;
        let ada = app.signed_in(&app.admin.email).await;
        let body = json!({"user_id": gus.id, "permission": "inbox:view"});
        ada.check(&app.org.id, body).await.problem(404, "not_found");

        let batch = json!({"checks": [
            {"user_id": app.admin.id, "permission": "inbox:view"},
            {"user_id": gus.id, "permission": "inbox:view"},
        ]});
        ada.check(&app.org.id, batch)
            .await
            .problem(404, "not_found");

        let nobody = uuid::Uuid::new_v4().to_string();
        let body = json!({"user_id": nobody, "permission": "inbox:view"});
        ada.check(&app.org.id, body).await.problem(404, "not_found");
    })
    .await;
}

#[tokio::test]
async fn a_404_for_a_foreign_org_comes_before_csrf_and_permission_checks() {
    each_database(async |app| {
        let (globex, _gus) = app.other_org().await;
        let viewer = app.member(Role::Viewer).await;
        let client = app.signed_in(&viewer.email).await.without_origin();
        let answer = client
            .send(
                Method::PATCH,
                &format!("/api/v1/orgs/{}/settings", globex.id),
                Some(json!({"name": "x"})),
            )
            .await;
        answer.problem(404, "not_found");
    })
    .await;
}
