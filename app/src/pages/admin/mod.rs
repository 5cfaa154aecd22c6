//! `/admin`: the provider's admin console. Only operator admins see it: for anyone else
//! every page here is the ordinary "Page not found" (404), and so is every server function
//! behind it. Pages are drawn on the server; every change is a plain form.

pub mod activity;
pub mod billing;
pub mod config;
pub mod developers;
pub mod docs;
pub mod keys;
pub mod plans;
pub mod teams;

use crate::api::admin_me;
use crate::components::auth_form::BrandMark;
use crate::components::icons::{Icon, IconKind};
use crate::error::AppError;
use crate::pages::not_found::NotFound;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// The console's navigation: label, path, icon.
pub const ADMIN_NAV: [(&str, &str, IconKind); 10] = [
    ("Developers", "/admin/developers", IconKind::Users),
    ("Teams", "/admin/teams", IconKind::Home),
    ("Keys", "/admin/keys", IconKind::Key),
    ("Approvals", "/admin/approvals", IconKind::List),
    ("Billing", "/admin/billing", IconKind::Card),
    ("Docs", "/admin/docs", IconKind::Book),
    ("Emails", "/admin/outbox", IconKind::Book),
    ("Audit", "/admin/audit", IconKind::List),
    ("Settings", "/admin/settings", IconKind::Gear),
    ("Tokens", "/admin/tokens", IconKind::Key),
];

/// The console's frame, drawn only for an operator admin: anyone else sees the page's own
/// answer (the 404 page, as every console server function refuses them), with no trace of
/// a console.
#[component]
pub fn AdminLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| admin_me());
    view! {
        <div class="portal admin">
            <Suspense fallback=|| ()>
                {move || me.get().and_then(|r| r.ok()).map(|email| view! { <AdminFrame email/> })}
            </Suspense>
            <main class="content" id="main">
                <Outlet/>
            </main>
        </div>
    }
}

/// The header and navigation of the console.
#[component]
fn AdminFrame(email: String) -> impl IntoView {
    view! {
            <header class="topbar">
                <a class="brand" href="/portal">
                    <BrandMark/>
                    <span>{crate::format::app_name()}</span>
                </a>
                <div class="topbar-right">
                    <a class="btn btn-ghost btn-sm" href="/portal">"Back to the portal"</a>
                    <span class="user-email">{email}</span>
                </div>
            </header>
            <nav class="sidenav" aria-label="Admin console">
                <p class="small muted nav-title">"Admin console"</p>
                <ul>
                    {ADMIN_NAV.iter().map(|(label, href, icon)| view! {
                        <li>
                            <A href=*href attr:class="nav-link">
                                <Icon kind=*icon/>
                                <span>{*label}</span>
                            </A>
                        </li>
                    }).collect_view()}
                </ul>
            </nav>
    }
}

/// What a console page draws from its data: a loading line, the page, or — when the data
/// was refused as not found — the 404 page.
pub fn admin_view<T, V>(data: Resource<Result<T, AppError>>, loading: &'static str, draw: impl Fn(T) -> V + Send + Sync + Clone + 'static) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=move || view! { <p class="muted" role="status">{loading}</p> }>
            {
                let draw = draw.clone();
                move || {
                    let draw = draw.clone();
                    data.get().map(move |r| match r {
                        Ok(v) => draw(v).into_any(),
                        Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })
                }
            }
        </Suspense>
    }
}

/// `/admin`: the console opens on its developers.
#[component]
pub fn AdminHome() -> impl IntoView {
    developers::DevelopersPage()
}

/// A line saying what the last form did, from `?done=` (or nothing).
pub fn done_line(messages: &'static [(&'static str, &'static str)]) -> impl IntoView {
    let done = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("done"));
    let text = done.and_then(|d| messages.iter().find(|(k, _)| *k == d).map(|(_, m)| *m));
    text.map(|t| view! { <p class="alert alert-ok" role="status">{t}</p> })
}
