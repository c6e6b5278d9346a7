//! `teamgate serve`.

use std::process::ExitCode;
use std::sync::Arc;

use teamgate_core::clock::SystemClock;
use teamgate_http::{AppState, Settings};
use teamgate_store::{SqlStore, Store};
use tokio::net::TcpListener;

use crate::config::Config;

pub async fn run(config: Config, demo: bool) -> Result<ExitCode, String> {
    let store =
        SqlStore::connect_with_listen_url(&config.database_url, config.listen_url.as_deref())
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
    let empty = !store.has_users().await.map_err(|e| e.to_string())?;
    let store: Arc<dyn Store> = Arc::new(store);
    // Bind first, so a default public URL names the port really bound.
    let listener = TcpListener::bind(&config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = if config.public_url_given {
        config.public_url.clone()
    } else {
        format!("http://{addr}")
    };
    let mut settings = Settings::new(&public_url);
    settings.smtp_url = config.smtp_url.clone();
    settings.outbox_dir = config.outbox_dir.clone().into();
    settings.invite_ttl = time::Duration::hours(config.invite_ttl_hours.into());
    settings.invites_per_actor_hour = config.invites_per_member_hour;
    settings.invites_per_org_day = config.invites_per_org_day;
    let mailer = teamgate_http::mail::mailer_from_settings(
        config.smtp_url.as_deref(),
        &settings.outbox_dir,
        teamgate_http::MAIL_FROM,
    )
    .map_err(|e| format!("cannot set up email: {e}"))?;
    let state = AppState::new(store.clone(), Arc::new(SystemClock), settings).with_mailer(mailer);

    if empty && demo {
        let password = crate::demo::seed(store.as_ref()).await?;
        println!("demo organisation Demo Co: sign in as admin@demo.test, manager@demo.test, staff@demo.test, viewer@demo.test or billing@demo.test");
        println!("demo password: {password}");
    } else if empty {
        println!(
            "teamgate has no organisation yet; open this one-time link to create the first one:"
        );
        println!("{}", state.open_setup());
    } else if demo {
        println!("the database already has data, so no demo organisation was added");
    }

    tracing::info!(%addr, %public_url, "teamgate listening");
    println!("teamgate listening on http://{addr}");
    teamgate_http::serve(listener, state, shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
