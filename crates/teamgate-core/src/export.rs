//! The audit log's export formats.
//!
//! JSON Lines: one [`AuditEvent`] per line, exactly as hashed, so anyone can
//! recompute the chain. CSV: RFC 4180 quoting, one header row, and any cell a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab
//! or carriage return) is prefixed with `'` so it opens as text.

use crate::audit::AuditEvent;

pub const CSV_COLUMNS: &[&str] = &[
    "seq",
    "id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "actor_role",
    "actor_on_behalf_of",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "before",
    "after",
    "ip",
    "user_agent",
    "request_id",
    "outcome",
    "prev_hash",
    "hash",
];

/// One JSON Lines line, with its newline.
pub fn jsonl_line(event: &AuditEvent) -> String {
    let mut line = serde_json::to_string(event).unwrap_or_default();
    line.push('\n');
    line
}

/// The CSV header row, with its line ending.
pub fn csv_header() -> String {
    csv_record(CSV_COLUMNS.iter().map(|c| c.to_string()))
}

/// One CSV row, with its line ending.
pub fn csv_row(e: &AuditEvent) -> String {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let json = |v: &serde_json::Value| {
        if v.is_null() {
            String::new()
        } else {
            v.to_string()
        }
    };
    csv_record(
        [
            e.seq.to_string(),
            e.id.clone(),
            e.occurred_at.clone(),
            e.actor.kind.as_str().to_string(),
            opt(&e.actor.id),
            opt(&e.actor.label),
            opt(&e.actor.role),
            opt(&e.actor.on_behalf_of),
            e.action.clone(),
            e.target.kind.clone(),
            opt(&e.target.id),
            opt(&e.target.label),
            json(&e.changes.before),
            json(&e.changes.after),
            opt(&e.context.ip),
            opt(&e.context.user_agent),
            opt(&e.context.request_id),
            e.outcome.as_str().to_string(),
            e.prev_hash.clone(),
            e.hash.clone(),
        ]
        .into_iter()
        .map(neutralise),
    )
}

/// Makes a cell that a spreadsheet would evaluate open as plain text.
pub fn neutralise(cell: String) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

fn csv_record(cells: impl Iterator<Item = String>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let cells: Vec<String> = cells.collect();
    if writer.write_record(&cells).is_err() {
        return String::new();
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_quotes_escaped() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-1".into()), "'-1");
        assert_eq!(neutralise("plain".into()), "plain");
        let row = csv_record(
            [
                "a,b".to_string(),
                "say \"hi\"".to_string(),
                "line\nbreak".to_string(),
            ]
            .into_iter(),
        );
        assert_eq!(row, "\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\"\r\n");
    }

    #[test]
    fn the_header_names_every_column() {
        assert!(csv_header().starts_with("seq,id,occurred_at,"));
        assert_eq!(
            csv_header().trim_end().split(',').count(),
            CSV_COLUMNS.len()
        );
    }
}
