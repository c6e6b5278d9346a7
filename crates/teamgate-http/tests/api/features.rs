//! The platform's features through the API: who reaches them, what input
//! they take, what they record, and that their lists page completely.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};
use teamgate_core::Role;

use crate::helpers::{each_database, Answer, Client, TestApp};

fn org_path(app: &TestApp, rest: &str) -> String {
    format!("/api/v1/orgs/{}/{rest}", app.org.id)
}

async fn post(client: &Client, path: &str, body: Value) -> Answer {
    client.send(Method::POST, path, Some(body)).await
}

async fn patch(client: &Client, path: &str, body: Value) -> Answer {
    client.send(Method::PATCH, path, Some(body)).await
}

/// Creates a chat agent as the admin and returns it.
async fn chat_agent(app: &TestApp, admin: &Client, name: &str) -> Value {
    let created = post(
        admin,
        &org_path(app, "chat-agents"),
        json!({"name": name, "config": {"greeting": "Hi"}}),
    )
    .await;
    created.expect_status(201);
    created.json()
}

/// Every item of a list, walking its pages `limit` at a time.
async fn walk(client: &Client, path: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let page = client.get(&url).await;
        page.expect_status(200);
        let body = page.json();
        let batch = body["items"].as_array().expect("items").clone();
        assert!(
            batch.len() <= limit as usize,
            "a page holds at most `limit` items"
        );
        items.extend(batch);
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return items,
        }
    }
    panic!("{path} never reached its last page");
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_string())
        .collect()
}

#[tokio::test]
async fn a_staff_session_cannot_edit_an_agent_though_the_console_shows_a_disabled_button() {
    each_database(async |app| {
        let admin = app.signed_in(&app.admin.email).await;
        let agent = chat_agent(app, &admin, "Website Concierge").await;
        let id = agent["id"].as_str().unwrap();
        let staff = app.member(Role::Staff).await;
        let sam = app.signed_in(&staff.email).await;

        let seen = sam.get(&org_path(app, &format!("chat-agents/{id}"))).await;
        seen.expect_status(200);
        let refused = patch(
            &sam,
            &org_path(app, &format!("chat-agents/{id}")),
            json!({"name": "Mine now"}),
        )
        .await;
        let problem = refused.problem(403, "forbidden");
        assert_eq!(problem["missing_permission"], json!("chat_agents:edit"));
        let after = sam
            .get(&org_path(app, &format!("chat-agents/{id}")))
            .await
            .json();
        assert_eq!(after["name"], json!("Website Concierge"), "nothing changed");
        let denied = app.events(&app.org.id, "access.denied").await;
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].actor.id.as_deref(), Some(staff.id.as_str()));
        assert!(app
            .events(&app.org.id, "chat_agent.updated")
            .await
            .is_empty());

        let page = sam.get(&format!("/orgs/{}/chat-agents", app.org.id)).await;
        page.expect_status(200);
        assert!(
            page.body.contains("Website Concierge"),
            "staff see the agent"
        );
        let buttons: Vec<&str> = page
            .body
            .split("<button")
            .skip(1)
            .map(|b| b.split('>').next().unwrap_or(""))
            .collect();
        let edit = buttons
            .iter()
            .find(|b| b.contains("data-permission=\"chat_agents:edit\""))
            .unwrap_or_else(|| panic!("no edit button in {buttons:?}"));
        assert!(
            edit.contains(" disabled"),
            "the edit button is disabled for staff: {edit}"
        );
        assert!(
            page.body.contains("cannot edit Chat Agents"),
            "the reason is given in words"
        );

        // The console's own form is refused the same way.
        let form = sam
            .post_form(
                &format!("/orgs/{}/chat-agents/{id}/edit", app.org.id),
                &[("name", "x"), ("config", "{}")],
            )
            .await;
        assert_eq!(form.status, 403);
    })
    .await;
}

#[tokio::test]
async fn a_viewer_gets_403_on_every_api_key_and_billing_route() {
    each_database(async |app| {
        let admin = app.signed_in(&app.admin.email).await;
        let key = post(
            &admin,
            &org_path(app, "api-keys"),
            json!({"name": "ci", "role": "viewer"}),
        )
        .await
        .json();
        let key_id = key["id"].as_str().unwrap().to_string();
        let viewer = app.member(Role::Viewer).await;
        let vera = app.signed_in(&viewer.email).await;

        let calls: [(Method, String, Option<Value>, &str); 7] = [
            (
                Method::GET,
                org_path(app, "api-keys"),
                None,
                "api_keys:view",
            ),
            (
                Method::POST,
                org_path(app, "api-keys"),
                Some(json!({"name": "mine", "role": "viewer"})),
                "api_keys:create",
            ),
            (
                Method::DELETE,
                org_path(app, &format!("api-keys/{key_id}")),
                None,
                "api_keys:revoke",
            ),
            (Method::GET, org_path(app, "billing"), None, "billing:view"),
            (
                Method::PATCH,
                org_path(app, "billing"),
                Some(json!({"plan": "free"})),
                "billing:edit",
            ),
            (
                Method::GET,
                org_path(app, "payment-settings"),
                None,
                "payment_settings:view",
            ),
            (
                Method::PATCH,
                org_path(app, "payment-settings"),
                Some(json!({"billing_address": "x"})),
                "payment_settings:edit",
            ),
        ];
        for (method, path, body, permission) in calls {
            let answer = vera.send(method.clone(), &path, body).await;
            let problem = answer.problem(403, "forbidden");
            assert_eq!(
                problem["missing_permission"],
                json!(permission),
                "{method} {path}"
            );
        }
        for page in ["api-keys", "billing", "payment-settings", "usage"] {
            assert_eq!(
                vera.get(&format!("/orgs/{}/{page}", app.org.id))
                    .await
                    .status,
                403,
                "console {page}"
            );
        }
        for (form, fields) in [
            ("api-keys", vec![("name", "x"), ("role", "viewer")]),
            ("billing", vec![("plan", "free")]),
        ] {
            let answer = vera
                .post_form(&format!("/orgs/{}/{form}", app.org.id), &fields)
                .await;
            assert_eq!(answer.status, 403, "console form {form}");
        }
        assert!(
            admin
                .get(&org_path(app, "api-keys"))
                .await
                .body
                .contains(&key_id),
            "the key still lives"
        );
        assert_eq!(
            app.events(&app.org.id, "access.denied").await.len(),
            13,
            "every 403 is recorded"
        );
    })
    .await;
}

#[tokio::test]
async fn the_billing_role_reaches_billing_usage_and_payment_settings_and_no_other_feature() {
    each_database(async |app| {
        let member = app.member(Role::Billing).await;
        let bill = app.signed_in(&member.email).await;
        for (rest, permission) in [
            ("chat-agents", "chat_agents:view"),
            ("whatsapp-agents", "whatsapp_agents:view"),
            ("voice-agents", "voice_agents:view"),
            ("campaigns", "campaigns:view"),
            ("inbox/conversations", "inbox:view"),
            ("analytics", "analytics:view"),
            ("analytics/export?format=csv", "analytics:export"),
            ("logs", "logs:view"),
            ("api-keys", "api_keys:view"),
        ] {
            let problem = bill
                .get(&org_path(app, rest))
                .await
                .problem(403, "forbidden");
            assert_eq!(problem["missing_permission"], json!(permission), "{rest}");
        }
        let created = post(&bill, &org_path(app, "chat-agents"), json!({"name": "x"})).await;
        created.problem(403, "forbidden");

        for rest in ["billing", "usage", "payment-settings"] {
            bill.get(&org_path(app, rest)).await.expect_status(200);
        }
        let billing = patch(
            &bill,
            &org_path(app, "billing"),
            json!({"plan": "growth", "billing_email": "AP@X.test"}),
        )
        .await;
        billing.expect_status(200);
        assert_eq!(billing.json()["plan"], json!("growth"));
        assert_eq!(billing.json()["billing_email"], json!("ap@x.test"));
        let paid = patch(
            &bill,
            &org_path(app, "payment-settings"),
            json!({"payment_method_label": "Visa ending 4242"}),
        )
        .await;
        paid.expect_status(200);
        let usage = bill.get(&org_path(app, "usage")).await.json();
        assert_eq!(usage["members"], json!(2), "{usage}");
        assert_eq!(
            patch(
                &bill,
                &org_path(app, "billing"),
                json!({"plan": "platinum"})
            )
            .await
            .status,
            422
        );

        let events = app.events(&app.org.id, "billing.updated").await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].actor.id.as_deref(), Some(member.id.as_str()));
        assert_eq!(events[0].changes.before, Value::Null);
        assert_eq!(
            events[0].changes.after,
            json!({"plan": "growth", "billing_email": "ap@x.test"})
        );

        // The console follows the same grant: billing pages open, feature pages do not.
        for page in ["billing", "usage", "payment-settings"] {
            assert_eq!(
                bill.get(&format!("/orgs/{}/{page}", app.org.id))
                    .await
                    .status,
                200,
                "{page}"
            );
        }
        for page in [
            "chat-agents",
            "campaigns",
            "inbox/conversations",
            "analytics",
            "logs",
            "api-keys",
        ] {
            assert_eq!(
                bill.get(&format!("/orgs/{}/{page}", app.org.id))
                    .await
                    .status,
                403,
                "{page}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_card_number_in_payment_settings_is_refused_and_never_stored() {
    each_database(async |app| {
        let admin = app.signed_in(&app.admin.email).await;
        let path = org_path(app, "payment-settings");
        patch(
            &admin,
            &path,
            json!({"payment_method_label": "Visa ending 1111", "billing_address": "1 Main St"}),
        )
        .await
        .expect_status(200);
        let events = app.audit_count(&app.org.id).await;
        for (field, value) in [
            ("payment_method_label", "4111111111111111"),
            ("payment_method_label", "Visa 4111 1111 1111 1111 exp 12/29"),
            ("billing_address", "1 Main St\ncard 5555-5555-5555-4444"),
            ("payment_method_label", "Amex 378282246310005"),
        ] {
            let answer = patch(&admin, &path, json!({ field: value })).await;
            let problem = answer.problem(422, "invalid");
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            assert!(
                !answer.body.contains(value) && !answer.body.contains(&digits),
                "the refusal repeats no number"
            );
            assert!(
                problem["detail"].as_str().unwrap().contains(field),
                "{problem}"
            );
        }
        let stored = admin.get(&path).await.json();
        assert_eq!(stored["payment_method_label"], json!("Visa ending 1111"));
        assert_eq!(stored["billing_address"], json!("1 Main St"));
        assert_eq!(
            app.audit_count(&app.org.id).await,
            events,
            "a refusal records nothing"
        );

        // Sixteen digits that fail the Luhn check are no card number.
        patch(
            &admin,
            &path,
            json!({"billing_address": "Ref 4111 1111 1111 1112"}),
        )
        .await
        .expect_status(200);
        let console = admin
            .post_form(
                &format!("/orgs/{}/payment-settings", app.org.id),
                &[
                    ("payment_method_label", "4242 4242 4242 4242"),
                    ("billing_address", "x"),
                ],
            )
            .await;
        assert_eq!(console.status, 303);
        assert!(
            console.location().contains("error="),
            "{}",
            console.location()
        );
        assert!(
            !console.location().contains("4242%204242"),
            "the number is not sent back"
        );
        assert_eq!(
            admin.get(&path).await.json()["payment_method_label"],
            json!("Visa ending 1111")
        );
    })
    .await;
}

#[tokio::test]
async fn pagination_walks_return_every_row_once() {
    each_database(async |app| {
        let admin = app.signed_in(&app.admin.email).await;
        let mut agents = Vec::new();
        for i in 0..7 {
            agents.push(chat_agent(app, &admin, &format!("Agent {i}")).await["id"].as_str().unwrap().to_string());
        }
        let mut campaigns = Vec::new();
        let mut conversations = Vec::new();
        for i in 0..5 {
            let c = post(&admin, &org_path(app, "campaigns"), json!({"name": format!("Campaign {i}")})).await;
            c.expect_status(201);
            campaigns.push(c.json()["id"].as_str().unwrap().to_string());
            let inbound = json!({"contact": format!("Contact {i}"), "channel": "whatsapp", "body": format!("Hello {i}")});
            let conv = post(&admin, &org_path(app, "inbox/conversations"), inbound).await;
            conv.expect_status(201);
            let conv_id = conv.json()["id"].as_str().unwrap().to_string();
            post(&admin, &org_path(app, &format!("inbox/conversations/{conv_id}/replies")), json!({"body": "Hi!"}))
                .await
                .expect_status(201);
            conversations.push(conv_id);
            app.advance(time::Duration::seconds(1));
        }
        assert_eq!(ids(&walk(&admin, &org_path(app, "chat-agents"), 3).await), agents);
        assert_eq!(ids(&walk(&admin, &org_path(app, "campaigns"), 2).await), campaigns);
        assert_eq!(ids(&walk(&admin, &org_path(app, "inbox/conversations"), 4).await), conversations);
        let logs = walk(&admin, &org_path(app, "logs"), 3).await;
        assert_eq!(logs.len(), 10, "every message once");
        assert_eq!(ids(&logs).into_iter().collect::<HashSet<_>>().len(), 10);
        let times: Vec<&str> = logs.iter().map(|m| m["created_at"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
        assert_eq!(logs[0]["direction"], json!("outbound"));
        assert_eq!(admin.get(&format!("{}?limit=0", org_path(app, "logs"))).await.status, 422);
        assert_eq!(admin.get(&format!("{}?cursor=nonsense!", org_path(app, "campaigns"))).await.status, 422);
    })
    .await;
}
