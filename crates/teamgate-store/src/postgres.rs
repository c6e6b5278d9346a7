//! PostgreSQL: many replicas may share one database. Writes to an organisation
//! serialise on its row (`SELECT … FOR UPDATE`), which is what makes `seq`,
//! the hash chain and the last-admin rule safe under concurrency.

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use crate::error::StoreResult;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn open(url: &str) -> StoreResult<AnyPool> {
    let pool = AnyPoolOptions::new().max_connections(10).connect(url).await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
