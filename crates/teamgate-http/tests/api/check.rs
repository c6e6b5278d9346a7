//! `POST /orgs/{org}/check`: may this member do that?

use serde_json::json;
use teamgate_core::Role;

use crate::helpers::each_database;

#[tokio::test]
async fn an_admin_checks_what_a_staff_member_may_do() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let ada = app.signed_in(&app.admin.email).await;

        let allowed = ada
            .check(
                &app.org.id,
                json!({"user_id": staff.id, "permission": "inbox:reply"}),
            )
            .await;
        allowed.expect_status(200);
        let body = allowed.json();
        assert_eq!(body["allowed"], json!(true), "{body}");
        let mut keys: Vec<&String> = body.as_object().expect("an object").keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["allowed", "reason"],
            "a single check answers just these: {body}"
        );
        let reason = body["reason"].as_str().expect("a reason");
        assert!(
            reason.contains("staff"),
            "the reason names the role: {reason}"
        );

        let denied = ada
            .check(
                &app.org.id,
                json!({"user_id": staff.id, "permission": "billing:view"}),
            )
            .await;
        denied.expect_status(200);
        let body = denied.json();
        assert_eq!(body["allowed"], json!(false), "{body}");
        assert!(
            body["reason"].as_str().expect("a reason").contains("staff"),
            "{body}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_batch_check_answers_each_in_order() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let billing = app.member(Role::Billing).await;
        let ada = app.signed_in(&app.admin.email).await;

        let asked = [
            (&staff.id, "inbox:reply", true),
            (&staff.id, "billing:view", false),
            (&billing.id, "billing:edit", true),
            (&app.admin.id, "roles:delete", true),
            (&billing.id, "inbox:view", false),
        ];
        let checks: Vec<_> = asked
            .iter()
            .map(|(u, p, _)| json!({"user_id": u, "permission": p}))
            .collect();
        let answer = ada.check(&app.org.id, json!({"checks": checks})).await;
        answer.expect_status(200);
        let body = answer.json();
        let results = body["results"]
            .as_array()
            .unwrap_or_else(|| panic!("results: {body}"));
        assert_eq!(results.len(), asked.len());
        for (result, (user, permission, allowed)) in results.iter().zip(asked) {
            assert_eq!(
                result["allowed"],
                json!(allowed),
                "{user} {permission}: {result}"
            );
            assert!(result["reason"].is_string(), "{result}");
            if let Some(p) = result.get("permission") {
                assert_eq!(p, &json!(permission), "{result}");
            }
            if let Some(u) = result.get("user_id") {
                assert_eq!(u, &json!(user), "{result}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn any_member_may_check_themself() {
    each_database(async |app| {
        let viewer = app.member(Role::Viewer).await;
        let client = app.signed_in(&viewer.email).await;
        let yes = client
            .check(
                &app.org.id,
                json!({"user_id": viewer.id, "permission": "logs:view"}),
            )
            .await;
        assert_eq!(yes.json()["allowed"], json!(true), "{}", yes.body);
        let no = client
            .check(
                &app.org.id,
                json!({"user_id": viewer.id, "permission": "team:view"}),
            )
            .await;
        assert_eq!(no.json()["allowed"], json!(false), "{}", no.body);

        let staff = app.member(Role::Staff).await;
        let client = app.signed_in(&staff.email).await;
        let yes = client
            .check(
                &app.org.id,
                json!({"user_id": staff.id, "permission": "inbox:close"}),
            )
            .await;
        assert_eq!(yes.json()["allowed"], json!(true), "{}", yes.body);
    })
    .await;
}

#[tokio::test]
async fn checking_another_member_needs_team_view_and_the_refusal_is_audited() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        for role in [Role::Viewer, Role::Billing] {
            let asker = app.member(role).await;
            let client = app.signed_in(&asker.email).await;
            let body = json!({"user_id": staff.id, "permission": "inbox:reply"});
            let p = client
                .check(&app.org.id, body)
                .await
                .problem(403, "forbidden");
            assert_eq!(p["missing_permission"], json!("team:view"), "{role}");

            // A batch that names anybody else is refused as a whole.
            let batch = json!({"checks": [
                {"user_id": asker.id, "permission": "usage:view"},
                {"user_id": staff.id, "permission": "inbox:reply"},
            ]});
            client
                .check(&app.org.id, batch)
                .await
                .problem(403, "forbidden");
        }
        let denials = app.events(&app.org.id, "access.denied").await;
        assert_eq!(denials.len(), 4, "every 403 is recorded: {denials:?}");

        // Staff holds team:view (SPEC.md section 1), so staff may check others.
        let client = app.signed_in(&staff.email).await;
        let answer = client
            .check(
                &app.org.id,
                json!({"user_id": app.admin.id, "permission": "billing:view"}),
            )
            .await;
        answer.expect_status(200);
        assert_eq!(answer.json()["allowed"], json!(true));
    })
    .await;
}

#[tokio::test]
async fn an_unknown_permission_is_422() {
    each_database(async |app| {
        let ada = app.signed_in(&app.admin.email).await;
        for bad in ["inbox:fly", "rockets:view", "inbox", "", "INBOX:VIEW:x"] {
            let body = json!({"user_id": app.admin.id, "permission": bad});
            ada.check(&app.org.id, body).await.problem(422, "invalid");
        }
        ada.check(&app.org.id, json!({"user_id": app.admin.id}))
            .await
            .problem(422, "invalid");
        ada.check(&app.org.id, json!({"checks": "no"}))
            .await
            .problem(422, "invalid");
        // Each refusal says what to send instead.
        let missing = ada
            .check(&app.org.id, json!({"permission": "inbox:view"}))
            .await
            .problem(422, "invalid");
        assert!(
            missing["detail"].as_str().unwrap().contains("user_id"),
            "{missing}"
        );
        let one = json!({"user_id": app.admin.id, "permission": "inbox:view"});
        let both = ada
            .check(
                &app.org.id,
                json!({"user_id": app.admin.id, "permission": "inbox:view", "checks": [one]}),
            )
            .await
            .problem(422, "invalid");
        assert!(
            both["detail"].as_str().unwrap().contains("not both"),
            "{both}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_check_is_a_read_and_writes_no_audit_event() {
    each_database(async |app| {
        let viewer = app.member(Role::Viewer).await;
        let ada = app.signed_in(&app.admin.email).await;
        let before = app.audit_count(&app.org.id).await;

        let denied = ada
            .check(
                &app.org.id,
                json!({"user_id": viewer.id, "permission": "team:remove"}),
            )
            .await;
        assert_eq!(denied.json()["allowed"], json!(false), "{}", denied.body);
        let allowed = ada
            .check(
                &app.org.id,
                json!({"user_id": viewer.id, "permission": "logs:view"}),
            )
            .await;
        assert_eq!(allowed.json()["allowed"], json!(true), "{}", allowed.body);

        assert_eq!(
            app.audit_count(&app.org.id).await,
            before,
            "no event for a check"
        );
        assert!(app.events(&app.org.id, "access.denied").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn checks_are_counted_by_outcome_with_their_latency_on_metrics() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let ada = app.signed_in(&app.admin.email).await;
        for permission in ["inbox:reply", "billing:view"] {
            ada.check(
                &app.org.id,
                json!({"user_id": staff.id, "permission": permission}),
            )
            .await
            .expect_status(200);
        }
        let text = app
            .client()
            .get("/metrics")
            .await
            .expect_status(200)
            .body
            .clone();
        // The recorder is shared by every test of this process: at least ours.
        let count = |outcome: &str| -> f64 {
            let prefix = format!("teamgate_checks_total{{outcome=\"{outcome}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(prefix.as_str()))
                .unwrap_or_else(|| panic!("no {outcome} count in:\n{text}"))
                .trim()
                .parse()
                .unwrap()
        };
        assert!(count("allowed") >= 1.0);
        assert!(count("denied") >= 1.0);
        let buckets = text
            .lines()
            .filter(|l| l.starts_with("teamgate_check_duration_seconds_bucket{"))
            .count();
        assert!(
            buckets >= 10,
            "latency is a histogram with buckets:\n{text}"
        );
        assert!(
            text.contains("teamgate_check_duration_seconds_bucket{le=\"1e-7\"}")
                || text.contains("teamgate_check_duration_seconds_bucket{le=\"0.0000001\"}"),
            "the first bucket is under a microsecond:\n{text}"
        );
    })
    .await;
}
