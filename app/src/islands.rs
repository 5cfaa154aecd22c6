//! Islands mode: every page renders on the server only, and the parts a person interacts
//! with are `#[island]`s, hydrated in the browser from their serialized props. The browser
//! downloads the code of islands, never of whole pages.
//!
//! Every island calls [`ready`] once it is live. When all the islands on the page are,
//! `window.__keyport_hydrated` becomes `true`: browser tests and the first-load measurement
//! wait for it instead of sleeping.

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
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        local_times_in(&body);
    }
}

/// Shows the `<time>` elements under `root` that no island draws in local time.
#[cfg(feature = "hydrate")]
fn local_times_in(root: &web_sys::Element) {
    let Ok(list) = root.query_selector_all("time[datetime]") else { return };
    for i in 0..list.length() {
        let Some(el) = list.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok()) else { continue };
        // Islands other than live regions draw their own times.
        if matches!(el.closest("leptos-island:not(:has(.live-region))"), Ok(Some(_))) {
            continue;
        }
        let Some(at) = el.get_attribute("datetime").and_then(|v| chrono::DateTime::parse_from_rfc3339(&v).ok()) else { continue };
        let at = at.with_timezone(&chrono::Utc);
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
        let offset = -(d.get_timezone_offset() as i64);
        // `data-clock`: the time of day to the second (the quickstart's first call).
        let text = if el.has_attribute("data-clock") { crate::format::local_clock(at, offset) } else { crate::format::local_date_time(at, offset) };
        el.set_text_content(Some(&text));
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

/// Submits the surrounding form when a control inside changes (the team switcher): the
/// form itself is plain HTML that works without JavaScript (a submit button in `<noscript>`).
#[island]
pub fn SubmitOnChange(children: Children) -> impl IntoView {
    ready();
    view! {
        <span class="submit-on-change" on:change=move |ev| {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let form = ev.target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                    .and_then(|el| el.closest("form").ok().flatten())
                    .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok());
                if let Some(form) = form {
                    let _ = form.request_submit();
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        }>{children()}</span>
    }
}

/// "Print": the browser's print dialog (the page's print styles leave only the document).
#[island]
pub fn PrintButton() -> impl IntoView {
    ready();
    view! {
        <button type="button" class="btn btn-secondary" on:click=move |_| {
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.print();
            }
        }>"Print"</button>
    }
}

/// A button that opens the server-rendered `<dialog id=dialog>` as a modal: the browser
/// moves focus into it, keeps it there, and closes it on Escape.
#[island]
pub fn OpenDialog(
    dialog: String,
    label: String,
    #[prop(optional)] class: Option<String>,
    /// A fuller name for assistive technology, when the label alone is ambiguous.
    #[prop(optional)] aria_label: Option<String>,
) -> impl IntoView {
    ready();
    #[cfg(feature = "hydrate")]
    let find = {
        let dialog = dialog.clone();
        move || {
            use wasm_bindgen::JsCast;
            web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&dialog))
                .and_then(|d| d.dyn_into::<web_sys::HtmlDialogElement>().ok())
        }
    };
    // A dialog the server drew open (its form came back refused) becomes a modal one.
    #[cfg(feature = "hydrate")]
    Effect::new({
        let find = find.clone();
        move |_| {
            if let Some(d) = find().filter(|d| d.open() && !d.matches(":modal").unwrap_or(false)) {
                d.close();
                let _ = d.show_modal();
            }
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = &dialog;
    view! {
        <button type="button" class=class.unwrap_or_else(|| "btn btn-ghost btn-sm".into()) aria-label=aria_label on:click=move |_| {
            #[cfg(feature = "hydrate")]
            if let Some(d) = find() {
                let _ = d.show_modal();
            }
        }>{label}</button>
    }
}

/// A part of the page that stays live: every `every_ms` it loads the page again in the
/// background and puts in the same part of the fresh copy (found by `id`). Everything in
/// it is drawn on the server, so none of its code travels to the browser. A page with
/// several live regions loads itself once per tick for all of them (the first one's timer).
#[island]
pub fn LiveRegion(id: String, every_ms: u32, children: Children) -> impl IntoView {
    ready();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let Some(w) = web_sys::window() else { return };
        if js_sys::Reflect::get(&w, &"__keyport_live".into()).ok().is_some_and(|v| v.is_truthy()) {
            return;
        }
        let _ = js_sys::Reflect::set(&w, &"__keyport_live".into(), &true.into());
        let timer = gloo_timers::callback::Interval::new(every_ms, move || {
            leptos::task::spawn_local(refresh_regions());
        });
        let timer = send_wrapper::SendWrapper::new(timer);
        on_cleanup(move || drop(timer));
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = every_ms;
    view! { <div id=id class="live-region">{children()}</div> }
}

/// Replaces the contents of every live region with those of the same element in a fresh
/// copy of the page. A failed load leaves what is shown (the next tick tries again).
#[cfg(feature = "hydrate")]
async fn refresh_regions() {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let Some(w) = web_sys::window() else { return };
    let Ok(href) = w.location().href() else { return };
    let Ok(resp) = JsFuture::from(w.fetch_with_str(&href)).await else { return };
    let Ok(resp) = resp.dyn_into::<web_sys::Response>() else { return };
    // A redirect (signed out meanwhile) or an error page keeps the last figures.
    if !resp.ok() || resp.redirected() {
        return;
    }
    let Ok(text) = resp.text() else { return };
    let Ok(text) = JsFuture::from(text).await else { return };
    let Some(text) = text.as_string() else { return };
    let Ok(parser) = web_sys::DomParser::new() else { return };
    let Ok(fresh) = parser.parse_from_string(&text, web_sys::SupportedType::TextHtml) else { return };
    let Some(regions) = w.document().and_then(|d| d.query_selector_all(".live-region[id]").ok()) else { return };
    for i in 0..regions.length() {
        let Some(old) = regions.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
        if let Some(new) = fresh.get_element_by_id(&old.id()) {
            old.set_inner_html(&new.inner_html());
            local_times_in(&old);
        }
    }
}
