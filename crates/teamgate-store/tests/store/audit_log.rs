//! Reading the audit log: pages and export batches move by `seq`, so events
//! that share one millisecond are each returned exactly once.

use std::collections::BTreeSet;

use teamgate_core::audit::AuditEvent;
use teamgate_core::clock::unix_millis;
use teamgate_store::{AuditFilter, Denied, SqlStore, Store};

use super::{account, each_database, meta_for, now};

/// Walks newest first, `limit` at a time, as the API's cursor does.
async fn walk_newest_first(
    store: &SqlStore,
    org: &str,
    filter: &AuditFilter,
    limit: u32,
) -> Vec<AuditEvent> {
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let page = store.audit_page(org, filter, before, limit).await.unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.seq);
        let short = page.len() < limit as usize;
        all.extend(page);
        if short {
            break;
        }
    }
    all
}

/// Walks oldest first, `limit` at a time, as export does.
async fn walk_oldest_first(
    store: &SqlStore,
    org: &str,
    filter: &AuditFilter,
    limit: u32,
) -> Vec<AuditEvent> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.audit_batch(org, filter, after, limit).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.seq;
        all.extend(batch);
    }
    all
}

fn seqs(events: &[AuditEvent]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn paging_a_log_written_in_one_millisecond_returns_each_event_exactly_once() {
    each_database(|db, store| async move {
        let (ada, org) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        // The clock never moves: every event below carries the same millisecond.
        for i in 0..120 {
            if i % 3 == 0 {
                store
                    .rename_org(&org.id, &format!("Acme {i}"), &meta_for(&ada), now())
                    .await
                    .unwrap();
            } else {
                let denied = Denied {
                    route: format!("GET /api/v1/orgs/{{org}}/thing-{i}"),
                    code: "forbidden".into(),
                    missing_permission: Some("roles:view".into()),
                };
                store
                    .record_denied(&org.id, denied, &meta_for(&ada), now())
                    .await
                    .unwrap();
            }
        }
        let total = store.audit_count(&org.id).await.unwrap() as i64;
        assert_eq!(total, 122, "{}", db.label);

        let everything = AuditFilter::default();
        for limit in [1, 7, 50, 200] {
            let newest = walk_newest_first(&store, &org.id, &everything, limit).await;
            assert_eq!(
                seqs(&newest),
                (1..=total).rev().collect::<Vec<_>>(),
                "{}: newest first by {limit}",
                db.label
            );
            let oldest = walk_oldest_first(&store, &org.id, &everything, limit).await;
            assert_eq!(
                seqs(&oldest),
                (1..=total).collect::<Vec<_>>(),
                "{}: oldest first by {limit}",
                db.label
            );
        }

        // The same holds under a filter, including a time range of that one millisecond.
        let ms = unix_millis(now());
        let denials = AuditFilter {
            action: Some("access.".into()),
            since_ms: Some(ms),
            until_ms: Some(ms + 1),
            ..Default::default()
        };
        let walked = walk_newest_first(&store, &org.id, &denials, 9).await;
        let unique: BTreeSet<i64> = seqs(&walked).into_iter().collect();
        assert_eq!(walked.len(), 80, "{}", db.label);
        assert_eq!(unique.len(), 80, "{}: no repeats", db.label);
        assert!(
            walked.iter().all(|e| e.action == "access.denied"),
            "{}",
            db.label
        );
        assert!(
            walked.windows(2).all(|w| w[0].seq > w[1].seq),
            "{}: newest first",
            db.label
        );

        // Outside that millisecond there is nothing.
        let later = AuditFilter {
            since_ms: Some(ms + 1),
            ..Default::default()
        };
        assert!(
            store
                .audit_page(&org.id, &later, None, 50)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            db.label
        );
    })
    .await;
}

#[tokio::test]
async fn one_event_is_found_by_id_only_in_its_own_organisation() {
    each_database(|db, store| async move {
        let (ada, acme) = store
            .bootstrap(account("ada@x.test"), "Acme", now())
            .await
            .unwrap();
        let globex = store
            .create_org(&ada, "Globex", &meta_for(&ada), now())
            .await
            .unwrap();
        let event = store
            .audit_page(&acme.id, &AuditFilter::default(), None, 1)
            .await
            .unwrap()
            .remove(0);

        let found = store.audit_event(&acme.id, &event.id).await.unwrap();
        assert_eq!(found.as_ref(), Some(&event), "{}", db.label);
        assert!(
            store
                .audit_event(&globex.id, &event.id)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.label
        );
        assert!(
            store
                .audit_event(&acme.id, "not-an-id")
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.label
        );
    })
    .await;
}
