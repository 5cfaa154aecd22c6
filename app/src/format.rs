//! Formatting for display; plain functions so unit tests reach them.

use chrono::{DateTime, Utc};

/// A date as shown in tables: `Nov 23, 2026`.
pub fn date(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %Y").to_string()
}

/// A time as shown for "last used": `Nov 23, 14:05 UTC`.
pub fn date_time(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %H:%M UTC").to_string()
}

/// An optional date, with the text for "none".
pub fn date_or(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map(date).unwrap_or_else(|| none.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_are_short_and_unambiguous() {
        let t = Utc.with_ymd_and_hms(2026, 11, 3, 9, 5, 0).unwrap();
        assert_eq!(date(t), "Nov 3, 2026");
        assert_eq!(date_time(t), "Nov 3, 09:05 UTC");
        assert_eq!(date_or(None, "Never"), "Never");
    }
}
