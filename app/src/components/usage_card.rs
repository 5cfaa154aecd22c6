//! The dashboard's live usage cards: a quota banner at 80 % and 100 %, this month's requests
//! against the quota with a forecast, the current rate against the limit, and the last half
//! hour. They refresh themselves every few seconds without reloading the page.

use crate::api::get_usage_summary;
use crate::format::date as day;
use keyport_core::dto::{thousands, UsageSummary};
use leptos::prelude::*;

/// How often the cards refresh, in milliseconds.
pub const REFRESH_MS: u32 = 3_000;

/// The usage cards, laid out as items of the surrounding grid, drawn on the server and kept
/// live by a `LiveRegion` around them.
#[component]
pub fn UsageCard() -> impl IntoView {
    let summary = Resource::new(|| (), |_| get_usage_summary());
    view! {
        <Suspense fallback=|| view! { <section class="card"><p class="muted" role="status">"Loading usage…"</p></section> }>
            {move || summary.get().map(|r| match r {
                Ok(s) => view! { <QuotaBanner s=s.clone()/> <MonthCard s=s.clone()/> <RateCard s/> }.into_any(),
                Err(e) => view! { <section class="card"><p class="alert alert-error" role="alert">{e.to_string()}</p></section> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn QuotaBanner(s: UsageSummary) -> impl IntoView {
    let resets = day(s.resets_at);
    s.alert_level().map(|level| {
        let (class, text) = if level >= 100 {
            ("alert alert-error banner", format!(
                "Your team has used its monthly quota: {} of {} requests. The count starts again on {resets}.",
                thousands(s.month_requests), thousands(s.month_quota)
            ))
        } else {
            ("alert alert-warn banner", format!(
                "Your team has used {:.0}% of its monthly quota ({} of {} requests). The count starts again on {resets}.",
                s.percent_used().floor(), thousands(s.month_requests), thousands(s.month_quota)
            ))
        };
        view! { <div class=class role="alert" data-testid="quota-banner">{text}" "<a href="/portal/usage?range=month">"See usage"</a></div> }
    })
}

/// "42.5% of your monthly quota", or past it, how far past ("118% of your monthly quota:
/// 1,795 over"): the bar stops at full, the text does not.
fn share_text(s: &UsageSummary) -> String {
    let over = s.month_requests - s.month_quota;
    if s.month_quota > 0 && over > 0 {
        let share = s.month_requests as f64 * 100.0 / s.month_quota as f64;
        format!("{share:.0}% of your monthly quota: {} over", thousands(over))
    } else {
        format!("{:.1}% of your monthly quota", s.percent_used())
    }
}

#[component]
fn MonthCard(s: UsageSummary) -> impl IntoView {
    let pct = s.percent_used();
    let level = match s.alert_level() {
        Some(100) => "meter-full",
        Some(_) => "meter-warn",
        None => "meter-ok",
    };
    let forecast = match (s.alert_level(), s.forecast) {
        (Some(100), _) => format!("Quota reached. It resets on {}.", day(s.resets_at)),
        (_, Some(t)) => format!("At this rate you reach your quota on {}.", day(t)),
        _ if s.month_requests == 0 => "No requests yet this month.".to_owned(),
        _ => format!("At this rate you use about {} this month, within your quota.", thousands(s.projected)),
    };
    view! {
        <section class="card" aria-labelledby="usage-title">
            <h2 id="usage-title" class="card-title">"Usage this month"</h2>
            <p class="big-figure">
                "Requests this month: "
                <strong data-testid="month-requests">{thousands(s.month_requests)}</strong>
                " / " {thousands(s.month_quota)}
            </p>
            <progress class=format!("quota {level}") max=s.month_quota.max(1) value=s.month_requests.min(s.month_quota)
                aria-label="Monthly quota used">
                {format!("{pct:.0}%")}
            </progress>
            <p class="muted">{share_text(&s)}</p>
            <p class="small" data-testid="forecast">{forecast}</p>
            <p class="muted small">
                {format!("{} active key{}", s.active_keys, if s.active_keys == 1 { "" } else { "s" })}
                " · Updated " {crate::format::clock(s.as_of)}
            </p>
        </section>
    }
}

#[component]
fn RateCard(s: UsageSummary) -> impl IntoView {
    let (w, h) = (300.0_f64, 48.0_f64);
    let peak = s.recent_valid.iter().zip(&s.recent_refused).map(|(v, r)| v + r).max().unwrap_or(0).max(1) as f64;
    let n = s.recent_valid.len().max(1);
    let bar = w / n as f64;
    let bars = s.recent_valid.iter().zip(&s.recent_refused).enumerate().map(|(i, (v, r))| {
        let x = i as f64 * bar;
        let (hv, hr) = (*v as f64 / peak * (h - 2.0), *r as f64 / peak * (h - 2.0));
        let tip = format!("{} min ago: {} valid, {} refused", n - 1 - i, thousands(*v), thousands(*r));
        view! {
            <g class="period">
                <title>{tip}</title>
                <rect x=format!("{x:.1}") y="0" width=format!("{bar:.1}") height=h class="hover-col"/>
                <rect x=format!("{:.1}", x + 0.5) y=format!("{:.1}", h - hv) width=format!("{:.1}", bar - 1.0) height=format!("{hv:.1}") class="s-valid"/>
                <rect x=format!("{:.1}", x + 0.5) y=format!("{:.1}", h - hv - hr) width=format!("{:.1}", bar - 1.0) height=format!("{hr:.1}") class="s-quota"/>
            </g>
        }
    }).collect_view();
    let total: i64 = s.recent_valid.iter().chain(&s.recent_refused).sum();
    let refused: i64 = s.recent_refused.iter().sum();
    let label = if total == 0 {
        "No verifications in the last 30 minutes".to_string()
    } else {
        format!("Last 30 minutes: {} verifications, {} refused", thousands(total), thousands(refused))
    };
    view! {
        <section class="card" aria-labelledby="rate-title">
            <h2 id="rate-title" class="card-title">"Right now"</h2>
            <p class="rate big-figure">
                <strong data-testid="rate">{thousands(s.rate_per_minute)}</strong>
                " req/min (limit: " {thousands(s.rate_limit)} " per key)"
            </p>
            <figure class="chart spark">
                <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=label.clone() preserveAspectRatio="none">
                    {bars}
                    <line x1="0" y1=format!("{:.1}", h - 0.5) x2=w y2=format!("{:.1}", h - 0.5) class="baseline"/>
                </svg>
                <figcaption class="small muted">{label}</figcaption>
            </figure>
            <a href="/portal/usage" class="btn btn-secondary">"See all usage"</a>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(month_requests: i64, month_quota: i64) -> UsageSummary {
        let t = chrono::Utc::now();
        UsageSummary {
            month_requests,
            month_quota,
            rate_per_minute: 0,
            rate_limit: 60,
            active_keys: 1,
            as_of: t,
            forecast: None,
            projected: 0,
            resets_at: t,
            recent_valid: vec![],
            recent_refused: vec![],
        }
    }

    #[test]
    fn the_share_says_how_far_past_the_quota_a_team_is() {
        assert_eq!(share_text(&summary(4_250, 10_000)), "42.5% of your monthly quota");
        assert_eq!(share_text(&summary(10_000, 10_000)), "100.0% of your monthly quota");
        assert_eq!(share_text(&summary(11_795, 10_000)), "118% of your monthly quota: 1,795 over");
        assert_eq!(share_text(&summary(5, 0)), "0.0% of your monthly quota");
    }
}
