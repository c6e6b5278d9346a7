//! What `teamgate serve` writes to its log: one `answered` event per request
//! inside the request's span (method, route, organisation, actor, request id)
//! with status and latency, written while the server runs, in JSON on
//! request, without colour codes when not on a terminal, and never a secret.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Server {
    child: Child,
    base: String,
    password: String,
    log: Arc<Mutex<Vec<String>>>,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(log_format: &str) -> Server {
    let data = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", data.path().join("teamgate.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_teamgate"))
        .args([
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &db,
        ])
        .arg("--data-dir")
        .arg(data.path())
        .args(["--log-format", log_format, "--log", "info"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start teamgate serve");
    let log = Arc::new(Mutex::new(Vec::new()));
    let stderr = child.stderr.take().expect("stderr");
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut base, mut password) = (None, None);
    while base.is_none() || password.is_none() {
        let line = lines
            .next()
            .expect("teamgate exited before listening")
            .expect("read stdout");
        if let Some(addr) = line.strip_prefix("teamgate listening on ") {
            base = Some(addr.trim().to_string());
        }
        if let Some((_, pw)) = line.split_once("demo password: ") {
            password = Some(pw.trim().to_string());
        }
    }
    Server {
        child,
        base: base.unwrap(),
        password: password.unwrap(),
        log,
        _data: data,
    }
}

/// Signs in as Demo Co's admin and checks a permission with a request id of
/// its own; returns the organisation and the session cookie's value.
async fn one_check(server: &Server, request_id: &str) -> (String, String) {
    let client = reqwest::Client::new();
    let signed_in = client
        .post(format!("{}/api/v1/session", server.base))
        .json(&json!({"email": "admin@demo.test", "password": server.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let me: Value = client
        .get(format!("{}/api/v1/me", server.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = me["orgs"][0]["id"]
        .as_str()
        .expect("an organisation")
        .to_string();
    let user = me["id"].as_str().expect("my id").to_string();
    let answer = client
        .post(format!("{}/api/v1/orgs/{org}/check", server.base))
        .header("cookie", &cookie)
        .header("origin", &server.base)
        .header("x-request-id", request_id)
        .json(&json!({"user_id": user, "permission": "team:view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let value = cookie.split_once('=').map(|(_, v)| v.to_string()).unwrap();
    (org, value)
}

/// Waits (the log is written by a thread of its own) for a line.
fn wait_for_line(server: &Server, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(line) = server.log.lock().unwrap().iter().find(|l| wanted(l)) {
            return line.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no such line in the log:\n{}",
            server.log.lock().unwrap().join("\n")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_no_secrets(server: &Server, secrets: &[&str]) {
    let log = server.log.lock().unwrap().join("\n");
    for secret in secrets {
        assert!(!log.contains(secret), "a secret reached the log:\n{log}");
    }
}

#[tokio::test]
async fn json_logs_have_one_answered_event_per_request_inside_its_span() {
    let server = start("json");
    let (org, session) = one_check(&server, "logs-test-request-1").await;
    let line = wait_for_line(&server, |l| {
        l.contains("logs-test-request-1") && l.contains("answered")
    });
    let event: Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(event["fields"]["message"], "answered", "{event}");
    assert_eq!(event["fields"]["status"], 200, "{event}");
    assert!(event["fields"]["latency_ms"].as_f64().is_some(), "{event}");
    let span = &event["span"];
    assert_eq!(span["name"], "request", "{event}");
    assert_eq!(span["method"], "POST", "{event}");
    assert_eq!(span["route"], "/api/v1/orgs/{org}/check", "{event}");
    assert_eq!(span["org"], org.as_str(), "{event}");
    assert_eq!(span["request_id"], "logs-test-request-1", "{event}");
    assert!(
        span["actor"].as_str().unwrap().starts_with("user:"),
        "{event}"
    );
    let answered = server
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("logs-test-request-1") && l.contains("\"answered\""))
        .count();
    assert_eq!(answered, 1, "one answered event per request");
    assert_no_secrets(&server, &[&server.password, &session]);
}

#[tokio::test]
async fn text_logs_off_a_terminal_carry_no_colour_codes() {
    let server = start("text");
    let (_, session) = one_check(&server, "logs-test-request-2").await;
    let line = wait_for_line(&server, |l| {
        l.contains("logs-test-request-2") && l.contains("answered")
    });
    assert!(line.contains("status=200"), "{line}");
    let log = server.log.lock().unwrap().join("\n");
    assert!(
        !log.contains('\u{1b}'),
        "escape codes in a log written to a pipe:\n{log}"
    );
    assert_no_secrets(&server, &[&server.password, &session]);
}
