//! `/portal/billing`: the team's plan (price, what it includes, what happens past it), how
//! much of it this period has used, and the other plans side by side. Every member sees it.

use crate::api::get_billing;
use keyport_core::dto::billing::{feature_label, format_money, BillingView, PlanView};
use keyport_core::dto::thousands;
use leptos::prelude::*;
use leptos_meta::Title;

/// The billing page.
#[component]
pub fn BillingPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_billing());
    view! {
        <Title text="Billing"/>
        <header class="page-header">
            <h1>"Billing"</h1>
            <p class="muted">"Your team's plan, what it includes and how much of it this month has used."</p>
        </header>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading your plan…"</p> }>
            {move || data.get().map(|r| match r {
                Ok(b) => view! { <Billing b/> }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// "1,000 requests" or "Unlimited"-style limits, as people read them.
fn limit(v: Option<i64>, unit: &str, otherwise: &str) -> String {
    v.map(|n| format!("{} {unit}", thousands(n))).unwrap_or_else(|| otherwise.to_owned())
}

#[component]
fn Billing(b: BillingView) -> impl IntoView {
    let p = b.plan.clone();
    let percent = if p.included_requests > 0 { (b.used_requests as f64 * 100.0 / p.included_requests as f64).min(999.0) } else { 0.0 };
    let level = if percent >= 100.0 { "meter-full" } else if percent >= 80.0 { "meter-warn" } else { "" };
    let overage = b.overage_so_far();
    let over = (b.used_requests - p.included_requests).max(0);
    let period = format!("{} – {}", b.period_start.format("%d %b %Y"), (b.period_end - chrono::Duration::seconds(1)).format("%d %b %Y"));
    view! {
        <div class="grid">
            <section class="card" aria-label="Current plan">
                <p class="muted small">"Current plan"</p>
                <h2 class="card-title">{p.name.clone()}</h2>
                <p class="price">{p.price_label()}</p>
                {p.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
                {b.trial_ends_at.map(|t| view! { <p class="badge badge-live">{format!("Trial until {}", t.format("%d %b %Y"))}</p> })}
                <PlanTerms p=p.clone()/>
            </section>
            <section class="card" aria-labelledby="period-title">
                <h2 id="period-title" class="card-title">"This period"</h2>
                <p class="muted small">{period}</p>
                <p>
                    <strong>{thousands(b.used_requests)}</strong>
                    {format!(" of {} included requests ({:.0} %)", thousands(p.included_requests), percent.floor())}
                </p>
                <progress class=format!("quota {level}") max=p.included_requests.max(1) value=b.used_requests.min(p.included_requests.max(1))
                    aria-label="Included requests used">
                    {format!("{:.0} %", percent.floor())}
                </progress>
                {match p.overage_per_1000_minor {
                    None if over > 0 || b.used_requests >= p.included_requests => view! {
                        <p class="alert alert-error" role="status">"The included requests are used up: your keys are refused with USAGE_EXCEEDED until the month ends. A plan with more requests lifts this at once."</p>
                    }.into_any(),
                    None => view! { <p class="muted small">"Requests past the included ones are refused until the month ends."</p> }.into_any(),
                    Some(_) => view! {
                        <p>{format!("{} requests past the included ones so far: {}", thousands(over), format_money(overage, &p.currency))}</p>
                    }.into_any(),
                }}
                <p>{format!("Keys: {} of {}", b.keys, limit(p.max_keys, "", "the portal's limit").trim())}</p>
            </section>
        </div>
        <section class="section" aria-labelledby="plans-title">
            <h2 id="plans-title">"Plans"</h2>
            {if b.choices.is_empty() {
                view! { <p class="muted">"No other plans are offered."</p> }.into_any()
            } else {
                view! {
                    <ul class="plan-list">
                        {b.choices.into_iter().map(|c| view! { <PlanCard c current=p.clone()/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// What a plan includes, as a definition list.
#[component]
fn PlanTerms(p: PlanView) -> impl IntoView {
    let features = p.features.clone();
    view! {
        <dl class="details">
            <dt>"Included requests"</dt><dd>{format!("{} / month", thousands(p.included_requests))}</dd>
            <dt>"Past the included"</dt><dd>{p.overage_label()}</dd>
            <dt>"Rate limit"</dt><dd>{limit(p.ratelimit_cap, "requests / minute per key at most", "The portal's own limit")}</dd>
            <dt>"Keys"</dt><dd>{limit(p.max_keys, "working keys at most", "The portal's own limit")}</dd>
            <dt>"Features"</dt>
            <dd>
                {if features.is_empty() {
                    view! { <span class="muted">"None"</span> }.into_any()
                } else {
                    view! { <ul class="feature-list">{features.iter().map(|f| view! { <li>{feature_label(f)}</li> }).collect_view()}</ul> }.into_any()
                }}
            </dd>
        </dl>
    }
}

/// One plan offered beside the current one, with the difference in price stated.
#[component]
fn PlanCard(c: PlanView, current: PlanView) -> impl IntoView {
    let id = format!("plan-{}", c.id);
    let difference = (c.currency == current.currency).then(|| c.price_minor - current.price_minor);
    let compared = match difference {
        Some(d) if d > 0 => format!("{} more a month than {}", format_money(d, &c.currency), current.name),
        Some(d) if d < 0 => format!("{} less a month than {}", format_money(-d, &c.currency), current.name),
        Some(_) => format!("The same price as {}", current.name),
        None => format!("Priced in {}", c.currency),
    };
    view! {
        <li class="card plan-card" aria-labelledby=id.clone()>
            <h3 id=id.clone()>{c.name.clone()}</h3>
            <p class="price">{c.price_label()}</p>
            <p class="muted small">{compared}</p>
            {c.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            {(c.trial_days > 0).then(|| view! { <p class="badge badge-live">{format!("{} days free", c.trial_days)}</p> })}
            <PlanTerms p=c/>
        </li>
    }
}
