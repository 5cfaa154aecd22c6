//! A timestamp shown in the reader's own time zone. The server renders UTC (it cannot know the
//! zone); once the page is live in the browser the text switches to local time, and the UTC
//! value stays in the tooltip and the `datetime` attribute.

use crate::format::{date_time, local_date_time};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// A `<time>` element in local time (UTC before hydration).
#[component]
pub fn LocalTime(at: DateTime<Utc>) -> impl IntoView {
    // Minutes east of UTC, known only in the browser.
    let offset = RwSignal::new(None::<i64>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
        offset.set(Some(-(d.get_timezone_offset() as i64)));
    });
    view! {
        <time datetime=at.to_rfc3339() title=date_time(at)>
            {move || match offset.get() {
                Some(minutes) => local_date_time(at, minutes),
                None => date_time(at),
            }}
        </time>
    }
}
