//! How big and how long, in full and in quick mode.

pub struct Sizes {
    pub label: &'static str,
    /// criterion: warm-up and measurement seconds, samples.
    pub criterion_warm_up: f64,
    pub criterion_measure: f64,
    pub criterion_samples: u32,
    /// Runs of the whole engine comparison; each figure is the lowest median.
    pub criterion_repetitions: u32,
    /// wrk: seconds per run, connections, rounds (ceiling and teamgate alternate).
    pub http_seconds: u32,
    pub http_connections: u32,
    pub http_rounds: u32,
    /// Audited role changes over HTTP: seconds per database, concurrent clients.
    pub role_change_seconds: u64,
    pub role_change_clients: usize,
    pub audit_events_sqlite: u64,
    pub audit_events_postgres: u64,
    pub members_large_org: u64,
    pub cached_memberships: usize,
    /// Repetitions of a timed page request.
    pub page_repeats: usize,
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            label: "full",
            criterion_warm_up: 1.0,
            criterion_measure: 3.0,
            criterion_samples: 30,
            criterion_repetitions: 3,
            http_seconds: 10,
            http_connections: 32,
            http_rounds: 3,
            role_change_seconds: 10,
            role_change_clients: 4,
            audit_events_sqlite: 1_000_000,
            audit_events_postgres: 10_000_000,
            members_large_org: 100_000,
            cached_memberships: 1_000_000,
            page_repeats: 30,
        }
    }

    pub fn quick() -> Sizes {
        Sizes {
            label: "quick",
            criterion_warm_up: 0.5,
            criterion_measure: 1.0,
            criterion_samples: 10,
            criterion_repetitions: 1,
            http_seconds: 4,
            http_connections: 32,
            http_rounds: 1,
            role_change_seconds: 3,
            role_change_clients: 4,
            audit_events_sqlite: 100_000,
            audit_events_postgres: 300_000,
            members_large_org: 10_000,
            cached_memberships: 200_000,
            page_repeats: 10,
        }
    }
}
