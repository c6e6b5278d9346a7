//! Email delivery. (Placeholder interface while the full module lands.)

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

pub enum Delivery {
    Sent,
    Written(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0}")]
    Failed(String),
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, email: OutgoingEmail) -> Result<Delivery, MailError>;
}

pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: impl Into<PathBuf>, _from: &str) -> OutboxMailer {
        OutboxMailer { dir: dir.into() }
    }
}

#[async_trait::async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: OutgoingEmail) -> Result<Delivery, MailError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| MailError::Failed(e.to_string()))?;
        let path = self.dir.join(format!("{}.eml", uuid::Uuid::new_v4()));
        let text = format!("To: {}\r\nSubject: {}\r\n\r\n{}", email.to, email.subject, email.text);
        std::fs::write(&path, text).map_err(|e| MailError::Failed(e.to_string()))?;
        Ok(Delivery::Written(path))
    }
}

pub fn mailer_from_settings(_smtp_url: Option<&str>, outbox_dir: &Path, from: &str)
    -> Result<Arc<dyn Mailer>, MailError>
{
    Ok(Arc::new(OutboxMailer::new(outbox_dir, from)))
}

pub fn invite_email(to: &str, org_name: &str, inviter: &str, role_name: &str, expires_at: &str,
    accept_link: &str) -> OutgoingEmail
{
    OutgoingEmail {
        to: to.to_string(),
        subject: format!("{inviter} invited you to {org_name}"),
        text: format!("Join {org_name} as {role_name}: {accept_link} (expires {expires_at})"),
    }
}
