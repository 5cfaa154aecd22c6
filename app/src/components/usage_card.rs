//! The live usage card: this month's requests against the quota and the current rate.
//! It refreshes itself every few seconds without reloading the page.

use crate::api::get_usage_summary;
use keyport_core::dto::{thousands, UsageSummary};
use leptos::prelude::*;

/// How often the card refreshes, in milliseconds.
pub const REFRESH_MS: u32 = 3_000;

/// The usage card.
#[component]
pub fn UsageCard() -> impl IntoView {
    let summary = Resource::new(|| (), |_| get_usage_summary());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let timer = gloo_timers::callback::Interval::new(REFRESH_MS, move || summary.refetch());
        let timer = send_wrapper::SendWrapper::new(timer);
        on_cleanup(move || drop(timer));
    });
    view! {
        <section class="card" aria-labelledby="usage-title">
            <h2 id="usage-title" class="card-title">"Usage this month"</h2>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading usage…"</p> }>
                {move || summary.get().map(|r| match r {
                    Ok(s) => view! { <UsageFigures s/> }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UsageFigures(s: UsageSummary) -> impl IntoView {
    let pct = s.percent_used();
    let level = if pct >= 100.0 { "meter-full" } else if pct >= 80.0 { "meter-warn" } else { "meter-ok" };
    view! {
        <p class="big-figure">
            "Requests this month: "
            <strong data-testid="month-requests">{thousands(s.month_requests)}</strong>
            " / " {thousands(s.month_quota)}
        </p>
        <progress class=format!("quota {level}") max=s.month_quota.max(1) value=s.month_requests.min(s.month_quota)
            aria-label="Monthly quota used">
            {format!("{pct:.0}%")}
        </progress>
        <p class="muted">{format!("{pct:.1}% of your monthly quota")}</p>
        <p class="rate">
            "Rate: " <strong data-testid="rate">{thousands(s.rate_per_minute)}</strong>
            " req/min (limit: " {thousands(s.rate_limit)} ")"
        </p>
        <p class="muted small">
            {format!("{} active key{}", s.active_keys, if s.active_keys == 1 { "" } else { "s" })}
            " · Updated " {crate::format::clock(s.as_of)}
        </p>
    }
}
