//! `GET /orgs/{org}/events`: server-sent events that follow the caller's
//! permissions. A `permissions` event goes out whenever the caller's role or
//! permissions change (on any replica), `removed` when they lose the
//! organisation; the stream ends cleanly when the session is signed out or
//! revoked. Keep-alive comments keep proxies from closing it.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use serde_json::json;
use teamgate_core::rules::api_key_permissions;
use teamgate_core::{PermissionSet, Role};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::Caller;
use crate::gate::OrgContext;
use crate::AppState;

/// How often a stream re-checks that its session or key is still alive.
const CREDENTIAL_RECHECK: Duration = Duration::from_secs(2);

pub async fn events(State(state): State<AppState>, ctx: OrgContext) -> impl IntoResponse {
    let (tx, rx) = mpsc::channel(16);
    let changes = state.store.cache().subscribe();
    tokio::spawn(follow(state, ctx, changes, tx));
    Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Where the caller stands now in the organisation.
enum Standing {
    Member {
        role: Role,
        permissions: PermissionSet,
        version: i64,
    },
    Removed,
    SignedOut,
}

async fn standing(state: &AppState, ctx: &OrgContext) -> Standing {
    match &ctx.caller {
        Caller::User { user, session_hash } => {
            match state.store.session_user(session_hash, state.now()).await {
                Ok(Some(_)) => {}
                Ok(None) => return Standing::SignedOut,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot check a stream's session");
                    return Standing::SignedOut;
                }
            }
            match state.store.membership(&ctx.org.id, &user.id).await {
                Ok(Some(m)) => Standing::Member {
                    role: m.role,
                    permissions: m.role.permissions(),
                    version: m.version,
                },
                Ok(None) => Standing::Removed,
                Err(_) => Standing::SignedOut,
            }
        }
        Caller::ApiKey(key) => {
            let still_live = state
                .store
                .api_key(&ctx.org.id, &key.id)
                .await
                .ok()
                .flatten();
            if still_live.is_none_or(|k| k.revoked_at.is_some()) {
                return Standing::SignedOut;
            }
            match state.store.membership(&ctx.org.id, &key.created_by).await {
                Ok(Some(creator)) => Standing::Member {
                    role: key.role,
                    permissions: api_key_permissions(key.role, Some(creator.role.permissions())),
                    version: creator.version,
                },
                _ => Standing::SignedOut,
            }
        }
    }
}

async fn follow(
    state: AppState,
    ctx: OrgContext,
    mut changes: broadcast::Receiver<teamgate_store::cache::Change>,
    tx: mpsc::Sender<Result<Event, Infallible>>,
) {
    metrics::gauge!("teamgate_sse_streams_open").increment(1.0);
    let _ = tx.send(Ok(Event::default().comment("connected"))).await;
    let mut last = (ctx.role, ctx.permissions);
    let mut recheck = tokio::time::interval(CREDENTIAL_RECHECK);
    recheck.tick().await;
    loop {
        let relevant = tokio::select! {
            change = changes.recv() => match change {
                Ok(c) => c.org_id == ctx.org.id,
                // Missed some: look again to be safe.
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = recheck.tick() => true,
            _ = tx.closed() => break,
        };
        if !relevant {
            continue;
        }
        let event = match standing(&state, &ctx).await {
            Standing::Member {
                role,
                permissions,
                version,
            } => {
                if (role, permissions) == last {
                    continue;
                }
                last = (role, permissions);
                let data = json!({"role": role, "permissions": permissions, "version": version});
                Event::default().event("permissions").data(data.to_string())
            }
            Standing::Removed => {
                let _ = tx
                    .send(Ok(Event::default()
                        .event("removed")
                        .data(json!({"org_id": ctx.org.id}).to_string())))
                    .await;
                break;
            }
            Standing::SignedOut => break,
        };
        if tx.send(Ok(event)).await.is_err() {
            break;
        }
    }
    metrics::gauge!("teamgate_sse_streams_open").decrement(1.0);
}
