//! Fresh databases for tests: a new SQLite file each time and, when
//! `TEAMGATE_TEST_DATABASE_URL` names a PostgreSQL server, a new schema there.
//! Without that variable the PostgreSQL half is skipped, and the tests say so
//! on the terminal.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Once;

use sqlx::Connection;
use uuid::Uuid;

/// The variable naming the PostgreSQL server tests may use.
pub const TEST_DATABASE_ENV: &str = "TEAMGATE_TEST_DATABASE_URL";

/// A database created for one test.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    /// `sqlite` or `postgres`, for messages.
    pub label: &'static str,
    /// The URL teamgate connects to.
    pub url: String,
    sqlite_dir: Option<PathBuf>,
}

impl TestDatabase {
    pub fn is_postgres(&self) -> bool {
        self.sqlite_dir.is_none()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A new SQLite database in its own temporary folder.
pub fn fresh_sqlite() -> TestDatabase {
    let dir = std::env::temp_dir().join(format!("teamgate-test-{}", Uuid::new_v4()));
    let url = format!("sqlite://{}/teamgate.db", dir.display());
    TestDatabase {
        label: "sqlite",
        url,
        sqlite_dir: Some(dir),
    }
}

/// A new, empty PostgreSQL schema, or `None` (announced once) when no server is configured.
pub async fn fresh_postgres() -> Option<TestDatabase> {
    let Ok(base) = std::env::var(TEST_DATABASE_ENV) else {
        announce_skip();
        return None;
    };
    let schema = format!("tg_{}", Uuid::new_v4().simple());
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) => panic!("{TEST_DATABASE_ENV} is set but PostgreSQL refused: {e}"),
    };
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create test schema: {e}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options[search_path]={schema}");
    Some(TestDatabase {
        label: "postgres",
        url,
        sqlite_dir: None,
    })
}

/// Both databases a storage test must run on (PostgreSQL only when configured).
pub async fn fresh_databases() -> Vec<TestDatabase> {
    let mut all = vec![fresh_sqlite()];
    all.extend(fresh_postgres().await);
    all
}

fn announce_skip() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Written to the terminal directly, past the test harness's capture.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** teamgate tests: PostgreSQL SKIPPED: {TEST_DATABASE_ENV} is not set, \
             so storage and API tests ran on SQLite only ***\n"
        );
    });
}
