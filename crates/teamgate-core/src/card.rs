//! Payment settings hold a label ("Visa ending 4242") and an address, never a
//! card number. [`contains_card_number`] is the test both the API and the
//! store apply, so a number cannot reach the database by any path.
//!
//! A card number is 13 to 19 digits, possibly grouped with spaces or dashes,
//! that passes the Luhn check. Whole groups inside a longer run count too, so
//! a number cannot be slipped past by writing an expiry date or a reference
//! right after it ("4111111111111111 12/29"), while a 16-digit number that
//! fails the check is left alone.

/// The fewest and most digits a card number has.
const MIN_DIGITS: usize = 13;
const MAX_DIGITS: usize = 19;

/// How many separator characters may stand between two groups of digits.
const MAX_SEPARATORS: usize = 3;

/// True when `text` contains something that looks like a payment card number.
pub fn contains_card_number(text: &str) -> bool {
    digit_runs(text).iter().any(|groups| has_card_span(groups))
}

/// The runs of digits in `text` as their groups: digits separated by a few
/// spaces or dashes belong to one run, each stretch of bare digits is a group.
fn digit_runs(text: &str) -> Vec<Vec<Vec<u8>>> {
    let mut runs = Vec::new();
    let mut groups: Vec<Vec<u8>> = Vec::new();
    let mut group: Vec<u8> = Vec::new();
    let mut separators = 0;
    for c in text.chars() {
        if let Some(d) = decimal_value(c) {
            group.push(d);
            separators = 0;
            continue;
        }
        if !group.is_empty() {
            groups.push(std::mem::take(&mut group));
        }
        if is_separator(c) && !groups.is_empty() && separators < MAX_SEPARATORS {
            separators += 1;
        } else if !groups.is_empty() {
            runs.push(std::mem::take(&mut groups));
            separators = 0;
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    if !groups.is_empty() {
        runs.push(groups);
    }
    runs
}

/// The value of a decimal digit of any script (`4`, full-width `４`, Arabic-Indic `٤`…),
/// so a number cannot be slipped past by writing it in other digits.
fn decimal_value(c: char) -> Option<u8> {
    if let Some(d) = c.to_digit(10) {
        return Some(d as u8);
    }
    if !c.is_numeric() {
        return None;
    }
    // Unicode lays each script's digits out as runs of ten from its zero:
    // walk back to where the run of numeric code points starts.
    let mut start = c as u32;
    for _ in 0..60 {
        match char::from_u32(start - 1) {
            Some(prev) if prev.is_numeric() => start -= 1,
            _ => break,
        }
    }
    Some(((c as u32 - start) % 10) as u8)
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}'
        )
}

/// True when some consecutive whole groups of a run hold 13 to 19 digits
/// that pass the Luhn check.
fn has_card_span(groups: &[Vec<u8>]) -> bool {
    (0..groups.len()).any(|first| {
        let mut digits: Vec<u8> = Vec::new();
        for group in &groups[first..] {
            digits.extend_from_slice(group);
            if digits.len() > MAX_DIGITS {
                return false;
            }
            if digits.len() >= MIN_DIGITS && luhn_valid(&digits) {
                return true;
            }
        }
        false
    })
}

/// The Luhn check: doubling every second digit from the right, the sum ends in 0.
fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    // `%` rather than `is_multiple_of`, which is newer than the workspace's rust-version.
    #[allow(clippy::manual_is_multiple_of)]
    let ends_in_zero = sum % 10 == 0;
    ends_in_zero
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_in_other_scripts_digits_is_still_a_card_number() {
        assert!(contains_card_number(
            "Visa ４１１１１１１１１１１１１１１１"
        ));
        assert!(contains_card_number("٤١١١١١١١١١١١١١١١"));
        assert!(!contains_card_number("Visa ending ４２４２"));
        assert_eq!(decimal_value('７'), Some(7));
        assert_eq!(decimal_value('٣'), Some(3));
        assert_eq!(decimal_value('x'), None);
    }

    #[test]
    fn well_known_test_numbers_are_found_however_they_are_written() {
        for text in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "Visa 4242 4242 4242 4242 exp 12/29",
            "card: 5555555555554444, thanks",
            "378282246310005",
            "4111111111111111 12",
            "4111 - 1111 - 1111 - 1111",
            "6011\u{a0}1111\u{a0}1111\u{a0}1117",
        ] {
            assert!(contains_card_number(text), "{text}");
        }
    }

    #[test]
    fn labels_addresses_and_numbers_failing_luhn_pass() {
        for text in [
            "Visa ending 4242",
            "12 Market Street, Springfield 12345",
            "4111 1111 1111 1112",
            "+1 (415) 555-2671",
            "",
            "123456789012",
        ] {
            assert!(!contains_card_number(text), "{text}");
        }
    }

    #[test]
    fn luhn_matches_its_definition() {
        assert!(luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
    }
}
