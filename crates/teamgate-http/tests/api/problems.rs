//! Every error is an RFC 9457 problem with a stable `code`.

use reqwest::Method;
use serde_json::json;
use teamgate_core::Role;

use crate::helpers::{each_database, PASSWORD};

#[tokio::test]
async fn every_error_is_problem_json_with_type_title_status_detail_and_code() {
    each_database(async |app| {
        let stranger = app.client();
        stranger.me().await.problem(401, "unauthenticated");
        stranger
            .permissions(&app.org.id)
            .await
            .problem(401, "unauthenticated");

        let viewer = app.member(Role::Viewer).await;
        let client = app.signed_in(&viewer.email).await;
        let p = client.settings(&app.org.id).await.problem(403, "forbidden");
        assert_eq!(p["missing_permission"], json!("org_settings:view"));
        client
            .without_origin()
            .create_org("x")
            .await
            .problem(403, "csrf");
        client
            .permissions(&uuid::Uuid::new_v4().to_string())
            .await
            .problem(404, "not_found");
        client
            .get("/api/v1/no-such-route")
            .await
            .problem(404, "not_found");
        client
            .update_me(json!({"name": "x", "current_password": "nope"}))
            .await
            .problem(422, "invalid");

        // A body that is not JSON at all is a 422 problem too, not plain text.
        let raw = reqwest::Client::new()
            .post(format!("{}/api/v1/session", app.address))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("answers");
        assert_eq!(raw.status().as_u16(), 422);
        assert_eq!(
            raw.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );

        // Only JSON is read: another content type is refused and says so;
        // a structured `+json` type is JSON.
        for (content_type, status) in [
            ("text/plain", 422),
            ("application/x-www-form-urlencoded", 422),
            ("application/vnd.teamgate+json", 401),
            ("Application/JSON; charset=utf-8", 401),
        ] {
            let answer = reqwest::Client::new()
                .post(format!("{}/api/v1/session", app.address))
                .header("content-type", content_type)
                .body(r#"{"email": "nobody@x.test", "password": "wrong"}"#)
                .send()
                .await
                .expect("answers");
            assert_eq!(answer.status().as_u16(), status, "{content_type}");
            let text = answer.text().await.unwrap();
            if status == 422 {
                assert!(text.contains("Content-Type"), "{content_type}: {text}");
            }
        }

        for attempt in 0..10 {
            stranger
                .sign_in("ada@x.test", &format!("wrong {attempt}"))
                .await;
        }
        let limited = stranger.sign_in("ada@x.test", PASSWORD).await;
        limited.problem(429, "rate_limited");

        // Problems name no internals.
        let answer = client
            .send(Method::GET, "/api/v1/orgs/not-a-uuid/roles", None)
            .await;
        let p = answer.problem(404, "not_found");
        assert!(!p.to_string().to_lowercase().contains("sql"), "{p}");
    })
    .await;
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_a_405_problem() {
    each_database(async |app| {
        let client = app.signed_in(&app.admin.email).await;
        for (method, path) in [
            (Method::PUT, "/api/v1/me".to_string()),
            (Method::DELETE, format!("/api/v1/orgs/{}/roles", app.org.id)),
        ] {
            let answer = client.send(method.clone(), &path, None).await;
            assert_eq!(answer.status, 405, "{method} {path}: {}", answer.body);
            assert!(
                answer
                    .content_type()
                    .starts_with("application/problem+json"),
                "{method} {path}: {:?} {:?}",
                answer.content_type(),
                answer.body
            );
            let p = answer.json();
            assert_eq!(p["status"], json!(405), "{p}");
            for field in ["type", "title", "detail", "code"] {
                assert!(
                    p[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{field}: {p}"
                );
            }
        }
    })
    .await;
}
