use std::sync::{Arc, Mutex};

use teamgate_core::clock::Clock;
use teamgate_core::rate_limit::WindowLimiter;
use teamgate_store::Store;
use time::OffsetDateTime;

use crate::mail::{Mailer, OutboxMailer};
use crate::Settings;

/// The sender of teamgate's emails.
pub const MAIL_FROM: &str = "teamgate <no-reply@teamgate.local>";

/// Everything a request handler may reach. Cloned for every request, so it
/// is one shared allocation: a clone is a single reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares; its fields read through the state.
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub(crate) limits: Arc<SignInLimits>,
    /// The hash of the one-time setup token, while setup is open.
    pub(crate) setup_token: Arc<Mutex<Option<String>>>,
    pub mailer: Arc<dyn Mailer>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub(crate) struct SignInLimits {
    pub per_email: Mutex<WindowLimiter<String>>,
    pub per_client: Mutex<WindowLimiter<String>>,
    pub invites_per_actor: Mutex<WindowLimiter<String>>,
    pub invites_per_org: Mutex<WindowLimiter<String>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> AppState {
        let limits = SignInLimits {
            per_email: Mutex::new(WindowLimiter::new(
                settings.signin_failures_per_email,
                settings.signin_window,
            )),
            per_client: Mutex::new(WindowLimiter::new(
                settings.signin_failures_per_client,
                settings.signin_window,
            )),
            invites_per_actor: Mutex::new(WindowLimiter::new(
                settings.invites_per_actor_hour,
                time::Duration::hours(1),
            )),
            invites_per_org: Mutex::new(WindowLimiter::new(
                settings.invites_per_org_day,
                time::Duration::days(1),
            )),
        };
        let mailer: Arc<dyn Mailer> =
            Arc::new(OutboxMailer::new(settings.outbox_dir.clone(), MAIL_FROM));
        AppState(Arc::new(Shared {
            store,
            clock,
            settings: Arc::new(settings),
            limits: Arc::new(limits),
            setup_token: Arc::new(Mutex::new(None)),
            mailer,
        }))
    }

    /// Sends email through `mailer` instead of the outbox folder.
    pub fn with_mailer(self, mailer: Arc<dyn Mailer>) -> AppState {
        let mut shared = Shared::clone(&self.0);
        shared.mailer = mailer;
        AppState(Arc::new(shared))
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Opens setup with a fresh one-time token and returns the link to print.
    pub fn open_setup(&self) -> String {
        let token = crate::auth::token::new_token();
        *lock(&self.setup_token) = Some(crate::auth::token::hash_token(&token));
        format!("{}/setup?token={token}", self.settings.public_url)
    }

    /// True when `token` is the open setup token.
    pub(crate) fn setup_token_matches(&self, token: &str) -> bool {
        let slot = lock(&self.setup_token);
        slot.as_deref().is_some_and(|h| {
            crate::auth::token::constant_time_eq(h, &crate::auth::token::hash_token(token))
        })
    }

    /// Setup is done: the token stops working.
    pub(crate) fn close_setup(&self) {
        *lock(&self.setup_token) = None;
    }
}

/// Locks a mutex, carrying on with the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
