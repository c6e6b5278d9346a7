//! The chain, checked from outside: `GET /audit/verify`, and a Python script
//! (`scripts/verify_audit_chain.py`, standard library only) that recomputes
//! every hash of a JSON Lines export without any of teamgate's code.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use teamgate_core::audit::AuditEvent;

use super::{audit_url, busy_log, export};
use crate::helpers::each_database;

/// Runs the outside verifier on `jsonl`; its exit code and what it printed.
fn outside_verifier(jsonl: &str) -> (i32, String) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/verify_audit_chain.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (the outside verifier needs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(jsonl.as_bytes())
        .expect("the export is written");
    let out = child.wait_with_output().expect("the verifier finishes");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `lines` with line `index` passed through `edit`.
fn altered(lines: &[&str], index: usize, edit: impl Fn(&mut Value)) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == index {
            let mut event: Value = serde_json::from_str(line).unwrap();
            edit(&mut event);
            out.push_str(&serde_json::to_string(&event).unwrap());
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn an_outside_script_recomputes_every_hash_of_the_json_lines_export() {
    each_database(async |app| {
        let org = &app.org.id;
        let log = busy_log(app).await;
        let jsonl = export(&log.admin, org, "?format=jsonl").await.body;
        let lines: Vec<&str> = jsonl.lines().collect();
        assert!(lines.len() >= 10, "a varied log: {} events", lines.len());

        let (code, said) = outside_verifier(&jsonl);
        assert_eq!(code, 0, "the script agrees with every stored hash: {said}");
        assert!(said.contains(&format!("{} events", lines.len())), "{said}");

        // One changed value in the event with seq 5 is named.
        let changed = altered(&lines, 4, |e| {
            e["target"]["label"] = "mallory@x.test".into()
        });
        let (code, said) = outside_verifier(&changed);
        assert_eq!(code, 1, "{said}");
        assert!(said.contains("seq 5 ") && said.contains("hash"), "{said}");

        // A forged event whose own hash was recomputed breaks the next link.
        let agent = lines
            .iter()
            .position(|l| l.contains("\"chat_agent.created\""))
            .unwrap();
        let forged = altered(&lines, agent, |e| {
            e["changes"]["after"]["config"]["ratio"] = 2.5.into();
            let event: AuditEvent = serde_json::from_value(e.clone()).unwrap();
            e["hash"] = event.compute_hash().into();
        });
        let (code, said) = outside_verifier(&forged);
        assert_eq!(code, 1, "{said}");
        assert!(
            said.contains(&format!("seq {} ", agent + 2)) && said.contains("prev_hash"),
            "{said}"
        );

        // A missing line is named by the seq that should have come.
        let mut gap: Vec<&str> = lines.clone();
        gap.remove(2);
        let (code, said) = outside_verifier(&(gap.join("\n") + "\n"));
        assert_eq!(code, 1, "{said}");
        assert!(said.contains("expected seq 3"), "{said}");
    })
    .await;
}

#[tokio::test]
async fn verify_reports_an_intact_chain_and_names_an_event_altered_behind_teamgates_back() {
    each_database(async |app| {
        let org = &app.org.id;
        let log = busy_log(app).await;
        let count = app.audit_count(org).await;
        let report = log.admin.get(&audit_url(org, "/verify")).await;
        report.expect_status(200);
        assert_eq!(
            report.json(),
            serde_json::json!({"ok": true, "events_checked": count, "first_bad_event": null})
        );

        let disable = if app.db == "postgres" {
            "ALTER TABLE audit_events DISABLE TRIGGER USER"
        } else {
            "DROP TRIGGER audit_events_no_update"
        };
        sqlx::query(disable)
            .execute(app.store.pool())
            .await
            .unwrap();
        sqlx::query(
            "UPDATE audit_events SET target_label = 'mallory@x.test' WHERE org_id = $1 AND seq = 4",
        )
        .bind(org)
        .execute(app.store.pool())
        .await
        .unwrap();
        let report = log.admin.get(&audit_url(org, "/verify")).await.json();
        assert_eq!(report["ok"], false);
        assert_eq!(report["events_checked"], 3);
        assert_eq!(report["first_bad_event"]["seq"], 4);
        assert!(
            report["first_bad_event"]["id"].is_string()
                && report["first_bad_event"]["problem"].is_string()
        );

        // The outside script, fed the export of the altered table, agrees.
        let jsonl = export(&log.admin, org, "?format=jsonl").await.body;
        let (code, said) = outside_verifier(&jsonl);
        assert_eq!(code, 1, "{said}");
        assert!(said.contains("seq 4 "), "{said}");
    })
    .await;
}
