//! Organisation Settings → Audit Log in the console.

use teamgate_core::Role;
use teamgate_store::{Denied, Store};

use super::busy_log;
use crate::helpers::{data_permissions, each_database, PASSWORD};

/// The `<button>` tags that carry `permission`.
fn buttons_for(html: &str, permission: &str) -> Vec<String> {
    html.split("<button")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or("").to_string())
        .filter(|tag| tag.contains(&format!("data-permission=\"{permission}\"")))
        .collect()
}

#[tokio::test]
async fn the_audit_page_tells_in_plain_words_who_changed_what() {
    each_database(async |app| {
        busy_log(app).await;
        let admin = app.client();
        admin.sign_in_form("ada@x.test", PASSWORD).await;
        let url = format!("/orgs/{}/settings/audit", app.org.id);
        let page = admin.get(&url).await;
        page.expect_status(200);
        let html = &page.body;
        assert!(
            html.contains("ada@x.test changed staff@x.test&#39;s role from Staff to Manager")
                || html.contains("ada@x.test changed staff@x.test's role from Staff to Manager"),
            "{html}"
        );
        assert!(html.contains("ada@x.test invited carl@x.test as Viewer"));
        assert!(html
            .contains("viewer@x.test was refused GET /api/v1/orgs/{org}/roles (needs roles:view)"));
        assert!(
            html.contains(
                "API key &quot;=HYPERLINK(&quot;http://x&quot;)&quot; created voice agent"
            ),
            "escaped, never live"
        );
        for column in ["When", "Actor", "Action", "Target", "Before → After"] {
            assert!(
                html.contains(&format!("<th>{column}</th>")),
                "column {column}"
            );
        }
        // The admin may export: two enabled buttons that name their permission.
        let exports = buttons_for(html, "audit_log:export");
        assert_eq!(exports.len(), 2, "CSV and JSON Lines");
        assert!(
            exports.iter().all(|b| !b.contains("disabled")),
            "{exports:?}"
        );
        assert!(html.contains(&format!(
            "action=\"/api/v1/orgs/{}/audit/export\"",
            app.org.id
        )));

        // Filters narrow the table, and travel with the export buttons.
        let filtered = admin.get(&format!("{url}?action=member.")).await;
        assert!(filtered.body.contains("role from Staff to Manager"));
        assert!(!filtered.body.contains("invited carl@x.test"));
        assert!(filtered.body.contains("name=\"action\" value=\"member.\""));
        let bad = admin.get(&format!("{url}?since=last+week")).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("RFC 3339"));
    })
    .await;
}

#[tokio::test]
async fn a_viewer_sees_the_log_with_export_disabled_and_staff_cannot_open_it() {
    each_database(async |app| {
        let viewer = app.member(Role::Viewer).await;
        let client = app.client();
        client.sign_in_form(&viewer.email, PASSWORD).await;
        let page = client
            .get(&format!("/orgs/{}/settings/audit", app.org.id))
            .await;
        page.expect_status(200);
        let exports = buttons_for(&page.body, "audit_log:export");
        assert_eq!(exports.len(), 2);
        assert!(
            exports.iter().all(|b| b.contains("disabled")),
            "{exports:?}"
        );
        assert!(
            page.body.contains("Your role (Viewer) cannot"),
            "the reason is given"
        );
        assert!(
            data_permissions(&page.body).contains(&"audit_log:view".to_string()),
            "the menu entry"
        );

        let staff = app.member(Role::Staff).await;
        let client = app.client();
        client.sign_in_form(&staff.email, PASSWORD).await;
        assert_eq!(
            client
                .get(&format!("/orgs/{}/settings/audit", app.org.id))
                .await
                .status,
            403
        );
    })
    .await;
}

#[tokio::test]
async fn the_audit_page_pages_older_and_newer_without_losing_events() {
    each_database(async |app| {
        let org = &app.org.id;
        let meta = teamgate_store::AuditMeta {
            actor: teamgate_http::gate::user_actor(&app.admin, Some(Role::Admin)),
            context: Default::default(),
        };
        for i in 0..118 {
            let denied = Denied {
                route: format!("GET /route-{i:03}"),
                code: "forbidden".into(),
                missing_permission: None,
            };
            app.store
                .record_denied(org, denied, &meta, app.now())
                .await
                .unwrap();
        }
        // 120 events: pages of 50, 50 and 20.
        let admin = app.client();
        admin.sign_in_form("ada@x.test", PASSWORD).await;
        let first = admin.get(&format!("/orgs/{org}/settings/audit")).await;
        assert_eq!(rows(&first.body).len(), 50);
        assert!(
            !first.body.contains("rel=\"prev\""),
            "the first page has nothing newer"
        );
        let second = admin.get(&link(&first.body, "next")).await;
        assert_eq!(rows(&second.body), (21..=70).rev().collect::<Vec<_>>());
        let third = admin.get(&link(&second.body, "next")).await;
        assert_eq!(rows(&third.body), (1..=20).rev().collect::<Vec<_>>());
        assert!(!third.body.contains("rel=\"next\""));
        let back = admin.get(&link(&third.body, "prev")).await;
        assert_eq!(
            rows(&back.body),
            rows(&second.body),
            "newer goes back exactly one page"
        );
        let top = admin.get(&link(&back.body, "prev")).await;
        assert_eq!(rows(&top.body), rows(&first.body));
    })
    .await;
}

/// The `seq` of each row, top to bottom.
fn rows(html: &str) -> Vec<i64> {
    html.split("data-seq=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// The href of the pager link with `rel`, unescaped.
fn link(html: &str, rel: &str) -> String {
    let at = html
        .find(&format!("rel=\"{rel}\""))
        .unwrap_or_else(|| panic!("no {rel} link"));
    let rest = &html[at..];
    let href = rest
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    href.replace("&amp;", "&")
}
