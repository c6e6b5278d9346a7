//! Browser end-to-end tests of the console (SPEC.md section 5): the real
//! `teamgate` binary, used in headless Chromium through chromedriver the way
//! an admin and a new member would, each in a browser of their own.
//!
//! Needs `cargo build -p teamgate` first, and Debian's `chromium` and
//! `chromium-driver`. Without the browsers the test fails, unless
//! `TEAMGATE_E2E_OPTIONAL=1` is set, when it says loudly that it skipped.
//! A failed step leaves screenshots and logs in `e2e/artifacts/`.

mod browser;
mod checks;
mod evidence;
mod outbox;
mod processes;
mod scenario;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Result};

use browser::Browser;
use evidence::{say, Journal};
use processes::{Chromedriver, Teamgate, CHROMEDRIVER, CHROMIUM};
use scenario::scenario;

/// The whole scenario, so a hung browser fails the run instead of stalling CI.
const SCENARIO_LIMIT: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_member_sees_their_pages_and_a_role_change_reaches_their_open_page() -> Result<()>
{
    if !browsers_installed() {
        return Ok(());
    }
    run_scenario().await
}

/// False (after a loud note) when the browsers are missing and the run allows
/// that; a missing browser is otherwise a failure.
fn browsers_installed() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let install = "apt-get install chromium chromium-driver";
    if std::env::var("TEAMGATE_E2E_OPTIONAL").as_deref() == Ok("1") {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!! SKIPPED: browser end-to-end tests did NOT run: {} missing ({install}); \
             TEAMGATE_E2E_OPTIONAL=1 allows this !!!!!\n",
            missing.join(" and ")
        );
        return false;
    }
    panic!(
        "{} missing: install Debian's browsers with `{install}` (or set TEAMGATE_E2E_OPTIONAL=1 to skip)",
        missing.join(" and ")
    );
}

/// Starts everything, runs the scenario, and on failure keeps the evidence.
/// Browsers are closed and processes ended whatever happens.
async fn run_scenario() -> Result<()> {
    let server = Teamgate::start()?;
    say(format!("teamgate listening on {}", server.base));
    let driver = Chromedriver::start()?;
    let admin = Browser::open(&driver, "admin").await?;
    let member = match Browser::open(&driver, "member").await {
        Ok(member) => member,
        Err(e) => {
            admin.close().await;
            return Err(e);
        }
    };

    let mut journal = Journal::new();
    let outcome = tokio::time::timeout(
        SCENARIO_LIMIT,
        scenario(&server, &admin, &member, &mut journal),
    )
    .await
    .unwrap_or_else(|_| Err(anyhow!("the scenario took longer than {SCENARIO_LIMIT:?}")));
    let result = match outcome {
        Ok(()) => {
            journal.finish(&[]).await;
            Ok(())
        }
        Err(error) => {
            let mut logs: Vec<&Path> = server.logs.iter().map(|p| p.as_path()).collect();
            logs.push(&driver.log);
            match journal.fail(&[&admin, &member], &error, &logs).await {
                Ok(folder) => say(format!(
                    "screenshots and logs of this failure: {}",
                    folder.display()
                )),
                Err(e) => say(format!("could not save the screenshots: {e:#}")),
            }
            Err(error)
        }
    };

    admin.close().await;
    member.close().await;
    drop(driver);
    drop(server);
    result
}
