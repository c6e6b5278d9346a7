//! The feature pages of the console and their forms.

use reqwest::Method;
use serde_json::json;
use teamgate_core::Role;

use crate::helpers::{data_permissions, each_database, Client, TestApp, PASSWORD};

fn page(app: &TestApp, rest: &str) -> String {
    format!("/orgs/{}/{rest}", app.org.id)
}

/// The tags of the buttons naming `permission`.
fn buttons_for<'a>(html: &'a str, permission: &str) -> Vec<&'a str> {
    html.split("<button")
        .skip(1)
        .map(|b| b.split('>').next().unwrap_or(""))
        .filter(|b| b.contains(&format!("data-permission=\"{permission}\"")))
        .collect()
}

async fn console_as(app: &TestApp, email: &str) -> Client {
    let client = app.client();
    client.sign_in_form(email, PASSWORD).await;
    client
}

#[tokio::test]
async fn every_feature_page_opens_for_an_admin_with_its_actions_enabled() {
    each_database(async |app| {
        let ada = console_as(app, &app.admin.email).await;
        for rest in [
            "chat-agents",
            "whatsapp-agents",
            "voice-agents",
            "campaigns",
            "inbox/conversations",
            "analytics",
            "logs",
            "api-keys",
            "billing",
            "usage",
            "payment-settings",
            "settings/general",
        ] {
            let answer = ada.get(&page(app, rest)).await;
            answer.expect_status(200);
            assert!(
                !answer.body.contains("Nothing here yet"),
                "{rest} is a real page"
            );
            assert!(
                !answer.body.contains(" disabled"),
                "{rest}: an admin may do everything"
            );
        }
        let analytics = ada.get(&page(app, "analytics")).await;
        assert!(
            analytics.body.contains("<svg"),
            "analytics draws its charts"
        );
    })
    .await;
}

#[tokio::test]
async fn an_admin_creates_edits_and_launches_from_the_console() {
    each_database(async |app| {
        let ada = console_as(app, &app.admin.email).await;
        let created = ada
            .post_form(
                &page(app, "chat-agents"),
                &[("name", "Helpdesk"), ("config", "{\"tone\": \"warm\"}")],
            )
            .await;
        assert_eq!(created.status, 303);
        assert!(
            created.location().contains("notice="),
            "{}",
            created.location()
        );
        let list = ada.get(&page(app, "chat-agents")).await;
        assert!(list.body.contains("Helpdesk") && list.body.contains("warm"));
        let agents = ada
            .get(&format!("/api/v1/orgs/{}/chat-agents", app.org.id))
            .await
            .json();
        let agent = agents["items"][0]["id"]
            .as_str()
            .expect("the new agent")
            .to_string();

        let bad = ada
            .post_form(
                &page(app, &format!("chat-agents/{agent}/edit")),
                &[("name", "Helpdesk"), ("config", "[1,")],
            )
            .await;
        assert!(bad.location().contains("error="), "{}", bad.location());
        let edited = ada
            .post_form(
                &page(app, &format!("chat-agents/{agent}/edit")),
                &[("name", "Help Desk"), ("config", "{}")],
            )
            .await;
        assert!(
            edited.location().contains("notice="),
            "{}",
            edited.location()
        );
        assert_eq!(app.events(&app.org.id, "chat_agent.updated").await.len(), 1);

        ada.post_form(
            &page(app, "campaigns"),
            &[("name", "Autumn"), ("config", "")],
        )
        .await;
        let campaigns = ada
            .get(&format!("/api/v1/orgs/{}/campaigns", app.org.id))
            .await
            .json();
        let id = campaigns["items"][0]["id"].as_str().unwrap().to_string();
        let launched = ada
            .post_form(&page(app, &format!("campaigns/{id}/launch")), &[])
            .await;
        assert!(
            launched.location().contains("notice="),
            "{}",
            launched.location()
        );
        assert_eq!(app.events(&app.org.id, "campaign.launched").await.len(), 1);
        let deleted = ada
            .post_form(&page(app, &format!("chat-agents/{agent}/delete")), &[])
            .await;
        assert_eq!(deleted.status, 303);
        assert_eq!(app.events(&app.org.id, "chat_agent.deleted").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_console_shows_a_new_api_keys_secret_once() {
    each_database(async |app| {
        let ada = console_as(app, &app.admin.email).await;
        let created = ada
            .post_form(
                &page(app, "api-keys"),
                &[("name", "CI"), ("role", "viewer")],
            )
            .await;
        created.expect_status(200);
        assert_eq!(created.header("cache-control"), Some("no-store"));
        let start = created
            .body
            .find("<code class=\"secret\"")
            .expect("the secret is shown");
        let rest = &created.body[start..];
        let secret = &rest[rest.find('>').unwrap() + 1..rest.find("</code>").unwrap()];
        assert!(secret.starts_with("tg_"), "{secret}");

        let list = ada.get(&page(app, "api-keys")).await;
        assert!(
            list.body.contains("CI") && !list.body.contains(secret),
            "the list never shows the secret"
        );
        let with_key = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/orgs/{}/me/permissions",
                app.address, app.org.id
            ))
            .bearer_auth(secret)
            .send()
            .await
            .unwrap();
        assert_eq!(with_key.status(), 200, "the key works");

        let keys = ada
            .get(&format!("/api/v1/orgs/{}/api-keys", app.org.id))
            .await
            .json();
        let id = keys["items"][0]["id"].as_str().unwrap().to_string();
        let revoked = ada
            .post_form(&page(app, &format!("api-keys/{id}/revoke")), &[])
            .await;
        assert!(
            revoked.location().contains("notice="),
            "{}",
            revoked.location()
        );
        let after = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/orgs/{}/me/permissions",
                app.address, app.org.id
            ))
            .bearer_auth(secret)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 401, "a revoked key stops working");

        // The role ceiling holds in the console too.
        let manager = app.member(Role::Manager).await;
        let max = console_as(app, &manager.email).await;
        assert_eq!(
            max.get(&page(app, "api-keys")).await.status,
            403,
            "managers do not see keys"
        );
    })
    .await;
}

#[tokio::test]
async fn the_inbox_page_replies_assigns_and_closes() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let sam = console_as(app, &staff.email).await;
        let recorded = sam
            .post_form(
                &page(app, "inbox/conversations"),
                &[
                    ("contact", "Zoe"),
                    ("channel", "whatsapp"),
                    ("body", "Hello?"),
                ],
            )
            .await;
        assert_eq!(recorded.status, 303);
        let thread = sam.get(recorded.location()).await;
        thread.expect_status(200);
        for p in ["inbox:reply", "inbox:assign", "inbox:close"] {
            assert!(
                data_permissions(&thread.body).contains(&p.to_string()),
                "{p} on the thread"
            );
            assert!(
                buttons_for(&thread.body, p)
                    .iter()
                    .all(|b| !b.contains(" disabled")),
                "staff may {p}"
            );
        }
        let list = sam
            .get(&format!("/api/v1/orgs/{}/inbox/conversations", app.org.id))
            .await
            .json();
        let id = list["items"][0]["id"].as_str().unwrap().to_string();
        let base = page(app, &format!("inbox/conversations/{id}"));
        assert!(sam
            .post_form(&format!("{base}/replies"), &[("body", "Hi Zoe!")])
            .await
            .location()
            .contains("notice="));
        let assigned = sam
            .post_form(&format!("{base}/assign"), &[("user_id", &staff.id)])
            .await;
        assert!(
            assigned.location().contains("notice="),
            "{}",
            assigned.location()
        );
        let stranger = sam
            .post_form(&format!("{base}/assign"), &[("user_id", "not-a-member")])
            .await;
        assert!(
            stranger.location().contains("error="),
            "{}",
            stranger.location()
        );
        assert!(sam
            .post_form(&format!("{base}/close"), &[])
            .await
            .location()
            .contains("notice="));
        let after = sam
            .get(&format!("/api/v1/orgs/{}/inbox/conversations", app.org.id))
            .await
            .json();
        assert_eq!(after["items"][0]["status"], json!("closed"));
        assert_eq!(after["items"][0]["assignee"], json!(staff.id));
        assert_eq!(after["items"][0]["message_count"], json!(2));

        // A viewer reads logs but has no inbox at all.
        let viewer = app.member(Role::Viewer).await;
        let vera = console_as(app, &viewer.email).await;
        assert_eq!(
            vera.get(&page(app, "inbox/conversations")).await.status,
            403
        );
        let logs = vera.get(&page(app, "logs")).await;
        logs.expect_status(200);
        assert!(logs.body.contains("Hi Zoe!"));
        let analytics = vera.get(&page(app, "analytics")).await;
        let export = buttons_for(&analytics.body, "analytics:export");
        assert!(
            export.len() == 1 && export[0].contains(" disabled"),
            "{export:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn general_settings_rename_the_organisation() {
    each_database(async |app| {
        let ada = console_as(app, &app.admin.email).await;
        let renamed = ada
            .post_form(&page(app, "settings/general"), &[("name", "Acme Ltd")])
            .await;
        assert!(
            renamed.location().contains("notice="),
            "{}",
            renamed.location()
        );
        assert_eq!(
            ada.send(
                Method::GET,
                &format!("/api/v1/orgs/{}/settings", app.org.id),
                None
            )
            .await
            .json()["name"],
            json!("Acme Ltd")
        );
        let empty = ada
            .post_form(&page(app, "settings/general"), &[("name", " ")])
            .await;
        assert!(empty.location().contains("error="), "{}", empty.location());
    })
    .await;
}
