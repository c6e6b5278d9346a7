//! teamgate's email delivery, end to end: the outbox writes real `.eml` files,
//! and SMTP delivery reaches a real SMTP server on loopback (Python's aiosmtpd,
//! driven by `smtp_sink.py` beside this file).
//!
//! The SMTP tests need `python3` with aiosmtpd (`python3 -m pip install aiosmtpd`).
//! Without it they fail, unless `TEAMGATE_SKIP_SMTP_TEST=1` says to skip them.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use teamgate_http::mail::{
    invite_email, mailer_from_settings, Delivery, MailError, Mailer, OutboxMailer, OutgoingEmail,
    SmtpMailer, SMTP_SEND_LIMIT,
};

const FROM: &str = "teamgate <no-reply@teamgate.local>";
const LINK: &str = "http://127.0.0.1:8080/invite/Zq8rTq3XbV2kLm9PzYw4Hc6NjA1sDfGhE5uIoK7wXyB";
const PIP: &str = "python3 -m pip install aiosmtpd";

fn invite(to: &str, org: &str) -> OutgoingEmail {
    invite_email(
        to,
        org,
        "ada@acme.test",
        "Manager",
        "2026-12-11T10:00:00Z",
        LINK,
    )
}

#[tokio::test]
async fn the_outbox_writes_a_parseable_eml_with_recipient_subject_and_link() {
    let folder = Folder::new("outbox");
    let outbox = folder.path().join("not").join("there").join("yet");
    let mailer = OutboxMailer::new(&outbox, FROM);

    let delivery = mailer
        .send(invite("bob@example.test", "Acme Inc"))
        .await
        .unwrap();

    let Delivery::Written(path) = delivery else {
        panic!("the outbox should write a file")
    };
    assert_eq!(path.parent(), Some(outbox.as_path()));
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("eml"));
    let raw = std::fs::read(&path).unwrap();
    let raw_text = String::from_utf8_lossy(&raw);
    assert!(raw_text.contains(LINK), "the link is whole in the raw file");
    let message = MessageParser::default()
        .parse(&raw)
        .expect("the .eml parses");
    let to = message
        .to()
        .and_then(|to| to.first())
        .and_then(|a| a.address());
    assert_eq!(to, Some("bob@example.test"));
    let from = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address());
    assert_eq!(from, Some("no-reply@teamgate.local"));
    let subject = message.subject().unwrap_or_default();
    assert!(
        subject.contains("Acme Inc") && subject.contains("ada@acme.test"),
        "{subject}"
    );
    let body = message.body_text(0).unwrap_or_default();
    for part in [
        LINK,
        "Acme Inc",
        "ada@acme.test",
        "Manager",
        "2026-12-11T10:00:00Z",
    ] {
        assert!(body.contains(part), "the body should name {part}: {body}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "an invite link is for its recipient's eyes only"
        );
    }
    let left_over: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        left_over,
        vec![path],
        "only the finished .eml is left in the outbox"
    );
}

#[tokio::test]
async fn a_line_break_in_an_organisation_name_adds_no_bcc_header() {
    let folder = Folder::new("injection");
    let mailer = OutboxMailer::new(folder.path(), FROM);
    let hostile = "Acme\r\nBcc: x@evil.test";
    let through_invite = invite("bob@example.test", hostile);
    let straight = OutgoingEmail {
        to: "bob@example.test".into(),
        subject: format!("Welcome to {hostile}"),
        text: format!("{hostile}\r\n\r\n{LINK}"),
    };

    for email in [through_invite, straight] {
        let Delivery::Written(path) = mailer.send(email).await.unwrap() else {
            panic!("no file")
        };
        let raw = std::fs::read(&path).unwrap();

        let message = MessageParser::default()
            .parse(&raw)
            .expect("the .eml parses");
        let names: Vec<&str> = message.headers().iter().map(|h| h.name()).collect();
        assert!(
            !names.iter().any(|n| n.eq_ignore_ascii_case("bcc")),
            "headers: {names:?}"
        );
        let header_block = String::from_utf8_lossy(&raw);
        let header_block = header_block.split("\r\n\r\n").next().unwrap_or_default();
        assert!(
            !header_block.to_ascii_lowercase().contains("\r\nbcc:"),
            "{header_block}"
        );
        assert!(message.subject().unwrap_or_default().contains("Acme"));
    }
}

#[tokio::test]
async fn a_recipient_with_a_line_break_is_refused() {
    let folder = Folder::new("bad-recipient");
    let mailer = OutboxMailer::new(folder.path(), FROM);

    let result = mailer
        .send(invite("bob@example.test\r\nBcc: x@evil.test", "Acme"))
        .await;

    assert!(
        matches!(result, Err(MailError::InvalidRecipient(_))),
        "{:?}",
        result.err()
    );
    assert!(!folder.path().exists() || std::fs::read_dir(folder.path()).unwrap().next().is_none());
}

#[tokio::test]
async fn without_an_smtp_url_emails_go_to_the_outbox() {
    let folder = Folder::new("settings");

    for smtp_url in [None, Some("  ")] {
        let mailer = mailer_from_settings(smtp_url, folder.path(), FROM).unwrap();
        let delivery = mailer
            .send(invite("bob@example.test", "Acme"))
            .await
            .unwrap();
        assert!(matches!(delivery, Delivery::Written(_)));
    }
}

#[tokio::test]
async fn a_send_to_a_port_nobody_listens_on_fails_within_seconds() {
    let port = free_port();
    let mailer =
        SmtpMailer::from_url(&format!("smtp://mailer:hunter2@127.0.0.1:{port}"), FROM).unwrap();

    let started = Instant::now();
    let result = mailer.send(invite("bob@example.test", "Acme")).await;

    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    let err = result.expect_err("nothing listens, so the send fails");
    let message = err.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the password leaked: {message}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_fails_the_send_within_the_limit() {
    // The kernel accepts the connection into the backlog; nobody ever greets.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mailer = SmtpMailer::from_url(&format!("smtp://127.0.0.1:{port}"), FROM).unwrap();

    let started = Instant::now();
    let result = mailer.send(invite("bob@example.test", "Acme")).await;

    assert!(result.is_err(), "a silent server cannot take the email");
    assert!(
        started.elapsed() <= SMTP_SEND_LIMIT + Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    drop(silent);
}

#[tokio::test]
async fn an_invite_reaches_a_real_smtp_server_with_its_link_intact() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let outbox = Folder::new("unused-outbox");
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let mailer = mailer_from_settings(Some(&url), outbox.path(), FROM).unwrap();

    let delivery = mailer
        .send(invite("bob@example.test", "Acme Inc"))
        .await
        .unwrap();

    assert_eq!(delivery, Delivery::Sent);
    let raw = sink.received(1);
    let message = MessageParser::default()
        .parse(&raw)
        .expect("the received message parses");
    let to = message
        .to()
        .and_then(|to| to.first())
        .and_then(|a| a.address());
    assert_eq!(to, Some("bob@example.test"));
    assert!(message.subject().unwrap_or_default().contains("Acme Inc"));
    assert!(message.body_text(0).unwrap_or_default().contains(LINK));
    assert!(
        String::from_utf8_lossy(&raw).contains(LINK),
        "the link is whole in the raw message"
    );
    assert_eq!(sink.recipients(1), vec!["bob@example.test".to_string()]);
    assert!(
        !outbox.path().exists(),
        "with an SMTP URL nothing goes to the outbox"
    );

    // The outbox writes the very same form of message.
    let written = OutboxMailer::new(outbox.path(), FROM);
    let Delivery::Written(path) = written
        .send(invite("bob@example.test", "Acme Inc"))
        .await
        .unwrap()
    else {
        panic!("no file")
    };
    let stored = std::fs::read(path).unwrap();
    let stored = MessageParser::default()
        .parse(&stored)
        .expect("the .eml parses");
    let names = |m: &mail_parser::Message| -> Vec<String> {
        m.headers().iter().map(|h| h.name().to_string()).collect()
    };
    assert_eq!(names(&stored), names(&message));
    // SMTP's end-of-data marker leaves one more line break at the end; nothing else differs.
    let text = |m: &mail_parser::Message| m.body_text(0).unwrap_or_default().trim_end().to_string();
    assert_eq!(text(&stored), text(&message));

    // A line break smuggled into the organisation name reaches nobody else.
    mailer
        .send(invite("carol@example.test", "Acme\r\nBcc: x@evil.test"))
        .await
        .unwrap();
    assert_eq!(sink.recipients(2), vec!["carol@example.test".to_string()]);
    let hostile = MessageParser::default()
        .parse(&sink.received(2))
        .map(|m| names(&m))
        .unwrap();
    assert!(
        !hostile.iter().any(|n| n.eq_ignore_ascii_case("bcc")),
        "{hostile:?}"
    );
}

/// A fresh folder under the system's temporary folder, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(label: &str) -> Folder {
        Folder(std::env::temp_dir().join(format!("teamgate-mail-{label}-{}", uuid::Uuid::new_v4())))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port on loopback that nothing listens on (just now).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `smtp_sink.py` running on a loopback port, stopped when dropped.
struct SmtpSink {
    child: Child,
    port: u16,
    folder: Folder,
}

impl SmtpSink {
    /// Starts the sink; `None` only when aiosmtpd is missing and
    /// `TEAMGATE_SKIP_SMTP_TEST=1` allows skipping.
    fn start() -> Option<SmtpSink> {
        if let Err(why) = aiosmtpd_available() {
            if std::env::var("TEAMGATE_SKIP_SMTP_TEST").as_deref() == Ok("1") {
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** SKIPPED the real SMTP delivery test: {why}. \
                     TEAMGATE_SKIP_SMTP_TEST=1 is set; run `{PIP}` to test SMTP. ***\n"
                );
                return None;
            }
            panic!(
                "the SMTP delivery test needs python3 with aiosmtpd ({why}); run `{PIP}` \
                    (or set TEAMGATE_SKIP_SMTP_TEST=1 to skip this test)"
            );
        }

        let folder = Folder::new("smtp-sink");
        let port = free_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail/smtp_sink.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(folder.path())
            .stdin(Stdio::piped()) // it stops when this pipe closes, even if the test dies
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 {script}: {e}"));
        let mut sink = SmtpSink {
            child,
            port,
            folder,
        };
        sink.wait_until_listening();
        Some(sink)
    }

    fn wait_until_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!("smtp_sink.py exited ({status}) before listening:\n{stderr}");
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "smtp_sink.py did not listen on {addr} in time"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The raw bytes of the `n`th message received, waiting briefly for it.
    fn received(&self, n: usize) -> Vec<u8> {
        let path = self.folder.path().join(format!("{n}.eml"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(bytes) = std::fs::read(&path) {
                return bytes;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP server received no message {n}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The envelope recipients of the `n`th message.
    fn recipients(&self, n: usize) -> Vec<String> {
        self.received(n);
        let path = self.folder.path().join(format!("{n}.rcpt"));
        let text = std::fs::read_to_string(path).unwrap();
        text.lines().map(str::to_string).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn aiosmtpd_available() -> Result<(), String> {
    let output = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .map_err(|e| format!("python3 cannot be run: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err("python3 cannot import aiosmtpd".to_string())
    }
}
