//! The criterion comparison of engines and the propagation bench, run
//! through cargo (already built by bench/run.sh), and their figures read back.

use std::path::Path;

use serde_json::Value;

use crate::report::{time, ChartPoint, Goal, Row, Section};
use crate::Env;

const ENGINES: [&str; 3] = ["teamgate", "cedar-policy", "casbin"];
const GROUPS: [(&str, &str); 4] = [
    (
        "check_allowed",
        "check, allowed (random member and permission)",
    ),
    (
        "check_denied",
        "check, denied (random member and permission)",
    ),
    (
        "permission_set",
        "whole permission set of one member (teamgate: one lookup; peers: 44 checks)",
    ),
    (
        "role_change",
        "apply one role change, then the check that must see it",
    ),
];

/// The bench executables bench/run.sh built (asking cargo again with the
/// same packages builds nothing and names them).
async fn bench_executable(env: &Env, name: &str) -> Result<String, String> {
    let output = tokio::process::Command::new("cargo")
        .current_dir(&env.root)
        .args([
            "bench",
            "--no-run",
            "-p",
            "teamgate-bench",
            "-p",
            "teamgate-bench-compare",
            "--message-format=json",
        ])
        .output()
        .await
        .map_err(|e| e.to_string())?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["target"]["name"] == name && v["target"]["kind"][0] == "bench")
        .and_then(|v| v["executable"].as_str().map(str::to_string))
        .ok_or_else(|| format!("no bench executable `{name}`: run bench/run.sh, which builds it"))
}

async fn run_bench(
    env: &Env,
    name: &str,
    args: &[&str],
    vars: &[(&str, String)],
) -> Result<String, String> {
    let exe = bench_executable(env, name).await?;
    let mut command = tokio::process::Command::new(&exe);
    command.current_dir(&env.root).args(args);
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().await.map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        return Err(format!(
            "{name} {} failed: {}",
            args.join(" "),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(stdout)
}

/// criterion's median estimate, in ns.
fn median_ns(home: &Path, group: &str, engine: &str) -> Result<f64, String> {
    let path = home.join(group).join(engine).join("new/estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    v["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("no median in {}", path.display()))
}

pub async fn engines(env: &Env) -> Result<Section, String> {
    eprintln!("== engines: teamgate, cedar-policy, casbin (criterion)");
    let s = &env.sizes;
    let timing = [
        "--warm-up-time".to_string(),
        s.criterion_warm_up.to_string(),
        "--measurement-time".into(),
        s.criterion_measure.to_string(),
        "--sample-size".into(),
        s.criterion_samples.to_string(),
    ];
    let mut args = vec!["--bench"];
    args.extend(timing.iter().map(String::as_str));
    // The whole comparison runs several times; a burst of load from elsewhere
    // then spoils one repetition of a figure, not the figure.
    let mut homes = Vec::new();
    let mut scenario = String::from("scenario: ?");
    for rep in 0..s.criterion_repetitions {
        eprintln!("   repetition {} of {}", rep + 1, s.criterion_repetitions);
        let home = env.work.join(format!("criterion-{rep}"));
        let vars = [("CRITERION_HOME", home.display().to_string())];
        let out = run_bench(env, "engines", &args, &vars).await?;
        if let Some(line) = out.lines().find(|l| l.starts_with("scenario:")) {
            scenario = line.to_string();
        }
        homes.push(home);
    }

    let mut section = Section::default();
    let mut cedar_ratio = None;
    for (group, label) in GROUPS {
        let mut ns = Vec::new();
        for engine in ENGINES {
            let medians: Vec<f64> = homes
                .iter()
                .map(|h| median_ns(h, group, engine))
                .collect::<Result<_, _>>()?;
            ns.push(medians.into_iter().fold(f64::MAX, f64::min));
        }
        for (engine, value) in ENGINES.iter().zip(&ns) {
            section.chart.push(ChartPoint::Engine {
                operation: group.into(),
                engine: engine.to_string(),
                ns: *value,
            });
        }
        let ratio = |i: usize| format!("{:.0}× faster than {}", ns[i] / ns[0], ENGINES[i]);
        let ratio = |i: usize| {
            if ns[i] >= ns[0] {
                ratio(i)
            } else {
                format!("{:.2}× ({} is faster)", ns[i] / ns[0], ENGINES[i])
            }
        };
        section.rows.push(
            Row::new("in-process", label, time(ns[0]))
                .compared(
                    format!("cedar-policy {}; casbin {}", time(ns[1]), time(ns[2])),
                    format!("{}; {}", ratio(1), ratio(2)),
                )
                .size("5 roles, 44 permissions, 10,000 members in 100 orgs"),
        );
        if group == "check_allowed" || group == "check_denied" {
            let r = ns[1] / ns[0];
            cedar_ratio = Some(cedar_ratio.map_or(r, |old: f64| old.min(r)));
        }
    }
    if let Some(r) = cedar_ratio {
        section.goals.push(Goal {
            name: "in-process check at least 100× faster than cedar-policy".into(),
            met: r >= 100.0,
            detail: format!(
                "{r:.0}× for the slower of allowed and denied, medians of the same run. A \
                 teamgate check is a read lock, two aHash probes keyed by 36-character UUID \
                 strings and a hit counter; on random members of 10,000 most of its time is \
                 memory misses (compare the fixed-member row), while cedar-policy evaluates its \
                 policies for every request.{}",
                if r >= 100.0 {
                    ""
                } else {
                    " This run missed. See the spread of the load average above: load that \
                     lands on teamgate's turn alone moves a run by tens of percent."
                }
            ),
        });
    }
    section.notes.push(format!(
        "In-process ({scenario}): criterion medians (`--warm-up-time {} --measurement-time {} --sample-size {}`), \
         the whole comparison run {} times and each figure the lowest of its {} medians (the least \
         disturbed by the rest of the machine). \
         teamgate: `PermissionCache::permissions(org, user)` and a bit test, cache warm. cedar-policy: one \
         `permit` per role listing its actions, members as entities whose parents are their role and \
         organisation, the organisation as resource (`when {{ principal in resource }}`), prebuilt entity \
         uids, `Authorizer::is_authorized` per check. casbin: RBAC with domains (organisation = domain), \
         `p, role, feature, action` valid in every domain and `g, user, role, org`, the matcher comparing \
         feature and action before `g()`, `Enforcer::enforce` per check. Before timing, all three answer \
         the same {} random checks and permission sets, or the run stops.",
        s.criterion_warm_up,
        s.criterion_measure,
        s.criterion_samples,
        s.criterion_repetitions,
        s.criterion_repetitions,
        "8,192"
    ));
    section.notes.push(
        "Role change: teamgate drops the organisation's cached entries (`PermissionCache::apply`, what \
         a committed change does) and refills the changed member, as the next database read would, \
         then checks; the database transaction itself is measured under audit below, and the other \
         members of that organisation are re-read from the database on their next request (not \
         counted here). cedar-policy: `Entities::upsert_entities` with the member's new parent (it \
         recomputes the transitive closure). casbin: `remove_grouping_policy` + `add_grouping_policy`."
            .into(),
    );
    section.commands.push(format!(
        "CRITERION_HOME=target/bench-run/criterion-N cargo bench -p teamgate-bench-compare --bench engines -- {}   # run {} times, N = 0, 1, …",
        timing.join(" "),
        s.criterion_repetitions
    ));
    Ok(section)
}

pub async fn propagation(env: &Env) -> Result<Section, String> {
    eprintln!("== propagation between two replicas (PostgreSQL)");
    let Some(base) = &env.postgres else {
        return Err("TEAMGATE_TEST_DATABASE_URL is not set".into());
    };
    let out = run_bench(
        env,
        "propagation",
        &[],
        &[("TEAMGATE_TEST_DATABASE_URL", base.clone())],
    )
    .await?;
    let line = out
        .lines()
        .find(|l| l.starts_with("propagation over"))
        .ok_or_else(|| format!("no result in: {out}"))?;
    let figure = |key: &str| -> Option<f64> {
        let rest = line.split(key).nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    };
    let (median, p99, max) = (figure("median"), figure("p99"), figure("max"));
    let mut section = Section::default();
    section.rows.push(
        Row::new(
            "replicas",
            "propagation of a role change to a second replica, median / p99 / max",
            format!(
                "{:.2} ms / {:.2} ms / {:.2} ms",
                median.unwrap_or(f64::NAN),
                p99.unwrap_or(f64::NAN),
                max.unwrap_or(f64::NAN)
            ),
        )
        .size("200 changes, two SqlStore replicas on one PostgreSQL"),
    );
    if let Some(p99) = p99 {
        section.goals.push(Goal {
            name: "propagation well under 50 ms (SPEC rule 6)".into(),
            met: p99 < 50.0,
            detail: format!("p99 {p99:.2} ms."),
        });
    }
    section.notes.push(
        "Propagation: bench/benches/propagation.rs: from the moment `change_role` returns on replica A \
         to replica B's first read that shows the new role (B's cache warm with the old one), over \
         PostgreSQL NOTIFY."
            .into(),
    );
    section.commands.push(
        "TEAMGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p teamgate-bench --bench propagation".into(),
    );
    Ok(section)
}

/// The middle estimate criterion prints for `name`, in ns.
fn printed_ns(stdout: &str, name: &str) -> Option<f64> {
    let after = &stdout[stdout.find(name)? + name.len()..];
    let inside = after[after.find("time:")?..]
        .split('[')
        .nth(1)?
        .split(']')
        .next()?;
    let parts: Vec<&str> = inside.split_whitespace().collect();
    let value: f64 = parts.get(2)?.parse().ok()?;
    let scale = match *parts.get(3)? {
        "ps" => 1e-3,
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(value * scale)
}

/// bench/benches/check.rs: the same lookups on one fixed member (always in
/// the CPU cache), the best case the random checks above are compared with.
pub async fn fixed_member(env: &Env) -> Result<Section, String> {
    eprintln!("== warm-cache check on one member (bench/benches/check.rs)");
    let s = &env.sizes;
    let timing = [
        "--warm-up-time".to_string(),
        s.criterion_warm_up.to_string(),
        "--measurement-time".into(),
        s.criterion_measure.to_string(),
        "--sample-size".into(),
        s.criterion_samples.to_string(),
    ];
    let mut args = vec!["--bench"];
    args.extend(timing.iter().map(String::as_str));
    let home = env.work.join("criterion-check");
    let out = run_bench(
        env,
        "check",
        &args,
        &[("CRITERION_HOME", home.display().to_string())],
    )
    .await?;
    let figure = |name: &str| printed_ns(&out, name).map_or("?".to_string(), time);
    let mut section = Section::default();
    section.rows.push(
        Row::new(
            "in-process",
            "one fixed member, warm cache: check allowed / denied / whole set (bench/benches/check.rs)",
            format!(
                "{} / {} / {}",
                figure("check allowed (warm cache)"),
                figure("check denied (warm cache)"),
                figure("whole permission set for the console (warm cache)")
            ),
        )
        .size("100 orgs × 100 members"),
    );
    section.commands.push(format!(
        "cargo bench -p teamgate-bench --bench check -- {}",
        timing.join(" ")
    ));
    Ok(section)
}
