//! Sliding-window counting of failed attempts per key (a username, an IP address).
//! Pure: the caller passes the clock.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct FailureWindow {
    limit: u32,
    window: Duration,
    failures: HashMap<String, VecDeque<Instant>>,
}

/// Above this many tracked keys, expired entries are swept on insert, so that a flood of
/// distinct usernames cannot grow memory without bound.
const SWEEP_THRESHOLD: usize = 10_000;

impl FailureWindow {
    pub fn new(limit: u32, window: Duration) -> Self {
        FailureWindow {
            limit,
            window,
            failures: HashMap::new(),
        }
    }

    /// `Some(wait)` when `key` has used up its failures within the window.
    pub fn blocked_for(&mut self, key: &str, now: Instant) -> Option<Duration> {
        let entries = self.failures.get_mut(key)?;
        prune(entries, now, self.window);
        if entries.len() < self.limit as usize {
            return None;
        }
        let oldest = *entries.front()?;
        Some((oldest + self.window).saturating_duration_since(now))
    }

    pub fn record_failure(&mut self, key: &str, now: Instant) {
        if self.failures.len() > SWEEP_THRESHOLD {
            let window = self.window;
            self.failures.retain(|_, entries| {
                prune(entries, now, window);
                !entries.is_empty()
            });
        }
        let entries = self.failures.entry(key.to_string()).or_default();
        entries.push_back(now);
        // Only the newest `limit` failures matter for the decision.
        while entries.len() > self.limit as usize {
            entries.pop_front();
        }
    }

    pub fn clear(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

fn prune(entries: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while entries
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        entries.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_until_the_oldest_failure_expires() {
        let start = Instant::now();
        let mut w = FailureWindow::new(3, Duration::from_secs(60));
        for i in 0..3 {
            assert_eq!(w.blocked_for("alice", start), None);
            w.record_failure("alice", start + Duration::from_secs(i * 10));
        }
        let now = start + Duration::from_secs(25);
        assert_eq!(w.blocked_for("alice", now), Some(Duration::from_secs(35)));
        assert_eq!(w.blocked_for("bob", now), None);
        assert_eq!(
            w.blocked_for("alice", start + Duration::from_secs(60)),
            None
        );
    }

    #[test]
    fn clearing_resets() {
        let now = Instant::now();
        let mut w = FailureWindow::new(1, Duration::from_secs(60));
        w.record_failure("alice", now);
        assert!(w.blocked_for("alice", now).is_some());
        w.clear("alice");
        assert!(w.blocked_for("alice", now).is_none());
    }
}
