//! The HTTP figures: `POST /orgs/{org}/check` under wrk against the ceiling
//! (a trivial axum handler), in alternating rounds, plus a small API client.

use serde_json::{json, Value};

use crate::api::Api;
use crate::report::{thousands, ChartPoint, Goal, Row, Section};
use crate::server::Server;
use crate::Env;

/// What wrk measured.
pub struct WrkRun {
    pub per_sec: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub failures: u64,
}

fn lua_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// wrk at a fixed concurrency; the Lua script sets the POST body and headers
/// and prints the figures as one JSON line.
async fn wrk(
    env: &Env,
    url: &str,
    body: &str,
    api_key: &str,
    seconds: u32,
) -> Result<WrkRun, String> {
    let script = env.work.join("check.lua");
    let lua = format!(
        "wrk.method = \"POST\"\n\
         wrk.body = {}\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"Authorization\"] = {}\n\
         done = function(summary, latency, requests)\n\
           local e = summary.errors\n\
           io.write(string.format('WRK {{\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d,\"non2xx\":%d,\"errors\":%d}}\\n',\n\
             summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),\n\
             e.status, e.connect + e.read + e.write + e.timeout))\n\
         end\n",
        lua_string(body),
        lua_string(&format!("Bearer {api_key}"))
    );
    std::fs::write(&script, lua).map_err(|e| e.to_string())?;
    let output = tokio::process::Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{}", env.sizes.http_connections),
            &format!("-d{seconds}s"),
            "--timeout",
            "5s",
        ])
        .arg("-s")
        .arg(&script)
        .arg(url)
        .output()
        .await
        .map_err(|e| format!("wrk (apt-get install wrk): {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRK "))
        .ok_or_else(|| format!("wrk said: {stdout}"))?;
    let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    Ok(WrkRun {
        per_sec: f("requests") / (f("duration_us") / 1e6),
        p50_us: f("p50_us"),
        p99_us: f("p99_us"),
        failures: (f("non2xx") + f("errors")) as u64,
    })
}

fn best(runs: &[WrkRun]) -> &WrkRun {
    runs.iter()
        .max_by(|a, b| a.per_sec.total_cmp(&b.per_sec))
        .unwrap_or(&runs[0])
}

/// A demo server with an API key, and the check request to send it.
struct Target {
    server: Server,
    key: String,
    body: String,
    path: String,
}

async fn demo_target(env: &Env, dir_name: &str, log: Option<&str>) -> Result<Target, String> {
    let dir = env.work.join(dir_name);
    let url = format!("sqlite://{}/teamgate.db", dir.display());
    let server = Server::teamgate_logging(env, &url, &dir, true, log).await?;
    let password = server
        .demo_password
        .clone()
        .ok_or("serve --demo printed no password")?;
    let admin = Api::sign_in(&server.base, "admin@demo.test", &password).await?;
    let org = admin.first_org().await?;
    let members = admin.members(&org).await?;
    let staff = members
        .iter()
        .find(|(_, role)| role == "staff")
        .ok_or("no staff member in the demo")?
        .0
        .clone();
    let key = admin
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "bench", "role": "viewer"})),
        )
        .await?;
    let key = key["key"]
        .as_str()
        .ok_or("no key in the answer")?
        .to_string();
    let body = json!({"user_id": staff, "permission": "inbox:reply"}).to_string();
    let path = format!("/api/v1/orgs/{org}/check");

    // Correctness first: the check must answer allowed with this key.
    let answer = reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .bearer_auth(&key)
        .header("Content-Type", "application/json")
        .body(body.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let answer: Value = answer.json().await.map_err(|e| e.to_string())?;
    if answer["allowed"] != json!(true) {
        return Err(format!("the check answered {answer}"));
    }
    Ok(Target {
        server,
        key,
        body,
        path,
    })
}

pub async fn check_throughput(env: &Env) -> Result<Section, String> {
    eprintln!("== HTTP check throughput against the ceiling");
    let target = demo_target(env, "http-demo", None).await?;
    let quiet = demo_target(env, "http-demo-warn", Some("warn")).await?;
    let (key, body, path) = (target.key.clone(), target.body.clone(), target.path.clone());
    let teamgate = &target.server;
    let ceiling = Server::ceiling(env).await?;
    let seconds = env.sizes.http_seconds;
    let (mut ours, mut theirs, mut warn) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..env.sizes.http_rounds {
        eprintln!(
            "   round {}: ceiling, teamgate, teamgate at log level warn, {seconds} s each",
            round + 1
        );
        theirs.push(
            wrk(
                env,
                &format!("{}{path}", ceiling.base),
                &body,
                &key,
                seconds,
            )
            .await?,
        );
        ours.push(
            wrk(
                env,
                &format!("{}{path}", teamgate.base),
                &body,
                &key,
                seconds,
            )
            .await?,
        );
        warn.push(
            wrk(
                env,
                &format!("{}{}", quiet.server.base, quiet.path),
                &quiet.body,
                &quiet.key,
                seconds,
            )
            .await?,
        );
    }
    let (rss, peak) = teamgate.memory();
    let (ceiling_rss, _) = ceiling.memory();
    ceiling.stop().await;
    target.server.stop().await;
    quiet.server.stop().await;
    let w = best(&warn);

    let (t, c) = (best(&ours), best(&theirs));
    // Rounds run back to back, so each teamgate round is judged against the
    // ceiling round just before it; the goal uses the median of those ratios.
    let mut paired: Vec<f64> = ours
        .iter()
        .zip(&theirs)
        .map(|(o, c)| o.per_sec / c.per_sec)
        .collect();
    paired.sort_by(f64::total_cmp);
    let share = paired[paired.len() / 2];
    let paired_text = paired
        .iter()
        .map(|r| format!("{:.0}%", r * 100.0))
        .collect::<Vec<_>>()
        .join(", ");
    let conns = env.sizes.http_connections;
    let size = format!(
        "{conns} connections, wrk -t1, {seconds} s × {} rounds, best round",
        env.sizes.http_rounds
    );
    let mut s = Section::default();
    s.rows.push(
        Row::new(
            "HTTP",
            "`POST /orgs/{org}/check` throughput",
            format!("{} req/s", thousands(t.per_sec)),
        )
        .compared(
            format!("trivial axum handler: {} req/s", thousands(c.per_sec)),
            format!(
                "{:.0}% of the ceiling (best rounds); per round, sorted: {paired_text}",
                t.per_sec / c.per_sec * 100.0
            ),
        )
        .size(size.clone()),
    );
    s.rows.push(
        Row::new(
            "HTTP",
            "check latency p50 / p99",
            format!("{:.0} µs / {:.0} µs", t.p50_us, t.p99_us),
        )
        .compared(
            format!("ceiling: {:.0} µs / {:.0} µs", c.p50_us, c.p99_us),
            format!("{:.1}× / {:.1}×", t.p50_us / c.p50_us, t.p99_us / c.p99_us),
        )
        .size(size.clone()),
    );
    s.rows.push(
        Row::new(
            "HTTP",
            "check throughput with `--log warn` (no line per request)",
            format!("{} req/s", thousands(w.per_sec)),
        )
        .compared(
            format!("p50 {:.0} µs / p99 {:.0} µs", w.p50_us, w.p99_us),
            format!("{:.0}% of the ceiling", w.per_sec / c.per_sec * 100.0),
        )
        .size(size.clone()),
    );
    s.rows.push(
        Row::new(
            "memory",
            "`serve --demo` resident memory after the check load (peak)",
            format!("{} ({})", crate::report::mib(rss), crate::report::mib(peak)),
        )
        .compared(format!("ceiling: {}", crate::report::mib(ceiling_rss)), ""),
    );
    let rounds = |runs: &[WrkRun]| {
        runs.iter()
            .map(|r| thousands(r.per_sec))
            .collect::<Vec<_>>()
            .join(", ")
    };
    s.notes.push(format!(
        "HTTP rounds, req/s in run order: ceiling {}; teamgate {}; teamgate at `--log warn` {}. The spread \
         between rounds of the same target shows this machine's noise.",
        rounds(&theirs),
        rounds(&ours),
        rounds(&warn)
    ));
    let failures: u64 = ours
        .iter()
        .chain(&theirs)
        .chain(&warn)
        .map(|r| r.failures)
        .sum();
    if failures > 0 {
        s.notes.push(format!(
            "**{failures} requests failed or answered non-2xx during the HTTP runs.**"
        ));
    }
    s.goals.push(Goal {
        name: "HTTP check at least 70% of the ceiling's throughput".into(),
        met: share >= 0.7,
        detail: format!(
            "{:.0}%, the median of the per-round ratios ({paired_text}; best rounds {} against {} \
             req/s; {:.0}% with the per-request log line off). Each check \
             request hashes its API key (SHA-256) and finds the key, the organisation, the key's \
             creator and the member asked about in the permission cache (no database read; the key \
             and the organisation are copied out, the two roles read in place), opens its request span and writes one log line, \
             counts the decision on /metrics, reads a JSON body and writes a JSON answer; the \
             ceiling, on the same runtime and allocator, does none of this and answers a constant. \
             A perf profile of this load puts about a fifth of teamgate's CPU time in the log line \
             (formatting the span and the event; the log thread's writes), hence the `--log warn` \
             figure; the rest is spread thinly over the gate, the lookups and JSON, with no single \
             part above a few percent. The load tool and the server share the 2 cores, so every \
             cycle the server spends is taken from both.",
            share * 100.0,
            thousands(t.per_sec),
            thousands(c.per_sec),
            w.per_sec / c.per_sec * 100.0
        ),
    });
    s.chart.push(ChartPoint::Throughput {
        label: "teamgate check".into(),
        per_sec: t.per_sec,
    });
    s.chart.push(ChartPoint::Throughput {
        label: "teamgate, log warn".into(),
        per_sec: w.per_sec,
    });
    s.chart.push(ChartPoint::Throughput {
        label: "ceiling (axum)".into(),
        per_sec: c.per_sec,
    });
    s.notes.push(format!(
        "HTTP: `teamgate serve --demo` on SQLite with default settings (log level info, to a file); \
         an API key made through the API (`POST /api/v1/orgs/{{org}}/api-keys` as admin@demo.test), \
         then `wrk -t1 -c{conns} -d{seconds}s -s check.lua` posting `{{\"user_id\": STAFF, \"permission\": \"inbox:reply\"}}` \
         with `Authorization: Bearer KEY`; the same script against `ceiling` (bench/src/bin/ceiling.rs, \
         axum answering a fixed JSON on the same route, with mimalloc as teamgate has). Rounds run ceiling, teamgate, teamgate at \
         `--log warn`, back to back; the table shows each target's best round, and the goal is judged \
         on the median of the per-round ratios of teamgate to the ceiling round just before it."
    ));
    s.commands.push(format!("wrk -t1 -c{conns} -d{seconds}s --timeout 5s -s target/bench-run/check.lua http://127.0.0.1:PORT/api/v1/orgs/ORG/check   # teamgate, then ceiling"));
    Ok(s)
}
