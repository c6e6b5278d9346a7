//! The schema, embedded in the binary and applied at start-up.
//!
//! Tables are written once, in SQL both databases accept
//! (`migrations/shared`); each version may add statements only one database
//! needs (`migrations/sqlite`, `migrations/postgres`), such as the triggers
//! that make the audit log append-only.

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::Backend;

struct Step {
    version: i64,
    description: &'static str,
    shared: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        version: 1,
        description: "foundation",
        shared: include_str!("../migrations/shared/0001_foundation.sql"),
        sqlite: include_str!("../migrations/sqlite/0001_append_only.sql"),
        postgres: include_str!("../migrations/postgres/0001_append_only.sql"),
    },
    Step {
        version: 2,
        description: "features",
        shared: include_str!("../migrations/shared/0002_features.sql"),
        sqlite: "",
        postgres: "",
    },
];

#[derive(Debug)]
struct Embedded(Backend);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        let backend = self.0;
        Box::pin(async move {
            Ok(STEPS
                .iter()
                .map(|step| {
                    let own = match backend {
                        Backend::Sqlite => step.sqlite,
                        Backend::Postgres => step.postgres,
                    };
                    let sql = format!("{}\n{own}", step.shared);
                    Migration::new(
                        step.version,
                        Cow::Borrowed(step.description),
                        MigrationType::Simple,
                        Cow::Owned(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The migrations for one database.
pub(crate) async fn migrator(backend: Backend) -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded(backend)).await
}
