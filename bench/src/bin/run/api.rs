//! A small client of teamgate's JSON API for the benchmarks: signs in with
//! a session cookie and sends the Origin header that changes need.

use serde_json::{json, Value};

/// A signed-in API client (session cookie, Origin header on changes).
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub async fn sign_in(base: &str, email: &str, password: &str) -> Result<Api, String> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .map_err(|e| e.to_string())?;
        let api = Api {
            http,
            base: base.to_string(),
        };
        api.send(
            reqwest::Method::POST,
            "/api/v1/session",
            Some(json!({"email": email, "password": password})),
        )
        .await?;
        Ok(api)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if method != reqwest::Method::GET {
            request = request.header("Origin", &self.base);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "{method} {path}: {status}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Result<Value, String> {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// The first organisation of the signed-in user.
    pub async fn first_org(&self) -> Result<String, String> {
        let me = self.get("/api/v1/me").await?;
        me["orgs"][0]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("no organisation in {me}"))
    }

    /// (user id, role) of the first page of members.
    pub async fn members(&self, org: &str) -> Result<Vec<(String, String)>, String> {
        let page = self
            .get(&format!("/api/v1/orgs/{org}/members?limit=200"))
            .await?;
        let items = page["items"].as_array().ok_or("no members")?;
        Ok(items
            .iter()
            .filter_map(|m| {
                Some((
                    m["user_id"].as_str()?.to_string(),
                    m["role"].as_str()?.to_string(),
                ))
            })
            .collect())
    }
}
