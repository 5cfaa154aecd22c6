//! `/portal`: the keys card and the live usage card.

use crate::api::list_keys;
use crate::components::icons::{Icon, IconKind};
use crate::components::usage_card::UsageCard;
use crate::islands::LiveRegion;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// How many keys the dashboard card lists.
const KEYS_ON_DASHBOARD: usize = 5;

/// The dashboard.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let keys = Resource::new(|| (), |_| list_keys());
    view! {
        <Title text="Dashboard"/>
        <header class="page-header">
            <h1>"Dashboard"</h1>
            <p class="muted">"Your keys and how much you use them, at a glance."</p>
        </header>
        // The provider's welcome, sanitized on the server.
        {crate::branding::welcome_html().map(|html| view! {
            <section class="card section welcome" aria-label="Welcome" inner_html=html></section>
        })}
        <div class="grid">
            <section class="card" aria-labelledby="keys-title">
                <h2 id="keys-title" class="card-title">"Your API keys"</h2>
                <Suspense fallback=|| view! { <p class="muted" role="status">"Loading keys…"</p> }>
                    {move || keys.get().map(|result| {
                        match result {
                            Ok(list) => {
                                let active: Vec<_> = list.into_iter().filter(|k| k.status.is_usable()).collect();
                                if active.is_empty() {
                                    view! {
                                        <p class="muted">"You have no active keys yet."</p>
                                        <A href="/portal/keys" attr:class="btn btn-primary"><Icon kind=IconKind::Plus/>"Create your first key"</A>
                                    }.into_any()
                                } else {
                                    let more = active.len().saturating_sub(KEYS_ON_DASHBOARD);
                                    view! {
                                        <ul class="key-mini-list">
                                            {active.into_iter().take(KEYS_ON_DASHBOARD).map(|k| view! {
                                                <li>
                                                    <span class="key-name">{k.name}</span>
                                                    <code class="key-masked">{k.masked}</code>
                                                    <span class=format!("badge badge-{}", k.environment)>{k.environment.to_string()}</span>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                        {(more > 0).then(|| view! { <p class="muted small">{format!("and {more} more")}</p> })}
                                        <A href="/portal/keys" attr:class="btn btn-secondary"><Icon kind=IconKind::Key/>"Manage keys"</A>
                                    }.into_any()
                                }
                            }
                            Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <LiveRegion id="usage-live".to_string() every_ms=crate::components::usage_card::REFRESH_MS>
                <UsageCard/>
            </LiveRegion>
        </div>
    }
}
