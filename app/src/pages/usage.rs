//! `/portal/usage`: the team's usage over a range, by answer, error rate, latency and
//! endpoint, filtered by key and environment, refreshed live, exported as CSV. The choices
//! live in the URL, so a view can be bookmarked and shared.

use crate::api::{get_billing, get_usage_report, list_keys};
use crate::components::upgrade::UpgradePrompt;
use keyport_core::dto::billing::Feature;
use crate::components::local_time::LocalTime;
use crate::components::usage_view::UsageView;
use keyport_core::key::Environment;
use keyport_core::usage_report::{Granularity, UsageQuery, UsageRange};
use leptos::prelude::*;
use leptos_meta::Title;
use crate::islands::{LiveRegion, SubmitOnChange};
use leptos_router::hooks::use_query_map;

/// The usage page: the filters are a plain GET form (sent as soon as a choice changes), the
/// charts are drawn on the server and kept live by a `LiveRegion`.
#[component]
pub fn UsagePage() -> impl IntoView {
    let query = use_query_map().with_untracked(|p| {
        UsageQuery::from_params(p.get_str("range"), p.get_str("granularity"), p.get_str("key"), p.get_str("env"))
    });
    // The form sends every field, empty ones too, and keeps a granularity the new range does
    // not offer: the address bar gets the view's own address (bookmarkable, and what the
    // live refresh loads).
    #[cfg(feature = "ssr")]
    {
        let raw = use_context::<http::request::Parts>().and_then(|p| p.uri.query().map(str::to_owned)).unwrap_or_default();
        if !raw.is_empty() && raw != query.to_params() {
            crate::api::ssr::redirect(&format!("/portal/usage?{}", query.to_params()));
        }
    }
    let keys = Resource::new(|| (), |_| list_keys());
    let billing = Resource::new(|| (), |_| get_billing());
    let report = Resource::new(
        {
            let q = query.clone();
            move || q.clone()
        },
        |q| {
            get_usage_report(
                q.range.as_str().into(),
                q.granularity.as_str().into(),
                q.key_id.unwrap_or_default(),
                q.environment.map(|e| e.as_str().to_owned()).unwrap_or_default(),
            )
        },
    );
    let q = query.clone();
    let key_choice = StoredValue::new(query.key_id.clone());
    view! {
        <Title text="Usage"/>
        <header class="page-header">
            <h1>"Usage"</h1>
            <Suspense fallback=|| ()>
                {
                    let csv = format!("/portal/usage.csv?{}", query.to_params());
                    move || billing.get().map(|b| match b.ok().filter(|b| !b.plan.has(Feature::UsageExport)) {
                        Some(b) => view! { <UpgradePrompt what="usage export" plan=b.plan.name/> }.into_any(),
                        None => view! { <a class="btn btn-secondary" href=csv.clone() download="keyport-usage.csv">"Export CSV"</a> }.into_any(),
                    })
                }
            </Suspense>
        </header>
        <form class="filters" method="get" action="/portal/usage" aria-label="Usage filters">
            <SubmitOnChange>
                <div class="field">
                    <label for="usage-range">"Range"</label>
                    <select id="usage-range" name="range">
                        {UsageRange::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=q.range == r>{r.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="usage-granularity">"Granularity"</label>
                    <select id="usage-granularity" name="granularity">
                        {q.range.granularities().iter().map(|g| {
                            let g = *g;
                            let label = match g { Granularity::Minute => "Per minute", Granularity::Hour => "Per hour", Granularity::Day => "Per day" };
                            view! { <option value=g.as_str() selected=q.granularity == g>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="usage-key">"Key"</label>
                    <select id="usage-key" name="key">
                        <option value="">"All keys"</option>
                        <Suspense fallback=|| ()>
                            {move || keys.get().and_then(Result::ok).map(|ks| ks.into_iter().map(|k| {
                                let selected = key_choice.with_value(|c| c.as_deref() == Some(k.id.as_str()));
                                let text = format!("{} ({})", k.name, k.environment);
                                view! { <option value=k.id.clone() selected=selected>{text}</option> }
                            }).collect_view())}
                        </Suspense>
                    </select>
                </div>
                <div class="field">
                    <label for="usage-env">"Environment"</label>
                    <select id="usage-env" name="env">
                        <option value="">"Live and test"</option>
                        <option value="live" selected=q.environment == Some(Environment::Live)>"Live only"</option>
                        <option value="test" selected=q.environment == Some(Environment::Test)>"Test only"</option>
                    </select>
                </div>
            </SubmitOnChange>
            <noscript><button type="submit" class="btn btn-primary">"Apply"</button></noscript>
        </form>
        <LiveRegion id="usage-live".to_string() every_ms=crate::components::usage_view::REFRESH_MS>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading usage…"</p> }>
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
            </Suspense>
        </LiveRegion>
    }
}
