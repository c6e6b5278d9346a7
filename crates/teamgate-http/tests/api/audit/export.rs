//! `GET /orgs/{org}/audit/export`: CSV that opens safely in a spreadsheet,
//! JSON Lines that are exactly the hashed events, both streamed and filtered.

use teamgate_core::audit::{AuditEvent, ChainVerifier};
use teamgate_core::export::CSV_COLUMNS;

use super::{busy_log, export, HOSTILE_AGENT, HOSTILE_NAME};
use crate::helpers::each_database;

/// Reads RFC 4180 text: quoted cells may hold commas, quotes (doubled) and
/// line breaks; records end with CRLF.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "a record ends with CRLF");
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => {
                assert!(c != '\n', "a bare line feed outside quotes");
                cell.push(c);
            }
        }
    }
    assert!(
        record.is_empty() && cell.is_empty() && !quoted,
        "the last record is complete"
    );
    records
}

#[tokio::test]
async fn csv_export_neutralises_formulas_and_quotes_cells_as_rfc_4180_says() {
    each_database(async |app| {
        let org = &app.org.id;
        let log = busy_log(app).await;
        let answer = export(&log.admin, org, "?format=csv").await;
        answer.expect_status(200);
        assert!(
            answer.content_type().starts_with("text/csv"),
            "{}",
            answer.content_type()
        );
        assert!(answer
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment")));

        let records = parse_csv(&answer.body);
        assert_eq!(
            records[0],
            CSV_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
            "header row"
        );
        assert_eq!(
            records.len() as u64 - 1,
            app.audit_count(org).await,
            "one row per event"
        );
        assert!(
            records.iter().all(|r| r.len() == CSV_COLUMNS.len()),
            "every row is complete"
        );
        let column = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();

        // No cell starts the way a formula does.
        for record in &records {
            for cell in record {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "a live formula: {cell:?}"
                );
            }
        }
        let by_key: Vec<&Vec<String>> = records
            .iter()
            .filter(|r| r[column("actor_type")] == "api_key")
            .collect();
        assert_eq!(by_key.len(), 1, "the key acted once");
        let row = by_key[0];
        assert_eq!(row[column("actor_label")], format!("'{HOSTILE_NAME}"));
        assert_eq!(row[column("user_agent")], format!("'{HOSTILE_AGENT}"));
        assert_eq!(row[column("target_label")], "'@SUM(1+1)");
        // The raw text quotes the cell and doubles its quotes.
        assert!(
            answer.body.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
            "{}",
            answer.body
        );

        // Rows come oldest first, and the filters apply.
        let seqs: Vec<i64> = records[1..]
            .iter()
            .map(|r| r[column("seq")].parse().unwrap())
            .collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
        let only = parse_csv(
            &export(&log.admin, org, "?format=csv&action=api_key.")
                .await
                .body,
        );
        // A manager's key may read the log but not export it.
        let key = reqwest::Client::builder().no_proxy().build().unwrap();
        let url = format!(
            "{}{}",
            app.address,
            super::audit_url(org, "/export?format=csv")
        );
        let refused = key.get(url).bearer_auth(&log.key).send().await.unwrap();
        assert_eq!(refused.status().as_u16(), 403);
        assert_eq!(only.len(), 2, "header and the key's creation");
        assert_eq!(only[1][column("action")], "api_key.created");
    })
    .await;
}

#[tokio::test]
async fn jsonl_export_holds_exactly_the_hashed_events_and_is_not_itself_recorded() {
    each_database(async |app| {
        let org = &app.org.id;
        let log = busy_log(app).await;
        let count = app.audit_count(org).await;
        let answer = export(&log.admin, org, "?format=jsonl").await;
        answer.expect_status(200);
        assert_eq!(answer.content_type(), "application/x-ndjson");
        assert!(answer.body.ends_with('\n'));

        let mut verifier = ChainVerifier::default();
        let lines: Vec<&str> = answer.body.lines().collect();
        assert_eq!(lines.len() as u64, count);
        for line in &lines {
            let event: AuditEvent =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(
                event.compute_hash(),
                event.hash,
                "seq {} re-hashes to its hash",
                event.seq
            );
            verifier.push(&event).unwrap_or_else(|e| panic!("{e}"));
            // Every member is present, absent values as null.
            let raw: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(raw["context"]
                .as_object()
                .unwrap()
                .contains_key("request_id"));
        }
        assert_eq!(
            app.audit_count(org).await,
            count,
            "exports are reads, and reads are not recorded"
        );

        for bad in ["", "?format=xml", "?format=CSV&since=x"] {
            export(&log.admin, org, bad).await.problem(422, "invalid");
        }
        export(&log.admin, org, "?format=jsonl&until=nonsense")
            .await
            .problem(422, "invalid");
        let filtered = export(
            &log.admin,
            org,
            &format!("?format=jsonl&target={}", log.staff.id),
        )
        .await;
        assert_eq!(
            filtered.body.lines().count(),
            2,
            "added, then promoted: {}",
            filtered.body
        );
    })
    .await;
}

#[tokio::test]
async fn a_large_export_streams_every_event_in_order() {
    each_database(async |app| {
        let org = &app.org.id;
        let admin = app.signed_in("ada@x.test").await;
        // More than two of the export's batches.
        let meta = teamgate_store::AuditMeta {
            actor: teamgate_http::gate::user_actor(&app.admin, Some(teamgate_core::Role::Admin)),
            context: Default::default(),
        };
        for i in 0..2_050 {
            let denied = teamgate_store::Denied {
                route: format!("GET /x/{i}"),
                code: "forbidden".into(),
                missing_permission: None,
            };
            teamgate_store::Store::record_denied(&app.store, org, denied, &meta, app.now())
                .await
                .unwrap();
        }
        let answer = export(&admin, org, "?format=jsonl").await;
        let seqs: Vec<i64> = answer
            .body
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            seqs,
            (1..=app.audit_count(org).await as i64).collect::<Vec<_>>()
        );
    })
    .await;
}
