//! The large databases: one organisation with many members and a long audit
//! chain, loaded in bulk; then `audit verify`, the filtered audit page, the
//! members page, and the start-up and memory of `serve` on it.

use std::future::Future;
use std::time::{Duration, Instant};

use teamgate_core::clock::Clock;
use teamgate_core::clock::SystemClock;
use teamgate_store::{AuditFilter, NewAccount, SqlStore, Store};

use crate::api::Api;
use crate::audit::percentile;
use crate::bulk::{self, Raw};
use crate::report::{mib, ms, thousands, Row, Section};
use crate::server::{PgSchema, Server};
use crate::Env;

const ADMIN: &str = "admin@big.test";
const PASSWORD: &str = "bench-password-not-secret";

#[derive(Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub async fn run(env: &Env, backend: Backend) -> Result<Section, String> {
    match backend {
        Backend::Sqlite => {
            let dir = env.work.join("large-sqlite");
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let url = format!("sqlite://{}/teamgate.db", dir.display());
            let section = run_on(env, backend, &url, &dir).await;
            // Gigabytes; nothing reads them after the run.
            let _ = std::fs::remove_dir_all(&dir);
            section
        }
        Backend::Postgres => {
            let base = env
                .postgres
                .as_ref()
                .ok_or("TEAMGATE_TEST_DATABASE_URL is not set")?;
            let schema = PgSchema::create(base).await?;
            let section = run_on(env, backend, &schema.url, &env.work.join("large-pg")).await;
            schema.drop_schema().await;
            section
        }
    }
}

/// Median and worst of `repeats` timed calls, after one untimed call.
async fn timed<F, Fut, T>(repeats: usize, mut f: F) -> Result<(Duration, Duration, T), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let mut last = f().await?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t = Instant::now();
        last = f().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 1.0), last))
}

async fn run_on(
    env: &Env,
    backend: Backend,
    url: &str,
    dir: &std::path::Path,
) -> Result<Section, String> {
    let (label, events) = match backend {
        Backend::Sqlite => ("SQLite", env.sizes.audit_events_sqlite),
        Backend::Postgres => ("PostgreSQL", env.sizes.audit_events_postgres),
    };
    let members = env.sizes.members_large_org;
    eprintln!("== large {label} database: {members} members, {events} audit events");
    let mut s = Section::default();

    let hash = teamgate_http::auth::password::hash_password_blocking(PASSWORD)?;
    let store = SqlStore::connect(url).await.map_err(|e| e.to_string())?;
    let account = NewAccount {
        email: ADMIN.into(),
        name: "Admin".into(),
        password_hash: hash,
    };
    let (admin, org) = store
        .bootstrap(account, "Big Co", SystemClock.now())
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;

    let load = Instant::now();
    let mut raw = Raw::open(url).await?;
    let targets = bulk::members(&mut raw, &org.id, members).await?;
    let batch = if backend == Backend::Postgres {
        20_000
    } else {
        5_000
    };
    bulk::events(&mut raw, &org.id, &admin.id, targets, events, batch).await?;
    if backend == Backend::Postgres {
        // What autovacuum would do soon after such a load; the planner needs the statistics.
        raw.execute("ANALYZE").await?;
    }
    raw.close().await;
    let loaded_in = load.elapsed();
    eprintln!("   loaded in {:.0} s", loaded_in.as_secs_f64());
    let size = format!(
        "1 org, {} members, {} events",
        thousands(members as f64),
        thousands(events as f64)
    );

    // `audit verify` over the whole chain.
    {
        let t = Instant::now();
        let out = tokio::process::Command::new(&env.teamgate)
            .args(["audit", "verify", "--org", &org.id, "--database-url", url])
            .output()
            .await
            .map_err(|e| e.to_string())?;
        let took = t.elapsed();
        if !out.status.success() {
            return Err(format!(
                "audit verify failed: {}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let checked: u64 = stdout
            .lines()
            .find_map(|l| {
                l.strip_prefix("ok: ")?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or(events);
        s.rows.push(
            Row::new(
                "audit",
                format!("`teamgate audit verify`, {label}"),
                format!(
                    "{} events/s",
                    thousands(checked as f64 / took.as_secs_f64())
                ),
            )
            .compared(
                format!("{:.1} s for the whole chain", took.as_secs_f64()),
                "",
            )
            .size(format!("{} events", thousands(events as f64))),
        );
        s.commands.push(format!(
            "teamgate audit verify --org ORG --database-url {}",
            if backend == Backend::Sqlite {
                "sqlite://…"
            } else {
                "postgres://…"
            }
        ));
    }

    // The store's filtered audit page, newest first, and one deep in the chain.
    let store = SqlStore::connect(url).await.map_err(|e| e.to_string())?;
    let filter = AuditFilter {
        action: Some("member.".into()),
        ..AuditFilter::default()
    };
    let repeats = env.sizes.page_repeats;
    let (first, first_max, page) = timed(repeats, || async {
        store
            .audit_page(&org.id, &filter, None, 50)
            .await
            .map_err(|e| e.to_string())
    })
    .await?;
    if page.len() != 50 || page.iter().any(|e| !e.action.starts_with("member.")) {
        return Err("the filtered audit page is wrong".into());
    }
    let middle = events as i64 / 2;
    let (deep, deep_max, _) = timed(repeats, || async {
        store
            .audit_page(&org.id, &filter, Some(middle), 50)
            .await
            .map_err(|e| e.to_string())
    })
    .await?;
    let rare = AuditFilter {
        action: Some("member.left".into()),
        ..AuditFilter::default()
    };
    let (exact, exact_max, _) = timed(repeats, || async {
        store
            .audit_page(&org.id, &rare, Some(middle), 50)
            .await
            .map_err(|e| e.to_string())
    })
    .await?;
    let (members_first, members_max, _) = timed(repeats, || async {
        store
            .list_members(&org.id, None, 51)
            .await
            .map_err(|e| e.to_string())
    })
    .await?;
    store.close().await;
    s.rows.push(
        Row::new("audit", format!("filtered audit page `action=member.`, limit 50, {label} (store)"), format!("{} median", ms(first)))
            .compared(format!("worst {}; from the middle of the chain: {} (worst {}); `action=member.left` from the middle: {} (worst {})", ms(first_max), ms(deep), ms(deep_max), ms(exact), ms(exact_max)), "")
            .size(size.clone()),
    );
    s.rows.push(
        Row::new(
            "scale",
            format!("members page, limit 50, {label} (store)"),
            format!("{} median", ms(members_first)),
        )
        .compared(format!("worst {}", ms(members_max)), "")
        .size(size.clone()),
    );

    // `serve` on the large database: start-up, memory, the pages over HTTP.
    let server = Server::teamgate(env, url, dir, false).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle_rss, _) = server.memory();
    s.rows.push(
        Row::new(
            "start-up",
            format!("`serve` start-up, {label}, large"),
            format!(
                "{} to listening, {} to healthy",
                ms(server.listening_after),
                ms(server.healthy_after)
            ),
        )
        .size(size.clone()),
    );
    let api = Api::sign_in(&server.base, ADMIN, PASSWORD).await?;
    let org_id = org.id.clone();
    let first_page = format!("/api/v1/orgs/{org_id}/members?limit=50");
    let (http_first, http_max, _) = timed(repeats, || api.get(&first_page)).await?;
    let walk = Instant::now();
    let (mut seen, mut pages, mut cursor) = (0u64, 0u64, None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/orgs/{org_id}/members?limit=200&cursor={c}"),
            None => format!("/api/v1/orgs/{org_id}/members?limit=200"),
        };
        let page = api.get(&path).await?;
        seen += page["items"].as_array().map_or(0, |a| a.len() as u64);
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let walked_in = walk.elapsed();
    if seen != members + 1 {
        return Err(format!(
            "walking the members pages gave {seen} members, not {}",
            members + 1
        ));
    }
    s.rows.push(
        Row::new(
            "scale",
            format!("`GET /orgs/{{org}}/members?limit=50`, {label}"),
            format!("{} median", ms(http_first)),
        )
        .compared(
            format!(
                "worst {}; walking all {} pages of 200: {:.2} s ({} per page)",
                ms(http_max),
                pages,
                walked_in.as_secs_f64(),
                ms(walked_in / pages as u32)
            ),
            "",
        )
        .size(size.clone()),
    );
    let audit_path = format!("/api/v1/orgs/{org_id}/audit?action=member.&limit=50");
    match api.get(&audit_path).await {
        Ok(_) => {
            let (a_first, a_max, _) = timed(repeats, || api.get(&audit_path)).await?;
            s.rows.push(
                Row::new(
                    "audit",
                    format!("`GET /orgs/{{org}}/audit?action=member.&limit=50`, {label}"),
                    format!("{} median", ms(a_first)),
                )
                .compared(format!("worst {}", ms(a_max)), "")
                .size(size.clone()),
            );
        }
        Err(e) if e.contains("404") => {
            s.notes.push(format!("{label}: `GET /api/v1/orgs/{{org}}/audit` answered 404 in this build (route not there yet), so the audit page is measured on the store (`Store::audit_page`), which the route will call."));
        }
        Err(e) => return Err(e),
    }
    let (rss, peak) = server.memory();
    s.rows.push(Row::new(
        "memory",
        format!("`serve` resident memory, {label}, large: idle after start / after the page requests (peak)"),
        format!("{} / {} ({})", mib(idle_rss), mib(rss), mib(peak)),
    ).size(size.clone()));
    server.stop().await;

    s.notes.push(format!(
        "Large {label} database: `Big Co` made by `Store::bootstrap`, then {} members (users and \
         memberships) and {} audit events written straight into the tables (bench/src/bin/run/bulk.rs: \
         each event sealed by `AuditEvent::seal` continuing the chain; {}) in {:.0} s. Pages are timed \
         {} times after one untimed call; the figure is the median.",
        thousands(members as f64),
        thousands(events as f64),
        if backend == Backend::Postgres { "COPY, then ANALYZE" } else { "multi-row INSERTs" },
        loaded_in.as_secs_f64(),
        repeats
    ));
    Ok(s)
}
