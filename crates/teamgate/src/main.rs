//! The `teamgate` binary: reads settings, then wires storage, the HTTP layer
//! and the commands together. It holds no product logic of its own.

mod audit_cmd;
mod cli;
mod config;
mod demo;
mod demo_features;
mod init;
mod logging;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;

use cli::{AuditCommand, Cli, Command};

/// Requests allocate many small, short-lived values; mimalloc serves them
/// faster than the system allocator.
#[global_allocator]
static ALLOCATOR: MiMalloc = MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match config::Config::load(&cli.settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("teamgate: {e}");
            return ExitCode::from(2);
        }
    };
    let log_writer = logging::init(&config);
    let outcome = match cli.command {
        Command::Serve { demo } => serve::run(config, demo).await,
        Command::Init { org, email, name } => init::run(config, org, email, name).await,
        Command::Audit {
            command: AuditCommand::Verify { org },
        } => audit_cmd::verify(config, org).await,
        Command::Audit {
            command: AuditCommand::Export(args),
        } => audit_cmd::export(config, args).await,
    };
    // Queued log lines first, so an error printed below comes after them.
    drop(log_writer);
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("teamgate: {e}");
            ExitCode::FAILURE
        }
    }
}
