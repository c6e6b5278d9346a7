//! Reading teamgate's outbox: the `.eml` files it writes when no SMTP server
//! is configured, as a person's mail program would show them.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Result};

use crate::browser::poll;

/// The invite link's token from the newest email to `to`, waiting up to
/// `limit` for it to appear.
pub async fn invite_token(outbox: &Path, to: &str, limit: Duration) -> Result<String> {
    let what = format!("an invite email to {to} in {}", outbox.display());
    poll(&what, limit, Duration::from_millis(50), || async {
        let Some(email) = newest_email_to(outbox, to)? else {
            return Ok(None);
        };
        let token = invite_token_in(&email)
            .ok_or_else(|| anyhow!("the email to {to} holds no /invite/ link:\n{email}"))?;
        Ok(Some(token))
    })
    .await
}

/// The decoded text of the newest `.eml` addressed to `to`, if any. Hidden
/// files are half-written messages and are skipped.
fn newest_email_to(outbox: &Path, to: &str) -> Result<Option<String>> {
    let entries = match std::fs::read_dir(outbox) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut names: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(".")
                .starts_with('.')
        })
        .collect();
    // Names are time-ordered ids, so the last sorts newest.
    names.sort();
    for path in names.iter().rev() {
        let text = decode_quoted_printable(&std::fs::read_to_string(path)?);
        let addressed = text.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("to:") && l.contains(&to.to_ascii_lowercase())
        });
        if addressed {
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// Undoes quoted-printable (RFC 2045): soft line breaks (`=` at a line's end)
/// join lines, and `=XX` stands for the byte XX. Plain text passes unchanged.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token of the first `…/invite/TOKEN` link in `text` (tokens are URL-safe
/// base64).
pub fn invite_token_in(text: &str) -> Option<String> {
    text.match_indices("/invite/").find_map(|(at, marker)| {
        let token: String = text[at + marker.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (token.len() >= 16).then_some(token)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_line_breaks_and_escapes_are_undone() {
        let wire = "open http://127.0.0.1:4000/invite/abc=\r\ndef_-X=3D1\r\nnext line";
        assert_eq!(
            decode_quoted_printable(wire),
            "open http://127.0.0.1:4000/invite/abcdef_-X=1\r\nnext line"
        );
    }

    #[test]
    fn a_lone_equals_sign_is_kept() {
        assert_eq!(decode_quoted_printable("a = b =Z"), "a = b =Z");
    }

    #[test]
    fn the_token_is_read_from_a_link_split_by_a_soft_break() {
        let wire = "To accept, open this link:\r\nhttp://127.0.0.1:4000/invite/AbCdEfGhIjKl=\r\nMnOpQr-_9\r\nThe link works";
        let token = invite_token_in(&decode_quoted_printable(wire));
        assert_eq!(token.as_deref(), Some("AbCdEfGhIjKlMnOpQr-_9"));
    }

    #[test]
    fn text_without_a_link_has_no_token() {
        assert_eq!(invite_token_in("see /invite/ later"), None);
    }
}
