//! Two `teamgate serve` processes on one PostgreSQL database: a change made
//! through one is obeyed by the other, and a replica that loses its change
//! listener never serves a stale decision. Skipped, loudly, without
//! `TEAMGATE_TEST_DATABASE_URL`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use teamgate_core::audit::{Actor, Context};
use teamgate_core::clock::{Clock, SystemClock};
use teamgate_core::Role;
use teamgate_store::testing::fresh_postgres;
use teamgate_store::{AuditMeta, NewAccount, SqlStore, Store};

const PASSWORD: &str = "replica-test-password";

struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_replica(database_url: &str, name: &str) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_teamgate"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .env("TEAMGATE_LOG", "warn")
        .env(
            "TEAMGATE_DATA_DIR",
            std::env::temp_dir().join(format!("teamgate-replica-{name}")),
        )
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
    Replica { child, base }
}

async fn client_signed_in(base: &str, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "sign in as {email} at {base}");
    client
}

/// An organisation with an admin and a manager, written straight to the database.
async fn seed(url: &str) -> (String, String) {
    let store = SqlStore::connect(url).await.expect("connect");
    let hash = teamgate_http::auth::password::hash_password_blocking(PASSWORD).unwrap();
    let account = |email: &str| NewAccount {
        email: email.into(),
        name: email.into(),
        password_hash: hash.clone(),
    };
    let (_, org) = store
        .bootstrap(account("admin@x.test"), "Acme", SystemClock.now())
        .await
        .unwrap();
    let meta = AuditMeta {
        actor: Actor::system(),
        context: Context::default(),
    };
    let manager = store
        .add_member(
            &org.id,
            account("manager@x.test"),
            Role::Manager,
            &meta,
            SystemClock.now(),
        )
        .await
        .unwrap();
    store.close().await;
    (org.id, manager.id)
}

async fn status(client: &reqwest::Client, url: String) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_role_change_through_one_replica_is_obeyed_by_the_other() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let (org, manager) = seed(&db.url).await;
    let a = start_replica(&db.url, "a");
    let b = start_replica(&db.url, "b");
    let admin_a = client_signed_in(&a.base, "admin@x.test").await;
    let manager_b = client_signed_in(&b.base, "manager@x.test").await;
    let roles_on_b = format!("{}/api/v1/orgs/{org}/roles", b.base);

    // Warm B's cache with the manager's current role.
    for _ in 0..3 {
        assert_eq!(status(&manager_b, roles_on_b.clone()).await, 200);
    }

    let res = admin_a
        .patch(format!("{}/api/v1/orgs/{org}/members/{manager}", a.base))
        .header("Origin", &a.base)
        .json(&serde_json::json!({"role": "staff"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let changed = Instant::now();

    // B must deny roles:view now; it is told within milliseconds, so a few
    // seconds is a generous bound for a busy test machine.
    loop {
        let code = status(&manager_b, roles_on_b.clone()).await;
        if code == 403 {
            break;
        }
        assert_eq!(code, 200);
        assert!(
            changed.elapsed() < Duration::from_secs(5),
            "replica B still allows after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let perms: serde_json::Value = manager_b
        .get(format!("{}/api/v1/orgs/{org}/me/permissions", b.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(perms["role"], "staff");
}

/// A loopback TCP forwarder to PostgreSQL that the test can stop accepting
/// through, so a replica's listener, once cut, cannot come back until allowed.
struct Gate {
    port: u16,
    open: Arc<std::sync::atomic::AtomicBool>,
}

async fn forwarder(upstream: &str) -> Gate {
    use std::sync::atomic::{AtomicBool, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let open = Arc::new(AtomicBool::new(true));
    let flag = open.clone();
    let upstream = upstream.to_string();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            if !flag.load(Ordering::SeqCst) {
                drop(inbound);
                continue;
            }
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    Gate { port, open }
}

/// Terminates the listening backend(s) opened under `application_name`.
async fn kill_listeners(admin_url: &str, application_name: &str) -> usize {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap();
    let rows: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND query LIKE 'LISTEN%'",
    )
    .bind(application_name)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.len()
}

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_replica_that_loses_its_listener_serves_no_stale_decision() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let (org, manager) = seed(&db.url).await;
    let admin_url = std::env::var("TEAMGATE_TEST_DATABASE_URL").unwrap();
    let gate = forwarder("127.0.0.1:5432").await;

    // B reads the database directly but listens through the forwarder.
    let app = format!("teamgate-b-{}", uuid::Uuid::new_v4().simple());
    let listen_url = format!(
        "{}&application_name={app}",
        db.url
            .replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", gate.port), 1)
    );
    let a = SqlStore::connect(&db.url).await.unwrap();
    let b = SqlStore::connect_with_listen_url(&db.url, Some(&listen_url))
        .await
        .unwrap();
    assert!(b.cache().is_trusted(), "B listens, so it trusts its cache");
    let meta = AuditMeta {
        actor: Actor::system(),
        context: Context::default(),
    };
    let admin = a.user_by_email("admin@x.test").await.unwrap().unwrap().user;
    let acting = teamgate_store::Acting::User {
        user_id: admin.id.clone(),
    };

    // Warm B's cache: the manager is a manager.
    assert_eq!(
        b.membership(&org, &manager).await.unwrap().unwrap().role,
        Role::Manager
    );
    assert_eq!(
        b.cache().role(&org, &manager),
        Some(Role::Manager),
        "B's cache is warm"
    );

    // Cut B's listener and keep it from reconnecting.
    gate.open.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(
        kill_listeners(&admin_url, &app).await >= 1,
        "no listener of B to terminate"
    );
    wait_until("B notices it can no longer hear changes", || {
        !b.cache().is_trusted()
    })
    .await;

    // A change B cannot hear about...
    a.change_role(
        &org,
        &manager,
        Role::Staff,
        &acting,
        &meta,
        SystemClock.now(),
    )
    .await
    .unwrap();
    // ...is still obeyed by B, which answers from the database, not its cache.
    for _ in 0..3 {
        assert_eq!(
            b.membership(&org, &manager).await.unwrap().unwrap().role,
            Role::Staff
        );
    }
    assert_eq!(
        b.cache().role(&org, &manager),
        None,
        "an untrusted cache answers nothing"
    );

    // Once it can listen again it trusts a freshly emptied cache.
    gate.open.store(true, std::sync::atomic::Ordering::SeqCst);
    wait_until("B listens again", || b.cache().is_trusted()).await;
    assert_eq!(
        b.membership(&org, &manager).await.unwrap().unwrap().role,
        Role::Staff
    );
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn signing_out_through_one_replica_ends_the_session_on_the_other() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let (org, _) = seed(&db.url).await;
    let a = start_replica(&db.url, "sign-out-a");
    let b = start_replica(&db.url, "sign-out-b");
    let http = reqwest::Client::new();
    let signed_in = http
        .post(format!("{}/api/v1/session", a.base))
        .json(&serde_json::json!({"email": "manager@x.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    let on_b = format!("{}/api/v1/orgs/{org}/me/permissions", b.base);
    for _ in 0..3 {
        let warm = http
            .get(&on_b)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(warm.status(), 200, "B knows the session, and caches it");
    }
    let out = http
        .delete(format!("{}/api/v1/session", a.base))
        .header("cookie", &cookie)
        .header("Origin", &a.base)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let ended = Instant::now();
    loop {
        let code = http
            .get(&on_b)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if code == 401 {
            break;
        }
        assert_eq!(code, 200);
        assert!(
            ended.elapsed() < Duration::from_secs(5),
            "B still accepts a signed-out session after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
