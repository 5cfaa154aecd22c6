//! Formatting for display; plain functions so unit tests reach them. Written by hand rather
//! than with chrono's `format`, whose strftime machinery would ship in the WASM bundle.

use chrono::{DateTime, Datelike, Timelike, Utc};

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn month(t: DateTime<Utc>) -> &'static str {
    MONTHS[t.month0() as usize]
}

/// A date as shown in tables: `Nov 23, 2026`.
pub fn date(t: DateTime<Utc>) -> String {
    format!("{} {}, {}", month(t), t.day(), t.year())
}

/// A time as shown for "last used": `Nov 23, 14:05 UTC`.
pub fn date_time(t: DateTime<Utc>) -> String {
    format!("{} {}, {:02}:{:02} UTC", month(t), t.day(), t.hour(), t.minute())
}

/// A time in a zone `offset_minutes` east of UTC, with the date when it matters:
/// `Nov 23, 15:05` (the reader's own zone, so no zone name).
pub fn local_date_time(t: DateTime<Utc>, offset_minutes: i64) -> String {
    let l = t + chrono::Duration::minutes(offset_minutes);
    format!("{} {}, {:02}:{:02}", month(l), l.day(), l.hour(), l.minute())
}

/// A clock time in a zone `offset_minutes` east of UTC: `15:05:09` (the reader's own zone).
pub fn local_clock(t: DateTime<Utc>, offset_minutes: i64) -> String {
    let l = t + chrono::Duration::minutes(offset_minutes);
    format!("{:02}:{:02}:{:02}", l.hour(), l.minute(), l.second())
}

/// A clock time: `14:05:09 UTC`.
pub fn clock(t: DateTime<Utc>) -> String {
    format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
}

/// A day without the year: `Nov 23`.
pub fn day_month(t: DateTime<Utc>) -> String {
    format!("{} {}", month(t), t.day())
}

/// A weekday and day: `Mon, Nov 23`.
pub fn weekday_day(t: DateTime<Utc>) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    format!("{}, {}", DAYS[t.weekday().num_days_from_monday() as usize], day_month(t))
}

/// Hours and minutes: `14:05`.
pub fn hour_minute(t: DateTime<Utc>) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
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
        let t = Utc.with_ymd_and_hms(2026, 11, 3, 9, 5, 7).unwrap();
        assert_eq!(date(t), "Nov 3, 2026");
        assert_eq!(date_time(t), "Nov 3, 09:05 UTC");
        assert_eq!(clock(t), "09:05:07 UTC");
        assert_eq!(date_or(None, "Never"), "Never");
        assert_eq!(local_date_time(t, 60), "Nov 3, 10:05");
        assert_eq!(local_date_time(t, -600), "Nov 2, 23:05", "west of UTC can be the day before");
        assert_eq!(date(Utc.with_ymd_and_hms(2027, 1, 31, 0, 0, 0).unwrap()), "Jan 31, 2027");
    }
}

pub use keyport_core::html::escape_html;

/// The product's name (`portal.app_name`), read on the server; "Keyport" in the browser,
/// where only islands run and none shows it.
pub fn app_name() -> String {
    #[cfg(feature = "ssr")]
    if let Some(svc) = leptos::prelude::use_context::<std::sync::Arc<keyport_core::Services>>() {
        return svc.settings().app_name.clone();
    }
    "Keyport".to_owned()
}

/// The page's `<title>` for a page title `t` (which may hold user text, a key's name). Every
/// title passes through here. leptos_meta 0.8 writes the title into the server's HTML without
/// escaping it, so the server escapes it here; in the browser the title is set as text, which
/// needs no escaping (escaping there would show the entities).
pub fn page_title(t: &str, name: &str) -> String {
    let full = if t.is_empty() { name.to_owned() } else { format!("{t} · {name}") };
    if cfg!(feature = "ssr") {
        escape_html(&full)
    } else {
        full
    }
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn hostile_titles_cannot_leave_the_title_element() {
        let t = escape_html("</title><meta http-equiv=refresh content=\"0;url=//evil\">'&");
        assert_eq!(t, "&lt;/title&gt;&lt;meta http-equiv=refresh content=&quot;0;url=//evil&quot;&gt;&#39;&amp;");
    }
}
