//! A usage report drawn: headline figures, requests by answer, error rates, latency
//! percentiles and the busiest endpoints. Used by the usage page and a key's page.

use crate::format::{day_month, hour_minute, weekday_day};
use crate::components::charts::{compact, trim_number, BarChart, LineChart, Series, TimeAxis};
use keyport_core::dto::{thousands, VerifyCode};
use keyport_core::usage_report::{Granularity, UsagePoint, UsageReport};
use leptos::prelude::*;

/// How often usage views refresh themselves, in milliseconds.
pub const REFRESH_MS: u32 = 5_000;

/// Verification answers as the chart groups them: (label, colour class, codes).
const ANSWER_GROUPS: [(&str, &str, &[VerifyCode]); 5] = [
    ("Valid", "s-valid", &[VerifyCode::Valid]),
    ("Rate limited", "s-ratelimited", &[VerifyCode::RateLimited]),
    ("Quota exceeded", "s-quota", &[VerifyCode::UsageExceeded]),
    ("Missing scope", "s-scopes", &[VerifyCode::InsufficientScopes]),
    (
        "Key not usable",
        "s-unusable",
        &[VerifyCode::Revoked, VerifyCode::Expired, VerifyCode::Disabled, VerifyCode::PendingApproval, VerifyCode::InvalidFormat, VerifyCode::NotFound, VerifyCode::TeamSuspended],
    ),
];

/// The time axis of a report: labels per period and a handful of ticks.
pub fn time_axis(r: &UsageReport) -> TimeAxis {
    let g = r.query.granularity;
    let step = g.secs();
    let span = (r.to - r.from).num_seconds();
    let every = [900, 3600, 3 * 3600, 4 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 5 * 86_400, 7 * 86_400]
        .into_iter()
        .find(|e| e % step == 0 && span / e <= 8)
        .unwrap_or(7 * 86_400);
    let labels = r
        .points
        .iter()
        .map(|p| match g {
            Granularity::Minute => format!("{}, {} UTC", day_month(p.at), hour_minute(p.at)),
            Granularity::Hour => format!("{}, {}–{} UTC", day_month(p.at), hour_minute(p.at), hour_minute(p.at + chrono::Duration::hours(1))),
            Granularity::Day => format!("{} (UTC)", weekday_day(p.at)),
        })
        .collect();
    let ticks = r
        .points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.at.timestamp() % every == 0)
        .map(|(i, p)| (i, if every < 86_400 { hour_minute(p.at) } else { day_month(p.at) }))
        .collect();
    let per = match g {
        Granularity::Minute => "minute",
        Granularity::Hour => "hour",
        Granularity::Day => "day",
    };
    TimeAxis { labels, ticks, caption: format!("Time (UTC), one point per {per}") }
}

fn answer_series(points: &[UsagePoint], totals: &UsagePoint) -> Vec<Series> {
    ANSWER_GROUPS
        .iter()
        .filter(|(_, _, codes)| codes.contains(&VerifyCode::Valid) || codes.iter().any(|c| totals.code(*c) > 0))
        .map(|(label, class, codes)| Series {
            label: (*label).into(),
            class,
            values: points.iter().map(|p| Some(codes.iter().map(|c| p.code(*c)).sum::<i64>() as f64)).collect(),
        })
        .collect()
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 { "—".into() } else { format!("{:.1}%", part as f64 * 100.0 / whole as f64) }
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{} ms", trim_number(v))).unwrap_or_else(|| "—".into())
}

/// A report's figures, charts and endpoints.
#[component]
pub fn UsageView(report: UsageReport) -> impl IntoView {
    if report.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="usage-empty">
                <h2>"No traffic in this range"</h2>
                <p class="muted">
                    "Charts appear as soon as your keys are used: every call to "<code>"POST /v1/keys/verify"</code>
                    " counts, and the requests your API reports through "<code>"POST /v1/usage"</code>
                    " add error rates and latency. Try a longer range, another key, or "<a href="/portal/keys">"create a key"</a>"."
                </p>
            </section>
        }
        .into_any();
    }
    let t = report.totals.clone();
    let axis = time_axis(&report);
    let answers = answer_series(&report.points, &t);
    let served = t.requests > 0;
    let errors = vec![
        Series { label: "4xx".into(), class: "s-4xx", values: report.points.iter().map(|p| p.rate_4xx()).collect() },
        Series { label: "5xx".into(), class: "s-5xx", values: report.points.iter().map(|p| p.rate_5xx()).collect() },
    ];
    let latency = vec![
        Series { label: "p50".into(), class: "s-p50", values: report.points.iter().map(|p| p.p50).collect() },
        Series { label: "p95".into(), class: "s-p95", values: report.points.iter().map(|p| p.p95).collect() },
        Series { label: "p99".into(), class: "s-p99", values: report.points.iter().map(|p| p.p99).collect() },
    ];
    let range = report.query.range.label().to_lowercase();
    let requests_label = format!("Verifications per period over the {range}: {} valid, {} refused", thousands(t.valid()), thousands(t.refused()));
    let no_served = || view! {
        <p class="muted small chart-empty">"No served requests reported in this range. Send them to "<code>"POST /v1/usage"</code>" to see this chart."</p>
    };
    view! {
        <div class="stats" role="group" aria-label="Totals">
            <div class="stat"><span class="stat-label">"Verifications"</span><strong data-testid="total-verifications">{thousands(t.verifications())}</strong></div>
            <div class="stat"><span class="stat-label">"Valid"</span><strong data-testid="total-valid">{thousands(t.valid())}</strong></div>
            <div class="stat"><span class="stat-label">"Refused"</span><strong data-testid="total-refused">{thousands(t.refused())}</strong>
                <span class="stat-note">{percent(t.refused(), t.verifications())}</span></div>
            <div class="stat"><span class="stat-label">"Served requests"</span><strong data-testid="total-requests">{thousands(t.requests)}</strong></div>
            <div class="stat"><span class="stat-label">"Error rate"</span><strong data-testid="error-rate">{percent(t.s4xx + t.s5xx, t.requests)}</strong>
                <span class="stat-note">{format!("{} 4xx · {} 5xx", compact(t.s4xx as f64), compact(t.s5xx as f64))}</span></div>
            <div class="stat"><span class="stat-label">"Latency p95"</span><strong data-testid="latency-p95">{ms(t.p95)}</strong>
                <span class="stat-note">{format!("p50 {} · p99 {}", ms(t.p50), ms(t.p99))}</span></div>
        </div>
        <section class="card section" aria-labelledby="chart-requests">
            <h2 id="chart-requests">"Requests"</h2>
            <p class="muted small">"Verifications by answer, stacked."</p>
            <BarChart label=requests_label series=answers axis=axis.clone()/>
        </section>
        <div class="grid two">
            <section class="card section" aria-labelledby="chart-errors">
                <h2 id="chart-errors">"Error rate"</h2>
                <p class="muted small">"Share of served requests answered 4xx and 5xx."</p>
                {if served {
                    view! { <LineChart label="Error rate per period, percent".to_string() series=errors axis=axis.clone() unit="%" narrow=true/> }.into_any()
                } else {
                    no_served().into_any()
                }}
            </section>
            <section class="card section" aria-labelledby="chart-latency">
                <h2 id="chart-latency">"Latency"</h2>
                <p class="muted small">"Percentiles of the time your API took, per period."</p>
                {if served {
                    view! { <LineChart label="Latency percentiles per period, milliseconds".to_string() series=latency axis=axis unit=" ms" narrow=true/> }.into_any()
                } else {
                    no_served().into_any()
                }}
            </section>
        </div>
        <section class="card section" aria-labelledby="top-endpoints">
            <h2 id="top-endpoints">"Top endpoints"</h2>
            {if report.endpoints.is_empty() {
                view! { <p class="muted small">"No endpoints named in this range. Pass "<code>"endpoint"</code>" with verifications or served requests to see them here."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="keys-table" aria-labelledby="top-endpoints">
                            <thead><tr>
                                <th scope="col">"Endpoint"</th><th scope="col" class="num">"Verifications"</th><th scope="col" class="num">"Requests"</th>
                                <th scope="col" class="num">"Error rate"</th><th scope="col" class="num">"p95"</th>
                            </tr></thead>
                            <tbody>
                                {report.endpoints.iter().map(|e| view! {
                                    <tr>
                                        <td><code>{e.label().to_owned()}</code></td>
                                        <td class="num">{thousands(e.verifications)}</td>
                                        <td class="num">{thousands(e.requests)}</td>
                                        <td class="num">{e.error_rate().map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{ms(e.p95)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
