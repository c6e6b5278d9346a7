//! The scenario: an admin sets teamgate up and invites a member, the member
//! joins from the emailed link in a browser of their own, and every role
//! change the admin makes shows on the member's open page without a reload.

use std::time::Duration;

use anyhow::{ensure, Context, Result};

use crate::browser::{poll, Browser};
use crate::checks::{
    change_role_live, expect_disabled_with_reason, expect_pages, sorted, wait_for_text,
};
use crate::evidence::{say, Journal};
use crate::outbox;
use crate::processes::Teamgate;

const ORG_NAME: &str = "Acme Support";
const ADMIN_EMAIL: &str = "ada@acme.test";
const ADMIN_PASSWORD: &str = "admin-password-for-e2e";
pub const MEMBER_EMAIL: &str = "sam@acme.test";
const MEMBER_PASSWORD: &str = "member-password-for-e2e";

/// The pages each role may view (SPEC.md sections 1 and 5), by the
/// permission each sidebar entry carries.
const ADMIN_PAGES: &[&str] = &[
    "chat_agents:view",
    "whatsapp_agents:view",
    "voice_agents:view",
    "campaigns:view",
    "inbox:view",
    "analytics:view",
    "logs:view",
    "api_keys:view",
    "billing:view",
    "usage:view",
    "payment_settings:view",
    "team:view",
    "roles:view",
    "audit_log:view",
    "org_settings:view",
];
const STAFF_PAGES: &[&str] = &[
    "chat_agents:view",
    "whatsapp_agents:view",
    "voice_agents:view",
    "campaigns:view",
    "inbox:view",
    "logs:view",
    "team:view",
];
const VIEWER_PAGES: &[&str] = &["analytics:view", "logs:view", "audit_log:view"];
const MANAGER_PAGES: &[&str] = &[
    "chat_agents:view",
    "whatsapp_agents:view",
    "voice_agents:view",
    "campaigns:view",
    "inbox:view",
    "analytics:view",
    "logs:view",
    "team:view",
    "roles:view",
    "audit_log:view",
];

/// How long a page may take to load and show what a step waits for.
pub const PAGE_LIMIT: Duration = Duration::from_secs(10);
/// How long an open page may take to follow a role change (the goal is a second).
pub const LIVE_LIMIT: Duration = Duration::from_secs(5);

pub async fn scenario(
    server: &Teamgate,
    admin: &Browser,
    member: &Browser,
    journal: &mut Journal,
) -> Result<()> {
    let both = [admin, member];

    journal
        .step(
            "the admin creates the organisation through the setup link",
            &both,
        )
        .await;
    admin.goto(&server.url(&server.setup_path)).await?;
    admin.fill("input[name=org]", ORG_NAME).await?;
    admin.fill("input[name=name]", "Ada Admin").await?;
    admin.fill("input[name=email]", ADMIN_EMAIL).await?;
    admin.fill("input[name=password]", ADMIN_PASSWORD).await?;
    admin
        .click("form[action='/setup'] button[type=submit]")
        .await?;
    let org = admin.org_home(PAGE_LIMIT).await?;
    expect_pages(&admin.snapshot().await?, ADMIN_PAGES, "the admin")?;

    journal
        .step("the admin invites a member with the role Staff", &both)
        .await;
    let team = server.url(&format!("/orgs/{org}/settings/team"));
    admin.goto(&team).await?;
    admin
        .fill("section.invite input[name=email]", MEMBER_EMAIL)
        .await?;
    admin
        .find("section.invite select[name=role]")
        .await?
        .select_by_value("staff")
        .await?;
    admin
        .click("section.invite button[data-permission='team:invite']")
        .await?;
    wait_for_text(
        admin,
        "p.notice",
        &format!("Invited {MEMBER_EMAIL} as Staff"),
    )
    .await?;
    wait_for_text(admin, "table.invites", MEMBER_EMAIL).await?;

    journal
        .step("the invite email with its link is in the outbox", &both)
        .await;
    // The emailed link names the public URL (port 0, as bound); its token is what matters.
    let token = outbox::invite_token(&server.outbox, MEMBER_EMAIL, PAGE_LIMIT).await?;

    journal
        .step(
            "the member opens the link in a second browser, joins and is signed in",
            &both,
        )
        .await;
    member
        .goto(&server.url(&format!("/invite/{token}")))
        .await?;
    let invitation = member.body_text().await?;
    ensure!(
        invitation.contains(&format!("Join {ORG_NAME}")) && invitation.contains("Staff"),
        "the invite page should name the organisation and the role:\n{invitation}"
    );
    member.fill("input[name=name]", "Sam Staff").await?;
    member.fill("input[name=password]", MEMBER_PASSWORD).await?;
    member
        .click("form[action^='/invite/'] button[type=submit]")
        .await?;
    let joined = member.org_home(PAGE_LIMIT).await?;
    ensure!(
        joined == org,
        "the member landed in organisation {joined}, not {org}"
    );
    let who = member.find("header .who").await?.text().await?;
    ensure!(
        who.contains(MEMBER_EMAIL) && who.contains("Staff"),
        "the header shows `{who}`"
    );

    journal
        .step("the member's sidebar shows exactly staff's pages", &both)
        .await;
    expect_pages(&member.snapshot().await?, STAFF_PAGES, "the staff member")?;

    journal
        .step(
            "as Staff, Invite Member on Team Members is disabled with the reason",
            &both,
        )
        .await;
    member.goto(&team).await?;
    expect_disabled_with_reason(member, "team:invite", "Staff").await?;

    journal
        .step(
            "the admin makes the member a Viewer; the open page follows without a reload",
            &both,
        )
        .await;
    let took = change_role_live(admin, member, &team, "viewer", "Viewer", |page| {
        page.sidebar == sorted(VIEWER_PAGES)
    })
    .await?;
    say(format!(
        "live re-gating staff -> viewer: the member's menu changed {took}"
    ));
    let page = member.snapshot().await?;
    ensure!(
        page.role.as_deref() == Some("viewer"),
        "the page's role is {:?}",
        page.role
    );
    ensure!(
        page.revoked_notice,
        "Team Members, which a viewer may not see, should give way to a notice on the open page"
    );

    journal
        .step(
            "a forbidden page opened by its address shows the 403 page",
            &both,
        )
        .await;
    member
        .goto(&server.url(&format!("/orgs/{org}/billing")))
        .await?;
    let text = member.body_text().await?;
    ensure!(
        text.contains("You do not have access to this page") && text.contains("billing"),
        "/billing should show the 403 page to a viewer, it shows:\n{text}"
    );
    member.find("[data-code='forbidden']").await?;
    ensure!(
        member.snapshot().await?.sidebar.is_empty(),
        "the 403 page should show no menu"
    );

    journal
        .step(
            "as Viewer, Export CSV on Analytics is disabled with the reason",
            &both,
        )
        .await;
    member
        .goto(&server.url(&format!("/orgs/{org}/analytics")))
        .await?;
    expect_disabled_with_reason(member, "analytics:export", "Viewer").await?;

    journal
        .step(
            "the admin makes the member a Manager; the open page's menu and buttons follow",
            &both,
        )
        .await;
    let took = change_role_live(admin, member, &team, "manager", "Manager", |page| {
        page.sidebar == sorted(MANAGER_PAGES)
            && page
                .action("analytics:export")
                .is_ok_and(|a| !a.disabled && a.reason.is_empty())
    })
    .await?;
    say(format!(
        "live re-gating viewer -> manager: the member's menu and Export button changed {took}"
    ));

    journal
        .step(
            "a page left before a role change and restored with Back shows the new role",
            &both,
        )
        .await;
    member
        .client
        .execute(
            &format!("window.teamgateE2eMarker = '{KEPT}'; return null;"),
            Vec::new(),
        )
        .await?;
    member
        .goto(&server.url(&format!("/orgs/{org}/logs")))
        .await?;
    change_role_live(admin, member, &team, "viewer", "Viewer", |page| {
        page.sidebar == sorted(VIEWER_PAGES)
    })
    .await?;
    member
        .client
        .back()
        .await
        .context("the member goes back to Analytics")?;
    let what = "the page restored with Back to show the viewer's menu and buttons";
    let restored = poll(what, LIVE_LIMIT, Duration::from_millis(10), || async {
        let page = member.snapshot().await?;
        let current = page.path.ends_with("/analytics")
            && page.sidebar == sorted(VIEWER_PAGES)
            && page
                .action("analytics:export")
                .is_ok_and(|a| a.disabled && a.reason.contains("(Viewer)"));
        Ok(current.then_some(page))
    })
    .await?;
    let from_cache = restored.marker.as_deref() == Some(KEPT);
    say(format!(
        "Back restored Analytics {}",
        if from_cache {
            "from the back/forward cache and it caught up"
        } else {
            "by loading it again"
        }
    ));

    journal
        .step("the restored page follows the next role change live", &both)
        .await;
    let took = change_role_live(admin, member, &team, "manager", "Manager", |page| {
        page.sidebar == sorted(MANAGER_PAGES)
            && page.action("analytics:export").is_ok_and(|a| !a.disabled)
    })
    .await?;
    say(format!(
        "live re-gating on the restored page: changed {took}"
    ));
    Ok(())
}

/// Marks a page before it is left, to tell a restore from the back/forward
/// cache from a new load.
const KEPT: &str = "kept in the back/forward cache";
