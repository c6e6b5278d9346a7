//! The stable-Rust driver: each target runs for a few seconds on random
//! mutations of its seeds in `seeds/NAME/` (the same seeds libFuzzer
//! starts from). It has no coverage feedback, so it is a smoke run, not a
//! replacement for `cargo +nightly fuzz run NAME`.
//!
//! `TEAMGATE_FUZZ_SECONDS` (default 3) sets the time per target and
//! `TEAMGATE_FUZZ_SEED` the random seed (printed, to replay a failure). An
//! input that breaks a target is saved to `artifacts/NAME/` and can be
//! replayed with `cargo +nightly fuzz run NAME artifacts/NAME/FILE`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Pieces that parsers of names, addresses, cursors, query strings, headers and CSV trip on.
const DICTIONARY: &[&[u8]] = &[
    b":",
    b"::",
    b"@",
    b"@@",
    b".",
    b"..",
    b"=",
    b"&",
    b"%",
    b"%00",
    b"%2B",
    b"+",
    b"-",
    b"'",
    b"\"",
    b",",
    b";",
    b" ",
    b"\t",
    b"\r\n",
    b"\n",
    b"\0",
    b"\xff",
    b"\xc3\xa9",
    b"\xe2\x80\xa8",
    b"chat_agents:view",
    b"team:change_role",
    b"admin",
    b"ADMIN",
    b"limit=",
    b"cursor=",
    b"since=",
    b"until=",
    b"action=",
    b"2026-12-04T10:31:07Z",
    b"+23:59",
    b"9999-12-31T23:59:59",
    b"Bearer ",
    b"teamgate_session=",
    b"MTIzOnNlcQ",
    b"=HYPERLINK(",
    b"{\"a\":1}",
    b"18446744073709551615",
    b"-9223372036854775808",
    b"1e400",
    b"0.1",
    b"01a2412b-cfc6-73ff-a639-50bc703719fd",
];

fn seconds() -> Duration {
    let secs = std::env::var("TEAMGATE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

fn seeds(name: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(name);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    seeds.push(Vec::new());
    seeds
}

fn mutate(rng: &mut StdRng, pool: &[Vec<u8>], input: &mut Vec<u8>) {
    for _ in 0..rng.gen_range(1..=4) {
        let len = input.len();
        match rng.gen_range(0..8) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                input[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.gen_range(0..len);
                input[i] = rng.gen();
            }
            2 => {
                let at = rng.gen_range(0..=len);
                let bytes: Vec<u8> = (0..rng.gen_range(1..=8)).map(|_| rng.gen()).collect();
                input.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let from = rng.gen_range(0..len);
                let to = rng.gen_range(from..=len.min(from + 16));
                input.drain(from..to);
            }
            4 | 5 => {
                let at = rng.gen_range(0..=len);
                let piece = DICTIONARY[rng.gen_range(0..DICTIONARY.len())];
                input.splice(at..at, piece.iter().copied());
            }
            6 => {
                let other = &pool[rng.gen_range(0..pool.len())];
                let cut = rng.gen_range(0..=len);
                let from = rng.gen_range(0..=other.len());
                input.truncate(cut);
                input.extend_from_slice(&other[from..]);
            }
            _ if len > 1 => {
                let from = rng.gen_range(0..len);
                let to = rng.gen_range(from..=len);
                let copy = input[from..to].to_vec();
                let at = rng.gen_range(0..=input.len());
                input.splice(at..at, copy);
            }
            _ => input.push(rng.gen()),
        }
    }
    input.truncate(4096);
}

fn save(name: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("artifacts")
        .join(name);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("crash-{:016x}", fnv(input)));
    let _ = std::fs::write(&path, input);
    path
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

fn drive(name: &str) {
    let target = teamgate_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no target {name}"));
    let seed = std::env::var("TEAMGATE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pool = seeds(name);
    let (started, budget) = (Instant::now(), seconds());
    let mut runs = 0u64;
    while started.elapsed() < budget {
        let mut input = if rng.gen_ratio(1, 16) {
            (0..rng.gen_range(0..256)).map(|_| rng.gen()).collect()
        } else {
            pool[rng.gen_range(0..pool.len())].clone()
        };
        mutate(&mut rng, &pool, &mut input);
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            let path = save(name, &input);
            panic!(
                "fuzz target {name} broke on {input:?} (saved to {}); replay with TEAMGATE_FUZZ_SEED={seed}",
                path.display()
            );
        }
        // Without coverage, keep a few recent inputs as stepping stones.
        if rng.gen_ratio(1, 64) {
            if pool.len() < 256 {
                pool.push(input);
            } else {
                let i = rng.gen_range(0..pool.len());
                pool[i] = input;
            }
        }
        runs += 1;
    }
    eprintln!(
        "fuzz {name}: {runs} inputs in {:.1?}, seed {seed}",
        started.elapsed()
    );
}

#[test]
fn permission_name() {
    drive("permission_name");
}

#[test]
fn email() {
    drive("email");
}

#[test]
fn cursor() {
    drive("cursor");
}

#[test]
fn audit_filter() {
    drive("audit_filter");
}

#[test]
fn change_payload() {
    drive("change_payload");
}

#[test]
fn credentials() {
    drive("credentials");
}

#[test]
fn export_csv() {
    drive("export_csv");
}

#[test]
fn audit_json() {
    drive("audit_json");
}

#[test]
fn every_target_has_a_test_here_and_a_libfuzzer_binary() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let this = std::fs::read_to_string(dir.join("tests/stable.rs")).unwrap();
    for (name, _) in teamgate_fuzz::TARGETS {
        assert!(
            manifest.contains(&format!("fuzz_targets/{name}.rs")),
            "{name} has no [[bin]]"
        );
        assert!(
            this.contains(&format!("drive(\"{name}\")")),
            "{name} has no test"
        );
    }
}
