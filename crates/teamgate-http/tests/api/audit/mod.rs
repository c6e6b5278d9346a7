//! The audit log's API and console page (issue 6): search, export, verify,
//! immutability through the routes, tenant isolation, and an outside
//! recomputation of the hash chain.

mod chain;
mod console;
mod export;
mod search;

use reqwest::Method;
use serde_json::{json, Value};
use teamgate_core::Role;
use teamgate_store::User;

use crate::helpers::{Answer, Client, TestApp};

/// A name a spreadsheet would run as a formula.
pub const HOSTILE_NAME: &str = "=HYPERLINK(\"http://x\")";
/// A user agent a spreadsheet would run as a formula.
pub const HOSTILE_AGENT: &str = "+cmd";

/// `/api/v1/orgs/{org}/audit{rest}`.
pub fn audit_url(org: &str, rest: &str) -> String {
    format!("/api/v1/orgs/{org}/audit{rest}")
}

pub async fn search(client: &Client, org: &str, query: &str) -> Answer {
    client.get(&audit_url(org, query)).await
}

pub async fn export(client: &Client, org: &str, query: &str) -> Answer {
    client
        .get(&audit_url(org, &format!("/export{query}")))
        .await
}

/// The `items` of a page.
pub fn items(answer: &Answer) -> Vec<Value> {
    answer.expect_status(200);
    answer.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no items: {}", answer.body))
}

pub fn actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// What [`busy_log`] made.
pub struct BusyLog {
    pub admin: Client,
    pub staff: User,
    pub viewer: User,
    /// The secret of an API key named [`HOSTILE_NAME`].
    pub key: String,
}

/// A log with a bit of everything: a role change, an invite, agents with
/// awkward names and configurations, an API key that acts with a hostile name
/// and user agent, a rename and a refused request.
pub async fn busy_log(app: &TestApp) -> BusyLog {
    let org = &app.org.id;
    let staff = app.member(Role::Staff).await;
    let viewer = app.member(Role::Viewer).await;
    let admin = app.signed_in("ada@x.test").await;

    admin
        .send(
            Method::PATCH,
            &format!("/api/v1/orgs/{org}/members/{}", staff.id),
            Some(json!({"role": "manager"})),
        )
        .await
        .expect_status(200);
    admin
        .send(
            Method::POST,
            &format!("/api/v1/orgs/{org}/invites"),
            Some(json!({"email": "carl@x.test", "role": "viewer"})),
        )
        .await
        .expect_status(201);
    let config = json!({
        "greeting": "hi\n\tthere \u{1} \"quoted\" \\ back",
        "count": 42, "ratio": 1.5, "huge": 1e21, "tiny": 5e-7, "third": 0.3333333333333333,
        // Beyond 2^53 RFC 8785 prints the nearest double: 12345678901234567000.
        "big": 12_345_678_901_234_567_890u64, "negative": -273.15,
        "nested": {"b": [1, "x", null, true], "a": false},
        "é": 1, "ﬁ": 2, "😀": 3, "\u{7f}": "del", "line\u{2028}sep": "ok",
    });
    admin
        .send(
            Method::POST,
            &format!("/api/v1/orgs/{org}/chat-agents"),
            Some(json!({"name": "Ünïcode ☃ 😀 \"agent\"", "config": config})),
        )
        .await
        .expect_status(201);
    let key = admin
        .send(
            Method::POST,
            &format!("/api/v1/orgs/{org}/api-keys"),
            Some(json!({"name": HOSTILE_NAME, "role": "manager"})),
        )
        .await;
    key.expect_status(201);
    let key = key.json()["key"]
        .as_str()
        .expect("the key's secret")
        .to_string();

    // The key acts with a hostile user agent, on an agent with a hostile name.
    let raw = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client");
    let made = raw
        .post(format!("{}/api/v1/orgs/{org}/voice-agents", app.address))
        .bearer_auth(&key)
        .header(reqwest::header::USER_AGENT, HOSTILE_AGENT)
        .json(&json!({"name": "@SUM(1+1)", "config": {"lines": ["-1", "+2"]}}))
        .send()
        .await
        .expect("teamgate answers");
    assert_eq!(made.status().as_u16(), 201);

    admin
        .send(
            Method::PATCH,
            &format!("/api/v1/orgs/{org}/settings"),
            Some(json!({"name": "Acme Ltd"})),
        )
        .await
        .expect_status(200);
    let refused = app.signed_in(&viewer.email).await;
    refused.roles(org).await.problem(403, "forbidden");

    BusyLog {
        admin,
        staff,
        viewer,
        key,
    }
}
