//! Propagation between two replicas on PostgreSQL: from the moment a role
//! change returns on replica A to replica B's first correct decision, over
//! 200 changes. Needs TEAMGATE_TEST_DATABASE_URL (a fresh schema is made).

use std::time::{Duration, Instant};

use teamgate_core::audit::{Actor, Context};
use teamgate_core::clock::{Clock, SystemClock};
use teamgate_core::Role;
use teamgate_store::testing::fresh_postgres;
use teamgate_store::{Acting, AuditMeta, NewAccount, SqlStore, Store};

const CHANGES: usize = 200;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let Some(db) = fresh_postgres().await else {
        println!("propagation: SKIPPED (set TEAMGATE_TEST_DATABASE_URL to a PostgreSQL server)");
        return;
    };
    let a = SqlStore::connect(&db.url).await.expect("replica A");
    let b = SqlStore::connect(&db.url).await.expect("replica B");
    let account = |email: &str| NewAccount {
        email: email.into(),
        name: email.into(),
        password_hash: "x".into(),
    };
    let (admin, org) = a
        .bootstrap(account("admin@x.test"), "Bench", SystemClock.now())
        .await
        .expect("org");
    let meta = AuditMeta {
        actor: Actor::system(),
        context: Context::default(),
    };
    let member = a
        .add_member(
            &org.id,
            account("m@x.test"),
            Role::Manager,
            &meta,
            SystemClock.now(),
        )
        .await
        .expect("member");
    let acting = Acting::User {
        user_id: admin.id.clone(),
    };

    let mut samples = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES {
        let next = if i % 2 == 0 {
            Role::Staff
        } else {
            Role::Manager
        };
        // B's cache is warm with the old role before each change.
        b.membership(&org.id, &member.id).await.expect("read");
        a.change_role(&org.id, &member.id, next, &acting, &meta, SystemClock.now())
            .await
            .expect("change");
        let done = Instant::now();
        loop {
            if b.membership(&org.id, &member.id)
                .await
                .expect("read")
                .map(|m| m.role)
                == Some(next)
            {
                break;
            }
            assert!(
                done.elapsed() < Duration::from_secs(5),
                "replica B never saw change {i}"
            );
            tokio::task::yield_now().await;
        }
        samples.push(done.elapsed());
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples[samples.len() / 2];
    let p99 = samples[(samples.len() * 99) / 100 - 1];
    println!("propagation over {CHANGES} changes: median {:.3} ms, p99 {:.3} ms, max {:.3} ms (goal: p99 under 50 ms)",
        ms(median), ms(p99), ms(samples[samples.len() - 1]));
    a.close().await;
    b.close().await;
}
