//! Islands mode: every page renders on the server only, and the parts a person interacts
//! with are `#[island]`s, hydrated in the browser from their serialized props. The browser
//! downloads the code of islands, never of whole pages.
//!
//! Every island calls [`ready`] once it is live. When all the islands on the page are,
//! `window.__keyport_hydrated` becomes `true`: browser tests and the first-load measurement
//! wait for it instead of sleeping.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

/// Registers this island as live, once its view is hydrated (an effect runs after that).
pub fn ready() {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let Some(w) = web_sys::window() else { return };
        let live = js_sys::Reflect::get(&w, &"__keyport_islands".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) + 1.0;
        let _ = js_sys::Reflect::set(&w, &"__keyport_islands".into(), &live.into());
        if live >= island_count() as f64 {
            let _ = js_sys::Reflect::set(&w, &"__keyport_hydrated".into(), &true.into());
        }
    });
}

/// Called from the WASM entry point before the islands hydrate: a page without islands is
/// live at once.
pub fn watch_hydration() {
    #[cfg(feature = "hydrate")]
    {
        local_times_outside_islands();
        if island_count() == 0 {
            if let Some(w) = web_sys::window() {
                let _ = js_sys::Reflect::set(&w, &"__keyport_hydrated".into(), &true.into());
            }
        }
    }
}

/// Server-rendered timestamps outside islands (the outbox, say) switch to the reader's time
/// zone too; those inside islands do it themselves (`LocalTime`).
#[cfg(feature = "hydrate")]
fn local_times_outside_islands() {
    let Some(list) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector_all("time[datetime]").ok()) else {
        return;
    };
    for i in 0..list.length() {
        let Some(el) = list.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok()) else { continue };
        if matches!(el.closest("leptos-island"), Ok(Some(_))) {
            continue;
        }
        let Some(at) = el.get_attribute("datetime").and_then(|v| chrono::DateTime::parse_from_rfc3339(&v).ok()) else { continue };
        let at = at.with_timezone(&chrono::Utc);
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
        el.set_text_content(Some(&crate::format::local_date_time(at, -(d.get_timezone_offset() as i64))));
    }
}

#[cfg(feature = "hydrate")]
fn island_count() -> u32 {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector_all("leptos-island").ok())
        .map(|l| l.length())
        .unwrap_or(0)
}
