//! Fixed-window counters in memory: exact on one node, including under concurrent callers,
//! because each check-and-increment happens under the map shard's lock.

use dashmap::DashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

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

/// Passes an already well-mixed `u64` through unchanged: slots are hashes already.
#[derive(Default, Clone, Copy)]
pub struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Counters keyed by an identifier (a key id, an email, an address). Identifiers are hashed
/// once into a 64-bit slot with a per-process random key; the verify path computes a key's
/// slot when the key enters the cache, so a check does no hashing and no allocation.
pub struct FixedWindowLimiter {
    windows: DashMap<u64, Window, BuildHasherDefault<SlotHasher>>,
    keys: RandomState,
}

impl Default for FixedWindowLimiter {
    fn default() -> Self {
        Self { windows: DashMap::default(), keys: RandomState::new() }
    }
}

impl FixedWindowLimiter {
    /// The slot of an identifier in this limiter.
    pub fn slot(&self, id: &str) -> u64 {
        self.keys.hash_one(id)
    }

    /// Counts one request of `id` at `now` (unix seconds) against `limit` per `window_secs`.
    /// A refused request does not consume anything.
    pub fn check(&self, id: &str, limit: u64, window_secs: i64, now: i64) -> RateDecision {
        self.check_slot(self.slot(id), limit, window_secs, now)
    }

    /// [`check`](Self::check) for a precomputed slot.
    pub fn check_slot(&self, slot: u64, limit: u64, window_secs: i64, now: i64) -> RateDecision {
        self.check_slot_cost(slot, limit, 1, window_secs, now)
    }

    /// Counts a request that costs `cost` units: admitted only if all of them fit, and then
    /// all are consumed; a refused request consumes nothing.
    pub fn check_slot_cost(&self, slot: u64, limit: u64, cost: u64, window_secs: i64, now: i64) -> RateDecision {
        let start = now - now.rem_euclid(window_secs);
        let decide = |w: &mut Window| {
            if w.start != start {
                *w = Window { start, count: 0 };
            }
            let allowed = w.count.saturating_add(cost) <= limit;
            if allowed {
                w.count += cost;
            }
            RateDecision { allowed, limit, remaining: limit.saturating_sub(w.count), reset: start + window_secs }
        };
        let mut entry = self.windows.entry(slot).or_insert(Window { start, count: 0 });
        decide(&mut entry)
    }

    /// [`check`](Self::check), except that an identifier not tracked yet is refused (`None`)
    /// while `max_tracked` identifiers are: memory stays bounded whatever callers send.
    pub fn check_bounded(&self, id: &str, limit: u64, window_secs: i64, now: i64, max_tracked: usize) -> Option<RateDecision> {
        let slot = self.slot(id);
        if self.windows.len() >= max_tracked && !self.windows.contains_key(&slot) {
            return None;
        }
        Some(self.check_slot(slot, limit, window_secs, now))
    }

    /// Gives back one unit of `id` taken in the window of `now`.
    pub fn refund(&self, id: &str, window_secs: i64, now: i64) {
        self.refund_slot(self.slot(id), 1, window_secs, now);
    }

    /// Gives back `cost` units taken in the window of `now` (a later check refused the request).
    pub fn refund_slot(&self, slot: u64, cost: u64, window_secs: i64, now: i64) {
        let start = now - now.rem_euclid(window_secs);
        if let Some(mut w) = self.windows.get_mut(&slot) {
            if w.start == start {
                w.count = w.count.saturating_sub(cost);
            }
        }
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
    fn a_costly_request_takes_all_its_units_or_none() {
        let l = FixedWindowLimiter::default();
        let slot = l.slot("k");
        assert!(l.check_slot_cost(slot, 10, 7, 60, 0).allowed);
        let refused = l.check_slot_cost(slot, 10, 4, 60, 1);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 3, "the refused request consumed nothing");
        assert!(l.check_slot_cost(slot, 10, 3, 60, 2).allowed);
        assert!(!l.check_slot(slot, 10, 60, 3).allowed);
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
    fn a_full_limiter_refuses_newcomers_and_keeps_counting_those_it_knows() {
        let l = FixedWindowLimiter::default();
        assert!(l.check_bounded("a", 5, 60, 0, 2).is_some_and(|d| d.allowed));
        assert!(l.check_bounded("b", 5, 60, 0, 2).is_some_and(|d| d.allowed));
        assert_eq!(l.check_bounded("c", 5, 60, 0, 2), None, "no room for a third");
        assert!(l.check_bounded("a", 5, 60, 1, 2).is_some_and(|d| d.allowed && d.remaining == 3));
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn prune_forgets_finished_windows() {
        let l = FixedWindowLimiter::default();
        l.check("a", 1, 60, 0);
        l.prune(61, 60);
        assert!(l.is_empty());
    }
}
