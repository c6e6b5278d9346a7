//! `serve --demo`: Demo Co with one member per built-in role.

use teamgate_core::audit::{Actor, Context};
use teamgate_core::clock::{Clock, SystemClock};
use teamgate_core::Role;
use teamgate_http::auth::password::hash_password;
use teamgate_http::auth::token::new_token;
use teamgate_store::{AuditMeta, NewAccount, Store};

/// Seeds an empty database and returns the members' shared password.
pub async fn seed(store: &dyn Store) -> Result<String, String> {
    let password: String = new_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    let hash = hash_password(password.clone()).await?;
    // The organisation starts a week back, so its feature data spans some days.
    let now = SystemClock.now() - time::Duration::days(7);
    let admin = NewAccount {
        email: "admin@demo.test".into(),
        name: "Ada Admin".into(),
        password_hash: hash.clone(),
    };
    let (_, org) = store
        .bootstrap(admin, "Demo Co", now)
        .await
        .map_err(|e| e.to_string())?;
    let meta = AuditMeta {
        actor: Actor::system(),
        context: Context::default(),
    };
    let others = [
        (Role::Manager, "manager@demo.test", "Max Manager"),
        (Role::Staff, "staff@demo.test", "Sam Staff"),
        (Role::Viewer, "viewer@demo.test", "Vera Viewer"),
        (Role::Billing, "billing@demo.test", "Bill Billing"),
    ];
    let mut staff = None;
    for (role, email, name) in others {
        let account = NewAccount {
            email: email.into(),
            name: name.into(),
            password_hash: hash.clone(),
        };
        let user = store
            .add_member(&org.id, account, role, &meta, now)
            .await
            .map_err(|e| e.to_string())?;
        if role == Role::Staff {
            staff = Some(user.id);
        }
    }
    let assignee = staff.ok_or("the demo staff member was not created")?;
    crate::demo_features::seed(store, &org.id, &assignee, &meta, now).await?;
    tracing::info!(org = %org.id, "demo organisation created");
    Ok(password)
}
