//! What a failed run leaves behind: a screenshot of every browser after each
//! step that passed and at the step that failed, with the programs' logs, in
//! `e2e/artifacts/run-…/` (CI keeps that folder). A passing run writes nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;

use crate::browser::Browser;

/// Writes to standard error directly, past the test harness's capture, so
/// the progress and timings show in CI logs of passing runs too.
pub fn say(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "e2e: {text}");
}

struct Shot {
    name: String,
    png: Vec<u8>,
}

/// The steps of a scenario, and their screenshots in case a later one fails.
pub struct Journal {
    steps: usize,
    current: Option<String>,
    started: Instant,
    shots: Vec<Shot>,
}

impl Journal {
    pub fn new() -> Journal {
        Journal {
            steps: 0,
            current: None,
            started: Instant::now(),
            shots: Vec::new(),
        }
    }

    /// Closes the step under way (screenshots of it are kept) and opens the next.
    pub async fn step(&mut self, name: &str, browsers: &[&Browser]) {
        self.close_step(browsers).await;
        self.steps += 1;
        self.current = Some(name.to_string());
        self.started = Instant::now();
    }

    /// Closes the last step.
    pub async fn finish(&mut self, browsers: &[&Browser]) {
        self.close_step(browsers).await;
    }

    async fn close_step(&mut self, browsers: &[&Browser]) {
        let Some(name) = self.current.take() else {
            return;
        };
        say(format!(
            "ok   {:02} {name} ({} ms)",
            self.steps,
            self.started.elapsed().as_millis()
        ));
        self.capture(browsers, "ok").await;
    }

    async fn capture(&mut self, browsers: &[&Browser], outcome: &str) {
        for browser in browsers {
            let name = format!("{:02}-{outcome}-{}.png", self.steps, browser.who);
            match browser.screenshot().await {
                Ok(png) => self.shots.push(Shot { name, png }),
                Err(e) => say(format!("no screenshot {name}: {e:#}")),
            }
        }
    }

    /// Records the failed step and writes everything kept to a new folder
    /// under `e2e/artifacts/`, whose path it answers.
    pub async fn fail(
        &mut self,
        browsers: &[&Browser],
        error: &anyhow::Error,
        logs: &[&Path],
    ) -> Result<PathBuf> {
        let name = self.current.take().unwrap_or_else(|| "setting up".into());
        say(format!("FAIL {:02} {name}: {error:#}", self.steps));
        self.capture(browsers, "failed").await;

        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("artifacts")
            .join(format!("run-{stamp}"));
        std::fs::create_dir_all(&folder)?;
        for shot in &self.shots {
            std::fs::write(folder.join(&shot.name), &shot.png)?;
        }
        for log in logs {
            if let Some(file_name) = log.file_name() {
                let _ = std::fs::copy(log, folder.join(file_name));
            }
        }
        let summary = format!("failed at step {:02}, {name}:\n{error:?}\n", self.steps);
        std::fs::write(folder.join("failure.txt"), summary)?;
        Ok(folder)
    }
}
