//! Starting and stopping `teamgate serve` (and the ceiling) on loopback,
//! fresh databases for them, and the start-up figures on empty databases.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::machine::rss_kb;
use crate::report::{mib, ms, Row, Section};
use crate::Env;

/// A server process this run started.
pub struct Server {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub demo_password: Option<String>,
    /// From spawning the process to its "listening" line.
    pub listening_after: Duration,
    /// From spawning the process to the first 200 of /healthz.
    pub healthy_after: Duration,
}

/// A free loopback port (the public URL, hence the accepted Origin, must name it).
pub fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

impl Server {
    /// `teamgate serve` on `database_url`, data in `dir`.
    pub async fn teamgate(
        env: &Env,
        database_url: &str,
        dir: &Path,
        demo: bool,
    ) -> Result<Server, String> {
        Server::teamgate_logging(env, database_url, dir, demo, None).await
    }

    /// As [`Server::teamgate`], with a log filter instead of the default (`info`).
    pub async fn teamgate_logging(
        env: &Env,
        database_url: &str,
        dir: &Path,
        demo: bool,
        log: Option<&str>,
    ) -> Result<Server, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(&env.teamgate);
        command
            .arg("serve")
            .args([
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                &base,
            ])
            .args(["--database-url", database_url])
            .arg("--data-dir")
            .arg(dir);
        if demo {
            command.arg("--demo");
        }
        if let Some(filter) = log {
            command.args(["--log", filter]);
        }
        let log = std::fs::File::create(dir.join("serve.log")).map_err(|e| e.to_string())?;
        command.stderr(Stdio::from(log));
        Server::spawn(command, "teamgate listening on ", base).await
    }

    pub async fn ceiling(env: &Env) -> Result<Server, String> {
        let port = free_port()?;
        let mut command = Command::new(&env.ceiling);
        command
            .arg(format!("127.0.0.1:{port}"))
            .stderr(Stdio::null());
        Server::spawn(
            command,
            "ceiling listening on ",
            format!("http://127.0.0.1:{port}"),
        )
        .await
    }

    async fn spawn(mut command: Command, ready_line: &str, base: String) -> Result<Server, String> {
        let started = Instant::now();
        let mut child = command
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| e.to_string())?;
        let pid = child.id().ok_or("the server exited at once")?;
        let stdout = child.stdout.take().ok_or("no standard output")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut demo_password = None;
        let listening_after = loop {
            let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
                .await
                .map_err(|_| "the server did not say it was listening within 120 s".to_string())?
                .map_err(|e| e.to_string())?
                .ok_or("the server exited before listening")?;
            if let Some(pw) = line.strip_prefix("demo password: ") {
                demo_password = Some(pw.trim().to_string());
            }
            if line.starts_with(ready_line) {
                break started.elapsed();
            }
        };
        // Keep draining standard output so the server never blocks on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let client = reqwest::Client::new();
        let healthy_after = loop {
            let health = client.get(format!("{base}/healthz")).send().await;
            if health.is_ok_and(|r| r.status().is_success() || r.status().as_u16() == 404) {
                break started.elapsed();
            }
            if started.elapsed() > Duration::from_secs(120) {
                return Err("/healthz never answered".into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        Ok(Server {
            child,
            pid,
            base,
            demo_password,
            listening_after,
            healthy_after,
        })
    }

    /// Resident memory now, and its peak so far (kB).
    pub fn memory(&self) -> (u64, u64) {
        rss_kb(self.pid).unwrap_or((0, 0))
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// Fresh PostgreSQL schemas made by this run, dropped at its end.
pub struct PgSchema {
    pub url: String,
    base: String,
    name: String,
}

impl PgSchema {
    pub async fn create(base: &str) -> Result<PgSchema, String> {
        let name = format!("tgbench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(base)
            .await
            .map_err(|e| format!("PostgreSQL: {e}"))?;
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        let sep = if base.contains('?') { '&' } else { '?' };
        Ok(PgSchema {
            url: format!("{base}{sep}options[search_path]={name}"),
            base: base.to_string(),
            name,
        })
    }

    pub async fn drop_schema(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.base).await {
            let _ = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
                .execute(&mut conn)
                .await;
        }
    }
}

/// Start-up time and memory of `teamgate serve` on empty databases.
pub async fn empty_startups(env: &Env) -> Result<Section, String> {
    eprintln!("== start-up on empty databases");
    let mut section = Section::default();
    let dir = env.work.join("empty-sqlite");
    let url = format!("sqlite://{}/teamgate.db", dir.display());
    startup_rows(env, &mut section, "SQLite, empty", &url, &dir).await?;
    if let Some(base) = &env.postgres {
        let schema = PgSchema::create(base).await?;
        let result = startup_rows(
            env,
            &mut section,
            "PostgreSQL, empty",
            &schema.url,
            &env.work.join("empty-pg"),
        )
        .await;
        schema.drop_schema().await;
        result?;
    }
    section.notes.push(
        "Start-up: from spawning `teamgate serve` to its `teamgate listening on` line and to the \
         first answer of `/healthz`; memory is VmRSS from /proc one second after that, idle. On an \
         empty database this includes running the migrations."
            .into(),
    );
    Ok(section)
}

pub async fn startup_rows(
    env: &Env,
    section: &mut Section,
    label: &str,
    url: &str,
    dir: &Path,
) -> Result<(), String> {
    let server = Server::teamgate(env, url, dir, false).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss, _) = server.memory();
    section.rows.push(Row::new(
        "start-up",
        format!("`serve` start-up, {label}"),
        format!(
            "{} to listening, {} to healthy",
            ms(server.listening_after),
            ms(server.healthy_after)
        ),
    ));
    section.rows.push(Row::new(
        "memory",
        format!("`serve` resident memory idle, {label}"),
        mib(rss),
    ));
    server.stop().await;
    Ok(())
}
