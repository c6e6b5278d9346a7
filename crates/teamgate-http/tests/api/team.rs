//! Team management (issue 3): invites, acceptance, role changes, removal,
//! leaving, and the rules of SPEC.md section 2 that guard them.

use reqwest::Method;
use serde_json::{json, Value};
use teamgate_core::Role;
use teamgate_store::Store;
use time::Duration;

use crate::helpers::{each_database, each_database_with, Client, TestApp, PASSWORD};

fn members_path(app: &TestApp) -> String {
    format!("/api/v1/orgs/{}/members", app.org.id)
}

async fn invite(client: &Client, org: &str, email: &str, role: &str) -> crate::helpers::Answer {
    client
        .send(
            Method::POST,
            &format!("/api/v1/orgs/{org}/invites"),
            Some(json!({"email": email, "role": role})),
        )
        .await
}

async fn accept(client: &Client, token: &str, extra: Value) -> crate::helpers::Answer {
    let mut body = json!({"token": token, "name": "New Person", "password": PASSWORD});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    client
        .send(Method::POST, "/api/v1/invites/accept", Some(body))
        .await
}

async fn role_of(app: &TestApp, user_id: &str) -> Option<Role> {
    app.store
        .membership(&app.org.id, user_id)
        .await
        .expect("membership reads")
        .map(|m| m.role)
}

async fn admins(app: &TestApp) -> usize {
    let members = app
        .store
        .list_members(&app.org.id, None, 200)
        .await
        .expect("members list");
    members
        .iter()
        .filter(|(m, _)| m.role == Role::Admin)
        .count()
}

#[tokio::test]
async fn a_staff_member_who_sends_role_admin_about_themself_stays_staff() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let client = app.signed_in("staff@x.test").await;
        let me = client
            .update_me(json!({"name": "Sneaky", "role": "admin", "current_password": PASSWORD}))
            .await;
        me.expect_status(200);
        let patch = client
            .send(
                Method::PATCH,
                &format!("{}/{}", members_path(app), staff.id),
                Some(json!({"role": "admin"})),
            )
            .await;
        assert_eq!(
            patch.problem(403, "forbidden")["missing_permission"],
            "team:change_role"
        );
        let leave_with_role = client
            .send(
                Method::POST,
                "/api/v1/invites/accept",
                Some(json!({"token": "x", "role": "admin"})),
            )
            .await;
        assert_ne!(leave_with_role.status, 200);
        assert_eq!(
            role_of(app, &staff.id).await,
            Some(Role::Staff),
            "{}",
            app.db
        );
        assert_eq!(
            client.permissions(&app.org.id).await.json()["role"],
            "staff"
        );
    })
    .await;
}

#[tokio::test]
async fn the_only_admin_cannot_demote_remove_or_leave() {
    each_database(async |app| {
        let admin = app.signed_in("ada@x.test").await;
        let me = format!("{}/{}", members_path(app), app.admin.id);
        admin
            .send(Method::PATCH, &me, Some(json!({"role": "staff"})))
            .await
            .problem(403, "own_role");
        admin
            .send(Method::DELETE, &me, None)
            .await
            .problem(409, "last_admin");
        admin
            .send(
                Method::POST,
                &format!("/api/v1/orgs/{}/leave", app.org.id),
                None,
            )
            .await
            .problem(409, "last_admin");
        assert_eq!(admins(app).await, 1);
        assert_eq!(role_of(app, &app.admin.id).await, Some(Role::Admin));
    })
    .await;
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_never_leave_the_org_without_an_admin() {
    each_database(async |app| {
        let bea = app.add_member(&app.org.id, "bea@x.test", Role::Admin).await;
        let ada_client = app.signed_in("ada@x.test").await;
        let bea_client = app.signed_in("bea@x.test").await;
        let ada_path = format!("{}/{}", members_path(app), app.admin.id);
        let bea_path = format!("{}/{}", members_path(app), bea.id);
        for round in 0..50 {
            let demote_bea =
                ada_client.send(Method::PATCH, &bea_path, Some(json!({"role": "staff"})));
            let demote_ada =
                bea_client.send(Method::PATCH, &ada_path, Some(json!({"role": "staff"})));
            let (a, b) = tokio::join!(demote_bea, demote_ada);
            let statuses = [a.status, b.status];
            assert!(
                statuses.contains(&200),
                "round {round}: neither change went through: {statuses:?}"
            );
            assert_eq!(
                admins(app).await,
                1,
                "round {round} on {}: {statuses:?}",
                app.db
            );
            // The survivor makes the other admin again for the next round.
            let (survivor, other_path) = if role_of(app, &app.admin.id).await == Some(Role::Admin) {
                (&ada_client, &bea_path)
            } else {
                (&bea_client, &ada_path)
            };
            survivor
                .send(Method::PATCH, other_path, Some(json!({"role": "admin"})))
                .await
                .expect_status(200);
        }
    })
    .await;
}

#[tokio::test]
async fn an_invite_for_one_address_cannot_be_accepted_by_an_account_signed_in_as_another() {
    each_database(async |app| {
        app.member(Role::Staff).await;
        let admin = app.signed_in("ada@x.test").await;
        let created = invite(&admin, &app.org.id, "newcomer@x.test", "viewer").await;
        let invite_id = created.json()["id"].as_str().unwrap().to_string();
        let token = app.invite_token("newcomer@x.test");
        let staff = app.signed_in("staff@x.test").await;
        accept(&staff, &token, json!({}))
            .await
            .problem(403, "wrong_account");
        let pending = admin
            .get(&format!("/api/v1/orgs/{}/invites", app.org.id))
            .await
            .json();
        let ids: Vec<&str> = pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["id"].as_str())
            .collect();
        assert_eq!(ids, vec![invite_id.as_str()], "the invite stays pending");
        assert!(
            pending.to_string().find(&token).is_none(),
            "an invite list never holds a token"
        );
    })
    .await;
}

#[tokio::test]
async fn addresses_that_differ_only_in_case_are_one_person() {
    each_database(async |app| {
        app.member(Role::Staff).await;
        let (_, gus) = app.other_org().await;
        let admin = app.signed_in("ada@x.test").await;
        invite(&admin, &app.org.id, "STAFF@X.Test", "viewer")
            .await
            .problem(409, "already_member");
        invite(&admin, &app.org.id, "  Gus@Globex.TEST ", "viewer")
            .await
            .expect_status(201);
        invite(&admin, &app.org.id, "gus@globex.test", "staff")
            .await
            .problem(409, "invite_pending");
        let token = app.invite_token("gus@globex.test");
        let gus_client = app.client();
        gus_client
            .sign_in("GUS@globex.test", PASSWORD)
            .await
            .expect_status(200);
        accept(&gus_client, &token, json!({}))
            .await
            .expect_status(200);
        assert_eq!(role_of(app, &gus.id).await, Some(Role::Viewer));
        let list = admin.get(&members_path(app)).await.json();
        let gus_rows = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["email"] == "gus@globex.test")
            .count();
        assert_eq!(gus_rows, 1, "no duplicate person");
    })
    .await;
}

#[tokio::test]
async fn an_invite_accepted_after_expiry_is_gone_and_a_resend_kills_the_old_token() {
    each_database(async |app| {
        let admin = app.signed_in("ada@x.test").await;
        let id = invite(&admin, &app.org.id, "late@x.test", "staff")
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let old = app.invite_token("late@x.test");
        app.advance(Duration::days(8));
        accept(&app.client(), &old, json!({}))
            .await
            .problem(410, "invite_gone");
        assert!(
            app.store
                .user_by_email("late@x.test")
                .await
                .unwrap()
                .is_none(),
            "no account made"
        );
        assert_eq!(
            admin.get(&format!("/api/v1/invites/{old}")).await.status,
            410
        );

        // Eight days on, the admin's week-long session has ended too.
        let admin = app.signed_in("ada@x.test").await;
        admin
            .send(
                Method::POST,
                &format!("/api/v1/orgs/{}/invites/{id}/resend", app.org.id),
                Some(json!({"role": "admin"})),
            )
            .await
            .expect_status(200);
        let new = app.invite_token("late@x.test");
        assert_ne!(new, old);
        accept(&app.client(), &old, json!({}))
            .await
            .problem(410, "invite_gone");
        let newcomer = app.client();
        accept(&newcomer, &new, json!({"role": "admin"}))
            .await
            .expect_status(200);
        let me = newcomer.me().await.json();
        assert_eq!(
            me["orgs"][0]["role"], "staff",
            "resend and accept ignore a role in the body"
        );
    })
    .await;
}

#[tokio::test]
async fn used_revoked_and_removed_members_tokens_all_fail() {
    each_database(async |app| {
        let admin = app.signed_in("ada@x.test").await;
        invite(&admin, &app.org.id, "once@x.test", "staff")
            .await
            .expect_status(201);
        let used = app.invite_token("once@x.test");
        let once = app.client();
        accept(&once, &used, json!({})).await.expect_status(200);
        accept(&app.client(), &used, json!({}))
            .await
            .problem(410, "invite_gone");

        let revoked_id = invite(&admin, &app.org.id, "nope@x.test", "staff")
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let revoked = app.invite_token("nope@x.test");
        admin
            .send(
                Method::DELETE,
                &format!("/api/v1/orgs/{}/invites/{revoked_id}", app.org.id),
                None,
            )
            .await
            .expect_status(204);
        accept(&app.client(), &revoked, json!({}))
            .await
            .problem(410, "invite_gone");

        let once_id = app
            .store
            .user_by_email("once@x.test")
            .await
            .unwrap()
            .unwrap()
            .user
            .id;
        admin
            .send(
                Method::DELETE,
                &format!("{}/{once_id}", members_path(app)),
                None,
            )
            .await
            .expect_status(204);
        accept(&once, &used, json!({}))
            .await
            .problem(410, "invite_gone");
        assert_eq!(
            role_of(app, &once_id).await,
            None,
            "a removed member's token does not bring them back"
        );
    })
    .await;
}

#[tokio::test]
async fn an_admin_of_one_org_gets_404_for_members_and_invites_of_another() {
    each_database(async |app| {
        let (globex, gus) = app.other_org().await;
        let gus_client = app.signed_in("gus@globex.test").await;
        let invite_b = invite(&gus_client, &globex.id, "b@x.test", "staff")
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let admin = app.signed_in("ada@x.test").await;
        let org = &app.org.id;
        let answers = [
            admin
                .send(
                    Method::PATCH,
                    &format!("/api/v1/orgs/{org}/members/{}", gus.id),
                    Some(json!({"role": "staff"})),
                )
                .await,
            admin
                .send(
                    Method::DELETE,
                    &format!("/api/v1/orgs/{org}/members/{}", gus.id),
                    None,
                )
                .await,
            admin
                .send(
                    Method::POST,
                    &format!("/api/v1/orgs/{org}/invites/{invite_b}/resend"),
                    None,
                )
                .await,
            admin
                .send(
                    Method::DELETE,
                    &format!("/api/v1/orgs/{org}/invites/{invite_b}"),
                    None,
                )
                .await,
            admin
                .get(&format!("/api/v1/orgs/{}/members", globex.id))
                .await,
        ];
        for a in answers {
            a.problem(404, "not_found");
        }
        let b_invites = gus_client
            .get(&format!("/api/v1/orgs/{}/invites", globex.id))
            .await
            .json();
        assert_eq!(
            b_invites["items"].as_array().unwrap().len(),
            1,
            "B's invite is untouched"
        );
    })
    .await;
}

#[tokio::test]
async fn removal_ends_access_to_that_org_at_once_but_not_to_others() {
    each_database(async |app| {
        let staff = app.member(Role::Staff).await;
        let staff_client = app.signed_in("staff@x.test").await;
        let own = staff_client.create_org("Staff Side Project").await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        staff_client
            .permissions(&app.org.id)
            .await
            .expect_status(200);
        let admin = app.signed_in("ada@x.test").await;
        admin
            .send(
                Method::DELETE,
                &format!("{}/{}", members_path(app), staff.id),
                None,
            )
            .await
            .expect_status(204);
        staff_client
            .permissions(&app.org.id)
            .await
            .problem(404, "not_found");
        staff_client.permissions(&own).await.expect_status(200);
        let removed = app.events(&app.org.id, "member.removed").await;
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].target.id.as_deref(), Some(staff.id.as_str()));
        assert_eq!(removed[0].changes.before["role"], "staff");
    })
    .await;
}

#[tokio::test]
async fn every_team_step_writes_its_audit_event() {
    each_database(async |app| {
        let admin = app.signed_in("ada@x.test").await;
        let org = app.org.id.clone();
        let id = invite(&admin, &org, "step@x.test", "viewer").await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        admin
            .send(
                Method::POST,
                &format!("/api/v1/orgs/{org}/invites/{id}/resend"),
                None,
            )
            .await
            .expect_status(200);
        let token = app.invite_token("step@x.test");
        let stepper = app.client();
        accept(&stepper, &token, json!({})).await.expect_status(200);
        let user = app
            .store
            .user_by_email("step@x.test")
            .await
            .unwrap()
            .unwrap()
            .user;
        admin
            .send(
                Method::PATCH,
                &format!("{}/{}", members_path(app), user.id),
                Some(json!({"role": "manager"})),
            )
            .await
            .expect_status(200);
        stepper
            .send(Method::POST, &format!("/api/v1/orgs/{org}/leave"), None)
            .await
            .expect_status(204);
        let gone = invite(&admin, &org, "gone@x.test", "viewer").await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        admin
            .send(
                Method::DELETE,
                &format!("/api/v1/orgs/{org}/invites/{gone}"),
                None,
            )
            .await
            .expect_status(204);

        for action in [
            "invite.created",
            "invite.resent",
            "invite.accepted",
            "member.role_changed",
            "member.left",
            "invite.revoked",
        ] {
            assert!(
                !app.events(&org, action).await.is_empty(),
                "{action} missing on {}",
                app.db
            );
        }
        let changed = &app.events(&org, "member.role_changed").await[0];
        assert_eq!(changed.actor.id.as_deref(), Some(app.admin.id.as_str()));
        assert_eq!(changed.changes.before["role"], "viewer");
        assert_eq!(changed.changes.after["role"], "manager");
        let accepted = &app.events(&org, "invite.accepted").await[0];
        assert_eq!(accepted.actor.id.as_deref(), Some(user.id.as_str()));
        assert!(app.store.verify_chain(&org, &|_| {}).await.unwrap().ok);
    })
    .await;
}

#[tokio::test]
async fn members_page_through_with_a_cursor_returning_each_once() {
    each_database(async |app| {
        for i in 0..7 {
            app.add_member(&app.org.id, &format!("m{i}@x.test"), Role::Viewer)
                .await;
        }
        let admin = app.signed_in("ada@x.test").await;
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("{}?limit=3&cursor={c}", members_path(app)),
                None => format!("{}?limit=3", members_path(app)),
            };
            let page = admin.get(&path).await.json();
            for m in page["items"].as_array().unwrap() {
                seen.push(m["user_id"].as_str().unwrap().to_string());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(seen.len(), 8, "{}", app.db);
        assert_eq!(unique.len(), 8);
        admin
            .get(&format!("{}?cursor=garbage", members_path(app)))
            .await
            .problem(422, "invalid");
    })
    .await;
}

#[tokio::test]
async fn invite_creation_is_rate_limited_per_member_and_per_organisation() {
    let limits = |s: &mut teamgate_http::Settings| {
        s.invites_per_actor_hour = 3;
        s.invites_per_org_day = 5;
    };
    each_database_with(limits, async |app| {
        app.add_member(&app.org.id, "bea@x.test", Role::Admin).await;
        let ada = app.signed_in("ada@x.test").await;
        let bea = app.signed_in("bea@x.test").await;
        for i in 0..3 {
            invite(&ada, &app.org.id, &format!("a{i}@x.test"), "staff")
                .await
                .expect_status(201);
        }
        let limited = invite(&ada, &app.org.id, "a3@x.test", "staff").await;
        limited.problem(429, "rate_limited");
        assert!(limited.header("retry-after").is_some());
        for i in 0..2 {
            invite(&bea, &app.org.id, &format!("b{i}@x.test"), "staff")
                .await
                .expect_status(201);
        }
        invite(&bea, &app.org.id, "b2@x.test", "staff")
            .await
            .problem(429, "rate_limited");
        app.advance(Duration::hours(2));
        let ada = app.signed_in("ada@x.test").await;
        invite(&ada, &app.org.id, "a4@x.test", "staff")
            .await
            .problem(429, "rate_limited");
        app.advance(Duration::days(1));
        let ada = app.signed_in("ada@x.test").await;
        invite(&ada, &app.org.id, "a5@x.test", "staff")
            .await
            .expect_status(201);
    })
    .await;
}

#[tokio::test]
async fn a_rule_refusal_inside_a_route_is_audited_as_access_denied() {
    each_database(async |app| {
        let admin = app.signed_in("ada@x.test").await;
        admin
            .send(
                Method::PATCH,
                &format!("{}/{}", members_path(app), app.admin.id),
                Some(json!({"role": "viewer"})),
            )
            .await
            .problem(403, "own_role");
        let denied = app.events(&app.org.id, "access.denied").await;
        assert_eq!(denied.len(), 1, "{}", app.db);
        assert_eq!(denied[0].changes.after["code"], "own_role");
        assert_eq!(
            denied[0].target.id.as_deref(),
            Some("PATCH /api/v1/orgs/{org}/members/{user}")
        );
        assert_eq!(denied[0].outcome, teamgate_core::audit::Outcome::Denied);
        // A conflict (409) is not a denial and is not recorded as one.
        admin
            .send(
                Method::POST,
                &format!("/api/v1/orgs/{}/leave", app.org.id),
                None,
            )
            .await
            .problem(409, "last_admin");
        assert_eq!(app.events(&app.org.id, "access.denied").await.len(), 1);
    })
    .await;
}
