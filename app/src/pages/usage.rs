//! `/portal/usage`: the team's usage over a range, by answer, error rate, latency and
//! endpoint, filtered by key and environment, refreshed live, exported as CSV. The choices
//! live in the URL, so a view can be bookmarked and shared.

use crate::api::{get_usage_report, list_keys};
use crate::components::local_time::LocalTime;
use crate::components::usage_view::UsageView;
use keyport_core::key::Environment;
use keyport_core::usage_report::{Granularity, UsageQuery, UsageRange};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The usage page.
#[component]
pub fn UsagePage() -> impl IntoView {
    let params = use_query_map();
    let initial = params.with_untracked(|p| {
        UsageQuery::from_params(p.get_str("range"), p.get_str("granularity"), p.get_str("key"), p.get_str("env"))
    });
    view! {
        <Title text="Usage"/>
        <UsageExplorer initial/>
    }
}

/// Puts the view's choices in the address bar without loading the page again, so the view
/// can be bookmarked, shared and reloaded.
fn show_in_address_bar(q: &UsageQuery) {
    #[cfg(feature = "hydrate")]
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("/portal/usage?{}", q.to_params())));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = q;
}

/// The filters, the export link and the charts, redrawn in place as the choices change and
/// every few seconds.
#[island(lazy)]
fn UsageExplorer(initial: UsageQuery) -> impl IntoView {
    crate::islands::ready();
    let query = RwSignal::new(initial);
    let keys = Resource::new(|| (), |_| list_keys());
    let report = Resource::new(
        move || query.get(),
        |q| {
            get_usage_report(
                q.range.as_str().into(),
                q.granularity.as_str().into(),
                q.key_id.unwrap_or_default(),
                q.environment.map(|e| e.as_str().to_owned()).unwrap_or_default(),
            )
        },
    );
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let timer = gloo_timers::callback::Interval::new(crate::components::usage_view::REFRESH_MS, move || report.refetch());
        let timer = send_wrapper::SendWrapper::new(timer);
        on_cleanup(move || drop(timer));
    });
    let go = move |q: UsageQuery| {
        show_in_address_bar(&q);
        query.set(q);
    };
    let set_range = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let mut q = query.get_untracked();
            if let Some(r) = UsageRange::parse(&event_target_value(&ev)) {
                q.range = r;
                q.granularity = r.default_granularity();
                go(q);
            }
        }
    };
    let set_granularity = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let mut q = query.get_untracked();
            if let Some(g) = Granularity::parse(&event_target_value(&ev)) {
                q.granularity = g;
                go(q);
            }
        }
    };
    let set_key = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let mut q = query.get_untracked();
            let v = event_target_value(&ev);
            q.key_id = (!v.is_empty()).then_some(v);
            go(q);
        }
    };
    let set_env = move |ev: leptos::ev::Event| {
        let mut q = query.get_untracked();
        q.environment = Environment::parse(&event_target_value(&ev));
        go(q);
    };
    view! {
        <header class="page-header">
            <h1>"Usage"</h1>
            <a class="btn btn-secondary" href=move || format!("/portal/usage.csv?{}", query.get().to_params()) download="keyport-usage.csv">
                "Export CSV"
            </a>
        </header>
        <form class="filters" method="get" action="/portal/usage" aria-label="Usage filters">
            <div class="field">
                <label for="usage-range">"Range"</label>
                <select id="usage-range" name="range" on:change=set_range prop:value=move || query.get().range.as_str()>
                    {UsageRange::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=move || query.get().range == r>{r.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="usage-granularity">"Granularity"</label>
                <select id="usage-granularity" name="granularity" on:change=set_granularity prop:value=move || query.get().granularity.as_str()>
                    {move || query.get().range.granularities().iter().map(|g| {
                        let g = *g;
                        let label = match g { Granularity::Minute => "Per minute", Granularity::Hour => "Per hour", Granularity::Day => "Per day" };
                        view! { <option value=g.as_str() selected=move || query.get().granularity == g>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="usage-key">"Key"</label>
                <select id="usage-key" name="key" on:change=set_key prop:value=move || query.get().key_id.unwrap_or_default()>
                    <option value="">"All keys"</option>
                    <Suspense fallback=|| ()>
                        {move || keys.get().and_then(Result::ok).map(|ks| ks.into_iter().map(|k| {
                            let id = k.id.clone();
                            let text = format!("{} ({})", k.name, k.environment);
                            view! { <option value=k.id.clone() selected=move || query.get().key_id.as_deref() == Some(id.as_str())>{text}</option> }
                        }).collect_view())}
                    </Suspense>
                </select>
            </div>
            <div class="field">
                <label for="usage-env">"Environment"</label>
                <select id="usage-env" name="env" on:change=set_env prop:value=move || query.get().environment.map(|e| e.as_str()).unwrap_or("")>
                    <option value="">"Live and test"</option>
                    <option value="live" selected=move || query.get().environment == Some(Environment::Live)>"Live only"</option>
                    <option value="test" selected=move || query.get().environment == Some(Environment::Test)>"Test only"</option>
                </select>
            </div>
            <noscript><button type="submit" class="btn btn-primary">"Apply"</button></noscript>
        </form>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading usage…"</p> }>
            {move || report.get().map(|r| match r {
                Ok(r) => {
                    let as_of = r.as_of;
                    view! {
                        <p class="muted small updated" role="status">"Live · updated " <LocalTime at=as_of/></p>
                        <UsageView report=r/>
                    }.into_any()
                }
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}
