//! Live permissions (SPEC.md section 4, `events`): an open stream hears the
//! member's new permissions, and hears `removed` when they lose the org.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use teamgate_core::Role;

use crate::helpers::{each_database, Client, TestApp};

/// Reads the stream until an event of `kind` arrives; generous time limit.
async fn next_event(response: &mut reqwest::Response, buffer: &mut String, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let event = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or("");
            let data = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap_or("null");
            if event == kind {
                return serde_json::from_str(data).expect("event data is JSON");
            }
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no `{kind}` event within 10 s"))
            .expect("the stream stays readable");
        match chunk {
            Some(bytes) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            None => panic!("the stream ended before a `{kind}` event"),
        }
    }
}

async fn open_stream(app: &TestApp, client: &Client) -> reqwest::Response {
    let cookie = client.cookie_header().expect("a session cookie");
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/orgs/{}/events", app.address, app.org.id))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    response
}

#[tokio::test]
async fn a_role_change_reaches_an_open_stream_with_the_new_permissions() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let staff_client = app.signed_in("staff@x.test").await;
        let mut stream = open_stream(app, &staff_client).await;
        let mut buffer = String::new();
        let admin = app.signed_in("ada@x.test").await;
        admin
            .send(
                Method::PATCH,
                &format!("/api/v1/orgs/{}/members/{}", app.org.id, staff.id),
                Some(json!({"role": "viewer"})),
            )
            .await
            .expect_status(200);
        let event = next_event(&mut stream, &mut buffer, "permissions").await;
        assert_eq!(event["role"], "viewer");
        assert_eq!(
            event["permissions"],
            json!(["analytics:view", "audit_log:view", "logs:view"])
        );
        assert!(event["version"].as_i64().is_some());
    })
    .await;
}

#[tokio::test]
async fn a_removed_member_hears_removed() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let staff_client = app.signed_in("staff@x.test").await;
        let mut stream = open_stream(app, &staff_client).await;
        let mut buffer = String::new();
        let admin = app.signed_in("ada@x.test").await;
        admin
            .send(
                Method::DELETE,
                &format!("/api/v1/orgs/{}/members/{}", app.org.id, staff.id),
                None,
            )
            .await
            .expect_status(204);
        let event = next_event(&mut stream, &mut buffer, "removed").await;
        assert_eq!(event["org_id"], app.org.id.as_str());
    })
    .await;
}

#[tokio::test]
async fn signing_out_ends_the_stream() {
    each_database(async |app| {
        app.member(Role::Staff).await;
        let staff_client = app.signed_in("staff@x.test").await;
        let mut stream = open_stream(app, &staff_client).await;
        staff_client.sign_out().await.expect_status(204);
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            while let Ok(Some(_)) = stream.chunk().await {}
        })
        .await;
        assert!(ended.is_ok(), "the stream did not end after sign-out");
    })
    .await;
}
