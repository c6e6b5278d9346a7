//! The harness: a fresh database and a real server on port 0 per test, a
//! client with one helper per endpoint, and fixtures for members.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock};

use futures::FutureExt;
use teamgate_core::audit::{Actor, AuditEvent, Context};
use teamgate_core::clock::{from_unix_millis, ManualClock};
use teamgate_core::Role;
use teamgate_http::auth::password::hash_password_blocking;
use teamgate_http::{AppState, Settings};
use teamgate_store::testing::{fresh_databases, TestDatabase};
use teamgate_store::{AuditFilter, AuditMeta, NewAccount, Org, SqlStore, Store, User};
use time::{Duration, OffsetDateTime};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

// Test modules reach the whole harness through `helpers`, whichever parts they use.
#[allow(unused_imports)]
pub use crate::client::{data_permissions, sidebar_permissions, strings, Answer, Client};

/// The password of every fixture account.
pub const PASSWORD: &str = "correct horse battery staple";

/// Argon2 is slow on purpose, so every fixture account shares one hash.
static PASSWORD_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password_blocking(PASSWORD).expect("the fixture password hashes"));

/// 2026-12-04T10:31:07.412Z, where every test's clock starts.
pub fn start_time() -> OffsetDateTime {
    from_unix_millis(1_796_380_267_412)
}

/// Runs `test` once per database the harness offers (SQLite always,
/// PostgreSQL when configured), each time on a new database and server.
/// A failure names the database it happened on.
pub async fn each_database(test: impl AsyncFn(&TestApp)) {
    each_database_with(|_| {}, test).await
}

/// As [`each_database`], with the server's settings adjusted first.
pub async fn each_database_with(adjust: impl Fn(&mut Settings), test: impl AsyncFn(&TestApp)) {
    for db in fresh_databases().await {
        let label = db.label;
        let app = TestApp::spawn(db, &adjust).await;
        eprintln!("-- on {label}");
        let outcome = AssertUnwindSafe(test(&app)).catch_unwind().await;
        app.stop().await;
        if let Err(panic) = outcome {
            panic!("test failed on {label}: {}", panic_message(&panic));
        }
    }
}

fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// One running teamgate on its own database, with `ada@x.test` as the admin
/// of `Acme` (made through setup's bootstrap).
pub struct TestApp {
    /// `sqlite` or `postgres`.
    pub db: &'static str,
    /// `http://127.0.0.1:PORT`, also teamgate's public URL and origin.
    pub address: String,
    pub store: SqlStore,
    pub clock: Arc<ManualClock>,
    pub org: Org,
    pub admin: User,
    /// Where this server writes its emails.
    pub outbox: std::path::PathBuf,
    server: JoinHandle<std::io::Result<()>>,
    /// Owned here so its SQLite files live exactly as long as the server.
    _database: TestDatabase,
}

impl TestApp {
    async fn spawn(database: TestDatabase, adjust: &impl Fn(&mut Settings)) -> TestApp {
        let label = database.label;
        let store = SqlStore::connect(&database.url)
            .await
            .unwrap_or_else(|e| panic!("{label}: cannot open the test database: {e}"));
        let clock = Arc::new(ManualClock::new(start_time()));

        let admin_account = account("ada@x.test", "Ada Lovelace");
        let (admin, org) = store
            .bootstrap(admin_account, "Acme", start_time())
            .await
            .unwrap_or_else(|e| panic!("{label}: bootstrap failed: {e}"));

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on loopback");
        let port = listener.local_addr().expect("the bound address").port();
        let address = format!("http://127.0.0.1:{port}");
        let mut settings = Settings::new(address.clone());
        let outbox = std::env::temp_dir().join(format!("teamgate-outbox-{}", uuid::Uuid::new_v4()));
        settings.outbox_dir = outbox.clone();
        adjust(&mut settings);
        let state = AppState::new(Arc::new(store.clone()), clock.clone(), settings);
        let server = tokio::spawn(teamgate_http::serve(
            listener,
            state,
            std::future::pending(),
        ));

        TestApp {
            db: label,
            address,
            store,
            clock,
            org,
            admin,
            outbox,
            server,
            _database: database,
        }
    }

    async fn stop(self) {
        self.server.abort();
        let _ = self.server.await;
        self.store.close().await;
    }

    /// A client with its own cookie jar that sends teamgate's `Origin`.
    pub fn client(&self) -> Client {
        Client::new(&self.address)
    }

    /// A client signed in through `POST /api/v1/session`.
    pub async fn signed_in(&self, email: &str) -> Client {
        let client = self.client();
        client.sign_in(email, PASSWORD).await.expect_status(200);
        client
    }

    /// Creates an account and makes it a member of `org_id` with `role`.
    pub async fn add_member(&self, org_id: &str, email: &str, role: Role) -> User {
        self.store
            .add_member(
                org_id,
                account(email, email),
                role,
                &self.admin_meta(),
                self.now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{}: cannot add {email}: {e}", self.db))
    }

    /// A member of Acme with `role`, at `{role}@x.test`.
    pub async fn member(&self, role: Role) -> User {
        if role == Role::Admin {
            return self.admin.clone();
        }
        self.add_member(&self.org.id, &format!("{}@x.test", role.key()), role)
            .await
    }

    /// A second organisation, `Globex`, whose only member is its admin
    /// `gus@globex.test`; nobody of Acme belongs to it.
    pub async fn other_org(&self) -> (Org, User) {
        let gus = self
            .add_member(&self.org.id, "gus@globex.test", Role::Viewer)
            .await;
        let org = self
            .store
            .create_org(&gus, "Globex", &meta_for(&gus), self.now())
            .await
            .unwrap_or_else(|e| panic!("{}: cannot create Globex: {e}", self.db));
        self.store
            .leave(&self.org.id, &gus.id, &meta_for(&gus), self.now())
            .await
            .unwrap_or_else(|e| panic!("{}: gus cannot leave Acme: {e}", self.db));
        (org, gus)
    }

    pub fn now(&self) -> OffsetDateTime {
        teamgate_core::clock::Clock::now(self.clock.as_ref())
    }

    /// The token of the newest invite email sent to `email`, read from the outbox.
    pub fn invite_token(&self, email: &str) -> String {
        let mut mails: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&self.outbox)
            .unwrap_or_else(|e| panic!("{}: no outbox at {}: {e}", self.db, self.outbox.display()))
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let modified = entry.metadata().ok()?.modified().ok()?;
                Some((modified, std::fs::read_to_string(entry.path()).ok()?))
            })
            .filter(|(_, text)| {
                text.to_lowercase()
                    .contains(&format!("to: {}", email.to_lowercase()))
            })
            .collect();
        mails.sort_by_key(|m| m.0);
        let (_, text) = mails
            .pop()
            .unwrap_or_else(|| panic!("{}: no email to {email}", self.db));
        let unfolded = text
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("\r\n ", "");
        let start = unfolded
            .find("/invite/")
            .unwrap_or_else(|| panic!("no invite link in the email to {email}"))
            + 8;
        unfolded[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    /// Moves teamgate's clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// The organisation's audit events with exactly this action, newest first.
    pub async fn events(&self, org_id: &str, action: &str) -> Vec<AuditEvent> {
        let filter = AuditFilter {
            action: Some(action.into()),
            ..Default::default()
        };
        self.store
            .audit_page(org_id, &filter, None, 200)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot read the audit log: {e}", self.db))
    }

    pub async fn audit_count(&self, org_id: &str) -> u64 {
        self.store
            .audit_count(org_id)
            .await
            .expect("the audit log counts")
    }

    fn admin_meta(&self) -> AuditMeta {
        meta_for(&self.admin)
    }
}

fn account(email: &str, name: &str) -> NewAccount {
    NewAccount {
        email: email.into(),
        name: name.into(),
        password_hash: PASSWORD_HASH.clone(),
    }
}

fn meta_for(user: &User) -> AuditMeta {
    AuditMeta {
        actor: Actor {
            kind: teamgate_core::audit::ActorType::User,
            id: Some(user.id.clone()),
            label: Some(user.email.clone()),
            role: Some("admin".into()),
            on_behalf_of: None,
        },
        context: Context {
            ip: Some("127.0.0.1".into()),
            user_agent: Some("fixture".into()),
            request_id: None,
        },
    }
}
