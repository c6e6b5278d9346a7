//! What schemathesis (`scripts/schemathesis.sh`) found against the OpenAPI
//! document, pinned: every body is a JSON object, and every list pages.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::each_database;

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused_whatever_its_items() {
    each_database(async |app| {
        let admin = app.signed_in("ada@x.test").await;
        let org = &app.org.id;
        let created = admin
            .send(
                Method::POST,
                &format!("/api/v1/orgs/{org}/chat-agents"),
                Some(json!({"name": "Helper"})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let agent = format!(
            "/api/v1/orgs/{org}/chat-agents/{}",
            created.json()["id"].as_str().unwrap()
        );

        // serde would read an array into the struct by position: name, then config.
        let renamed = admin
            .send(Method::PATCH, &agent, Some(json!(["Renamed", {"x": 1}])))
            .await;
        renamed.problem(422, "invalid");
        assert_eq!(admin.get(&agent).await.json()["name"], "Helper");

        for body in [json!([null, null]), json!("plan"), json!(7), Value::Null] {
            let answer = admin
                .send(
                    Method::PATCH,
                    &format!("/api/v1/orgs/{org}/billing"),
                    Some(body.clone()),
                )
                .await;
            answer.problem(422, "invalid");
        }
    })
    .await;
}

#[tokio::test]
async fn api_keys_and_roles_page_like_every_list() {
    each_database(async |app| {
        let admin = app.signed_in("ada@x.test").await;
        let org = &app.org.id;
        let mut created = Vec::new();
        for i in 0..5 {
            let key = admin
                .send(
                    Method::POST,
                    &format!("/api/v1/orgs/{org}/api-keys"),
                    Some(json!({"name": format!("k{i}"), "role": "viewer"})),
                )
                .await;
            assert_eq!(key.status, 201, "{}", key.body);
            created.push(key.json()["id"].as_str().unwrap().to_string());
        }

        for (path, expected) in [("api-keys", created.clone()), ("roles", vec![])] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut url = format!("/api/v1/orgs/{org}/{path}?limit=2");
                if let Some(c) = &cursor {
                    url.push_str(&format!("&cursor={c}"));
                }
                let page = admin.get(&url).await.expect_status(200).json();
                let items = page["items"].as_array().unwrap().clone();
                assert!(
                    items.len() <= 2,
                    "{path}: {} items for limit=2",
                    items.len()
                );
                seen.extend(
                    items
                        .iter()
                        .map(|i| i["id"].as_str().or(i["key"].as_str()).unwrap().to_string()),
                );
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = Some(next.to_string()),
                    None => break,
                }
            }
            if path == "roles" {
                assert_eq!(seen, ["admin", "manager", "staff", "viewer", "billing"]);
            } else {
                assert_eq!(
                    seen, expected,
                    "a walk through the pages returns every key once, oldest first"
                );
            }
            for bad in ["limit=0", "limit=-1.5", "limit=x", "cursor=%25%25"] {
                admin
                    .get(&format!("/api/v1/orgs/{org}/{path}?{bad}"))
                    .await
                    .problem(422, "invalid");
            }
        }
    })
    .await;
}
