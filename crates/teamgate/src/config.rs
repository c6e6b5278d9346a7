//! Settings: defaults, then a TOML file, then the environment, then flags.

use serde::Deserialize;

use crate::cli::{LogFormat, SettingsArgs};

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub database_url: String,
    pub listen_url: Option<String>,
    pub public_url: String,
    /// False when the public URL is only the default built from `bind`;
    /// `serve` then builds it from the address it actually bound (port 0).
    pub public_url_given: bool,
    pub smtp_url: Option<String>,
    pub outbox_dir: String,
    pub invite_ttl_hours: u32,
    pub invites_per_member_hour: u32,
    pub invites_per_org_day: u32,
    pub log_format: LogFormat,
    pub log: String,
}

/// The TOML file's keys; unknown keys are refused so a typo is not ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    bind: Option<String>,
    database_url: Option<String>,
    listen_url: Option<String>,
    public_url: Option<String>,
    data_dir: Option<String>,
    smtp_url: Option<String>,
    outbox_dir: Option<String>,
    invite_ttl_hours: Option<u32>,
    invites_per_member_hour: Option<u32>,
    invites_per_org_day: Option<u32>,
    log_format: Option<LogFormat>,
    log: Option<String>,
}

impl Config {
    pub fn load(args: &SettingsArgs) -> Result<Config, String> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the config file {path}: {e}"))?;
                toml::from_str::<FileSettings>(&text)
                    .map_err(|e| format!("the config file {path} is not valid: {e}"))?
            }
            None => FileSettings::default(),
        };
        let bind = pick(&args.bind, &file.bind, || "127.0.0.1:8080".to_string());
        let data_dir = pick(&args.data_dir, &file.data_dir, || {
            "./teamgate-data".to_string()
        });
        let data_dir = data_dir.trim_end_matches('/').to_string();
        let database_url = pick(&args.database_url, &file.database_url, || {
            format!("sqlite://{data_dir}/teamgate.db")
        });
        let public_url = pick(&args.public_url, &file.public_url, || {
            format!("http://{bind}")
        });
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!(
                "the public URL must start with http:// or https://, not `{public_url}`"
            ));
        }
        let outbox_dir = pick(&args.outbox_dir, &file.outbox_dir, || {
            format!("{data_dir}/outbox")
        });
        Ok(Config {
            bind,
            database_url,
            listen_url: args
                .listen_url
                .clone()
                .or(file.listen_url)
                .filter(|u| !u.is_empty()),
            public_url_given: args.public_url.is_some() || file.public_url.is_some(),
            public_url,
            smtp_url: args
                .smtp_url
                .clone()
                .or(file.smtp_url)
                .filter(|u| !u.is_empty()),
            outbox_dir,
            invite_ttl_hours: positive(
                args.invite_ttl_hours.or(file.invite_ttl_hours),
                168,
                "invite TTL",
            )?,
            invites_per_member_hour: positive(
                args.invites_per_member_hour
                    .or(file.invites_per_member_hour),
                100,
                "invites per member and hour",
            )?,
            invites_per_org_day: positive(
                args.invites_per_org_day.or(file.invites_per_org_day),
                1000,
                "invites per organisation and day",
            )?,
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            log: pick(&args.log, &file.log, || "info".to_string()),
        })
    }
}

fn positive(value: Option<u32>, default: u32, what: &str) -> Result<u32, String> {
    match value.unwrap_or(default) {
        0 => Err(format!("the {what} must be at least 1")),
        n => Ok(n),
    }
}

fn pick(
    flag_or_env: &Option<String>,
    file: &Option<String>,
    default: impl FnOnce() -> String,
) -> String {
    flag_or_env
        .clone()
        .or_else(|| file.clone())
        .unwrap_or_else(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_contract() {
        let c = Config::load(&SettingsArgs::default()).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./teamgate-data/teamgate.db");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = std::env::temp_dir().join(format!("teamgate-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("teamgate.toml");
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9000\"\npublic_url = \"https://gate.example.test\"\n",
        )
        .unwrap();
        let args = SettingsArgs {
            config: Some(path.display().to_string()),
            public_url: Some("http://127.0.0.1:9999".into()),
            ..Default::default()
        };
        let c = Config::load(&args).unwrap();
        assert_eq!(c.bind, "127.0.0.1:9000");
        assert_eq!(c.public_url, "http://127.0.0.1:9999");
        std::fs::write(&path, "bnd = \"x\"\n").unwrap();
        assert!(
            Config::load(&args).is_err(),
            "an unknown key must be refused"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
