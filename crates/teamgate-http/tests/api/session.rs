//! Signing in and out, the failed-sign-in limit, CSRF and session lifetime.

use reqwest::Method;
use serde_json::json;
use teamgate_store::Store;
use time::Duration;

use crate::helpers::{each_database, PASSWORD};

#[tokio::test]
async fn signing_in_answers_the_user_and_sets_an_http_only_cookie() {
    each_database(async |app| {
        let client = app.client();
        let answer = client.sign_in("ada@x.test", PASSWORD).await;
        answer.expect_status(200);
        assert_eq!(answer.json()["user"]["id"], json!(app.admin.id));
        let cookie = answer.header("set-cookie").expect("a session cookie");
        assert!(cookie.starts_with("teamgate_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");

        let me = client.me().await;
        me.expect_status(200);
        let me = me.json();
        assert_eq!(me["id"], json!(app.admin.id));
        assert_eq!(me["email"], json!("ada@x.test"));
        assert_eq!(me["name"], json!("Ada Lovelace"));
        assert_eq!(
            me["orgs"],
            json!([{"id": app.org.id, "name": "Acme", "role": "admin"}])
        );
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_fail_alike() {
    each_database(async |app| {
        let client = app.client();
        let wrong_password = client.sign_in("ada@x.test", "not the password").await;
        let unknown_email = client.sign_in("nobody@x.test", PASSWORD).await;

        wrong_password.problem(401, "unauthenticated");
        unknown_email.problem(401, "unauthenticated");
        assert_eq!(
            wrong_password.body, unknown_email.body,
            "the bodies do not tell them apart"
        );
        assert_eq!(wrong_password.content_type(), unknown_email.content_type());
        assert!(wrong_password.header("set-cookie").is_none());
        client.me().await.problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn the_email_is_matched_whatever_its_case() {
    each_database(async |app| {
        let client = app.client();
        let answer = client.sign_in("  ADA@X.TEST ", PASSWORD).await;
        answer.expect_status(200);
        assert_eq!(answer.json()["user"]["id"], json!(app.admin.id));
        assert_eq!(client.me().await.json()["email"], json!("ada@x.test"));
    })
    .await;
}

#[tokio::test]
async fn too_many_failed_sign_ins_lock_the_address_until_the_window_passes() {
    each_database(async |app| {
        let limit = teamgate_http::Settings::new(&app.address).signin_failures_per_email;
        assert_eq!(limit, 10, "the documented default");
        let client = app.client();
        for attempt in 1..=limit {
            let answer = client
                .sign_in("ada@x.test", &format!("wrong password {attempt}"))
                .await;
            assert_eq!(answer.status, 401, "attempt {attempt}: {}", answer.body);
        }

        let locked = client.sign_in("ada@x.test", PASSWORD).await;
        locked.problem(429, "rate_limited");
        let retry_after: u64 = locked
            .header("retry-after")
            .expect("a Retry-After header")
            .parse()
            .expect("Retry-After in seconds");
        assert!(
            (1..=15 * 60).contains(&retry_after),
            "Retry-After {retry_after}"
        );
        // The limit is per address, whatever its spelling.
        client
            .sign_in("Ada@X.test", PASSWORD)
            .await
            .problem(429, "rate_limited");
        // Another address from the same client is not locked by it.
        let viewer = app.member(teamgate_core::Role::Viewer).await;
        app.client()
            .sign_in(&viewer.email, PASSWORD)
            .await
            .expect_status(200);

        app.advance(Duration::minutes(16));
        client
            .sign_in("ada@x.test", PASSWORD)
            .await
            .expect_status(200);
        client.me().await.expect_status(200);
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_parallel_wrong_passwords_cannot_get_past_the_limit() {
    each_database(async |app| {
        let limit = teamgate_http::Settings::new(&app.address).signin_failures_per_email as usize;
        let client = app.client();
        let attempts = (0..3 * limit).map(|i| {
            let client = client.clone();
            async move {
                client
                    .sign_in("ada@x.test", &format!("guess number {i}"))
                    .await
            }
        });
        let answers = futures::future::join_all(attempts).await;

        let checked = answers.iter().filter(|a| a.status == 401).count();
        let limited = answers.iter().filter(|a| a.status == 429).count();
        assert_eq!(checked + limited, answers.len(), "only 401 or 429");
        assert!(
            checked <= limit,
            "{checked} passwords were tried for one address at once; the limit is {limit}"
        );
        client
            .sign_in("ada@x.test", PASSWORD)
            .await
            .problem(429, "rate_limited");
    })
    .await;
}

#[tokio::test]
async fn a_cookie_authenticated_post_needs_teamgate_s_own_origin() {
    each_database(async |app| {
        let client = app.signed_in(&app.admin.email).await;

        let without = client.without_origin().create_org("No Origin").await;
        let p = without.problem(403, "csrf");
        assert_eq!(p["missing_permission"], json!(null));

        let foreign = client
            .with_origin("http://evil.test")
            .create_org("Evil")
            .await;
        let p = foreign.problem(403, "csrf");
        assert_eq!(p["missing_permission"], json!(null));

        let orgs = client.me().await.json()["orgs"]
            .as_array()
            .expect("orgs")
            .len();
        assert_eq!(orgs, 1, "a refused request created nothing");

        let created = client.create_org("With Origin").await;
        created.expect_status(201);
        assert_eq!(created.json()["name"], json!("With Origin"));
    })
    .await;
}

#[tokio::test]
async fn every_cookie_authenticated_change_is_refused_without_our_origin() {
    each_database(async |app| {
        let client = app.signed_in(&app.admin.email).await;
        // The server listens on an ephemeral port, never on port 1.
        let foreign_port = "http://127.0.0.1:1";
        for origin in [
            None,
            Some("null"),
            Some("http://evil.test"),
            Some(foreign_port),
        ] {
            let sender = match origin {
                None => client.without_origin(),
                Some(o) => client.with_origin(o),
            };
            let name_change = json!({"name": "Eve", "current_password": PASSWORD});
            sender.update_me(name_change).await.problem(403, "csrf");
            sender.sign_out().await.problem(403, "csrf");
            sender.create_org("Evil Corp").await.problem(403, "csrf");
        }
        let me = client.me().await;
        me.expect_status(200);
        assert_eq!(me.json()["name"], json!("Ada Lovelace"), "nothing changed");
        assert_eq!(me.json()["orgs"].as_array().map(Vec::len), Some(1));
        // Reads need no Origin.
        client.without_origin().me().await.expect_status(200);
        client
            .without_origin()
            .permissions(&app.org.id)
            .await
            .expect_status(200);
    })
    .await;
}

#[tokio::test]
async fn a_csrf_refusal_on_an_org_route_is_audited() {
    each_database(async |app| {
        let client = app.signed_in(&app.admin.email).await.without_origin();
        let answer = client
            .send(
                Method::PATCH,
                &format!("/api/v1/orgs/{}/settings", app.org.id),
                Some(json!({"name": "X"})),
            )
            .await;
        answer.problem(403, "csrf");
        let denials = app.events(&app.org.id, "access.denied").await;
        assert_eq!(denials.len(), 1, "{denials:?}");
        assert_eq!(denials[0].actor.id.as_deref(), Some(app.admin.id.as_str()));
        assert_eq!(
            app.store.org(&app.org.id).await.unwrap().unwrap().name,
            "Acme"
        );
    })
    .await;
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    each_database(async |app| {
        let client = app.signed_in(&app.admin.email).await;
        let cookie = client
            .cookie_header()
            .expect("the jar holds the session cookie");
        let replay = client.replaying(&cookie);
        replay.me().await.expect_status(200);

        let answer = client.sign_out().await;
        answer.expect_status(204);
        assert!(answer.body.is_empty(), "204 has no body: {}", answer.body);

        // The very same cookie, sent again, no longer signs anybody in.
        replay.me().await.problem(401, "unauthenticated");
        client.me().await.problem(401, "unauthenticated");
        replay
            .permissions(&app.org.id)
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn a_session_expires_after_seven_days_on_the_server() {
    each_database(async |app| {
        let client = app.signed_in(&app.admin.email).await;
        let replay = client.replaying(&client.cookie_header().expect("a session cookie"));

        app.advance(Duration::days(7) - Duration::minutes(1));
        replay.me().await.expect_status(200);

        app.advance(Duration::minutes(2));
        replay.me().await.problem(401, "unauthenticated");
        replay
            .permissions(&app.org.id)
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn signing_out_without_a_session_is_401() {
    each_database(async |app| {
        app.client()
            .sign_out()
            .await
            .problem(401, "unauthenticated");
        app.client().me().await.problem(401, "unauthenticated");
    })
    .await;
}
