//! What the feature routes accept, in what order they decide, what they
//! record, and that one organisation's numbers never include another's.

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

#[tokio::test]
async fn agents_take_a_name_and_a_json_object_and_look_up_before_checking_input() {
    each_database(async |app| {
        let admin = app.signed_in(&app.admin.email).await;
        for kind in ["chat-agents", "whatsapp-agents", "voice-agents"] {
            let path = org_path(app, kind);
            let created = post(
                &admin,
                &path,
                json!({"name": "  Front Desk ", "config": {"voice": "warm"}, "owner": "x"}),
            )
            .await;
            created.expect_status(201);
            let agent = created.json();
            assert_eq!(agent["name"], json!("Front Desk"), "{kind}: trimmed");
            for field in ["id", "name", "config", "created_at", "updated_at"] {
                assert!(agent.get(field).is_some(), "{kind}: {field} in {agent}");
            }
            let id = agent["id"].as_str().unwrap();
            for bad in [
                json!({"name": ""}),
                json!({"name": "x".repeat(101)}),
                json!({"name": 7}),
                json!({"name": "ok", "config": [1, 2]}),
                json!({"name": "ok", "config": "{}"}),
                json!({"name": "ok", "config": {"blob": "x".repeat(16 * 1024)}}),
            ] {
                post(&admin, &path, bad.clone())
                    .await
                    .problem(422, "invalid");
                admin
                    .send(Method::PATCH, &format!("{path}/{id}"), Some(bad))
                    .await
                    .problem(422, "invalid");
            }
            let missing = format!("{path}/{}", uuid::Uuid::new_v4());
            admin
                .send(Method::PATCH, &missing, Some(json!({"config": [1]})))
                .await
                .problem(404, "not_found");
            admin.get(&missing).await.problem(404, "not_found");
            admin
                .send(Method::DELETE, &missing, None)
                .await
                .problem(404, "not_found");

            let renamed = admin
                .send(
                    Method::PATCH,
                    &format!("{path}/{id}"),
                    Some(json!({"name": "Reception"})),
                )
                .await;
            renamed.expect_status(200);
            assert_eq!(
                renamed.json()["config"],
                json!({"voice": "warm"}),
                "{kind}: absent fields stay"
            );
            assert_eq!(
                admin
                    .send(Method::DELETE, &format!("{path}/{id}"), None)
                    .await
                    .status,
                204
            );
            assert_eq!(admin.get(&format!("{path}/{id}")).await.status, 404);
        }
        let noun_events = ["chat_agent", "whatsapp_agent", "voice_agent"];
        for noun in noun_events {
            for verb in ["created", "updated", "deleted"] {
                let events = app.events(&app.org.id, &format!("{noun}.{verb}")).await;
                assert_eq!(events.len(), 1, "{noun}.{verb}");
                assert_eq!(events[0].actor.id.as_deref(), Some(app.admin.id.as_str()));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_campaign_launches_once_and_records_it() {
    each_database(async |app| {
        let manager = app.member(Role::Manager).await;
        let max = app.signed_in(&manager.email).await;
        let created = post(
            &max,
            &org_path(app, "campaigns"),
            json!({"name": "Spring sale", "config": {"channel": "whatsapp"}}),
        )
        .await;
        created.expect_status(201);
        let campaign = created.json();
        assert_eq!(
            (campaign["status"].clone(), campaign["launched_at"].clone()),
            (json!("draft"), Value::Null)
        );
        let launch = org_path(
            app,
            &format!("campaigns/{}/launch", campaign["id"].as_str().unwrap()),
        );
        let launched = post(&max, &launch, json!({})).await;
        launched.expect_status(200);
        assert_eq!(launched.json()["status"], json!("launched"));
        post(&max, &launch, json!({})).await.expect_status(200);
        let events = app.events(&app.org.id, "campaign.launched").await;
        assert_eq!(events.len(), 1, "launched once");
        assert_eq!(events[0].changes.before["status"], json!("draft"));
        assert_eq!(events[0].actor.role.as_deref(), Some("manager"));

        let staff = app.member(Role::Staff).await;
        let sam = app.signed_in(&staff.email).await;
        let problem = post(&sam, &launch, json!({}))
            .await
            .problem(403, "forbidden");
        assert_eq!(problem["missing_permission"], json!("campaigns:launch"));
    })
    .await;
}

#[tokio::test]
async fn the_inbox_replies_assigns_to_members_only_and_closes() {
    each_database(async |app| {
        let (_, gus) = app.other_org().await;
        let staff = app.member(Role::Staff).await;
        let sam = app.signed_in(&staff.email).await;
        let inbound = json!({"contact": "Zoe", "channel": "chat", "body": "Where is my order?", "actor": "someone-else"});
        let created = post(&sam, &org_path(app, "inbox/conversations"), inbound).await;
        created.expect_status(201);
        let conv = created.json();
        assert_eq!((conv["status"].clone(), conv["message_count"].clone()), (json!("open"), json!(1)));
        let base = org_path(app, &format!("inbox/conversations/{}", conv["id"].as_str().unwrap()));

        let reply = post(&sam, &format!("{base}/replies"), json!({"body": "On its way!"})).await;
        reply.expect_status(201);
        assert_eq!(reply.json()["author"], json!(staff.email), "the author is the caller");
        post(&sam, &format!("{base}/replies"), json!({"body": "   "})).await.problem(422, "invalid");

        post(&sam, &format!("{base}/assign"), json!({"user_id": gus.id})).await.problem(422, "invalid");
        post(&sam, &format!("{base}/assign"), json!({})).await.problem(422, "invalid");
        let missing = org_path(app, &format!("inbox/conversations/{}/assign", uuid::Uuid::new_v4()));
        post(&sam, &missing, json!({"user_id": gus.id})).await.problem(404, "not_found");
        let assigned = post(&sam, &format!("{base}/assign"), json!({"user_id": staff.id})).await;
        assigned.expect_status(200);
        assert_eq!(assigned.json()["assignee"], json!(staff.id));

        let closed = post(&sam, &format!("{base}/close"), json!({})).await;
        closed.expect_status(200);
        assert_eq!(closed.json()["status"], json!("closed"));

        for action in ["conversation.created", "conversation.replied", "conversation.assigned", "conversation.closed"] {
            let events = app.events(&app.org.id, action).await;
            assert_eq!(events.len(), 1, "{action}");
            assert_eq!(events[0].actor.id.as_deref(), Some(staff.id.as_str()), "{action}: the actor is the caller");
        }
        let viewer = app.member(Role::Viewer).await;
        let vera = app.signed_in(&viewer.email).await;
        vera.get(&org_path(app, "inbox/conversations")).await.problem(403, "forbidden");
        let logs = vera.get(&org_path(app, "logs")).await;
        logs.expect_status(200);
        assert_eq!(logs.json()["items"][0]["body"], json!("On its way!"));
    })
    .await;
}

#[tokio::test]
async fn analytics_count_only_the_organisations_own_data_and_export_csv() {
    each_database(async |app| {
        let (globex, gus) = app.other_org().await;
        let gus_client = app.signed_in(&gus.email).await;
        for i in 0..3 {
            let path = format!("/api/v1/orgs/{}/chat-agents", globex.id);
            post(&gus_client, &path, json!({"name": format!("Globex {i}")}))
                .await
                .expect_status(201);
        }
        let admin = app.signed_in(&app.admin.email).await;
        post(
            &admin,
            &org_path(app, "voice-agents"),
            json!({"name": "Phone"}),
        )
        .await
        .expect_status(201);
        post(
            &admin,
            &org_path(app, "inbox/conversations"),
            json!({"contact": "Zoe", "body": "Hi"}),
        )
        .await
        .expect_status(201);

        let analytics = admin.get(&org_path(app, "analytics")).await;
        analytics.expect_status(200);
        let a = analytics.json();
        assert_eq!(
            a["agents"],
            json!({"chat": 0, "whatsapp": 0, "voice": 1, "total": 1}),
            "{a}"
        );
        assert_eq!(a["conversations"]["open"], json!(1));
        assert_eq!(a["messages"]["inbound"], json!(1));
        let today = a["messages_per_day"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(today["inbound"], json!(1), "{today}");

        let csv = admin
            .get(&format!("{}?format=csv", org_path(app, "analytics/export")))
            .await;
        csv.expect_status(200);
        assert!(
            csv.content_type().starts_with("text/csv"),
            "{}",
            csv.content_type()
        );
        let mut lines = csv.body.lines();
        assert_eq!(lines.next(), Some("metric,value"));
        assert!(
            csv.body.contains("agents.voice,1\r\n") && csv.body.contains("agents.chat,0\r\n"),
            "{}",
            csv.body
        );
        admin
            .get(&format!(
                "{}?format=xlsx",
                org_path(app, "analytics/export")
            ))
            .await
            .problem(422, "invalid");
        assert!(
            app.events(&app.org.id, "analytics.").await.is_empty(),
            "reads are not recorded"
        );

        let viewer = app.member(Role::Viewer).await;
        let vera = app.signed_in(&viewer.email).await;
        vera.get(&org_path(app, "analytics"))
            .await
            .expect_status(200);
        let problem = vera
            .get(&org_path(app, "analytics/export"))
            .await
            .problem(403, "forbidden");
        assert_eq!(problem["missing_permission"], json!("analytics:export"));
    })
    .await;
}
