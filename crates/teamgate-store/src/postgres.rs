//! PostgreSQL: many replicas may share one database. Writes to an organisation
//! serialise on its row (`SELECT … FOR UPDATE`), which is what makes `seq`,
//! the hash chain and the last-admin rule safe under concurrency.

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use crate::error::StoreResult;

pub(crate) async fn open(url: &str) -> StoreResult<AnyPool> {
    let pool = AnyPoolOptions::new()
        .max_connections(10)
        .connect(url)
        .await?;
    crate::migrations::migrator(crate::Backend::Postgres)
        .await?
        .run(&pool)
        .await?;
    Ok(pool)
}

/// The channel replicas tell each other about changes on.
pub(crate) const CHANNEL: &str = "teamgate_changes";

/// Listens for other replicas' changes for as long as the process runs.
/// While not listening, the cache is distrusted; on every (re)connect it is
/// flushed, since changes made meanwhile were not heard.
pub(crate) async fn listen(
    url: String,
    cache: std::sync::Arc<crate::cache::PermissionCache>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    use sqlx::postgres::PgListener;
    use std::time::Duration;

    let mut ready = Some(ready);
    let mut backoff = Duration::from_millis(50);
    loop {
        let listener = async {
            let mut l = PgListener::connect(&url).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        }
        .await;
        let mut listener = match listener {
            Ok(l) => l,
            Err(e) => {
                cache.distrust();
                tracing::warn!(error = %e, "cannot listen for changes; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        backoff = Duration::from_millis(50);
        cache.reset_and_trust();
        tracing::info!("listening for changes from other replicas");
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => match crate::cache::Change::from_payload(n.payload()) {
                    Some(change) => cache.apply_remote(change),
                    None => tracing::warn!("ignoring a malformed change notification"),
                },
                Ok(None) | Err(_) => {
                    cache.distrust();
                    break;
                }
            }
        }
    }
}
