//! Email delivery: through an SMTP server when teamgate is given an SMTP URL,
//! otherwise into an outbox folder as `.eml` files an operator can open.
//!
//! What this module guarantees:
//! - Every message is built by lettre's builder, never by joining header
//!   text, so a line break in an organisation name, a person's name or an
//!   address can add neither a header nor a recipient.
//! - Both mailers produce the same bytes: an outbox file is exactly the
//!   message SMTP would have carried.
//! - Email bodies carry invite tokens, so they are never logged: logs name only
//!   the recipient's domain, the SMTP server or the outbox file. Errors never
//!   carry the SMTP password.
//! - An SMTP send gives up with an error when the server cannot be reached
//!   within [`SMTP_CONNECT_TIMEOUT`], and after [`SMTP_SEND_LIMIT`] in all,
//!   however slowly the server answers; nothing here panics.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long the SMTP client waits for a connection, so an unreachable server
/// fails an invite quickly.
pub const SMTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a whole SMTP send may take. lettre's timeout covers only the
/// connection, so this bounds a server that connects and then stays silent.
pub const SMTP_SEND_LIMIT: Duration = Duration::from_secs(10);

/// Body lines stay under the 76 columns past which lettre switches to
/// quoted-printable, which would split long words with soft line breaks.
const BODY_WIDTH: usize = 72;

/// Marks teamgate's emails as automatic (RFC 3834), so out-of-office replies
/// are not sent back to the no-reply address.
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

/// One email to send.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// What became of a sent email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The SMTP server accepted it.
    Sent,
    /// It was written to this file in the outbox.
    Written(PathBuf),
}

/// Why an email was not delivered. Each message is fit to show an admin: it
/// names the server or folder, never a password or the email's body.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the SMTP URL is not usable: {0}")]
    InvalidUrl(String),
    #[error("the sender {0:?} is not a valid email address")]
    InvalidSender(String),
    #[error("the recipient is not a valid email address: {0}")]
    InvalidRecipient(String),
    #[error("the email could not be put together: {0}")]
    Compose(String),
    #[error("the SMTP server at {server} did not take the email: {reason}")]
    Smtp { server: String, reason: String },
    #[error("the SMTP server at {server} did not finish within {} seconds", .after.as_secs())]
    Timeout { server: String, after: Duration },
    #[error("could not write the email to the outbox folder {}: {source}", .dir.display())]
    Outbox {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Something that delivers teamgate's emails.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Sends or stores the email. Errors carry a message fit to show an admin (no secrets).
    async fn send(&self, email: OutgoingEmail) -> Result<Delivery, MailError>;
}

/// SMTP delivery for a URL such as `smtp://127.0.0.1:2525`, also with
/// credentials (`smtp://user:pass@host:port`), STARTTLS
/// (`smtp://host:587?tls=required`) or implicit TLS (`smtps://host:465`).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port`, for logs and error messages; never the credentials.
    server: String,
}

impl SmtpMailer {
    pub fn from_url(url: &str, from: &str) -> Result<SmtpMailer, MailError> {
        let server = server_of(url)?;
        let from = sender(from)?;

        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::InvalidUrl(e.to_string()))?
            .timeout(Some(SMTP_CONNECT_TIMEOUT))
            .build();

        Ok(SmtpMailer {
            transport,
            from,
            server,
        })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: OutgoingEmail) -> Result<Delivery, MailError> {
        let to = recipient(&email.to)?;
        let domain = to.email.domain().to_owned();
        let message = compose(&self.from, to, email)?;

        let outcome = tokio::time::timeout(SMTP_SEND_LIMIT, self.transport.send(message)).await;
        let failure = match outcome {
            Ok(Ok(_)) => {
                tracing::info!(recipient_domain = %domain, server = %self.server, "email sent");
                return Ok(Delivery::Sent);
            }
            Ok(Err(e)) => MailError::Smtp {
                server: self.server.clone(),
                reason: e.to_string(),
            },
            Err(_) => MailError::Timeout {
                server: self.server.clone(),
                after: SMTP_SEND_LIMIT,
            },
        };
        tracing::warn!(recipient_domain = %domain, error = %failure, "email not sent");
        Err(failure)
    }
}

/// Writes each email as an RFC 5322 `.eml` file into a folder, created if
/// missing. The files hold invite links, so on Unix only their owner may read
/// them.
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
}

impl OutboxMailer {
    pub fn new(dir: impl Into<PathBuf>, from: &str) -> OutboxMailer {
        OutboxMailer {
            dir: dir.into(),
            from: from.to_owned(),
        }
    }

    /// Writes under a hidden temporary name first, so whoever watches the
    /// folder for `*.eml` never reads half a message.
    async fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let mut folder = tokio::fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        folder.mode(0o700);
        folder.create(&self.dir).await?;

        let partial = self.dir.join(format!(".{name}.partial"));
        let done = self.dir.join(name);
        let written = write_private(&partial, bytes).await;
        let renamed = match written {
            Ok(()) => tokio::fs::rename(&partial, &done).await,
            Err(e) => Err(e),
        };
        if let Err(e) = renamed {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
        Ok(done)
    }
}

#[async_trait::async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: OutgoingEmail) -> Result<Delivery, MailError> {
        let from = sender(&self.from)?;
        let to = recipient(&email.to)?;
        let message = compose(&from, to, email)?;

        // Version 7 ids sort by time, so the folder lists emails in the order sent.
        let name = format!("{}.eml", uuid::Uuid::now_v7());
        let path = self
            .write(&name, &message.formatted())
            .await
            .map_err(|source| MailError::Outbox {
                dir: self.dir.clone(),
                source,
            })?;

        tracing::info!(file = %path.display(), "email written to the outbox");
        Ok(Delivery::Written(path))
    }
}

async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;

    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

/// Picks [`SmtpMailer`] when `smtp_url` is set (and not blank), else [`OutboxMailer`].
pub fn mailer_from_settings(
    smtp_url: Option<&str>,
    outbox_dir: &Path,
    from: &str,
) -> Result<Arc<dyn Mailer>, MailError> {
    match smtp_url.map(str::trim).filter(|url| !url.is_empty()) {
        Some(url) => {
            let mailer = SmtpMailer::from_url(url, from)?;
            tracing::info!(server = %mailer.server, "emails go out through SMTP");
            Ok(Arc::new(mailer))
        }
        None => {
            sender(from)?;
            tracing::info!(dir = %outbox_dir.display(), "no SMTP URL: emails are written to the outbox");
            Ok(Arc::new(OutboxMailer::new(outbox_dir, from)))
        }
    }
}

/// The invite email: who invites whom to which organisation, with which role,
/// until when, and the link that accepts.
pub fn invite_email(
    to: &str,
    org_name: &str,
    inviter: &str,
    role_name: &str,
    expires_at: &str,
    accept_link: &str,
) -> OutgoingEmail {
    let org = one_line(org_name);
    let inviter = one_line(inviter);
    let role = one_line(role_name);
    let expires = one_line(expires_at);

    // Prose is wrapped short and the link stands on a line of its own, so the
    // body needs no soft line breaks and the link reaches the reader whole.
    let prose =
        |text: &str| textwrap::fill(text, textwrap::Options::new(BODY_WIDTH).break_words(false));
    let text = [
        "Hello,".to_owned(),
        prose(&format!(
            "{inviter} has invited you to join {org} on teamgate with the role {role}."
        )),
        "To accept, open this link:".to_owned(),
        accept_link.to_owned(),
        prose(&format!(
            "The link works until {expires} and can be used once."
        )),
        prose("If you did not expect this invitation, you can ignore this email."),
    ]
    .join("\n\n")
        + "\n";

    OutgoingEmail {
        to: to.to_owned(),
        subject: format!("{inviter} invited you to join {org} on teamgate"),
        text,
    }
}

/// Builds the message. lettre encodes every header value, so line breaks in
/// the subject become encoded text rather than new headers.
fn compose(from: &Mailbox, to: Mailbox, email: OutgoingEmail) -> Result<Message, MailError> {
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject)
        .message_id(None)
        .raw_header(HeaderValue::new(
            AUTO_SUBMITTED,
            "auto-generated".to_owned(),
        ))
        .header(ContentType::TEXT_PLAIN)
        .body(email.text)
        .map_err(|e| MailError::Compose(e.to_string()))
}

fn sender(from: &str) -> Result<Mailbox, MailError> {
    from.parse()
        .map_err(|_| MailError::InvalidSender(from.to_owned()))
}

fn recipient(to: &str) -> Result<Mailbox, MailError> {
    to.parse()
        .map_err(|e: lettre::address::AddressError| MailError::InvalidRecipient(e.to_string()))
}

/// `host:port` of an SMTP URL, checked enough to give a clear error; the port
/// is lettre's default for the scheme when the URL names none.
fn server_of(url: &str) -> Result<String, MailError> {
    let parsed = url::Url::parse(url).map_err(|e| MailError::InvalidUrl(e.to_string()))?;
    let tls = parsed.query_pairs().any(|(key, _)| key == "tls");
    let default_port = match parsed.scheme() {
        "smtp" if tls => 587,
        "smtp" => 25,
        "smtps" => 465,
        other => {
            return Err(MailError::InvalidUrl(format!(
                "the scheme is {other:?}; expected smtp://host:port or smtps://host:port"
            )))
        }
    };
    let host = match parsed.host_str() {
        Some(host) if !host.is_empty() => host,
        _ => return Err(MailError::InvalidUrl("it names no host".to_owned())),
    };
    let port = parsed.port().unwrap_or(default_port);

    if parsed.password().is_some() && parsed.scheme() == "smtp" && !tls && !is_loopback(host) {
        tracing::warn!(server = %host, "the SMTP password will cross the network unencrypted; add ?tls=required or use smtps://");
    }
    Ok(format!("{host}:{port}"))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Text from people (names, organisation names) on one line: control
/// characters become spaces, so none can start a line of its own in the body.
fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_label_never_carries_the_password() {
        let server = server_of("smtp://mailer:hunter2@127.0.0.1:2525").unwrap();
        assert_eq!(server, "127.0.0.1:2525");
        assert_eq!(
            server_of("smtps://mail.example.test").unwrap(),
            "mail.example.test:465"
        );
        assert_eq!(
            server_of("smtp://mail.example.test?tls=required").unwrap(),
            "mail.example.test:587"
        );
    }

    #[test]
    fn a_url_that_is_not_smtp_is_refused_without_echoing_it() {
        let err = SmtpMailer::from_url("http://mailer:hunter2@127.0.0.1:2525", "a@b.test")
            .err()
            .unwrap();
        assert!(matches!(err, MailError::InvalidUrl(_)));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn names_are_kept_on_one_line() {
        assert_eq!(
            one_line("Acme\r\nBcc: x@evil.test\t Co"),
            "Acme Bcc: x@evil.test Co"
        );
    }
}
