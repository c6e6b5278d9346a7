//! The role matrix of SPEC.md section 1 and deny by default (section 2, rule 1).

use serde_json::json;
use teamgate_core::audit::{ActorType, Outcome};
use teamgate_core::Role;
use teamgate_store::Store;

use crate::helpers::{each_database, strings};

/// SPEC.md section 1, written out so a change in the core's role table is caught.
#[rustfmt::skip]
fn expected_permissions(role: Role) -> Vec<&'static str> {
    match role {
        Role::Admin => vec![
            "analytics:export", "analytics:view",
            "api_keys:create", "api_keys:revoke", "api_keys:view",
            "audit_log:export", "audit_log:view",
            "billing:edit", "billing:view",
            "campaigns:create", "campaigns:delete", "campaigns:edit", "campaigns:launch",
            "campaigns:view",
            "chat_agents:create", "chat_agents:delete", "chat_agents:edit", "chat_agents:view",
            "inbox:assign", "inbox:close", "inbox:reply", "inbox:view",
            "logs:view",
            "org_settings:edit", "org_settings:view",
            "payment_settings:edit", "payment_settings:view",
            "roles:create", "roles:delete", "roles:edit", "roles:view",
            "team:change_role", "team:invite", "team:remove", "team:view",
            "usage:view",
            "voice_agents:create", "voice_agents:delete", "voice_agents:edit", "voice_agents:view",
            "whatsapp_agents:create", "whatsapp_agents:delete", "whatsapp_agents:edit",
            "whatsapp_agents:view",
        ],
        Role::Manager => vec![
            "analytics:export", "analytics:view",
            "audit_log:view",
            "campaigns:create", "campaigns:delete", "campaigns:edit", "campaigns:launch",
            "campaigns:view",
            "chat_agents:create", "chat_agents:delete", "chat_agents:edit", "chat_agents:view",
            "inbox:assign", "inbox:close", "inbox:reply", "inbox:view",
            "logs:view",
            "roles:view",
            "team:view",
            "voice_agents:create", "voice_agents:delete", "voice_agents:edit", "voice_agents:view",
            "whatsapp_agents:create", "whatsapp_agents:delete", "whatsapp_agents:edit",
            "whatsapp_agents:view",
        ],
        Role::Staff => vec![
            "campaigns:view",
            "chat_agents:view",
            "inbox:assign", "inbox:close", "inbox:reply", "inbox:view",
            "logs:view",
            "team:view",
            "voice_agents:view",
            "whatsapp_agents:view",
        ],
        Role::Viewer => vec!["analytics:view", "audit_log:view", "logs:view"],
        Role::Billing => vec![
            "billing:edit", "billing:view",
            "payment_settings:edit", "payment_settings:view",
            "usage:view",
        ],
    }
}

#[tokio::test]
async fn each_built_in_role_gets_exactly_the_permissions_the_spec_lists() {
    each_database(async |app| {
        for role in Role::ALL {
            let user = app.member(role).await;
            let client = app.signed_in(&user.email).await;

            let answer = client.permissions(&app.org.id).await;
            answer.expect_status(200);
            assert!(
                answer.content_type().starts_with("application/json"),
                "{}",
                answer.content_type()
            );
            let body = answer.json();
            assert_eq!(body["org_id"], json!(app.org.id), "{role}: {body}");
            assert_eq!(body["role"], json!(role.key()), "{role}: {body}");
            assert!(
                body["version"].is_i64() || body["version"].is_u64(),
                "{role}: version {body}"
            );
            let mut expected = expected_permissions(role);
            expected.sort_unstable();
            assert_eq!(
                strings(&body["permissions"]),
                expected,
                "permissions of {role}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_viewer_gets_403_on_roles_and_it_is_audited() {
    each_database(async |app| {
        let viewer = app.member(Role::Viewer).await;
        let client = app.signed_in(&viewer.email).await;

        let problem = client.roles(&app.org.id).await.problem(403, "forbidden");
        assert_eq!(problem["missing_permission"], json!("roles:view"));

        let denials = app.events(&app.org.id, "access.denied").await;
        assert_eq!(denials.len(), 1, "one denial recorded: {denials:?}");
        let event = &denials[0];
        assert_eq!(event.actor.kind, ActorType::User);
        assert_eq!(event.actor.id.as_deref(), Some(viewer.id.as_str()));
        assert_eq!(event.actor.label.as_deref(), Some(viewer.email.as_str()));
        assert_eq!(event.actor.role.as_deref(), Some("viewer"));
        assert_eq!(event.outcome, Outcome::Denied);
        assert_eq!(event.org_id, app.org.id);
        let report = app
            .store
            .verify_chain(&app.org.id, &|_| {})
            .await
            .expect("the chain reads");
        assert!(
            report.ok,
            "the chain still verifies after a denial: {report:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn staff_cannot_edit_settings_but_an_admin_can() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let staff_client = app.signed_in(&staff.email).await;
        let admin_client = app.signed_in(&app.admin.email).await;

        let problem = staff_client
            .update_settings(&app.org.id, json!({"name": "Staff Co"}))
            .await
            .problem(403, "forbidden");
        assert_eq!(problem["missing_permission"], json!("org_settings:edit"));
        let denials = app.events(&app.org.id, "access.denied").await;
        assert_eq!(denials.len(), 1);
        assert_eq!(denials[0].actor.id.as_deref(), Some(staff.id.as_str()));

        let renamed = admin_client
            .update_settings(&app.org.id, json!({"name": "Acme Ltd"}))
            .await;
        renamed.expect_status(200);
        assert_eq!(renamed.json()["name"], json!("Acme Ltd"));
        let read = admin_client.settings(&app.org.id).await;
        read.expect_status(200);
        assert_eq!(
            read.json()["name"],
            json!("Acme Ltd"),
            "the new name is kept"
        );
        assert_eq!(
            app.events(&app.org.id, "access.denied").await.len(),
            1,
            "a 200 is no denial"
        );
    })
    .await;
}

#[tokio::test]
async fn only_roles_holding_roles_view_list_the_roles() {
    each_database(async |app| {
        for role in Role::ALL {
            let user = app.member(role).await;
            let client = app.signed_in(&user.email).await;
            let answer = client.roles(&app.org.id).await;
            if expected_permissions(role).contains(&"roles:view") {
                answer.expect_status(200);
                let keys: Vec<_> = answer.json()["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|r| r["key"].as_str().unwrap_or_default().to_string())
                    .collect();
                assert_eq!(
                    keys,
                    ["admin", "manager", "staff", "viewer", "billing"],
                    "{role}"
                );
            } else {
                answer.problem(403, "forbidden");
            }
        }
    })
    .await;
}
