//! Fuzz targets for everything teamgate reads from outside: permission and
//! role names, email addresses, list cursors, audit filters, the change
//! notifications replicas send each other, session cookies and bearer
//! credentials, and the audit log's CSV and JSON forms.
//!
//! Each target is a plain function of a byte slice that panics when a
//! property breaks, so the same code runs under two drivers:
//! - libFuzzer, coverage-guided, through cargo-fuzz (one binary per target
//!   in `fuzz_targets/`, seeds in `seeds/NAME/`). teamgate has no `unsafe`,
//!   so no sanitizer is needed and the stable toolchain does:
//!   `cargo fuzz run --sanitizer none NAME fuzz/corpus/NAME fuzz/seeds/NAME`
//!   (`scripts/fuzz.sh` runs them all; on nightly, drop `--sanitizer none`
//!   for AddressSanitizer as well);
//! - the stable driver, `cargo test -p teamgate-fuzz --test stable`, which
//!   mutates the same seeds at random for a few seconds per target, without
//!   coverage feedback: a fallback where cargo-fuzz cannot be installed.

pub mod input;
pub mod targets;

/// A target: a name and the function a driver feeds bytes to.
pub type Target = (&'static str, fn(&[u8]));

/// Every target by name, for drivers that pick one.
pub const TARGETS: &[Target] = &[
    ("permission_name", targets::permission_name),
    ("email", targets::email),
    ("cursor", targets::cursor),
    ("audit_filter", targets::audit_filter),
    ("change_payload", targets::change_payload),
    ("credentials", targets::credentials),
    ("export_csv", targets::export_csv),
    ("audit_json", targets::audit_json),
];
