//! Fixed-window counters for attempts that must be limited (failed sign-ins,
//! invites). Pure: the caller passes the time, so tests move the clock.

use std::collections::HashMap;
use std::hash::Hash;

use time::{Duration, OffsetDateTime};

#[derive(Debug)]
pub struct WindowLimiter<K> {
    limit: u32,
    window: Duration,
    windows: HashMap<K, (OffsetDateTime, u32)>,
}

impl<K: Hash + Eq + Clone> WindowLimiter<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        WindowLimiter {
            limit,
            window,
            windows: HashMap::new(),
        }
    }

    /// True when `key` has used up its attempts in the current window.
    pub fn is_exhausted(&self, key: &K, now: OffsetDateTime) -> bool {
        match self.windows.get(key) {
            Some((start, count)) => now < *start + self.window && *count >= self.limit,
            None => false,
        }
    }

    /// Counts one attempt; false when it goes over the limit.
    pub fn record(&mut self, key: &K, now: OffsetDateTime) -> bool {
        if self.windows.len() > 10_000 {
            let window = self.window;
            self.windows.retain(|_, (start, _)| now < *start + window);
        }
        let entry = self.windows.entry(key.clone()).or_insert((now, 0));
        if now >= entry.0 + self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.limit
    }

    /// Forgets a key's attempts (a sign-in that succeeded).
    pub fn clear(&mut self, key: &K) {
        self.windows.remove(key);
    }

    /// When the key may try again.
    pub fn retry_after(&self, key: &K, now: OffsetDateTime) -> Duration {
        match self.windows.get(key) {
            Some((start, _)) => (*start + self.window - now).max(Duration::ZERO),
            None => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_within_a_window_and_resets_after_it() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let mut l = WindowLimiter::new(3, Duration::minutes(15));
        let k = "a@x.test".to_string();
        assert!(l.record(&k, t0) && l.record(&k, t0) && l.record(&k, t0));
        assert!(l.is_exhausted(&k, t0));
        assert!(!l.record(&k, t0 + Duration::minutes(1)));
        assert!(!l.is_exhausted(&k, t0 + Duration::minutes(16)));
        assert!(l.record(&k, t0 + Duration::minutes(16)));
        assert!(!l.is_exhausted(&"b".to_string(), t0));
    }
}
