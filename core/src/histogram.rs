//! Latency histograms that add up: fixed log-scale buckets, so per-minute histograms can be
//! summed into hours and days and percentiles read from any sum.
//!
//! Bucket `i` holds latencies in `[lower(i), lower(i + 1))` milliseconds, where the bounds grow
//! by 2^(1/4) (≈ 19 %) from 1 ms; bucket 0 holds everything under 1 ms and the last one
//! everything from ~65 s up. A percentile is reported as the geometric middle of its bucket,
//! so it is within ±9.5 % of the true value (for latencies between 1 ms and 65 s).

use serde::{Deserialize, Serialize};

/// Number of buckets.
pub const BUCKETS: usize = 66;
/// The largest relative error of a reported percentile (half a bucket, geometrically).
pub const RELATIVE_ERROR: f64 = 0.095;

/// The lower bound of bucket `i` in milliseconds (bucket 0 starts at 0).
pub fn lower(i: usize) -> f64 {
    if i == 0 { 0.0 } else { 2f64.powf((i - 1) as f64 / 4.0) }
}

/// The bucket of a latency in milliseconds.
pub fn bucket(ms: f64) -> usize {
    if !(ms >= 1.0) {
        return 0;
    }
    ((ms.log2() * 4.0).floor() as usize + 1).min(BUCKETS - 1)
}

/// Counts per bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram(pub Vec<u64>);

impl Default for Histogram {
    fn default() -> Self {
        Histogram(vec![0; BUCKETS])
    }
}

impl Histogram {
    /// Counts one latency.
    pub fn record(&mut self, ms: f64) {
        self.0[bucket(ms)] += 1;
    }

    /// Adds another histogram's counts.
    pub fn add(&mut self, other: &Histogram) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }

    /// How many latencies were counted.
    pub fn count(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The `q` quantile (0.0–1.0) in milliseconds, or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.0.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(if i == 0 { 0.5 } else { (lower(i) * lower(i + 1)).sqrt() });
            }
        }
        None
    }

    /// The compact stored form: the counts, comma-separated, trailing zeros dropped.
    pub fn encode(&self) -> String {
        let last = self.0.iter().rposition(|c| *c > 0).map(|i| i + 1).unwrap_or(0);
        self.0[..last].iter().map(u64::to_string).collect::<Vec<_>>().join(",")
    }

    /// Parses the stored form; anything malformed counts as empty buckets.
    pub fn decode(s: &str) -> Self {
        let mut h = Histogram::default();
        for (i, part) in s.split(',').enumerate().take(BUCKETS) {
            h.0[i] = part.trim().parse().unwrap_or(0);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_the_range_in_order() {
        assert_eq!(bucket(0.2), 0);
        assert_eq!(bucket(1.0), 1);
        assert_eq!(bucket(1.18), 1);
        assert_eq!(bucket(1.2), 2);
        assert_eq!(bucket(f64::NAN), 0);
        assert_eq!(bucket(1e9), BUCKETS - 1);
        for ms in [1.0, 3.7, 42.0, 250.0, 999.0, 30_000.0] {
            let b = bucket(ms);
            assert!(lower(b) <= ms && ms < lower(b + 1), "{ms} in bucket {b}");
        }
    }

    #[test]
    fn percentiles_are_within_the_stated_error_and_survive_adding_and_storing() {
        // 1..=1000 ms, one each: p50 = 500, p95 = 950, p99 = 990.
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        for ms in 1..=1000 {
            if ms % 2 == 0 { a.record(ms as f64) } else { b.record(ms as f64) }
        }
        a.add(&b);
        let h = Histogram::decode(&a.encode());
        assert_eq!(h, a);
        assert_eq!(h.count(), 1000);
        for (q, truth) in [(0.5, 500.0), (0.95, 950.0), (0.99, 990.0)] {
            let got = h.quantile(q).unwrap();
            assert!((got - truth).abs() / truth <= RELATIVE_ERROR + 0.01, "p{q}: {got} vs {truth}");
        }
        assert_eq!(Histogram::default().quantile(0.5), None);
        assert_eq!(Histogram::decode("x,,3").0[2], 3);
    }
}
