//! What the people do and check on the console, shared by the scenario's steps.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use fantoccini::Locator;

use crate::browser::{poll, Browser, PageState};
use crate::scenario::{LIVE_LIMIT, MEMBER_EMAIL, PAGE_LIMIT};

/// How long an open page took to follow a role change.
pub struct LiveChange {
    /// From the test's submit to the test seeing the change through WebDriver.
    pub observed: Duration,
    /// From the admin's form submit to the member's menu changing, by the two
    /// browsers' clocks (one machine): without WebDriver's round trips.
    pub in_browser: Option<Duration>,
}

impl std::fmt::Display for LiveChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ms after the submit", self.observed.as_millis())?;
        match self.in_browser {
            Some(d) => write!(
                f,
                " ({} ms from submit to menu change inside the browsers)",
                d.as_millis()
            ),
            None => Ok(()),
        }
    }
}

/// Notes when the member's menu first changes, and marks the page (a reload
/// would clear both).
const WATCH_MEMBER: &str = r#"
window.teamgateE2eMarker = 'not reloaded';
window.teamgateE2eChangedAt = null;
const sidebar = document.querySelector('nav.sidebar');
if (sidebar) {
  new MutationObserver(() => { window.teamgateE2eChangedAt ??= Date.now(); })
    .observe(sidebar, { childList: true, subtree: true });
}
return null;
"#;

/// Notes when the admin's Change Role form is submitted; the note outlives
/// the navigation that follows.
const WATCH_ADMIN: &str = r#"
sessionStorage.removeItem('teamgateE2eSubmittedAt');
document.querySelectorAll('form.change-role').forEach((form) => form.addEventListener('submit',
  () => sessionStorage.setItem('teamgateE2eSubmittedAt', String(Date.now()))));
return null;
"#;

const SUBMITTED_AT: &str =
    "return Number(sessionStorage.getItem('teamgateE2eSubmittedAt')) || null;";
const CHANGED_AT: &str = "return window.teamgateE2eChangedAt;";

/// The admin changes the member's role on Team Members while the member's
/// page stays open, until the member's page shows `reached`. The page must
/// not have been reloaded.
pub async fn change_role_live(
    admin: &Browser,
    member: &Browser,
    team: &str,
    role: &str,
    role_name: &str,
    reached: impl Fn(&PageState) -> bool,
) -> Result<LiveChange> {
    member.client.execute(WATCH_MEMBER, Vec::new()).await?;

    admin.goto(team).await?;
    admin.client.execute(WATCH_ADMIN, Vec::new()).await?;
    let row = admin
        .client
        .find(Locator::XPath(&format!(
            "//table[contains(@class,'members')]//tr[td[normalize-space()='{MEMBER_EMAIL}']]"
        )))
        .await
        .context("the admin finds the member's row on Team Members")?;
    row.find(Locator::Css("form.change-role select[name=role]"))
        .await?
        .select_by_value(role)
        .await?;
    let submit = row
        .find(Locator::Css(
            "form.change-role button[data-permission='team:change_role']",
        ))
        .await?;

    let started = Instant::now();
    let submitted = async {
        submit
            .click()
            .await
            .context("the admin submits the role change")
    };
    let what = format!("the member's open page to follow the change to {role}");
    let followed = poll(&what, LIVE_LIMIT, Duration::from_millis(10), || async {
        let page = member.snapshot().await?;
        Ok(reached(&page).then(|| started.elapsed()))
    });
    let (submitted, followed) = tokio::join!(submitted, followed);
    submitted?;
    let took = match followed {
        Ok(took) => took,
        Err(e) => {
            let page = member.snapshot().await?;
            bail!(
                "{e:#}; the member's page shows role {:?}, menu {:?}",
                page.role,
                page.sidebar
            );
        }
    };

    let page = member.snapshot().await?;
    ensure!(
        page.marker.is_some(),
        "the member's page was reloaded; it should change in place"
    );
    wait_for_text(
        admin,
        "p.notice",
        &format!("{MEMBER_EMAIL} is now {role_name}"),
    )
    .await?;

    let submitted_at = admin
        .client
        .execute(SUBMITTED_AT, Vec::new())
        .await?
        .as_u64();
    let changed_at = member
        .client
        .execute(CHANGED_AT, Vec::new())
        .await?
        .as_u64();
    let in_browser = match (submitted_at, changed_at) {
        (Some(submit), Some(change)) => Some(Duration::from_millis(change.saturating_sub(submit))),
        _ => None,
    };
    Ok(LiveChange {
        observed: took,
        in_browser,
    })
}

pub fn sorted(pages: &[&str]) -> Vec<String> {
    let mut pages: Vec<String> = pages.iter().map(|p| p.to_string()).collect();
    pages.sort();
    pages
}

pub fn expect_pages(page: &PageState, expected: &[&str], who: &str) -> Result<()> {
    let expected = sorted(expected);
    if page.sidebar == expected {
        return Ok(());
    }
    let missing: Vec<&String> = expected
        .iter()
        .filter(|p| !page.sidebar.contains(p))
        .collect();
    let extra: Vec<&String> = page
        .sidebar
        .iter()
        .filter(|p| !expected.contains(p))
        .collect();
    bail!(
        "{who}'s sidebar on {} lacks {missing:?} and has {extra:?} too much (all: {:?})",
        page.path,
        page.sidebar
    )
}

/// The action's button is there but disabled, and its reason names the role.
pub async fn expect_disabled_with_reason(
    browser: &Browser,
    permission: &str,
    role_name: &str,
) -> Result<()> {
    let button = format!("button[data-permission='{permission}'][disabled]");
    ensure!(
        !browser.find(&button).await?.is_enabled().await?,
        "`{button}` can be clicked"
    );
    let reason = browser
        .find(&format!(".action:has(> {button}) .reason"))
        .await?;
    let text = reason.text().await?;
    ensure!(
        reason.is_displayed().await? && text.contains(&format!("({role_name})")),
        "the disabled `{permission}` button should show a reason naming the role {role_name}, it shows `{text}`"
    );
    Ok(())
}

pub async fn wait_for_text(browser: &Browser, css: &str, text: &str) -> Result<()> {
    let what = format!("`{text}` in `{css}` on the {}'s page", browser.who);
    poll(&what, PAGE_LIMIT, Duration::from_millis(50), || async {
        let found = match browser.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default().contains(text),
            Err(_) => false,
        };
        Ok(found.then_some(()))
    })
    .await
}
