use time::Duration;

/// What the HTTP layer needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The address people reach teamgate at, such as `http://127.0.0.1:8080`;
    /// it names teamgate's own origin and starts every emailed link.
    pub public_url: String,
    /// How long a session lasts after sign-in.
    pub session_ttl: Duration,
    /// Failed sign-ins allowed per address, and per client address, in `signin_window`.
    pub signin_failures_per_email: u32,
    pub signin_failures_per_client: u32,
    pub signin_window: Duration,
    /// How long an invite link works.
    pub invite_ttl: Duration,
    /// Invites one member may send per hour, and one organisation per day.
    pub invites_per_actor_hour: u32,
    pub invites_per_org_day: u32,
    /// `smtp://host:port` to send email; without it emails go to `outbox_dir`.
    pub smtp_url: Option<String>,
    pub outbox_dir: std::path::PathBuf,
}

impl Settings {
    pub fn new(public_url: impl Into<String>) -> Settings {
        Settings {
            public_url: public_url.into().trim_end_matches('/').to_string(),
            session_ttl: Duration::days(7),
            signin_failures_per_email: 10,
            signin_failures_per_client: 100,
            signin_window: Duration::minutes(15),
            invite_ttl: Duration::days(7),
            invites_per_actor_hour: 100,
            invites_per_org_day: 1000,
            smtp_url: None,
            outbox_dir: std::path::PathBuf::from("./teamgate-data/outbox"),
        }
    }

    /// Cookies are marked `Secure` when teamgate is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of the public URL.
    pub fn origin(&self) -> String {
        let url = &self.public_url;
        let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
        match url[after_scheme..].find('/') {
            Some(slash) => url[..after_scheme + slash].to_string(),
            None => url.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        assert_eq!(
            Settings::new("http://127.0.0.1:8080/").origin(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            Settings::new("https://gate.example.test/base").origin(),
            "https://gate.example.test"
        );
        assert!(Settings::new("https://gate.example.test").secure_cookies());
    }
}
