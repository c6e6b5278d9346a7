//! Resident memory of a permission cache holding 1,000,000 memberships,
//! measured in a child process of its own so nothing else is counted.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{json, Value};
use teamgate_core::Role;
use teamgate_store::cache::PermissionCache;
use teamgate_store::Member;

use crate::machine::rss_kb;
use crate::report::{mib, thousands, time, Row, Section};
use crate::Env;

const PER_ORG: usize = 100;

/// The child: fills the cache and prints one JSON line.
pub fn cache_rss_child(members: usize) -> ExitCode {
    let pid = std::process::id();
    let (before, _) = rss_kb(pid).unwrap_or((0, 0));
    let cache = PermissionCache::new(true);
    let mut keys = Vec::with_capacity(members);
    let started = Instant::now();
    for i in 0..members {
        let org = uuid::Uuid::from_u128((i / PER_ORG) as u128 + (1 << 100)).to_string();
        let member = Member {
            user_id: uuid::Uuid::new_v4().to_string(),
            email: format!("member{i}@org{}.test", i / PER_ORG),
            name: format!("Member {i}"),
            role: Role::ALL[i % Role::ALL.len()],
            joined_at: "2026-01-01T00:00:00.000Z".into(),
            version: 1,
        };
        cache.fill_member_for_bench(&org, &member);
        if i % 97 == 0 {
            keys.push((org, member.user_id));
        }
    }
    let filled_in = started.elapsed();
    let (after, peak) = rss_kb(pid).unwrap_or((0, 0));
    let keys_kb = (keys.len() * (36 * 2 + 48)) as u64 / 1024;

    // Random lookups on the full cache.
    let lookups = 1_000_000;
    let t = Instant::now();
    let mut hits = 0usize;
    for i in 0..lookups {
        let (org, user) = &keys[(i * 7919) % keys.len()];
        hits += black_box(cache.permissions(org, user)).is_some() as usize;
    }
    let lookup_ns = t.elapsed().as_nanos() as f64 / lookups as f64;
    println!(
        "{}",
        json!({"before_kb": before, "after_kb": after, "peak_kb": peak, "keys_kb": keys_kb,
               "fill_ms": filled_in.as_millis() as u64, "lookup_ns": lookup_ns, "hits": hits})
    );
    ExitCode::SUCCESS
}

pub async fn cache_rss(env: &Env) -> Result<Section, String> {
    let members = env.sizes.cached_memberships;
    eprintln!("== permission cache with {members} memberships");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = tokio::process::Command::new(exe)
        .args(["cache-rss", &members.to_string()])
        .output()
        .await
        .map_err(|e| e.to_string())?;
    let v: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cache-rss said: {e}"))?;
    let kb = |k: &str| v[k].as_u64().unwrap_or(0);
    let grown = kb("after_kb")
        .saturating_sub(kb("before_kb"))
        .saturating_sub(kb("keys_kb"));
    let per = grown as f64 * 1024.0 / members as f64;
    let mut s = Section::default();
    s.rows.push(
        Row::new(
            "scale",
            "resident memory of the permission cache",
            format!(
                "{} for {} memberships",
                mib(grown),
                thousands(members as f64)
            ),
        )
        .compared(
            format!(
                "{per:.0} bytes per membership; process total {}",
                mib(kb("after_kb"))
            ),
            "",
        )
        .size(format!(
            "{} orgs × {PER_ORG} members",
            thousands((members / PER_ORG) as f64)
        )),
    );
    s.rows.push(
        Row::new(
            "scale",
            "check on that cache (random member)",
            time(v["lookup_ns"].as_f64().unwrap_or(0.0)),
        )
        .compared(format!("filled in {} ms", kb("fill_ms")), "")
        .size(format!("{} memberships", thousands(members as f64))),
    );
    s.notes.push(
        "Cache memory: a child process (`teamgate-bench-run cache-rss N`) reads its VmRSS, fills a \
         `PermissionCache` through `fill_member_for_bench` with members as the store caches them \
         (uuid ids, email, name, joined_at), reads VmRSS again; the figure is the growth less the \
         bench's own list of sample keys."
            .into(),
    );
    s.commands.push(format!(
        "target/release/teamgate-bench-run cache-rss {members}"
    ));
    Ok(s)
}
