//! Audited role changes per second over HTTP, on SQLite and PostgreSQL: each
//! is a transaction that locks the organisation, re-checks the rules, writes
//! the change and its hash-chained audit event. The chain is verified after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::api::Api;
use crate::report::{ms, thousands, Row, Section};
use crate::server::{PgSchema, Server};
use crate::Env;

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

pub async fn role_changes(env: &Env) -> Result<Section, String> {
    eprintln!("== audited role changes over HTTP");
    let mut section = Section::default();
    let dir = env.work.join("roles-sqlite");
    let url = format!("sqlite://{}/teamgate.db", dir.display());
    one_database(env, &mut section, "SQLite", &url, &dir).await?;
    if let Some(base) = &env.postgres {
        let schema = PgSchema::create(base).await?;
        let result = one_database(
            env,
            &mut section,
            "PostgreSQL",
            &schema.url,
            &env.work.join("roles-pg"),
        )
        .await;
        schema.drop_schema().await;
        result?;
    }
    section.notes.push(format!(
        "Audited role changes: `serve --demo`, signed in as admin@demo.test, {} clients each moving \
         its own member between staff and viewer with `PATCH /api/v1/orgs/{{org}}/members/{{user}}` \
         for {} s (all in one organisation, so they queue on its lock, as the audit chain requires). \
         Afterwards `teamgate audit verify` must pass on the result.",
        env.sizes.role_change_clients, env.sizes.role_change_seconds
    ));
    section.commands.push(
        "teamgate serve --demo --database-url URL   # then PATCH …/members/{user} from 4 clients"
            .into(),
    );
    Ok(section)
}

async fn one_database(
    env: &Env,
    section: &mut Section,
    label: &str,
    url: &str,
    dir: &std::path::Path,
) -> Result<(), String> {
    let server = Server::teamgate(env, url, dir, true).await?;
    let password = server.demo_password.clone().ok_or("no demo password")?;
    let admin = Arc::new(Api::sign_in(&server.base, "admin@demo.test", &password).await?);
    let org = admin.first_org().await?;
    let members: Vec<String> = admin
        .members(&org)
        .await?
        .into_iter()
        .filter(|(_, role)| role != "admin")
        .map(|(id, _)| id)
        .take(env.sizes.role_change_clients)
        .collect();
    let deadline = Instant::now() + Duration::from_secs(env.sizes.role_change_seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for member in members {
        let admin = admin.clone();
        let path = format!("/api/v1/orgs/{org}/members/{member}");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            let mut staff = false;
            while Instant::now() < deadline {
                staff = !staff;
                let role = if staff { "staff" } else { "viewer" };
                let t = Instant::now();
                match admin
                    .send(reqwest::Method::PATCH, &path, Some(json!({"role": role})))
                    .await
                {
                    Ok(_) => latencies.push(t.elapsed()),
                    Err(e) => failures.push(e),
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for task in tasks {
        let (l, f) = task.await.map_err(|e| e.to_string())?;
        latencies.extend(l);
        failures.extend(f);
    }
    let took = started.elapsed();
    server.stop().await;
    latencies.sort();

    let verify = tokio::process::Command::new(&env.teamgate)
        .args(["audit", "verify", "--database-url", url])
        .output()
        .await
        .map_err(|e| e.to_string())?;
    let intact = verify.status.success();

    let per_sec = latencies.len() as f64 / took.as_secs_f64();
    section.rows.push(
        Row::new(
            "audit",
            format!("audited role changes over HTTP, {label}"),
            format!("{} changes/s", thousands(per_sec)),
        )
        .compared(
            format!(
                "latency p50 {} / p99 {}",
                ms(percentile(&latencies, 0.5)),
                ms(percentile(&latencies, 0.99))
            ),
            "",
        )
        .size(format!(
            "{} clients, {} changes, chain {}",
            env.sizes.role_change_clients,
            latencies.len(),
            if intact { "verified intact" } else { "BROKEN" }
        )),
    );
    if !failures.is_empty() {
        section.notes.push(format!(
            "**{label}: {} role changes failed**, first: {}",
            failures.len(),
            failures[0]
        ));
    }
    if !intact {
        return Err(format!(
            "audit verify failed after the role changes on {label}: {}",
            String::from_utf8_lossy(&verify.stdout)
        ));
    }
    Ok(())
}
