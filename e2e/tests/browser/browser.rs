//! One person's browser: a headless Chromium session of its own (own profile,
//! own cookies) driven through WebDriver, and the few things a test reads off
//! a console page.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::json;

use crate::processes::{Chromedriver, CHROMIUM};

/// Chromium's switches. The `disable-*` ones keep it from calling home,
/// which this machine's closed network would only make slow.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

pub struct Browser {
    /// Who uses it, for messages and screenshot names.
    pub who: &'static str,
    pub client: Client,
}

impl Browser {
    /// A new Chromium session with a fresh user data folder of its own.
    pub async fn open(driver: &Chromedriver, who: &'static str) -> Result<Browser> {
        let profile = driver.new_profile()?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        capabilities.insert(
            "timeouts".into(),
            json!({ "pageLoad": 20_000, "script": 10_000, "implicit": 0 }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .with_context(|| {
                format!(
                    "open a Chromium session for the {who} through {}",
                    driver.url
                )
            })?;
        Ok(Browser { who, client })
    }

    /// Ends the session, which makes chromedriver close this Chromium.
    pub async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.close()).await;
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("{} opens {url}", self.who))
    }

    pub async fn find(&self, css: &str) -> Result<Element> {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => Ok(element),
            Err(e) => Err(anyhow!(e).context(format!(
                "{} finds `{css}` on {}",
                self.who,
                self.path().await
            ))),
        }
    }

    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field
            .send_keys(text)
            .await
            .with_context(|| format!("{} types into `{css}`", self.who))
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css)
            .await?
            .click()
            .await
            .with_context(|| format!("{} clicks `{css}`", self.who))
    }

    /// The current path, for messages; never fails.
    pub async fn path(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.path().to_string(),
            Err(e) => format!("(unknown page: {e})"),
        }
    }

    pub async fn body_text(&self) -> Result<String> {
        Ok(self.find("body").await?.text().await?)
    }

    /// What the page shows now, read in one round trip.
    pub async fn snapshot(&self) -> Result<PageState> {
        let value = self
            .client
            .execute(PAGE_STATE, Vec::new())
            .await
            .with_context(|| format!("{} reads the page state", self.who))?;
        serde_json::from_value(value).context("the page state script answered something else")
    }

    /// Waits until the page's path is `/orgs/{uuid}` and answers the id.
    pub async fn org_home(&self, limit: Duration) -> Result<String> {
        let what = format!(
            "{}'s browser to land on an organisation's home page",
            self.who
        );
        poll(&what, limit, Duration::from_millis(50), || async {
            let path = self.path().await;
            let id = path.strip_prefix("/orgs/").filter(|id| is_uuid(id));
            Ok(id.map(str::to_string))
        })
        .await
    }

    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        match tokio::time::timeout(Duration::from_secs(10), self.client.screenshot()).await {
            Ok(png) => Ok(png?),
            Err(_) => bail!(
                "the {}'s browser took too long to take a screenshot",
                self.who
            ),
        }
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Reads the sidebar, the gated buttons and the live-update marks at once.
const PAGE_STATE: &str = r#"
const reasonOf = (button) => {
  const holder = button.closest('.action');
  const reason = holder && holder.querySelector('.reason');
  return reason && !reason.hidden ? reason.textContent.trim() : '';
};
return {
  path: location.pathname,
  role: document.body.dataset.role || null,
  marker: window.teamgateE2eMarker || null,
  sidebar: Array.from(document.querySelectorAll('nav.sidebar a[data-permission]'),
    (a) => a.getAttribute('data-permission')).sort(),
  actions: Array.from(document.querySelectorAll('button[data-permission]'), (b) => ({
    permission: b.getAttribute('data-permission'),
    disabled: b.disabled,
    reason: reasonOf(b),
  })),
  revoked_notice: !!document.querySelector('section.content [data-code="forbidden"]'),
};
"#;

/// What a console page shows, as `PAGE_STATE` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct PageState {
    pub path: String,
    pub role: Option<String>,
    /// Set by the test on the page; a reload would clear it.
    pub marker: Option<String>,
    /// The sidebar's `data-permission` values, sorted, duplicates kept.
    pub sidebar: Vec<String>,
    pub actions: Vec<ActionState>,
    /// The page replaced its content because its permission was taken away.
    pub revoked_notice: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ActionState {
    pub permission: String,
    pub disabled: bool,
    pub reason: String,
}

impl PageState {
    pub fn action(&self, permission: &str) -> Result<&ActionState> {
        self.actions
            .iter()
            .find(|a| a.permission == permission)
            .ok_or_else(|| anyhow!("no `{permission}` button on {}", self.path))
    }
}

/// Calls `probe` every `every` until it answers `Some`, for at most `limit`.
pub async fn poll<T, F, Fut>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut probe: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await? {
            return Ok(found);
        }
        if started.elapsed() > limit {
            bail!("waited {limit:?} for {what}");
        }
        tokio::time::sleep(every).await;
    }
}
