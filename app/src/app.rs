//! The HTML shell and the router: every URL of the portal is declared here.

use crate::pages::{
    audit::AuditPage,
    dashboard::DashboardPage, invite::InvitePage, key_detail::KeyDetailPage, keys::KeysPage, outbox::OutboxPage, login::LoginPage, login_verify::LoginVerifyPage, not_found::NotFound,
    docs::DocsPage, email_change::EmailChangePage, billing::BillingPage, catalogue::CataloguePage, invoice::InvoicePage, register::RegisterPage, reset::{ForgotPage, ResetPage}, settings::SettingsPage, team::TeamPage, usage::UsagePage, verify_email::VerifyEmailPage,
};
use crate::components::layout::PortalLayout;
use crate::pages::admin::{
    activity::{AdminAuditPage, AdminOutboxPage}, config::{AdminSettingsPage, AdminTokensPage}, developers::{DeveloperPage, DevelopersPage}, docs::AdminDocsPage,
    billing::AdminBillingPage, plans::{PlanEditPage, ProductEditPage}, keys::{AdminKeysPage, ApprovalsPage}, teams::{TeamPage as AdminTeamPage, TeamsPage}, AdminHome, AdminLayout,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="stylesheet" id="keyport" href=crate::assets::stylesheet_href(&options)/>
                {crate::branding::stylesheet_href().map(|href| view! { <link rel="stylesheet" href=href/> })}
                {crate::branding::embed_origins().map(|origins| view! {
                    <meta name="keyport-embed-origins" content=origins/>
                    <script src="/embed-frame.js" defer=true></script>
                })}
                {islands_script(options)}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Pages without islands (their forms are plain HTML): they load no WASM at all. The
/// invitation and password-reset pages are these followed by their token.
const WITHOUT_ISLANDS: [&str; 4] = ["/portal/login", "/portal/login/verify", "/portal/register", "/portal/forgot"];
const WITHOUT_ISLANDS_UNDER: [&str; 4] = ["/portal/invite/", "/portal/reset/", "/portal/verify-email/", "/portal/email-change/"];

/// The script that loads the WASM and hydrates the page's islands; on a page without
/// islands, only the flag that tells browser tests the page is live.
fn islands_script(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let path = use_context::<http::request::Parts>().map(|p| p.uri.path().to_owned()).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let path = String::new();
    if WITHOUT_ISLANDS.contains(&path.as_str()) || WITHOUT_ISLANDS_UNDER.iter().any(|p| path.starts_with(p)) {
        view! { <script nonce=use_nonce()>"window.__keyport_hydrated = true;"</script> }.into_any()
    } else {
        view! { <HydrationScripts options islands=true/> }.into_any()
    }
}

/// The portal.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let name = crate::format::app_name();
    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        // The name is read here, where the request's context is: leptos_meta may run the
        // formatter later, outside it.
        <Title formatter=move |t: String| crate::format::page_title(&t, &name)/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/portal"/> }/>
                <Route path=path!("/portal/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/login/verify") view=LoginVerifyPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/register") view=RegisterPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/invite/:token") view=InvitePage ssr=SsrMode::Async/>
                <Route path=path!("/portal/forgot") view=ForgotPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/reset/:token") view=ResetPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/verify-email/:token") view=VerifyEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/email-change/:token") view=EmailChangePage ssr=SsrMode::Async/>
                <ParentRoute path=path!("/portal") view=PortalLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=DashboardPage/>
                    <Route path=path!("keys") view=KeysPage/>
                    <Route path=path!("keys/:id") view=KeyDetailPage/>
                    <Route path=path!("team") view=TeamPage/>
                    <Route path=path!("audit") view=AuditPage/>
                    <Route path=path!("outbox") view=OutboxPage/>
                    <Route path=path!("usage") view=UsagePage/>
                    <Route path=path!("docs") view=DocsPage/>
                    <Route path=path!("catalogue") view=CataloguePage/>
                    <Route path=path!("billing") view=BillingPage/>
                    <Route path=path!("billing/invoices/:id") view=InvoicePage/>
                    <Route path=path!("settings") view=SettingsPage/>
                </ParentRoute>
                <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=AdminHome/>
                    <Route path=path!("developers") view=DevelopersPage/>
                    <Route path=path!("developers/:id") view=DeveloperPage/>
                    <Route path=path!("teams") view=TeamsPage/>
                    <Route path=path!("teams/:id") view=AdminTeamPage/>
                    <Route path=path!("keys") view=AdminKeysPage/>
                    <Route path=path!("approvals") view=ApprovalsPage/>
                    <Route path=path!("billing") view=AdminBillingPage/>
                    <Route path=path!("billing/plans/:id") view=PlanEditPage/>
                    <Route path=path!("billing/products/:id") view=ProductEditPage/>
                    <Route path=path!("outbox") view=AdminOutboxPage/>
                    <Route path=path!("audit") view=AdminAuditPage/>
                    <Route path=path!("settings") view=AdminSettingsPage/>
                    <Route path=path!("docs") view=AdminDocsPage/>
                    <Route path=path!("tokens") view=AdminTokensPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
