//! Email addresses: one person, one normalised address.

/// An address that cannot be an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid email address")]
pub struct InvalidEmail(pub String);

/// Trims and case-folds an address, so `Member@Example.test` and
/// ` member@example.test` are the same person, and refuses what is not an address.
pub fn normalise_email(raw: &str) -> Result<String, InvalidEmail> {
    let email = raw.trim().to_lowercase();
    let invalid = || InvalidEmail(raw.chars().take(100).collect());
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '\\']);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '\\']);
    if local_ok && domain_ok {
        Ok(email)
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_differing_in_case_or_spaces_are_one() {
        assert_eq!(
            normalise_email("  Member@Example.TEST ").unwrap(),
            "member@example.test"
        );
    }

    #[test]
    fn what_is_not_an_address_is_refused() {
        for bad in [
            "",
            "plain",
            "@x.test",
            "a@",
            "a@@x.test",
            "a b@x.test",
            "a@x..test",
            "a@.x",
            "<a>@x.test",
            "a@x.test\r\nBcc: c@d.test",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?}");
        }
    }
}
