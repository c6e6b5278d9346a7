//! The console: sign-in by form, and a sidebar that shows exactly what the
//! member's role may view.

use teamgate_core::Role;

use crate::helpers::{each_database, sidebar_permissions, PASSWORD};

/// The sidebar entries each role sees (SPEC.md sections 1 and 5), page order.
#[rustfmt::skip]
fn expected_sidebar(role: Role) -> Vec<&'static str> {
    match role {
        Role::Admin => vec![
            "chat_agents:view", "whatsapp_agents:view", "voice_agents:view", "campaigns:view",
            "inbox:view", "analytics:view", "logs:view", "api_keys:view", "billing:view",
            "usage:view", "payment_settings:view", "team:view", "roles:view", "audit_log:view",
            "org_settings:view",
        ],
        Role::Manager => vec![
            "chat_agents:view", "whatsapp_agents:view", "voice_agents:view", "campaigns:view",
            "inbox:view", "analytics:view", "logs:view", "team:view", "roles:view",
            "audit_log:view",
        ],
        Role::Staff => vec![
            "chat_agents:view", "whatsapp_agents:view", "voice_agents:view", "campaigns:view",
            "inbox:view", "logs:view", "team:view",
        ],
        Role::Viewer => vec!["analytics:view", "logs:view", "audit_log:view"],
        Role::Billing => vec!["billing:view", "usage:view", "payment_settings:view"],
    }
}

#[tokio::test]
async fn the_root_page_sends_a_stranger_to_sign_in() {
    each_database(async |app| {
        let answer = app.client().get("/").await;
        assert!(
            matches!(answer.status, 302 | 303 | 307),
            "a redirect: {}",
            answer.status
        );
        assert!(
            answer.location().starts_with("/signin"),
            "{}",
            answer.location()
        );

        let page = app.client().get_following("/").await;
        page.expect_status(200);
        assert!(
            page.content_type().starts_with("text/html"),
            "{}",
            page.content_type()
        );
        assert!(page.body.contains("action=\"/signin\""), "the sign-in form");

        let org_page = app.client().get(&format!("/orgs/{}", app.org.id)).await;
        assert!(
            matches!(org_page.status, 302 | 303 | 307),
            "{}",
            org_page.status
        );
        assert!(
            org_page.location().starts_with("/signin"),
            "{}",
            org_page.location()
        );
    })
    .await;
}

#[tokio::test]
async fn signing_in_by_form_leads_to_the_org_home_page() {
    each_database(async |app| {
        let client = app.client();
        let home = client.sign_in_form("Ada@X.test", PASSWORD).await;
        home.expect_status(200);
        assert!(
            home.url.ends_with(&format!("/orgs/{}", app.org.id)),
            "followed to the org's home page, not {}",
            home.url
        );
        assert!(
            home.body.contains("<nav class=\"sidebar\""),
            "the home page shows the sidebar"
        );
        assert!(home.body.contains("Acme"));
        client.me().await.expect_status(200);
    })
    .await;
}

#[tokio::test]
async fn signing_in_by_form_never_leads_off_site() {
    each_database(async |app| {
        let off_site = [
            "//evil.test/",
            "https://evil.test/",
            "/\\evil.test/",
            "/\t/evil.test/",
            "/\n/evil.test/",
            "/ /evil.test/",
        ];
        for next in off_site {
            let client = app.client();
            let form = [
                ("email", "ada@x.test"),
                ("password", PASSWORD),
                ("next", next),
            ];
            let answer = client.post_form("/signin", &form).await;
            assert!(
                matches!(answer.status, 302 | 303),
                "{next:?}: {}",
                answer.status
            );
            let location = answer.location();
            let resolved = reqwest::Url::parse(&app.address)
                .and_then(|base| base.join(location))
                .unwrap_or_else(|e| panic!("{next:?} led to {location:?}: {e}"));
            assert_eq!(
                resolved.origin(),
                reqwest::Url::parse(&app.address).expect("parses").origin(),
                "after sign-in with next={next:?}, Location {location:?} leaves teamgate"
            );
            assert!(
                !location
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control()),
                "browsers drop tabs and newlines, turning {location:?} into another address"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_deep_link_opened_signed_out_returns_there_after_sign_in() {
    each_database(async |app| {
        let viewer = app.member(Role::Viewer).await;
        let client = app.client();
        let analytics = format!("/orgs/{}/analytics", app.org.id);
        let redirect = client.get(&analytics).await;
        assert!(
            redirect.location().starts_with("/signin?next="),
            "{}",
            redirect.location()
        );

        let form = client.get_following(&analytics).await;
        form.expect_status(200);
        assert!(
            form.body.contains(&format!("value=\"{analytics}\"")),
            "the form carries next"
        );

        let fields = [
            ("email", viewer.email.as_str()),
            ("password", PASSWORD),
            ("next", analytics.as_str()),
        ];
        let page = client.post_form_following("/signin", &fields).await;
        page.expect_status(200);
        assert!(page.url.ends_with(&analytics), "landed on {}", page.url);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_on_the_form_shows_the_form_again() {
    each_database(async |app| {
        let client = app.client();
        let page = client.sign_in_form("ada@x.test", "not the password").await;
        page.expect_status(401);
        assert!(
            page.content_type().starts_with("text/html"),
            "{}",
            page.content_type()
        );
        assert!(page.body.contains("action=\"/signin\""));
        assert!(
            client.cookie_header().is_none(),
            "no session after a failed sign-in"
        );
    })
    .await;
}

#[tokio::test]
async fn each_role_sees_exactly_the_sidebar_entries_it_may_view() {
    each_database(async |app| {
        for role in Role::ALL {
            let user = app.member(role).await;
            let client = app.client();
            client
                .sign_in_form(&user.email, PASSWORD)
                .await
                .expect_status(200);

            let home = client.get(&format!("/orgs/{}", app.org.id)).await;
            home.expect_status(200);
            assert!(home.content_type().starts_with("text/html"));
            assert_eq!(
                sidebar_permissions(&home.body),
                expected_sidebar(role),
                "sidebar of {role}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_viewer_opening_billing_by_its_address_gets_a_403_page() {
    each_database(async |app| {
        let viewer = app.member(Role::Viewer).await;
        let client = app.client();
        client
            .sign_in_form(&viewer.email, PASSWORD)
            .await
            .expect_status(200);

        let page = client.get(&format!("/orgs/{}/billing", app.org.id)).await;
        page.expect_status(403);
        assert!(
            page.content_type().starts_with("text/html"),
            "{}",
            page.content_type()
        );
        assert!(
            page.body.contains("billing:view"),
            "the page names what is missing"
        );

        let denials = app.events(&app.org.id, "access.denied").await;
        assert_eq!(denials.len(), 1, "the console's 403 is recorded too");

        let allowed = client.get(&format!("/orgs/{}/analytics", app.org.id)).await;
        allowed.expect_status(200);
        assert_eq!(
            sidebar_permissions(&allowed.body),
            expected_sidebar(Role::Viewer)
        );
    })
    .await;
}

#[tokio::test]
async fn another_org_s_pages_are_not_found() {
    each_database(async |app| {
        let (globex, _gus) = app.other_org().await;
        let client = app.client();
        client
            .sign_in_form(&app.admin.email, PASSWORD)
            .await
            .expect_status(200);
        for path in [
            format!("/orgs/{}", globex.id),
            format!("/orgs/{}/billing", globex.id),
        ] {
            let page = client.get(&path).await;
            page.expect_status(404);
            assert!(!page.body.contains("Globex"), "nothing of Globex is shown");
        }
    })
    .await;
}

#[tokio::test]
async fn the_probes_answer() {
    each_database(async |app| {
        app.client().get("/healthz").await.expect_status(200);
        app.client().get("/readyz").await.expect_status(200);
    })
    .await;
}
