//! Time enters teamgate only through a [`Clock`], so tests can move it.

use std::fmt::Debug;
use std::sync::Mutex;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> ManualClock {
        ManualClock(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

const RFC3339_MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `2026-12-04T10:31:07.412Z`: UTC, milliseconds, the form every timestamp of the API takes.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(RFC3339_MILLIS)
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch, the form timestamps are stored in.
pub fn unix_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_unix_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Parses an RFC 3339 timestamp from outside (a filter, say).
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_a_z() {
        let t = from_unix_millis(1_796_380_267_412);
        assert_eq!(format_timestamp(t), "2026-12-04T10:31:07.412Z");
        assert_eq!(unix_millis(t), 1_796_380_267_412);
        assert_eq!(parse_timestamp("2026-12-04T10:31:07.412Z"), Some(t));
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::new(from_unix_millis(0));
        assert_eq!(unix_millis(c.now()), 0);
        c.advance(Duration::days(8));
        assert_eq!(unix_millis(c.now()), 8 * 86_400_000);
    }
}
