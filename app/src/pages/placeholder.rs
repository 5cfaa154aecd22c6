//! Sections that are not built yet. They say so plainly and tell what will come.

use crate::components::usage_card::UsageCard;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn NotYet(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <header class="page-header"><h1>{title}</h1></header>
        <section class="card empty-state">
            <h2>"Not available yet"</h2>
            <p class="muted">{what}</p>
        </section>
    }
}

/// `/portal/usage`: today the live summary; charts come with usage analytics.
#[component]
pub fn UsagePage() -> impl IntoView {
    view! {
        <Title text="Usage"/>
        <header class="page-header"><h1>"Usage"</h1></header>
        <div class="grid">
            <UsageCard/>
            <section class="card empty-state">
                <h2>"Charts are on their way"</h2>
                <p class="muted">"Requests over time, error rates, latency percentiles and top endpoints will appear here. Until then, the summary on the left updates live."</p>
            </section>
        </div>
    }
}

/// `/portal/docs`.
#[component]
pub fn DocsPage() -> impl IntoView {
    view! { <NotYet title="Docs" what="The API reference, authentication guide and copy-paste examples will live here. Your API keys already work: send them as described by your API provider."/> }
}

/// `/portal/billing`.
#[component]
pub fn BillingPage() -> impl IntoView {
    view! { <NotYet title="Billing" what="Plans, upgrades and invoices are not available yet. Your current quota is shown on the dashboard."/> }
}

/// `/portal/settings`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! { <NotYet title="Settings" what="Account and team settings (password change, team members and roles) are coming soon."/> }
}
