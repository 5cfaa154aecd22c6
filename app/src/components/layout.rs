//! The signed-in frame: navigation, team, account menu. Redirects to sign-in without a session.

use crate::api::{get_session, Logout};
use crate::components::icons::{Icon, IconKind};
use crate::error::AppError;
use keyport_core::dto::SessionInfo;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// The navigation entries: label, path, icon.
pub const NAV: [(&str, &str, IconKind); 6] = [
    ("Dashboard", "/portal", IconKind::Home),
    ("API Keys", "/portal/keys", IconKind::Key),
    ("Usage", "/portal/usage", IconKind::Chart),
    ("Docs", "/portal/docs", IconKind::Book),
    ("Billing", "/portal/billing", IconKind::Card),
    ("Settings", "/portal/settings", IconKind::Gear),
];

/// Frame for every page under `/portal` that needs a session.
#[component]
pub fn PortalLayout() -> impl IntoView {
    let session = Resource::new(|| (), |_| get_session());
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(info)) => view! { <Frame info/> }.into_any(),
                    Ok(None) | Err(AppError::Unauthenticated) => view! { <Redirect path="/portal/login"/> }.into_any(),
                    Err(e) => view! {
                        <main class="auth-page">
                            <div class="alert alert-error" role="alert">{e.to_string()}</div>
                        </main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(info: SessionInfo) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="portal">
            <header class="topbar">
                <a class="brand" href="/portal">
                    <span class="brand-mark" aria-hidden="true">"K"</span>
                    <span>"Keyport"</span>
                </a>
                <div class="topbar-right">
                    <span class="team-name" title="Active team">{info.team.name.clone()}</span>
                    <span class="user-email">{info.user.email.clone()}</span>
                    <ActionForm action=logout attr:class="inline-form">
                        <button type="submit" class="btn btn-ghost btn-sm">"Sign out"</button>
                    </ActionForm>
                </div>
            </header>
            <nav class="sidenav" aria-label="Portal">
                <ul>
                    {NAV.iter().map(|(label, href, icon)| view! {
                        <li>
                            <A href=*href exact=true attr:class="nav-link">
                                <Icon kind=*icon/>
                                <span>{*label}</span>
                            </A>
                        </li>
                    }).collect_view()}
                </ul>
            </nav>
            <main class="content" id="main">
                <Outlet/>
            </main>
        </div>
    }
}
