//! What the sections found, and BENCHMARKS.md written from it.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use crate::{chart, machine, Env};

/// One line of the table.
pub struct Row {
    pub area: &'static str,
    pub measure: String,
    pub teamgate: String,
    pub compared: String,
    pub ratio: String,
    pub size: String,
}

impl Row {
    pub fn new(area: &'static str, measure: impl Into<String>, teamgate: impl Into<String>) -> Row {
        Row {
            area,
            measure: measure.into(),
            teamgate: teamgate.into(),
            compared: String::new(),
            ratio: String::new(),
            size: String::new(),
        }
    }

    pub fn compared(mut self, text: impl Into<String>, ratio: impl Into<String>) -> Row {
        self.compared = text.into();
        self.ratio = ratio.into();
        self
    }

    pub fn size(mut self, text: impl Into<String>) -> Row {
        self.size = text.into();
        self
    }
}

/// A goal of issue 7 and whether this run met it.
pub struct Goal {
    pub name: String,
    pub met: bool,
    pub detail: String,
}

pub enum ChartPoint {
    /// Nanoseconds per operation of one engine.
    Engine {
        operation: String,
        engine: String,
        ns: f64,
    },
    /// Requests per second of one HTTP target.
    Throughput { label: String, per_sec: f64 },
}

#[derive(Default)]
pub struct Section {
    pub rows: Vec<Row>,
    pub goals: Vec<Goal>,
    pub notes: Vec<String>,
    pub commands: Vec<String>,
    pub chart: Vec<ChartPoint>,
}

pub struct Report {
    machine: String,
    sizes: &'static str,
    sections: Vec<Section>,
    failures: Vec<(String, String)>,
    load_before: String,
    /// The 1-minute load average at the end of each section.
    loads: Vec<f64>,
}

impl Report {
    pub fn new(env: &Env) -> Report {
        Report {
            machine: machine::describe(),
            sizes: env.sizes.label,
            sections: Vec::new(),
            failures: Vec::new(),
            load_before: machine::load_average(),
            loads: Vec::new(),
        }
    }

    /// Notes how busy the machine was as a section ends.
    pub fn sample_load(&mut self) {
        if let Some(one) = machine::load_average()
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
        {
            self.loads.push(one);
        }
    }

    pub fn add(&mut self, section: Section) {
        for row in &section.rows {
            eprintln!(
                "   {} | {} | {} | {} | {}",
                row.area, row.measure, row.teamgate, row.compared, row.ratio
            );
        }
        self.sections.push(section);
    }

    pub fn failed(&mut self, name: &str, error: String) {
        self.failures.push((name.to_string(), error));
    }

    pub fn finish(self, env: &Env, took: Duration) -> ExitCode {
        let points: Vec<&ChartPoint> = self.sections.iter().flat_map(|s| &s.chart).collect();
        let chart_path = env.root.join("bench/chart.svg");
        let chart_note = match chart::draw(&chart_path, &points) {
            Ok(()) => None,
            Err(e) => Some(format!("The chart could not be drawn: {e}")),
        };
        let text = self.markdown(env, took, chart_note);
        let path = env.root.join("BENCHMARKS.md");
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!(
            "wrote {} and {} in {:.1} min",
            path.display(),
            chart_path.display(),
            took.as_secs_f64() / 60.0
        );
        ExitCode::SUCCESS
    }

    fn markdown(&self, env: &Env, took: Duration, chart_note: Option<String>) -> String {
        let mut md = String::new();
        let quick = if self.sizes == "quick" {
            " --quick"
        } else {
            ""
        };
        let _ = writeln!(md, "# Benchmarks\n");
        let build_seconds = std::env::var("TEAMGATE_BENCH_BUILD_SECONDS")
            .ok()
            .and_then(|s| s.parse::<f64>().ok());
        let build = build_seconds.map_or(String::new(), |b| {
            format!(
                ", after {:.1} minutes of `cargo build`/`cargo bench --no-run` (nearly nothing once built)",
                b / 60.0
            )
        });
        let _ = writeln!(
            md,
            "Written by `bench/run.sh{quick}` ({} mode): the measurements took {:.1} minutes{build}. \
             Every ratio compares two figures taken in this same run.\n",
            self.sizes,
            took.as_secs_f64() / 60.0
        );
        let _ = writeln!(md, "Reproduce: `TEAMGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/run.sh` \
            (full, under 40 minutes) or `bench/run.sh --quick` (under 5). Without the variable the \
            PostgreSQL rows are skipped.\n");
        let _ = writeln!(md, "## Machine\n\n{}\n", self.machine);
        let _ = writeln!(
            md,
            "Load average before the run: {}; after: {}; the 1-minute load at the end of each \
             section ranged from {:.1} to {:.1} on these 2 cores. The machine is shared (other \
             sessions' builds, tests and fuzzers run at the same time), so absolute figures move by \
             tens of percent between runs, and more when the load is high; the ratios, taken side \
             by side, move much less.\n",
            self.load_before,
            machine::load_average(),
            self.loads.iter().copied().fold(f64::MAX, f64::min).min(99.0),
            self.loads.iter().copied().fold(0.0, f64::max)
        );

        let _ = writeln!(md, "## Goals\n");
        let limit = if self.sizes == "quick" { 5.0 } else { 40.0 };
        let total = (took.as_secs_f64() + build_seconds.unwrap_or(0.0)) / 60.0;
        let _ = writeln!(
            md,
            "- {} mode under {limit:.0} minutes: {}. {total:.1} minutes, build included.",
            self.sizes,
            if total < limit { "met" } else { "**MISSED**" }
        );
        for goal in self.sections.iter().flat_map(|s| &s.goals) {
            let mark = if goal.met { "met" } else { "**MISSED**" };
            let _ = writeln!(md, "- {}: {mark}. {}", goal.name, goal.detail);
        }
        for (name, error) in &self.failures {
            let _ = writeln!(md, "- section `{name}` **did not run**: {error}");
        }

        let _ = writeln!(md, "\n## Figures\n\n![teamgate against cedar-policy, casbin and the HTTP ceiling](bench/chart.svg)\n");
        if let Some(note) = chart_note {
            let _ = writeln!(md, "{note}\n");
        }
        let _ = writeln!(
            md,
            "| area | measure | teamgate | compared with | ratio | sizes |"
        );
        let _ = writeln!(md, "| --- | --- | --- | --- | --- | --- |");
        for row in self.sections.iter().flat_map(|s| &s.rows) {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                row.area, row.measure, row.teamgate, row.compared, row.ratio, row.size
            );
        }

        let _ = writeln!(md, "\n## How each figure is taken\n");
        for note in self.sections.iter().flat_map(|s| &s.notes) {
            let _ = writeln!(md, "- {note}");
        }
        let _ = writeln!(
            md,
            "\n## Commands\n\nRun by `bench/run.sh` (see `bench/src/bin/run/`):\n\n```sh"
        );
        let _ = writeln!(
            md,
            "cargo build --release -p teamgate -p teamgate-bench --bins"
        );
        let _ = writeln!(
            md,
            "cargo bench --no-run -p teamgate-bench -p teamgate-bench-compare"
        );
        for command in self.sections.iter().flat_map(|s| &s.commands) {
            let _ = writeln!(md, "{command}");
        }
        let _ = writeln!(
            md,
            "```\n\nThe runner's scratch files are in `{}`.",
            env.work
                .strip_prefix(&env.root)
                .unwrap_or(&env.work)
                .display()
        );
        md
    }
}

/// `1234567.0` → `1,234,567`.
pub fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A duration in the unit that reads best.
pub fn time(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

pub fn ms(d: Duration) -> String {
    time(d.as_nanos() as f64)
}

pub fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}
