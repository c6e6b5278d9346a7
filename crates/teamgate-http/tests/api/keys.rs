//! API keys (SPEC.md section 2, rule 7): a key acts with its own role, capped
//! by its creator's current permissions, and dies with its creator.

use reqwest::Method;
use serde_json::json;
use teamgate_core::Role;

use crate::helpers::{each_database, TestApp};

/// Creates a key through the API and returns (id, secret).
async fn new_key(app: &TestApp, creator: &str, role: &str) -> (String, String) {
    let client = app.signed_in(creator).await;
    let created = client
        .send(
            Method::POST,
            &format!("/api/v1/orgs/{}/api-keys", app.org.id),
            Some(json!({"name": "ci", "role": role})),
        )
        .await;
    let body = created.json();
    assert_eq!(created.status, 201, "{}", created.body);
    let secret = body["key"].as_str().expect("the secret, once").to_string();
    assert!(secret.starts_with(body["prefix"].as_str().unwrap()));
    (body["id"].as_str().unwrap().to_string(), secret)
}

async fn with_key(app: &TestApp, secret: &str, method: Method, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(secret)
        .send()
        .await
        .expect("teamgate answers")
}

#[tokio::test]
async fn a_key_acts_with_its_role_and_lists_never_show_the_secret() {
    each_database(async |app| {
        let (_, secret) = new_key(app, "ada@x.test", "viewer").await;
        let perms: serde_json::Value = with_key(
            app,
            &secret,
            Method::GET,
            &format!("/api/v1/orgs/{}/me/permissions", app.org.id),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(perms["role"], "viewer");
        let roles = with_key(
            app,
            &secret,
            Method::GET,
            &format!("/api/v1/orgs/{}/roles", app.org.id),
        )
        .await;
        assert_eq!(roles.status(), 403);
        let denied = app.events(&app.org.id, "access.denied").await;
        assert_eq!(denied[0].actor.kind.as_str(), "api_key");
        assert_eq!(
            denied[0].actor.on_behalf_of.as_deref(),
            Some(app.admin.id.as_str())
        );

        let admin = app.signed_in("ada@x.test").await;
        let list = admin
            .get(&format!("/api/v1/orgs/{}/api-keys", app.org.id))
            .await;
        assert!(
            !list.body.contains(&secret),
            "a list never holds the secret"
        );
        assert!(list.json()["items"][0]["prefix"].is_string());
        let unknown = with_key(
            app,
            "tg_wrong_secret",
            Method::GET,
            &format!("/api/v1/orgs/{}/me/permissions", app.org.id),
        )
        .await;
        assert_eq!(unknown.status(), 401);
    })
    .await;
}

#[tokio::test]
async fn a_demoted_creator_shrinks_their_keys_and_a_removed_one_kills_them() {
    each_database(async |app| {
        let bea = app.add_member(&app.org.id, "bea@x.test", Role::Admin).await;
        let (_, secret) = new_key(app, "bea@x.test", "admin").await;
        let keys = format!("/api/v1/orgs/{}/api-keys", app.org.id);
        assert_eq!(
            with_key(app, &secret, Method::GET, &keys).await.status(),
            200
        );

        let admin = app.signed_in("ada@x.test").await;
        let bea_path = format!("/api/v1/orgs/{}/members/{}", app.org.id, bea.id);
        let bea_session = app.signed_in("bea@x.test").await;
        admin
            .send(Method::PATCH, &bea_path, Some(json!({"role": "viewer"})))
            .await
            .expect_status(200);
        // The same session, on its very next request, is a viewer.
        bea_session.get(&keys).await.problem(403, "forbidden");
        assert_eq!(
            with_key(app, &secret, Method::GET, &keys).await.status(),
            403,
            "the key shrank to viewer"
        );
        let perms: serde_json::Value = with_key(
            app,
            &secret,
            Method::GET,
            &format!("/api/v1/orgs/{}/me/permissions", app.org.id),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(
            perms["permissions"],
            json!(["analytics:view", "audit_log:view", "logs:view"])
        );

        admin
            .send(Method::DELETE, &bea_path, None)
            .await
            .expect_status(204);
        assert_eq!(
            with_key(
                app,
                &secret,
                Method::GET,
                &format!("/api/v1/orgs/{}/me/permissions", app.org.id)
            )
            .await
            .status(),
            401
        );
    })
    .await;
}

#[tokio::test]
async fn a_revoked_key_stops_at_once_and_a_key_of_another_org_finds_nothing() {
    each_database(async |app| {
        let (id, secret) = new_key(app, "ada@x.test", "admin").await;
        let (globex, _) = app.other_org().await;
        assert_eq!(
            with_key(
                app,
                &secret,
                Method::GET,
                &format!("/api/v1/orgs/{}/roles", globex.id)
            )
            .await
            .status(),
            404
        );
        let admin = app.signed_in("ada@x.test").await;
        admin
            .send(
                Method::DELETE,
                &format!("/api/v1/orgs/{}/api-keys/{id}", app.org.id),
                None,
            )
            .await
            .expect_status(204);
        assert_eq!(
            with_key(
                app,
                &secret,
                Method::GET,
                &format!("/api/v1/orgs/{}/roles", app.org.id)
            )
            .await
            .status(),
            401
        );
        assert_eq!(app.events(&app.org.id, "api_key.revoked").await.len(), 1);
        assert_eq!(app.events(&app.org.id, "api_key.created").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_key_changes_the_team_as_itself_on_behalf_of_its_creator() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let (key_id, secret) = new_key(app, "ada@x.test", "admin").await;
        let res = reqwest::Client::new()
            .patch(format!(
                "{}/api/v1/orgs/{}/members/{}",
                app.address, app.org.id, staff.id
            ))
            .bearer_auth(&secret)
            .json(&json!({"role": "manager"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "a key needs no Origin: it is not a cookie"
        );
        let event = &app.events(&app.org.id, "member.role_changed").await[0];
        assert_eq!(event.actor.kind.as_str(), "api_key");
        assert_eq!(event.actor.id.as_deref(), Some(key_id.as_str()));
        assert_eq!(
            event.actor.on_behalf_of.as_deref(),
            Some(app.admin.id.as_str())
        );
    })
    .await;
}
