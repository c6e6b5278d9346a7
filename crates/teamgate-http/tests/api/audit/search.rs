//! `GET /orgs/{org}/audit` and `GET /orgs/{org}/audit/{id}`: filters, paging
//! by `seq`, permissions, immutability and tenant isolation.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::json;
use teamgate_core::clock::format_timestamp;
use teamgate_core::Role;
use teamgate_store::{Denied, Store};
use time::Duration;

use super::{actions, audit_url, busy_log, export, items, search};
use crate::helpers::each_database;

#[tokio::test]
async fn the_log_lists_newest_first_and_filters_by_action_actor_target_and_time() {
    each_database(async |app| {
        let org = &app.org.id;
        let log = busy_log(app).await;
        let all = items(&search(&log.admin, org, "?limit=200").await);
        assert_eq!(
            all.len() as u64,
            app.audit_count(org).await,
            "one page holds the whole log"
        );
        let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] == w[1] + 1),
            "newest first, no gaps: {seqs:?}"
        );
        assert_eq!(all[0]["action"], "access.denied");

        // An action ending in `.` is a prefix; otherwise it is exact.
        let members = items(&search(&log.admin, org, "?action=member.").await);
        assert!(!members.is_empty() && actions(&members).iter().all(|a| a.starts_with("member.")));
        assert!(actions(&members).contains(&"member.role_changed".to_string()));
        let changed = items(&search(&log.admin, org, "?action=member.role_changed").await);
        assert_eq!(actions(&changed), vec!["member.role_changed"]);
        assert_eq!(changed[0]["target"]["id"], log.staff.id.as_str());
        assert_eq!(
            changed[0]["changes"],
            json!({"before": {"role": "staff"}, "after": {"role": "manager"}})
        );
        assert!(
            items(&search(&log.admin, org, "?action=member").await).is_empty(),
            "no dot, no prefix"
        );

        // By actor and by target.
        let by_viewer = items(&search(&log.admin, org, &format!("?actor={}", log.viewer.id)).await);
        assert_eq!(actions(&by_viewer), vec!["access.denied"]);
        let about_staff =
            items(&search(&log.admin, org, &format!("?target={}", log.staff.id)).await);
        assert_eq!(
            actions(&about_staff),
            vec!["member.role_changed", "member.added"]
        );

        // By time: `since` is inclusive, `until` exclusive.
        let before = app.now();
        app.advance(Duration::minutes(5));
        let later = app.now();
        log.admin
            .update_settings(org, json!({"name": "Acme Later"}))
            .await
            .expect_status(200);
        let since = format_timestamp(later);
        let recent = items(&search(&log.admin, org, &format!("?since={since}")).await);
        assert_eq!(actions(&recent), vec!["org_settings.updated"]);
        let until = items(&search(&log.admin, org, &format!("?until={since}&limit=200")).await);
        assert_eq!(
            until.len(),
            all.len(),
            "everything before the change, nothing after"
        );
        let window = format!(
            "?since={}&until={since}&action=org_settings.",
            format_timestamp(before)
        );
        assert_eq!(
            items(&search(&log.admin, org, &window).await).len(),
            1,
            "the first rename, in its millisecond"
        );
        // An offset other than Z means the same instant.
        let offset = "?since=2026-12-04T11:36:07.412%2B01:00";
        assert_eq!(
            actions(&items(&search(&log.admin, org, offset).await)),
            vec!["org_settings.updated"]
        );

        // Bad input is a 422; unknown parameters are ignored.
        for bad in [
            "?since=yesterday",
            "?until=2026-13-01T00:00:00Z",
            "?limit=0",
            "?limit=x",
            "?cursor=nonsense",
        ] {
            search(&log.admin, org, bad).await.problem(422, "invalid");
        }
        assert_eq!(
            items(&search(&log.admin, org, "?limit=200&colour=blue").await).len(),
            all.len() + 1
        );
    })
    .await;
}

#[tokio::test]
async fn a_walk_through_the_pages_returns_every_event_once_even_within_one_millisecond() {
    each_database(async |app| {
        let org = &app.org.id;
        // The clock stands still, so all of these share one millisecond.
        for i in 0..60 {
            let denied = Denied {
                route: format!("GET /thing/{i}"),
                code: "forbidden".into(),
                missing_permission: None,
            };
            app.store
                .record_denied(org, denied, &fixture_meta(app), app.now())
                .await
                .unwrap();
        }
        let total = app.audit_count(org).await;
        let admin = app.signed_in("ada@x.test").await;
        let mut seen = Vec::new();
        let mut query = "?limit=7&unknown=1".to_string();
        loop {
            let page = search(&admin, org, &query).await;
            seen.extend(items(&page).iter().map(|e| e["seq"].as_i64().unwrap()));
            match page.json()["next_cursor"].as_str() {
                Some(cursor) => query = format!("?limit=7&cursor={cursor}"),
                None => break,
            }
        }
        let unique: BTreeSet<i64> = seen.iter().copied().collect();
        assert_eq!(seen.len() as u64, total, "every event, once");
        assert_eq!(unique.len() as u64, total, "no repeats");
        assert!(
            seen.windows(2).all(|w| w[0] > w[1]),
            "newest first throughout"
        );
        assert_eq!(
            app.audit_count(org).await,
            total,
            "reading the log records nothing"
        );

        let default = search(&admin, org, "").await;
        assert_eq!(items(&default).len(), 50, "50 a page by default");
        let capped = search(&admin, org, "?limit=1000").await;
        assert_eq!(items(&capped).len() as u64, total.min(200));
    })
    .await;
}

fn fixture_meta(app: &crate::helpers::TestApp) -> teamgate_store::AuditMeta {
    teamgate_store::AuditMeta {
        actor: teamgate_http::gate::user_actor(&app.admin, Some(Role::Admin)),
        context: Default::default(),
    }
}

#[tokio::test]
async fn a_viewer_can_read_the_log_but_not_export_it_and_the_refusal_is_recorded() {
    each_database(async |app| {
        let org = &app.org.id;
        let viewer = app.member(Role::Viewer).await;
        let client = app.signed_in(&viewer.email).await;
        items(&search(&client, org, "").await);
        assert_eq!(
            client.get(&audit_url(org, "/verify")).await.json()["ok"],
            true
        );

        let refused = export(&client, org, "?format=csv")
            .await
            .problem(403, "forbidden");
        assert_eq!(refused["missing_permission"], "audit_log:export");
        let denied = app.events(org, "access.denied").await;
        assert_eq!(denied.len(), 1, "one refusal, one event");
        assert_eq!(
            denied[0].target.id.as_deref(),
            Some("GET /api/v1/orgs/{org}/audit/export")
        );
        assert_eq!(denied[0].actor.id.as_deref(), Some(viewer.id.as_str()));
        assert_eq!(
            denied[0].changes.after["missing_permission"],
            "audit_log:export"
        );

        // Staff may not even read it.
        let staff = app.member(Role::Staff).await;
        let staff = app.signed_in(&staff.email).await;
        let p = search(&staff, org, "").await.problem(403, "forbidden");
        assert_eq!(p["missing_permission"], "audit_log:view");
    })
    .await;
}

#[tokio::test]
async fn no_route_changes_or_deletes_an_event() {
    each_database(async |app| {
        let org = &app.org.id;
        let admin = app.signed_in("ada@x.test").await;
        let first = items(&search(&admin, org, "").await)
            .pop()
            .expect("the oldest event");
        let id = first["id"].as_str().unwrap().to_string();
        let one = admin.get(&audit_url(org, &format!("/{id}"))).await;
        one.expect_status(200);
        assert_eq!(one.json(), first);

        let count = app.audit_count(org).await;
        for path in [audit_url(org, ""), audit_url(org, &format!("/{id}"))] {
            for method in [Method::PUT, Method::PATCH, Method::DELETE] {
                let answer = admin
                    .send(
                        method.clone(),
                        &path,
                        Some(json!({"action": "nothing.happened"})),
                    )
                    .await;
                answer.problem(405, "method_not_allowed");
            }
        }
        assert_eq!(
            admin.get(&audit_url(org, &format!("/{id}"))).await.json(),
            first,
            "unchanged"
        );
        assert_eq!(
            app.audit_count(org).await,
            count,
            "nothing added or removed"
        );
        assert_eq!(
            admin.get(&audit_url(org, "/verify")).await.json()["ok"],
            true
        );
    })
    .await;
}

#[tokio::test]
async fn another_organisations_log_is_out_of_reach() {
    each_database(async |app| {
        let (globex, gus) = app.other_org().await;
        let acme = &app.org.id;
        let admin = app.signed_in("ada@x.test").await;
        let gus_client = app.signed_in(&gus.email).await;
        let globex_events = items(&search(&gus_client, &globex.id, "").await);
        let globex_event = globex_events[0]["id"].as_str().unwrap().to_string();

        // Ada sees only Acme's events, and none of them names Globex.
        let acme_events = items(&search(&admin, acme, "?limit=200").await);
        assert!(acme_events.iter().all(|e| e["org_id"] == acme.as_str()));
        let all_text = admin
            .get(&audit_url(acme, "/export?format=jsonl"))
            .await
            .body;
        assert!(!all_text.contains(&globex.id) && !all_text.contains(&globex_event));
        admin
            .get(&audit_url(acme, &format!("/{globex_event}")))
            .await
            .problem(404, "not_found");
        admin
            .get(&audit_url(acme, "/not-a-uuid"))
            .await
            .problem(404, "not_found");

        // Globex's routes behave as if they did not exist for her.
        for rest in [
            "",
            "/export?format=csv",
            "/verify",
            &format!("/{globex_event}"),
        ] {
            admin
                .get(&audit_url(&globex.id, rest))
                .await
                .problem(404, "not_found");
        }
        // Filtering by Globex's admin finds nothing in Acme beyond what he did there.
        let by_gus = items(&search(&admin, acme, &format!("?actor={}&limit=200", gus.id)).await);
        assert!(by_gus.iter().all(|e| e["org_id"] == acme.as_str()));
    })
    .await;
}
