//! Organisation Settings → Team Members and the invite page, through the
//! console's own forms.

use teamgate_core::Role;
use teamgate_store::Store;

use crate::helpers::{data_permissions, each_database, PASSWORD};

#[tokio::test]
async fn an_admin_invites_from_the_team_page_and_the_newcomer_joins_from_the_link() {
    each_database(async |app| {
        let admin = app.client();
        admin.sign_in_form("ada@x.test", PASSWORD).await;
        let team = format!("/orgs/{}/settings/team", app.org.id);
        let page = admin.get(&team).await;
        page.expect_status(200);
        for option in ["admin", "manager", "staff", "viewer", "billing"] {
            assert!(
                page.body.contains(&format!("<option value=\"{option}\"")),
                "an admin may give {option}"
            );
        }
        let sent = admin
            .post_form(
                &team.replace("/team", "/team/invite"),
                &[("email", "Newbie@X.test"), ("role", "staff")],
            )
            .await;
        assert_eq!(sent.status, 303);
        assert!(sent.location().contains("notice="), "{}", sent.location());
        let token = app.invite_token("newbie@x.test");

        let newcomer = app.client();
        let invite_page = newcomer.get(&format!("/invite/{token}")).await;
        invite_page.expect_status(200);
        assert!(invite_page.body.contains("Acme") && invite_page.body.contains("Staff"));
        let joined = newcomer
            .post_form(
                &format!("/invite/{token}"),
                &[("name", "New Bie"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(joined.status, 303, "{}", joined.body);
        assert_eq!(joined.location(), format!("/orgs/{}", app.org.id));
        assert_eq!(
            newcomer.me().await.json()["orgs"][0]["role"],
            "staff",
            "signed in at once, as staff"
        );
        assert_eq!(
            newcomer.get(&format!("/invite/{token}")).await.status,
            410,
            "the link is used up"
        );
    })
    .await;
}

#[tokio::test]
async fn the_team_page_explains_refusals_in_plain_words() {
    each_database(async |app| {
        let admin = app.client();
        admin.sign_in_form("ada@x.test", PASSWORD).await;
        let base = format!("/orgs/{}/settings/team", app.org.id);
        let removed = admin
            .post_form(&format!("{base}/members/{}/remove", app.admin.id), &[])
            .await;
        let after = admin.get(removed.location()).await;
        assert!(
            after.body.contains("without an admin"),
            "last admin explained: {}",
            after.body
        );

        app.member(Role::Staff).await;
        let pending = admin
            .post_form(
                &format!("{base}/invite"),
                &[("email", "p@x.test"), ("role", "viewer")],
            )
            .await;
        assert_eq!(pending.status, 303);
        let twice = admin
            .post_form(
                &format!("{base}/invite"),
                &[("email", "p@x.test"), ("role", "viewer")],
            )
            .await;
        let shown = admin.get(twice.location()).await;
        assert!(
            shown.body.contains("already has a pending invite"),
            "{}",
            shown.body
        );
        assert_eq!(
            app.store
                .membership(&app.org.id, &app.admin.id)
                .await
                .unwrap()
                .unwrap()
                .role,
            Role::Admin
        );
    })
    .await;
}

#[tokio::test]
async fn a_member_without_team_rights_sees_the_actions_disabled_with_the_reason() {
    each_database(async |app| {
        app.member(Role::Staff).await;
        let staff = app.client();
        staff.sign_in_form("staff@x.test", PASSWORD).await;
        let page = staff
            .get(&format!("/orgs/{}/settings/team", app.org.id))
            .await;
        page.expect_status(200);
        let gated = data_permissions(&page.body);
        for p in ["team:invite", "team:change_role", "team:remove"] {
            assert!(gated.iter().any(|g| g == p), "{p} is on the page, disabled");
        }
        assert!(page.body.contains("disabled"));
        assert!(
            page.body.contains("cannot invite Team Members"),
            "the reason in plain words"
        );
        let refused = staff
            .post_form(
                &format!("/orgs/{}/settings/team/invite", app.org.id),
                &[("email", "x@x.test"), ("role", "staff")],
            )
            .await;
        assert_eq!(
            refused.status, 403,
            "the form's route is gated like its API twin"
        );
    })
    .await;
}

#[tokio::test]
async fn the_invite_page_tells_a_wrong_account_and_an_existing_one_what_to_do() {
    each_database(async |app| {
        app.member(Role::Staff).await;
        let (_, _gus) = app.other_org().await;
        let admin = app.signed_in("ada@x.test").await;
        admin
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/orgs/{}/invites", app.org.id),
                Some(serde_json::json!({"email": "gus@globex.test", "role": "viewer"})),
            )
            .await
            .expect_status(201);
        let token = app.invite_token("gus@globex.test");
        let stranger = app.client();
        let page = stranger.get(&format!("/invite/{token}")).await;
        assert!(
            page.body.contains("already have an account"),
            "{}",
            page.body
        );
        let staff = app.client();
        staff.sign_in_form("staff@x.test", PASSWORD).await;
        let wrong = staff.get(&format!("/invite/{token}")).await;
        assert!(wrong.body.contains("wrong_account") && wrong.body.contains("gus@globex.test"));
        let tried = staff.post_form(&format!("/invite/{token}"), &[]).await;
        assert!(
            tried.body.contains("another email address") || tried.body.contains("wrong_account")
        );
    })
    .await;
}
