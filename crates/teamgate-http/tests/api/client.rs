//! The client side of the harness: one helper per endpoint, the answers
//! they get, and reading the console's HTML.

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use serde_json::{json, Value};

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
    /// A client of the server at `base`, with an empty cookie jar.
    pub fn new(base: &str) -> Client {
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
        Client {
            origin: None,
            ..self.clone()
        }
    }

    /// The same client (and cookies), sending `origin` as its `Origin`.
    pub fn with_origin(&self, origin: &str) -> Client {
        Client {
            origin: Some(origin.to_string()),
            ..self.clone()
        }
    }

    /// The `Cookie` header this client sends to teamgate.
    pub fn cookie_header(&self) -> Option<String> {
        let url = Url::parse(&self.base).expect("the base URL parses");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
    }

    /// A client without a cookie jar that always sends `cookie`, whatever
    /// the server answers in `Set-Cookie` (a jar would forget a cleared cookie).
    pub fn replaying(&self, cookie: &str) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            cookie.parse().expect("a cookie header"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("a reqwest client");
        Client {
            http: http.clone(),
            following: http,
            jar: Arc::new(Jar::default()),
            ..self.clone()
        }
    }

    fn request(
        &self,
        client: &reqwest::Client,
        method: Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
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
        Answer {
            status,
            headers,
            body,
            url,
        }
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

    /// A form-encoded `POST`; redirects are not followed.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        Self::answer(self.request(&self.http, Method::POST, path).form(form)).await
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
        self.send(Method::POST, "/api/v1/orgs", Some(json!({"name": name})))
            .await
    }

    pub async fn permissions(&self, org: &str) -> Answer {
        self.get(&format!("/api/v1/orgs/{org}/me/permissions"))
            .await
    }

    pub async fn roles(&self, org: &str) -> Answer {
        self.get(&format!("/api/v1/orgs/{org}/roles")).await
    }

    pub async fn settings(&self, org: &str) -> Answer {
        self.get(&format!("/api/v1/orgs/{org}/settings")).await
    }

    pub async fn update_settings(&self, org: &str, body: Value) -> Answer {
        self.send(
            Method::PATCH,
            &format!("/api/v1/orgs/{org}/settings"),
            Some(body),
        )
        .await
    }

    pub async fn check(&self, org: &str, body: Value) -> Answer {
        self.send(
            Method::POST,
            &format!("/api/v1/orgs/{org}/check"),
            Some(body),
        )
        .await
    }

    /// The console's sign-in form, followed to wherever it leads.
    pub async fn sign_in_form(&self, email: &str, password: &str) -> Answer {
        self.post_form_following(
            "/signin",
            &[("email", email), ("password", password), ("next", "/")],
        )
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
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
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
            assert!(
                p.get("missing_permission").is_some(),
                "a 403 names missing_permission: {p}"
            );
        }
        p
    }

    /// The `Location` of a redirect, as a path.
    pub fn location(&self) -> &str {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location in a {}: {}", self.status, self.body))
    }
}

/// The values of `data-permission` inside the console's sidebar, in page order.
pub fn sidebar_permissions(html: &str) -> Vec<String> {
    let start = html
        .find("<nav class=\"sidebar\"")
        .unwrap_or_else(|| panic!("no sidebar in: {html}"));
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
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("not a string: {s}"))
                .to_string()
        })
        .collect()
}
