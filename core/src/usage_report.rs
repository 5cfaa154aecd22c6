//! The usage page's question and answer: a range, a granularity and filters in; points per
//! period (answers by code, served requests by status class, latency percentiles) and the
//! top endpoints out. Shared by the server and the browser.

use crate::dto::VerifyCode;
use crate::key::Environment;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The time span a usage chart covers, ending now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UsageRange {
    /// The last 24 hours.
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Days30,
    /// The calendar month so far (UTC).
    Month,
}

impl UsageRange {
    /// Every range, in the order the page offers them.
    pub const ALL: [UsageRange; 4] = [UsageRange::Day, UsageRange::Week, UsageRange::Days30, UsageRange::Month];

    /// The tag used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageRange::Day => "24h",
            UsageRange::Week => "7d",
            UsageRange::Days30 => "30d",
            UsageRange::Month => "month",
        }
    }

    /// Parses a URL tag.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            UsageRange::Day => "Last 24 hours",
            UsageRange::Week => "Last 7 days",
            UsageRange::Days30 => "Last 30 days",
            UsageRange::Month => "This month",
        }
    }

    /// The granularities that make a readable chart over this range.
    pub fn granularities(self) -> &'static [Granularity] {
        match self {
            UsageRange::Day => &[Granularity::Minute, Granularity::Hour],
            _ => &[Granularity::Hour, Granularity::Day],
        }
    }

    /// The granularity a range starts with.
    pub fn default_granularity(self) -> Granularity {
        match self {
            UsageRange::Day | UsageRange::Week => Granularity::Hour,
            UsageRange::Days30 | UsageRange::Month => Granularity::Day,
        }
    }
}

/// The length of one point of a chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Granularity {
    /// One point per minute.
    Minute,
    /// One point per hour.
    Hour,
    /// One point per day (UTC).
    Day,
}

impl Granularity {
    /// Every granularity.
    pub const ALL: [Granularity; 3] = [Granularity::Minute, Granularity::Hour, Granularity::Day];

    /// The tag used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Minute => "minute",
            Granularity::Hour => "hour",
            Granularity::Day => "day",
        }
    }

    /// Parses a URL tag.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Seconds per point.
    pub fn secs(self) -> i64 {
        match self {
            Granularity::Minute => 60,
            Granularity::Hour => 3600,
            Granularity::Day => 86_400,
        }
    }
}

/// What to chart.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UsageQuery {
    /// The span, ending now.
    pub range: UsageRange,
    /// One point per this long.
    pub granularity: Granularity,
    /// Only this key (an id of the caller's team).
    pub key_id: Option<String>,
    /// Only keys of this environment.
    pub environment: Option<Environment>,
}

impl Default for UsageQuery {
    fn default() -> Self {
        UsageQuery { range: UsageRange::Day, granularity: Granularity::Hour, key_id: None, environment: None }
    }
}

impl UsageQuery {
    /// Reads the URL's query values, falling back to defaults for anything unknown, and
    /// moving a granularity that does not fit the range to the range's default.
    pub fn from_params(range: Option<&str>, granularity: Option<&str>, key: Option<&str>, env: Option<&str>) -> Self {
        let range = range.and_then(UsageRange::parse).unwrap_or(UsageRange::Day);
        let granularity = granularity
            .and_then(Granularity::parse)
            .filter(|g| range.granularities().contains(g))
            .unwrap_or_else(|| range.default_granularity());
        UsageQuery {
            range,
            granularity,
            key_id: key.filter(|k| !k.is_empty()).map(str::to_owned),
            environment: env.and_then(Environment::parse),
        }
    }

    /// The URL query string that asks for this (for links, the CSV export and the filters).
    pub fn to_params(&self) -> String {
        let mut s = format!("range={}&granularity={}", self.range.as_str(), self.granularity.as_str());
        if let Some(k) = &self.key_id {
            s.push_str("&key=");
            s.push_str(k);
        }
        if let Some(e) = self.environment {
            s.push_str("&env=");
            s.push_str(e.as_str());
        }
        s
    }

    /// Checks the query at the server's boundary.
    pub fn check(&self) -> Result<(), &'static str> {
        if !self.range.granularities().contains(&self.granularity) {
            return Err("That granularity does not fit the range: minutes need the 24-hour range, days a longer one.");
        }
        if let Some(k) = &self.key_id {
            if k.len() > 64 || !k.starts_with("key_") || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err("Unknown key.");
            }
        }
        Ok(())
    }
}

/// The figures of one period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsagePoint {
    /// Start of the period.
    pub at: DateTime<Utc>,
    /// Verifications per answer code, in [`VerifyCode::ALL`] order.
    pub codes: [i64; VerifyCode::COUNT],
    /// Requests the backend reported serving (`POST /v1/usage`).
    pub requests: i64,
    /// Of those, answered 4xx.
    pub s4xx: i64,
    /// Of those, answered 5xx.
    pub s5xx: i64,
    /// Latency percentiles in milliseconds, when requests with a latency were reported.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

impl UsagePoint {
    /// Valid verifications.
    pub fn valid(&self) -> i64 {
        self.codes[0]
    }

    /// Refused verifications.
    pub fn refused(&self) -> i64 {
        self.codes[1..].iter().sum()
    }

    /// All verifications.
    pub fn verifications(&self) -> i64 {
        self.codes.iter().sum()
    }

    /// Share of served requests answered 4xx, in percent.
    pub fn rate_4xx(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.s4xx as f64 * 100.0 / self.requests as f64)
    }

    /// Share of served requests answered 5xx, in percent.
    pub fn rate_5xx(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.s5xx as f64 * 100.0 / self.requests as f64)
    }

    /// Count of one code.
    pub fn code(&self, c: VerifyCode) -> i64 {
        self.codes[c.index()]
    }
}

/// One row of the top-endpoints table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointUsage {
    /// The endpoint as the operator named it (`""` when unnamed).
    pub endpoint: String,
    /// Verifications naming this endpoint.
    pub verifications: i64,
    /// Served requests reported for it.
    pub requests: i64,
    /// Of those, 4xx.
    pub s4xx: i64,
    /// Of those, 5xx.
    pub s5xx: i64,
    /// 95th percentile latency in milliseconds.
    pub p95: Option<f64>,
}

impl EndpointUsage {
    /// The name people read.
    pub fn label(&self) -> &str {
        if self.endpoint.is_empty() { "(not named)" } else { &self.endpoint }
    }

    /// Share of served requests answered 4xx or 5xx, in percent.
    pub fn error_rate(&self) -> Option<f64> {
        (self.requests > 0).then(|| (self.s4xx + self.s5xx) as f64 * 100.0 / self.requests as f64)
    }
}

/// The usage page's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageReport {
    /// What was asked (after defaults).
    pub query: UsageQuery,
    /// Start of the first point.
    pub from: DateTime<Utc>,
    /// End of the last point.
    pub to: DateTime<Utc>,
    /// One point per period from `from` to `to`, empty periods included.
    pub points: Vec<UsagePoint>,
    /// The whole range in one point.
    pub totals: UsagePoint,
    /// Endpoints by verifications and requests, busiest first (at most 20).
    pub endpoints: Vec<EndpointUsage>,
    /// When this was computed.
    pub as_of: DateTime<Utc>,
}

impl UsageReport {
    /// Whether nothing at all happened in the range.
    pub fn is_empty(&self) -> bool {
        self.totals.verifications() == 0 && self.totals.requests == 0
    }

    /// The report as CSV, one line per point, the header naming every column.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("period_start_utc");
        for c in VerifyCode::ALL {
            out.push(',');
            out.push_str(&c.as_str().to_ascii_lowercase());
        }
        out.push_str(",requests,status_4xx,status_5xx,latency_p50_ms,latency_p95_ms,latency_p99_ms\n");
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
        for p in &self.points {
            out.push_str(&p.at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            for n in p.codes {
                out.push_str(&format!(",{n}"));
            }
            out.push_str(&format!(",{},{},{},{},{},{}\n", p.requests, p.s4xx, p.s5xx, ms(p.p50), ms(p.p95), ms(p.p99)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_round_trip_and_bad_ones_fall_back() {
        let q = UsageQuery::from_params(Some("7d"), Some("day"), Some("key_abc"), Some("live"));
        assert_eq!(q.to_params(), "range=7d&granularity=day&key=key_abc&env=live");
        let q2 = UsageQuery::from_params(Some("7d"), Some("day"), Some("key_abc"), Some("live"));
        assert_eq!(q, q2);
        let d = UsageQuery::from_params(Some("nope"), Some("minute"), Some(""), Some("x"));
        assert_eq!((d.range, d.granularity, d.key_id, d.environment), (UsageRange::Day, Granularity::Minute, None, None));
        let moved = UsageQuery::from_params(Some("30d"), Some("minute"), None, None);
        assert_eq!(moved.granularity, Granularity::Day);
        assert!(UsageQuery { granularity: Granularity::Minute, range: UsageRange::Week, ..Default::default() }.check().is_err());
        assert!(UsageQuery { key_id: Some("key_'; DROP".into()), ..Default::default() }.check().is_err());
        assert!(UsageQuery::default().check().is_ok());
    }

    #[test]
    fn csv_has_a_line_per_point() {
        let mut p = UsagePoint { requests: 4, s4xx: 1, p95: Some(12.34), ..Default::default() };
        p.codes[0] = 7;
        let r = UsageReport {
            query: UsageQuery::default(),
            from: p.at,
            to: p.at,
            points: vec![p.clone(), UsagePoint::default()],
            totals: p,
            endpoints: vec![],
            as_of: Utc::now(),
        };
        let csv = r.to_csv();
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.starts_with("period_start_utc,valid,invalid_format,"));
        assert!(csv.lines().nth(1).unwrap().ends_with(",7,0,0,0,0,0,0,0,0,0,0,4,1,0,,12.3,"), "{csv}");
    }
}
