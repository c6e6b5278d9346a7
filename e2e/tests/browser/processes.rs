//! The programs a browser test starts: the real `teamgate serve` on a fresh
//! data folder, and `chromedriver`. Each lives in a guard that ends it, with
//! everything it started in turn (chromedriver's Chromium), when dropped: after
//! a pass, a failed step or a panic alike.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tempfile::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a program may take to start answering.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A child process, ended with its descendants when dropped.
pub struct Guarded {
    child: Child,
    name: &'static str,
}

impl Guarded {
    fn new(child: Child, name: &'static str) -> Guarded {
        Guarded { child, name }
    }

    /// `Some(status)` once the program has exited.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // Chromium is chromedriver's child, not ours: end the whole tree we
        // started, children first found, by process id only.
        let pid = self.child.id();
        for descendant in descendants(pid) {
            // SAFETY: kill(2) with a pid found under our own child; no memory involved.
            unsafe {
                libc::kill(descendant as libc::pid_t, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every process below `root`, read from /proc (Linux); empty elsewhere.
fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may hold spaces; the parent
        // pid is the second field after it.
        let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        if let Some(ppid) = after_name
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
        {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            found.push(child);
            queue.push(child);
        }
    }
    found
}

/// A free port on the loopback address, for a program that cannot take port 0.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The `teamgate` binary of this workspace, built beforehand by
/// `cargo build -p teamgate` (this crate does not depend on it).
pub fn teamgate_binary() -> Result<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/teamgate");
    if !path.is_file() {
        bail!(
            "the teamgate binary is missing at {}: build it first with `cargo build -p teamgate`",
            path.display()
        );
    }
    Ok(path)
}

/// A running `teamgate serve` on its own SQLite database and outbox.
pub struct Teamgate {
    /// `http://127.0.0.1:PORT`, the address it listens on.
    pub base: String,
    /// The one-time setup link's path and query (`/setup?token=…`).
    pub setup_path: String,
    pub outbox: PathBuf,
    /// Its standard output and error, kept for a failure report.
    pub logs: Vec<PathBuf>,
    _process: Guarded,
    // Declared last, so the folder goes once the server is gone.
    _data: TempDir,
}

impl Teamgate {
    pub fn start() -> Result<Teamgate> {
        let binary = teamgate_binary()?;
        let data = tempfile::Builder::new().prefix("teamgate-e2e-").tempdir()?;
        let outbox = data.path().join("outbox");
        let stdout_log = data.path().join("teamgate.stdout.log");
        let stderr_log = data.path().join("teamgate.stderr.log");

        let mut command = Command::new(&binary);
        // Only what this test sets may steer the server (no SMTP, no other database).
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TEAMGATE_") {
                command.env_remove(key);
            }
        }
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .env("TEAMGATE_OUTBOX_DIR", &outbox)
            .env("TEAMGATE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&stderr_log)?)
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout from teamgate"))?;
        let process = Guarded::new(child, "teamgate");

        // A thread copies standard output to a file and hands each line over,
        // so the server never blocks on a full pipe.
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        let mut copy = File::create(&stdout_log)?;
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(copy, "{line}");
                let _ = lines_tx.send(line);
            }
        });

        let deadline = Instant::now() + START_LIMIT;
        let (mut setup_path, mut base) = (None, None);
        while setup_path.is_none() || base.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines_rx.recv_timeout(left).map_err(|_| {
                let log = std::fs::read_to_string(&stderr_log).unwrap_or_default();
                anyhow!("teamgate did not print its setup link and address in time:\n{log}")
            })?;
            // Only the link's path is kept: its host is the public URL, which
            // defaults to the bind address and so names port 0 here.
            if let Some(at) = line.find("/setup?token=") {
                setup_path = Some(line[at..].trim().to_string());
            }
            if let Some(addr) = line.strip_prefix("teamgate listening on ") {
                base = Some(addr.trim().trim_end_matches('/').to_string());
            }
        }
        Ok(Teamgate {
            base: base.unwrap_or_default(),
            setup_path: setup_path.unwrap_or_default(),
            outbox,
            logs: vec![stdout_log, stderr_log],
            _process: process,
            _data: data,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A running chromedriver on a loopback port.
pub struct Chromedriver {
    /// `http://127.0.0.1:PORT`, the WebDriver endpoint.
    pub url: String,
    pub log: PathBuf,
    profiles: AtomicUsize,
    _process: Guarded,
    // Holds the log and the browsers' profiles; declared after the process,
    // so it goes only once every Chromium is gone.
    work: TempDir,
}

impl Chromedriver {
    /// A new, empty Chromium user data folder.
    pub fn new_profile(&self) -> Result<PathBuf> {
        let n = self.profiles.fetch_add(1, Ordering::Relaxed);
        let path = self.work.path().join(format!("profile-{n}"));
        std::fs::create_dir(&path).with_context(|| format!("create {}", path.display()))?;
        Ok(path)
    }
}

impl Chromedriver {
    pub fn start() -> Result<Chromedriver> {
        let work = tempfile::Builder::new()
            .prefix("teamgate-e2e-chromedriver-")
            .tempdir()?;
        let log = work.path().join("chromedriver.log");
        // A port picked now may be taken before chromedriver binds it; try again then.
        let mut last_error = anyhow!("chromedriver was not started");
        for _ in 0..3 {
            let port = free_port()?;
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("start {CHROMEDRIVER}"))?;
            let mut process = Guarded::new(child, "chromedriver");
            match wait_for_port(&mut process, port) {
                Ok(()) => {
                    return Ok(Chromedriver {
                        url: format!("http://127.0.0.1:{port}"),
                        log,
                        profiles: AtomicUsize::new(0),
                        _process: process,
                        work,
                    })
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }
}

fn wait_for_port(process: &mut Guarded, port: u16) -> Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + START_LIMIT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(status) = process.exited() {
            bail!(
                "{} exited before listening on port {port}: {status}",
                process.name
            );
        }
        if Instant::now() > deadline {
            bail!(
                "{} did not listen on port {port} within {START_LIMIT:?}",
                process.name
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
