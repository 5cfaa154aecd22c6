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

/// Frame for every page under `/portal` that needs a session. The frame and the page render
/// at once; only the account details wait for the session, and a visitor without one is sent
/// to sign in (a 302 during server rendering).
#[component]
pub fn PortalLayout() -> impl IntoView {
    let session = Resource::new(|| (), |_| get_session());
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="portal">
            <header class="topbar">
                <a class="brand" href="/portal">
                    <span class="brand-mark" aria-hidden="true">"K"</span>
                    <span>"Keyport"</span>
                </a>
                <div class="topbar-right">
                    <Suspense fallback=|| view! { <span class="muted small" role="status">"Loading account…"</span> }>
                        {move || session.get().map(|result| match result {
                            Ok(Some(info)) => view! { <Account info/> }.into_any(),
                            Ok(None) | Err(AppError::Unauthenticated) => view! { <Redirect path="/portal/login"/> }.into_any(),
                            Err(e) => view! { <span class="alert alert-error" role="alert">{e.to_string()}</span> }.into_any(),
                        })}
                    </Suspense>
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

#[component]
fn Account(info: SessionInfo) -> impl IntoView {
    view! {
        <span class="team-name" title="Active team">{info.team.name}</span>
        <span class="user-email">{info.user.email}</span>
    }
}
