//! A crash test: a real `teamgate serve` takes a load of role changes from
//! several clients at once and is killed with SIGKILL in the middle of it.
//! After a restart on the same database:
//! - every change answered 200 is there, with its `member.role_changed` event,
//!   and the only events beyond those are of the requests still in flight at
//!   the kill (at most one per client, each either wholly there or wholly not);
//! - each member's role is the `after` of their last role change event;
//! - `teamgate audit verify` exits 0, and the restarted server works on.
//!
//! Runs on SQLite, and on PostgreSQL when `TEAMGATE_TEST_DATABASE_URL` is set.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use teamgate_core::audit::{Actor, Context};
use teamgate_core::clock::{Clock, SystemClock};
use teamgate_core::Role;
use teamgate_store::testing::{fresh_postgres, fresh_sqlite, TestDatabase};
use teamgate_store::{AuditFilter, AuditMeta, NewAccount, SqlStore, Store};

const PASSWORD: &str = "crash-test-password";
const MEMBERS: usize = 12;
const CLIENTS: usize = 4;
/// Three crashes in a row: each kills the server once this many changes of
/// its round were answered 200, or after `LOAD_LIMIT`, whichever comes first.
const KILL_AFTER: [usize; 3] = [40, 97, 151];
const LOAD_LIMIT: Duration = Duration::from_secs(8);
/// The roles the load cycles through; never admin, so the admin count stays one.
const CYCLE: [Role; 4] = [Role::Staff, Role::Viewer, Role::Manager, Role::Billing];

/// A running `teamgate serve`; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &TestDatabase, data_dir: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_teamgate"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db.url])
        .env("TEAMGATE_LOG", "error")
        .env("TEAMGATE_DATA_DIR", data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start teamgate serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("teamgate exited before listening")
            .expect("read stdout");
        if let Some(addr) = line.strip_prefix("teamgate listening on ") {
            break addr.trim().to_string();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, base }
}

/// Demo-like data written through the store: one admin and `MEMBERS` staff.
async fn seed(url: &str) -> (String, Vec<String>) {
    let store = SqlStore::connect(url).await.expect("connect");
    let hash = teamgate_http::auth::password::hash_password_blocking(PASSWORD).expect("hash");
    let account = |email: String| NewAccount {
        email: email.clone(),
        name: email,
        password_hash: hash.clone(),
    };
    let (_, org) = store
        .bootstrap(
            account("admin@crash.test".into()),
            "Crash Co",
            SystemClock.now(),
        )
        .await
        .expect("bootstrap");
    let meta = AuditMeta {
        actor: Actor::system(),
        context: Context::default(),
    };
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        let user = store
            .add_member(
                &org.id,
                account(format!("m{i}@crash.test")),
                Role::Staff,
                &meta,
                SystemClock.now(),
            )
            .await
            .expect("add member");
        members.push(user.id);
    }
    store.close().await;
    (org.id, members)
}

async fn signed_in_admin(base: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let res = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email": "admin@crash.test", "password": PASSWORD}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), 200, "sign in");
    client
}

/// What one client saw: the roles answered 200, per member, in order, and
/// the change it had sent when the server died, if any.
#[derive(Debug, Default)]
struct ClientLog {
    acknowledged: HashMap<String, Vec<Role>>,
    in_flight: Option<(String, Role)>,
}

/// Changes the roles of its own members, one request at a time, until the server dies.
async fn load(
    client: reqwest::Client,
    base: String,
    org: String,
    members: Vec<String>,
    mut current: HashMap<String, Role>,
    answered: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> ClientLog {
    let mut log = ClientLog::default();
    for round in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let member = &members[round % members.len()];
        // Always a role other than the current one, so every 200 is a real change.
        let now = current
            .get(member)
            .and_then(|r| CYCLE.iter().position(|c| c == r))
            .unwrap_or(0);
        let role = CYCLE[(now + 1) % CYCLE.len()];
        log.in_flight = Some((member.clone(), role));
        let sent = client
            .patch(format!("{base}/api/v1/orgs/{org}/members/{member}"))
            .header("Origin", &base)
            .json(&json!({"role": role.key()}))
            .send()
            .await;
        let status = match sent {
            Ok(res) => res.status().as_u16(),
            // The server is gone: this request's fate is decided by the database.
            Err(_) => break,
        };
        assert_eq!(
            status, 200,
            "role change of {member} to {role} answered {status}"
        );
        log.in_flight = None;
        log.acknowledged
            .entry(member.clone())
            .or_default()
            .push(role);
        current.insert(member.clone(), role);
        answered.fetch_add(1, Ordering::SeqCst);
    }
    log
}

async fn audit_verify(db: &TestDatabase) -> std::process::ExitStatus {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_teamgate"))
        .args(["audit", "verify", "--database-url", &db.url])
        .env("TEAMGATE_LOG", "error")
        .stdout(Stdio::null())
        .status()
        .await
        .expect("run teamgate audit verify")
}

async fn survives_a_kill_in_the_middle_of_role_changes(db: TestDatabase) {
    let data_dir = std::env::temp_dir().join(format!("teamgate-crash-{}", uuid::Uuid::new_v4()));
    let (org, members) = seed(&db.url).await;
    // Each member's role history as verified after the previous crash.
    let mut verified: HashMap<String, Vec<Role>> = HashMap::new();
    let mut server = serve(&db, &data_dir);
    for (round, kill_after) in KILL_AFTER.into_iter().enumerate() {
        let outcome = crash_round(&db, &mut server, &org, &members, &verified, kill_after).await;
        server = serve(&db, &data_dir);
        let landed;
        (verified, landed) = check_after_crash(&db, &org, &members, &verified, &outcome).await;
        eprintln!(
            "crash test ({}), round {}: SIGKILL after {} acknowledged changes in {:.1?}; \
             {} change(s) in flight at the kill had committed",
            db.label,
            round + 1,
            outcome.acknowledged,
            outcome.elapsed,
            landed
        );
    }
    works_on_after_restart(&server, &org, &members, &verified, db.label).await;
    drop(server);

    let status = audit_verify(&db).await;
    assert!(
        status.success(),
        "{}: teamgate audit verify exited {status}",
        db.label
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// What a round of load saw before its kill.
struct Round {
    logs: Vec<ClientLog>,
    acknowledged: usize,
    elapsed: Duration,
}

/// Loads `server` with role changes from several clients and SIGKILLs it mid-way.
async fn crash_round(
    db: &TestDatabase,
    server: &mut Server,
    org: &str,
    members: &[String],
    verified: &HashMap<String, Vec<Role>>,
    kill_after: usize,
) -> Round {
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut signed_in = Vec::new();
    for _ in 0..CLIENTS {
        signed_in.push(signed_in_admin(&server.base).await);
    }
    let started = Instant::now();
    let mut clients = Vec::new();
    for (c, client) in signed_in.into_iter().enumerate() {
        let own: Vec<String> = members.iter().skip(c).step_by(CLIENTS).cloned().collect();
        let current = own
            .iter()
            .map(|m| {
                (
                    m.clone(),
                    verified
                        .get(m)
                        .and_then(|r| r.last().copied())
                        .unwrap_or(Role::Staff),
                )
            })
            .collect();
        let task = load(
            client,
            server.base.clone(),
            org.to_string(),
            own,
            current,
            answered.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(task));
    }
    while answered.load(Ordering::SeqCst) < kill_after && started.elapsed() < LOAD_LIMIT {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // SIGKILL, with requests on the wire.
    server.child.kill().expect("SIGKILL the server");
    server.child.wait().expect("reap the server");
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let mut logs = Vec::new();
    for client in clients {
        logs.push(client.await.expect("client task"));
    }
    let acknowledged: usize = logs
        .iter()
        .flat_map(|l| l.acknowledged.values())
        .map(Vec::len)
        .sum();
    assert!(
        acknowledged > 0,
        "{}: no change was answered before the kill",
        db.label
    );
    Round {
        logs,
        acknowledged,
        elapsed,
    }
}

/// Checks the database against what the clients were told, and returns the
/// role histories it now holds and how many changes in flight had committed.
async fn check_after_crash(
    db: &TestDatabase,
    org: &str,
    members: &[String],
    verified: &HashMap<String, Vec<Role>>,
    round: &Round,
) -> (HashMap<String, Vec<Role>>, usize) {
    let store = SqlStore::connect(&db.url).await.expect("reconnect");
    let filter = AuditFilter {
        action: Some("member.role_changed".into()),
        ..Default::default()
    };
    let events = store
        .audit_batch(org, &filter, 0, 100_000)
        .await
        .expect("read events");
    let mut recorded: HashMap<String, Vec<Role>> = HashMap::new();
    for event in &events {
        let target = event
            .target
            .id
            .clone()
            .expect("a role change names its member");
        let after = event.changes.after["role"]
            .as_str()
            .expect("after.role")
            .parse::<Role>()
            .expect("a role");
        recorded.entry(target).or_default().push(after);
    }

    let mut landed = 0;
    for member in members {
        let before = verified.get(member).map_or(&[][..], Vec::as_slice);
        let now = recorded.get(member).map_or(&[][..], Vec::as_slice);
        let log = round.logs.iter().find(|l| members_of(l, member));
        let acked = log
            .and_then(|l| l.acknowledged.get(member))
            .map_or(&[][..], Vec::as_slice);
        let expected: Vec<Role> = before.iter().chain(acked).copied().collect();
        // Every change answered 200 is there, in order, after the earlier rounds'.
        assert!(
            now.starts_with(&expected),
            "{}: member {member}: expected {expected:?}, events {now:?}",
            db.label
        );
        // Beyond those, only the change in flight at the kill may have landed, whole.
        match (
            &now[expected.len()..],
            log.and_then(|l| l.in_flight.as_ref()),
        ) {
            ([], _) => {}
            ([extra], Some((m, role))) if m == member && extra == role => landed += 1,
            (extra, _) => panic!(
                "{}: member {member} has events nobody was answered for: {extra:?}",
                db.label
            ),
        }
        // Nothing half-written: the role is the `after` of the member's last event.
        let role = store
            .membership(org, member)
            .await
            .expect("membership")
            .expect("still a member")
            .role;
        assert_eq!(
            role,
            now.last().copied().unwrap_or(Role::Staff),
            "{}: member {member}'s role",
            db.label
        );
    }
    let before: usize = verified.values().map(Vec::len).sum();
    assert_eq!(
        events.len(),
        before + round.acknowledged + landed,
        "{}: events against committed changes",
        db.label
    );
    store.close().await;
    (recorded, landed)
}

/// The restarted server answers with the roles the database holds and takes new changes.
async fn works_on_after_restart(
    server: &Server,
    org: &str,
    members: &[String],
    verified: &HashMap<String, Vec<Role>>,
    label: &str,
) {
    let admin = signed_in_admin(&server.base).await;
    let listed: serde_json::Value = admin
        .get(format!(
            "{}/api/v1/orgs/{org}/members?limit=200",
            server.base
        ))
        .send()
        .await
        .expect("list members")
        .json()
        .await
        .expect("members json");
    for item in listed["items"].as_array().expect("items") {
        let user = item["user_id"].as_str().expect("user_id");
        if let Some(roles) = verified.get(user) {
            assert_eq!(
                item["role"],
                roles.last().expect("a role").key(),
                "{label}: {user} over HTTP"
            );
        }
    }
    let res = admin
        .patch(format!(
            "{}/api/v1/orgs/{org}/members/{}",
            server.base, members[0]
        ))
        .header("Origin", &server.base)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .expect("a change after the restart");
    assert_eq!(res.status(), 200, "{label}: a change after the restart");
}

fn members_of(log: &ClientLog, member: &str) -> bool {
    log.acknowledged.contains_key(member)
        || log.in_flight.as_ref().is_some_and(|(m, _)| m == member)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_survives_a_kill_in_the_middle_of_role_changes() {
    survives_a_kill_in_the_middle_of_role_changes(fresh_sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_survives_a_kill_in_the_middle_of_role_changes() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    survives_a_kill_in_the_middle_of_role_changes(db).await;
}
