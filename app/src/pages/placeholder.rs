//! Sections that are not built yet. They say so plainly and tell what will come.

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

/// `/portal/billing`.
#[component]
pub fn BillingPage() -> impl IntoView {
    view! { <NotYet title="Billing" what="Plans, upgrades and invoices are not available yet. Your current quota is shown on the dashboard."/> }
}
