//! `teamgate init`: the first organisation and admin, without a browser.

use std::io::BufRead;
use std::process::ExitCode;

use teamgate_core::clock::{Clock, SystemClock};
use teamgate_core::email::normalise_email;
use teamgate_http::auth::password::{check_new_password, hash_password};
use teamgate_store::{NewAccount, SqlStore, Store, StoreError};

use crate::config::Config;

pub async fn run(
    config: Config,
    org: String,
    email: String,
    name: Option<String>,
) -> Result<ExitCode, String> {
    let email = normalise_email(&email).map_err(|e| e.to_string())?;
    let org = org.trim().to_string();
    if org.is_empty() || org.chars().count() > 100 {
        return Err("--org must be 1 to 100 characters".into());
    }
    let name = name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or("admin").to_string());
    let password = match std::env::var("TEAMGATE_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    check_new_password(&password)?;

    let store = SqlStore::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let password_hash = hash_password(password).await?;
    let account = NewAccount {
        email: email.clone(),
        name,
        password_hash,
    };
    match store.bootstrap(account, &org, SystemClock.now()).await {
        Ok((_, org)) => {
            println!("created organisation {} with admin {email}", org.name);
            println!("{}", org.id);
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::Conflict(_)) => {
            Err("teamgate is already set up: this database already has accounts".into())
        }
        Err(e) => Err(e.to_string()),
    }
}
