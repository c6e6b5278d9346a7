//! `teamgate-bench-run`: runs every benchmark of issue 7 in one go and writes
//! BENCHMARKS.md and bench/chart.svg. `bench/run.sh` builds it and calls it;
//! `--quick` uses smaller sizes. Each section that fails is reported as such
//! in the table instead of stopping the run.

mod api;
mod audit;
mod bigdb;
mod bulk;
mod cargo_benches;
mod chart;
mod http;
mod machine;
mod report;
mod scale;
mod server;
mod sizes;

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::report::Report;
use crate::sizes::Sizes;

#[derive(Parser)]
#[command(about = "Runs teamgate's benchmarks and writes BENCHMARKS.md")]
struct Args {
    /// Smaller sizes and shorter runs (under 5 minutes).
    #[arg(long)]
    quick: bool,
    /// The workspace root.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Only these sections (engines, http, propagation, audit, scale, startup).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Fills a permission cache with MEMBERS memberships and prints its memory (a child process).
    CacheRss { members: usize },
}

/// Where things are and how big to make them.
pub struct Env {
    pub root: PathBuf,
    pub teamgate: PathBuf,
    pub ceiling: PathBuf,
    pub work: PathBuf,
    pub sizes: Sizes,
    /// A PostgreSQL server to make fresh schemas in (TEAMGATE_TEST_DATABASE_URL).
    pub postgres: Option<String>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let Some(Command::CacheRss { members }) = args.command {
        return scale::cache_rss_child(members);
    }
    let root = std::fs::canonicalize(&args.root).unwrap_or(args.root.clone());
    let work = root.join("target/bench-run");
    let _ = std::fs::remove_dir_all(&work);
    if let Err(e) = std::fs::create_dir_all(&work) {
        eprintln!("cannot create {}: {e}", work.display());
        return std::process::ExitCode::FAILURE;
    }
    let env = Env {
        teamgate: root.join("target/bench-bin/teamgate"),
        ceiling: root.join("target/bench-bin/ceiling"),
        root,
        work,
        sizes: if args.quick {
            Sizes::quick()
        } else {
            Sizes::full()
        },
        postgres: std::env::var("TEAMGATE_TEST_DATABASE_URL").ok(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("no tokio runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let report = runtime.block_on(run(&env, &args.only));
    report.finish(&env, started.elapsed())
}

async fn run(env: &Env, only: &[String]) -> Report {
    let wanted = |section: &str| only.is_empty() || only.iter().any(|s| s == section);
    let mut report = Report::new(env);
    if wanted("engines") {
        step(&mut report, "engines", cargo_benches::engines(env).await);
        step(
            &mut report,
            "engines (fixed member)",
            cargo_benches::fixed_member(env).await,
        );
    }
    if wanted("http") {
        step(&mut report, "http", http::check_throughput(env).await);
    }
    if wanted("propagation") {
        step(
            &mut report,
            "propagation",
            cargo_benches::propagation(env).await,
        );
    }
    if wanted("audit") {
        step(&mut report, "audit", audit::role_changes(env).await);
    }
    if wanted("startup") {
        step(&mut report, "startup", server::empty_startups(env).await);
    }
    if wanted("scale") {
        step(&mut report, "scale", scale::cache_rss(env).await);
    }
    if wanted("audit") || wanted("scale") || wanted("startup") {
        step(
            &mut report,
            "large sqlite",
            bigdb::run(env, bigdb::Backend::Sqlite).await,
        );
        step(
            &mut report,
            "large postgres",
            bigdb::run(env, bigdb::Backend::Postgres).await,
        );
    }
    report
}

fn step(report: &mut Report, name: &str, result: Result<report::Section, String>) {
    report.sample_load();
    match result {
        Ok(section) => report.add(section),
        Err(e) => {
            eprintln!("== {name}: FAILED: {e}");
            report.failed(name, e);
        }
    }
}
