//! teamgate against cedar-policy and casbin, in one run, on one scenario:
//! 5 roles, the 44-permission catalog, 10,000 members in 100 organisations
//! (TEAMGATE_BENCH_ORGS × TEAMGATE_BENCH_MEMBERS_PER_ORG), random checks.
//!
//! Groups: `check_allowed`, `check_denied`, `permission_set` (all 44 at
//! once), `role_change` (apply one change, then the check that must see it).
//! `bench/run.sh` reads criterion's estimates and writes the ratios.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use teamgate_bench_compare::{
    CasbinEngine, CedarEngine, CheckCase, Engine, Scenario, TeamgateEngine,
};
use teamgate_core::{Permission, Role};

const CASES: usize = 4096;

fn env_size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let orgs = env_size("TEAMGATE_BENCH_ORGS", 100);
    let per_org = env_size("TEAMGATE_BENCH_MEMBERS_PER_ORG", 100);
    let scenario = Scenario::new(orgs, per_org, 42);
    let allowed = scenario.checks(CASES, true, 1);
    let denied = scenario.checks(CASES, false, 2);

    let mut teamgate = TeamgateEngine::new(&scenario);
    let mut cedar = CedarEngine::new(&scenario);
    let mut casbin = CasbinEngine::new(&scenario);
    for engine in [&teamgate as &dyn Engine, &cedar, &casbin] {
        let both: Vec<CheckCase> = allowed.iter().chain(&denied).copied().collect();
        if let Err(e) = scenario.verify(engine, &both) {
            panic!("the engines disagree, so timing them would mean nothing: {e}");
        }
    }
    println!("scenario: {orgs} organisations × {per_org} members, {CASES} random checks per kind; engines agree");

    let mut c = Criterion::default().configure_from_args();
    checks(
        &mut c,
        "check_allowed",
        &allowed,
        &teamgate,
        &cedar,
        &casbin,
    );
    checks(&mut c, "check_denied", &denied, &teamgate, &cedar, &casbin);
    permission_sets(&mut c, &scenario, &teamgate, &cedar, &casbin);
    role_change(&mut c, &scenario, &mut teamgate);
    role_change(&mut c, &scenario, &mut cedar);
    role_change(&mut c, &scenario, &mut casbin);
    c.final_summary();
}

fn checks(
    c: &mut Criterion,
    group: &str,
    cases: &[CheckCase],
    teamgate: &TeamgateEngine,
    cedar: &CedarEngine,
    casbin: &CasbinEngine,
) {
    let mut g = c.benchmark_group(group);
    for engine in [teamgate as &dyn Engine, cedar, casbin] {
        g.bench_function(BenchmarkId::from_parameter(engine.name()), |b| {
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) % cases.len();
                let case = &cases[i];
                engine.check(black_box(case.member), black_box(case.permission))
            })
        });
    }
    g.finish();
}

fn permission_sets(
    c: &mut Criterion,
    scenario: &Scenario,
    teamgate: &TeamgateEngine,
    cedar: &CedarEngine,
    casbin: &CasbinEngine,
) {
    let mut g = c.benchmark_group("permission_set");
    let members = scenario.members.len();
    for engine in [teamgate as &dyn Engine, cedar, casbin] {
        g.bench_function(BenchmarkId::from_parameter(engine.name()), |b| {
            let mut m = 0usize;
            b.iter(|| {
                m = (m + 7919) % members;
                engine.permission_bits(black_box(m))
            })
        });
    }
    g.finish();
}

/// Each iteration moves one member between staff and viewer and asks the
/// one question whose answer the change flips (`inbox:reply`).
fn role_change<E: Engine>(c: &mut Criterion, scenario: &Scenario, engine: &mut E) {
    let reply = Permission::of("inbox", "reply");
    // Members that are not admins, so no rule of the product is in the way.
    let movable: Vec<usize> = (0..scenario.members.len())
        .filter(|m| scenario.members[*m].role != Role::Admin)
        .collect();
    // Every first move is to staff, which grants `inbox:reply` whatever the role was.
    let mut is_staff: Vec<bool> = scenario
        .members
        .iter()
        .map(|m| m.role == Role::Staff)
        .collect();
    let name = engine.name();
    let mut g = c.benchmark_group("role_change");
    g.bench_function(BenchmarkId::from_parameter(name), |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % movable.len();
            let m = movable[i];
            let to_staff = !is_staff[m];
            is_staff[m] = to_staff;
            engine.change_role(m, if to_staff { Role::Staff } else { Role::Viewer });
            let seen = engine.check(m, black_box(reply));
            assert_eq!(seen, to_staff, "{name} answered from before the change");
            seen
        })
    });
    g.finish();
}
