//! SQLite: one file, one process. Writes go through a single connection, so
//! write transactions never race each other and never hit "database is locked"
//! upgrades; reads use their own small pool (WAL mode lets them run alongside).

use std::path::Path;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use crate::error::StoreResult;

/// Opens (creating if needed) the database and returns (writer, reader) pools.
pub(crate) async fn open(url: &str) -> StoreResult<(AnyPool, AnyPool)> {
    let url = with_create_mode(url);
    if let Some(dir) = database_dir(&url) {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
    }
    let writer = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    crate::migrations::migrator(crate::Backend::Sqlite)
        .await?
        .run(&writer)
        .await?;
    let reader = AnyPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await?;
    Ok((writer, reader))
}

fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

fn database_dir(url: &str) -> Option<&Path> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_create_mode_and_a_folder() {
        assert_eq!(
            with_create_mode("sqlite://a/b.db"),
            "sqlite://a/b.db?mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
        assert_eq!(
            database_dir("sqlite://teamgate-data/teamgate.db?mode=rwc"),
            Some(Path::new("teamgate-data"))
        );
        assert_eq!(database_dir("sqlite://teamgate.db"), None);
    }
}
