//! `teamgate audit verify` and `teamgate audit export`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use teamgate_core::clock::{parse_timestamp, unix_millis};
use teamgate_core::export::{csv_header, csv_row, jsonl_line};
use teamgate_store::{AuditFilter, SqlStore, Store};

use crate::cli::{ExportArgs, ExportFormat};
use crate::config::Config;

async fn open(config: &Config) -> Result<SqlStore, String> {
    SqlStore::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

pub async fn verify(config: Config, org: Option<String>) -> Result<ExitCode, String> {
    let store = open(&config).await?;
    let orgs = match org {
        Some(id) => {
            if store.org(&id).await.map_err(|e| e.to_string())?.is_none() {
                return Err(format!("no organisation {id}"));
            }
            vec![id]
        }
        None => store.org_ids().await.map_err(|e| e.to_string())?,
    };
    let mut total = 0;
    for org_id in orgs {
        let count = store
            .audit_count(&org_id)
            .await
            .map_err(|e| e.to_string())?;
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(count);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events ({per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(format!("verifying {org_id}"));
            bar
        } else {
            ProgressBar::hidden()
        };
        let report = store
            .verify_chain(&org_id, &|n| bar.set_position(n))
            .await
            .map_err(|e| e.to_string())?;
        bar.finish_and_clear();
        total += report.events_checked;
        if let Some(broken) = report.first_bad_event {
            println!(
                "organisation {org_id}: BROKEN at event {} (seq {}): {}",
                broken.id, broken.seq, broken.problem
            );
            return Ok(ExitCode::from(1));
        }
        println!(
            "organisation {org_id}: {} events, chain intact",
            report.events_checked
        );
    }
    println!("ok: {total} events verified");
    Ok(ExitCode::SUCCESS)
}

pub async fn export(config: Config, args: ExportArgs) -> Result<ExitCode, String> {
    let store = open(&config).await?;
    if store
        .org(&args.org)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        return Err(format!("no organisation {}", args.org));
    }
    let time = |s: &Option<String>, what: &str| -> Result<Option<i64>, String> {
        s.as_deref()
            .map(|t| {
                parse_timestamp(t)
                    .map(unix_millis)
                    .ok_or(format!("--{what} must be an RFC 3339 time"))
            })
            .transpose()
    };
    let filter = AuditFilter {
        action: args.action.clone(),
        actor: args.actor.clone(),
        target: args.target.clone(),
        since_ms: time(&args.since, "since")?,
        until_ms: time(&args.until, "until")?,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let write_err = |e: std::io::Error| e.to_string();
    if matches!(args.format, ExportFormat::Csv) {
        out.write_all(csv_header().as_bytes()).map_err(write_err)?;
    }
    let mut after = 0;
    loop {
        let batch = store
            .audit_batch(&args.org, &filter, after, 1_000)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for event in &batch {
            let line = match args.format {
                ExportFormat::Csv => csv_row(event),
                ExportFormat::Jsonl => jsonl_line(event),
            };
            out.write_all(line.as_bytes()).map_err(write_err)?;
        }
    }
    out.flush().map_err(write_err)?;
    Ok(ExitCode::SUCCESS)
}
