//! The command line. Every setting is a flag of every command and an
//! environment variable; a TOML file (`--config`) fills in the rest.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "teamgate", version, about = "Team and access-control server")]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args, Default)]
pub struct SettingsArgs {
    /// A TOML file with settings (keys as the long flags, with `_`: bind, database_url, …).
    #[arg(long, env = "TEAMGATE_CONFIG", global = true)]
    pub config: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TEAMGATE_BIND", global = true)]
    pub bind: Option<String>,
    /// `sqlite://PATH` or `postgres://…` [default: sqlite://teamgate-data/teamgate.db].
    #[arg(long, env = "TEAMGATE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// PostgreSQL only: where to LISTEN for other replicas' changes, when the
    /// database URL goes through a pooler that cannot hold a LISTEN [default: the database URL].
    #[arg(long, env = "TEAMGATE_LISTEN_URL", global = true)]
    pub listen_url: Option<String>,
    /// Where people reach teamgate; starts emailed links [default: http://BIND].
    #[arg(long, env = "TEAMGATE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Folder for data kept on disk [default: ./teamgate-data].
    #[arg(long, env = "TEAMGATE_DATA_DIR", global = true)]
    pub data_dir: Option<String>,
    /// `smtp://host:port` to send email; unset writes `.eml` files to the outbox folder.
    #[arg(long, env = "TEAMGATE_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// Where emails are written without SMTP [default: DATA_DIR/outbox].
    #[arg(long, env = "TEAMGATE_OUTBOX_DIR", global = true)]
    pub outbox_dir: Option<String>,
    /// How long an invite link works, in hours [default: 168, a week].
    #[arg(long, env = "TEAMGATE_INVITE_TTL_HOURS", global = true)]
    pub invite_ttl_hours: Option<u32>,
    /// Invites one member may send per hour [default: 100].
    #[arg(long, env = "TEAMGATE_INVITES_PER_MEMBER_HOUR", global = true)]
    pub invites_per_member_hour: Option<u32>,
    /// Invites one organisation may send per day [default: 1000].
    #[arg(long, env = "TEAMGATE_INVITES_PER_ORG_DAY", global = true)]
    pub invites_per_org_day: Option<u32>,
    /// Log output: `text` or `json` [default: text].
    #[arg(long, env = "TEAMGATE_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
    /// Log filter, such as `info` or `teamgate_http=debug` [default: info].
    #[arg(long, env = "TEAMGATE_LOG", global = true)]
    pub log: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server.
    Serve {
        /// On an empty database, create `Demo Co` with one member per role.
        #[arg(long)]
        demo: bool,
    },
    /// Creates the first organisation and admin without a browser. The
    /// password comes from TEAMGATE_ADMIN_PASSWORD or standard input.
    Init {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// The admin's name [default: the part of the email before @].
        #[arg(long)]
        name: Option<String>,
    },
    /// Checks or exports the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Exits 0 when every hash chain is intact, 1 naming the first broken event.
    Verify {
        #[arg(long)]
        org: Option<String>,
    },
    /// Writes one organisation's log to standard output.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub org: String,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Only actions equal to this, or starting with it when it ends in `.`.
    #[arg(long)]
    pub action: Option<String>,
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long)]
    pub target: Option<String>,
    /// RFC 3339 time; events at or after it.
    #[arg(long)]
    pub since: Option<String>,
    /// RFC 3339 time; events before it.
    #[arg(long)]
    pub until: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}
