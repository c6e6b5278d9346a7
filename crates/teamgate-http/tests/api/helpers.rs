//! The harness: a fresh database and a real server on port 0 per test, a
//! client with one helper per endpoint, and fixtures for members.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock};

use futures::FutureExt;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use serde_json::{json, Value};
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

/// The password of every fixture account.
pub const PASSWORD: &str = "correct horse battery staple";

/// Argon2 is slow on purpose, so every fixture account shares one hash.
static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password_blocking(PASSWORD).expect("the fixture password hashes")
});

/// 2026-12-04T10:31:07.412Z, where every test's clock starts.
pub fn start_time() -> OffsetDateTime {
    from_unix_millis(1_796_380_267_412)
}

/// Runs `test` once per database the harness offers (SQLite always,
/// PostgreSQL when configured), each time on a new database and server.
/// A failure names the database it happened on.
pub async fn each_database(test: impl AsyncFn(&TestApp)) {
    for db in fresh_databases().await {
        let label = db.label;
        let app = TestApp::spawn(db).await;
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
    server: JoinHandle<std::io::Result<()>>,
    /// Owned here so its SQLite files live exactly as long as the server.
    _database: TestDatabase,
}

impl TestApp {
    async fn spawn(database: TestDatabase) -> TestApp {
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

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port on loopback");
        let port = listener.local_addr().expect("the bound address").port();
        let address = format!("http://127.0.0.1:{port}");
        let mut settings = Settings::new(address.clone());
        settings.outbox_dir = std::env::temp_dir().join(format!("teamgate-outbox-{}", uuid::Uuid::new_v4()));
        let state = AppState::new(Arc::new(store.clone()), clock.clone(), settings);
        let server = tokio::spawn(teamgate_http::serve(listener, state, std::future::pending()));

        TestApp { db: label, address, store, clock, org, admin, server, _database: database }
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
            .add_member(org_id, account(email, email), role, &self.admin_meta(), self.now())
            .await
            .unwrap_or_else(|e| panic!("{}: cannot add {email}: {e}", self.db))
    }

    /// A member of Acme with `role`, at `{role}@x.test`.
    pub async fn member(&self, role: Role) -> User {
        if role == Role::Admin {
            return self.admin.clone();
        }
        self.add_member(&self.org.id, &format!("{}@x.test", role.key()), role).await
    }

    /// A second organisation, `Globex`, whose only member is its admin
    /// `gus@globex.test`; nobody of Acme belongs to it.
    pub async fn other_org(&self) -> (Org, User) {
        let gus = self.add_member(&self.org.id, "gus@globex.test", Role::Viewer).await;
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

    /// Moves teamgate's clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// The organisation's audit events with exactly this action, newest first.
    pub async fn events(&self, org_id: &str, action: &str) -> Vec<AuditEvent> {
        let filter = AuditFilter { action: Some(action.into()), ..Default::default() };
        self.store
            .audit_page(org_id, &filter, None, 200)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot read the audit log: {e}", self.db))
    }

    pub async fn audit_count(&self, org_id: &str) -> u64 {
        self.store.audit_count(org_id).await.expect("the audit log counts")
    }

    fn admin_meta(&self) -> AuditMeta {
        meta_for(&self.admin)
    }
}

fn account(email: &str, name: &str) -> NewAccount {
    NewAccount { email: email.into(), name: name.into(), password_hash: PASSWORD_HASH.clone() }
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
        context: Context { ip: Some("127.0.0.1".into()), user_agent: Some("fixture".into()), request_id: None },
    }
}

/// An HTTP client of one test server. Clones share the cookie jar.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    following: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
    origin: Option<String>,
}

impl Client {
    fn new(base: &str) -> Client {
        let jar = Arc::new(Jar::default());
        let build = |policy| {
            reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(policy)
                .no_proxy()
                .build()
                .expect("a reqwest client")
        };
        Client {
            http: build(reqwest::redirect::Policy::none()),
            following: build(reqwest::redirect::Policy::limited(5)),
            jar: jar.clone(),
            base: base.to_string(),
            origin: Some(base.to_string()),
        }
    }

    /// The same client (and cookies), sending no `Origin` header.
    pub fn without_origin(&self) -> Client {
        Client { origin: None, ..self.clone() }
    }

    /// The same client (and cookies), sending `origin` as its `Origin`.
    pub fn with_origin(&self, origin: &str) -> Client {
        Client { origin: Some(origin.to_string()), ..self.clone() }
    }

    /// The `Cookie` header this client sends to teamgate.
    pub fn cookie_header(&self) -> Option<String> {
        let url = Url::parse(&self.base).expect("the base URL parses");
        self.jar.cookies(&url).and_then(|v| v.to_str().ok().map(str::to_string))
    }

    /// A client without a cookie jar that always sends `cookie`, whatever
    /// the server answers in `Set-Cookie` (a jar would forget a cleared cookie).
    pub fn replaying(&self, cookie: &str) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::COOKIE, cookie.parse().expect("a cookie header"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("a reqwest client");
        Client { http: http.clone(), following: http, jar: Arc::new(Jar::default()), ..self.clone() }
    }

    fn request(&self, client: &reqwest::Client, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = client.request(method, format!("{}{path}", self.base));
        match &self.origin {
            Some(origin) => builder.header(reqwest::header::ORIGIN, origin),
            None => builder,
        }
    }

    async fn answer(builder: reqwest::RequestBuilder) -> Answer {
        let response = builder.send().await.expect("teamgate answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let url = response.url().to_string();
        let body = response.text().await.expect("a readable body");
        Answer { status, headers, body, url }
    }

    /// Any request with an optional JSON body; redirects are not followed.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut builder = self.request(&self.http, method, path);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        Self::answer(builder).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    /// `GET`, following redirects to the end.
    pub async fn get_following(&self, path: &str) -> Answer {
        Self::answer(self.request(&self.following, Method::GET, path)).await
    }

    /// A form-encoded `POST`, following redirects to the end.
    pub async fn post_form_following(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        Self::answer(self.request(&self.following, Method::POST, path).form(form)).await
    }

    // --- one helper per endpoint ---------------------------------------------

    pub async fn sign_in(&self, email: &str, password: &str) -> Answer {
        let body = json!({"email": email, "password": password});
        self.send(Method::POST, "/api/v1/session", Some(body)).await
    }

    pub async fn sign_out(&self) -> Answer {
        self.send(Method::DELETE, "/api/v1/session", None).await
    }

    pub async fn me(&self) -> Answer {
        self.get("/api/v1/me").await
    }

    pub async fn update_me(&self, body: Value) -> Answer {
        self.send(Method::PATCH, "/api/v1/me", Some(body)).await
    }

    pub async fn create_org(&self, name: &str) -> Answer {
        self.send(Method::POST, "/api/v1/orgs", Some(json!({"name": name}))).await
    }

    pub async fn permissions(&self, org: &str) -> Answer {
        self.get(&format!("/api/v1/orgs/{org}/me/permissions")).await
    }

    pub async fn roles(&self, org: &str) -> Answer {
        self.get(&format!("/api/v1/orgs/{org}/roles")).await
    }

    pub async fn settings(&self, org: &str) -> Answer {
        self.get(&format!("/api/v1/orgs/{org}/settings")).await
    }

    pub async fn update_settings(&self, org: &str, body: Value) -> Answer {
        self.send(Method::PATCH, &format!("/api/v1/orgs/{org}/settings"), Some(body)).await
    }

    pub async fn check(&self, org: &str, body: Value) -> Answer {
        self.send(Method::POST, &format!("/api/v1/orgs/{org}/check"), Some(body)).await
    }

    /// The console's sign-in form, followed to wherever it leads.
    pub async fn sign_in_form(&self, email: &str, password: &str) -> Answer {
        self.post_form_following("/signin", &[("email", email), ("password", password), ("next", "/")])
            .await
    }
}

/// What teamgate answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    /// The URL that answered (after any redirects followed).
    pub url: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// Asserts the status, showing the body when it is another.
    pub fn expect_status(&self, status: u16) -> &Answer {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        self
    }

    /// Asserts an RFC 9457 problem with this status and code, and returns it.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        self.expect_status(status);
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "a {status} must be application/problem+json, got {:?}",
            self.content_type()
        );
        let p = self.json();
        for field in ["type", "title", "detail", "code"] {
            assert!(
                p[field].as_str().is_some_and(|s| !s.is_empty()),
                "problem field `{field}` missing or empty: {p}"
            );
        }
        assert_eq!(p["status"], json!(status), "problem status: {p}");
        assert_eq!(p["code"], json!(code), "problem code: {p}");
        if status == 403 {
            assert!(p.get("missing_permission").is_some(), "a 403 names missing_permission: {p}");
        }
        p
    }

    /// The `Location` of a redirect, as a path.
    pub fn location(&self) -> &str {
        self.header("location").unwrap_or_else(|| panic!("no Location in a {}: {}", self.status, self.body))
    }
}

/// The values of `data-permission` inside the console's sidebar, in page order.
pub fn sidebar_permissions(html: &str) -> Vec<String> {
    let start = html.find("<nav class=\"sidebar\"").unwrap_or_else(|| panic!("no sidebar in: {html}"));
    let end = start + html[start..].find("</nav>").expect("the sidebar closes");
    data_permissions(&html[start..end])
}

/// Every `data-permission` value in `html`, in order.
pub fn data_permissions(html: &str) -> Vec<String> {
    const ATTR: &str = "data-permission=\"";
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(ATTR) {
        rest = &rest[at + ATTR.len()..];
        let close = rest.find('"').expect("the attribute closes");
        found.push(rest[..close].to_string());
        rest = &rest[close..];
    }
    found
}

/// A JSON array of strings as a vector.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or_else(|| panic!("not a string: {s}")).to_string())
        .collect()
}
