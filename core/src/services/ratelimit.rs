//! Fixed-window counters in memory: exact on one node, including under concurrent callers,
//! because each check-and-increment happens under the map shard's lock.

use dashmap::DashMap;

/// The answer of one rate-limit check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request is admitted.
    pub allowed: bool,
    /// The limit per window.
    pub limit: u64,
    /// Requests left in this window after this one.
    pub remaining: u64,
    /// When the window resets (unix seconds).
    pub reset: i64,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    start: i64,
    count: u64,
}

/// Counters keyed by an identifier (a key id, an email, an address).
#[derive(Default)]
pub struct FixedWindowLimiter {
    windows: DashMap<String, Window>,
}

impl FixedWindowLimiter {
    /// Counts one request of `id` at `now` (unix seconds) against `limit` per `window_secs`.
    /// A refused request does not consume anything.
    pub fn check(&self, id: &str, limit: u64, window_secs: i64, now: i64) -> RateDecision {
        let start = now - now.rem_euclid(window_secs);
        let decide = |w: &mut Window| {
            if w.start != start {
                *w = Window { start, count: 0 };
            }
            let allowed = w.count < limit;
            if allowed {
                w.count += 1;
            }
            RateDecision { allowed, limit, remaining: limit.saturating_sub(w.count), reset: start + window_secs }
        };
        // The borrowed lookup avoids allocating the key on the hot path.
        if let Some(mut w) = self.windows.get_mut(id) {
            return decide(&mut w);
        }
        let mut entry = self.windows.entry(id.to_owned()).or_insert(Window { start, count: 0 });
        decide(&mut entry)
    }

    /// Drops windows that ended before `now`, so idle identifiers do not hold memory.
    pub fn prune(&self, now: i64, window_secs: i64) {
        self.windows.retain(|_, w| w.start + window_secs > now);
    }

    /// Number of identifiers tracked.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn admits_exactly_the_limit_per_window_then_resets() {
        let l = FixedWindowLimiter::default();
        let admitted = (0..65).filter(|_| l.check("k", 60, 60, 120).allowed).count();
        assert_eq!(admitted, 60);
        let d = l.check("k", 60, 60, 179);
        assert!(!d.allowed);
        assert_eq!(d.reset, 180);
        assert!(l.check("k", 60, 60, 180).allowed, "a new window starts fresh");
    }

    #[test]
    fn exact_under_threads() {
        let l = Arc::new(FixedWindowLimiter::default());
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || (0..50).filter(|_| l.check("k", 100, 60, 0).allowed).count())
            })
            .collect();
        let total: usize = hs.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 100);
    }

    #[test]
    fn prune_forgets_finished_windows() {
        let l = FixedWindowLimiter::default();
        l.check("a", 1, 60, 0);
        l.prune(61, 60);
        assert!(l.is_empty());
    }
}
