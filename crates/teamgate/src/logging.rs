use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;
use crate::config::Config;

/// Logs go to standard error, so standard output stays for what commands print.
///
/// Lines are written by a thread of their own, so a request never waits for
/// the terminal or the disk; lines queued together go out in one write, and
/// the thread flushes whenever its queue is empty, so no line waits for
/// later ones. When that thread falls behind, callers wait rather than lose
/// lines. Colours only on a terminal. Keep the guard until
/// the process ends: dropping it writes out what is still queued.
pub fn init(config: &Config) -> WorkerGuard {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("teamgate-log")
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    match config.log_format {
        LogFormat::Json => builder.json().with_current_span(true).init(),
        LogFormat::Text => builder.init(),
    }
    guard
}
