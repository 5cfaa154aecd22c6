//! The signed-in frame: navigation, team, account menu. Redirects to sign-in without a session.

use crate::api::{get_session, CreateTeam, Logout, ResendVerification, SwitchTeam};
use crate::components::auth_form::{BrandMark, SupportLine};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::islands::{OpenDialog, SubmitOnChange};
use crate::components::forms::{field_error, form_error, last_error, FormAlert, TextField};
use crate::components::icons::{Icon, IconKind};
use crate::error::AppError;
use keyport_core::dto::SessionInfo;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// The navigation entries: label, path, icon.
pub const NAV: [(&str, &str, IconKind); 9] = [
    ("Dashboard", "/portal", IconKind::Home),
    ("API Keys", "/portal/keys", IconKind::Key),
    ("Team", "/portal/team", IconKind::Users),
    ("Audit", "/portal/audit", IconKind::List),
    ("Usage", "/portal/usage", IconKind::Chart),
    ("Docs", "/portal/docs", IconKind::Book),
    ("Catalogue", "/portal/catalogue", IconKind::List),
    ("Billing", "/portal/billing", IconKind::Card),
    ("Settings", "/portal/settings", IconKind::Gear),
];

/// Frame for every page under `/portal` that needs a session, rendered on the server only:
/// navigation is plain links and sign-out a plain form. A visitor without a session is sent
/// to sign in (a 302). Only the team switcher runs in the browser.
#[component]
pub fn PortalLayout() -> impl IntoView {
    let session = Resource::new(|| (), |_| get_session());
    view! {
        <div class="portal">
            <header class="topbar">
                <a class="brand" href="/portal">
                    <BrandMark/>
                    <span>{crate::format::app_name()}</span>
                </a>
                <div class="topbar-right">
                    <Suspense fallback=|| view! { <span class="muted small" role="status">"Loading account…"</span> }>
                        {move || session.get().map(|result| match result {
                            Ok(Some(info)) => view! { <AccountMenu info/> }.into_any(),
                            Ok(None) | Err(AppError::Unauthenticated) => view! { <Redirect path="/portal/login"/> }.into_any(),
                            Err(e) => view! { <span class="alert alert-error" role="alert">{e.to_string()}</span> }.into_any(),
                        })}
                    </Suspense>
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
                <Suspense fallback=|| ()>
                    {move || session.get().and_then(|r| r.ok().flatten()).map(|info| view! { <VerificationNotice unverified=info.unverified/> })}
                </Suspense>
                <Suspense>
                    {move || session.get().and_then(|r| r.ok().flatten()).filter(|i| i.second_factor_required).map(|_| view! { <SecondFactorNotice/> })}
                </Suspense>
                <Outlet/>
                <SupportLine/>
            </main>
        </div>
    }
}

/// Until the account confirms its address (when the provider asks for it): what that holds
/// back and a button for a new link; after the link or a resend, what happened.
#[component]
fn VerificationNotice(unverified: bool) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let verified = query.read_untracked().get("verified").is_some();
    let sent = query.read_untracked().get("verification").is_some_and(|v| v == "sent");
    let resend = ServerAction::<ResendVerification>::new();
    let error = last_error(resend);
    let alert = Signal::derive(move || error.get().map(|e| e.to_string()));
    if verified && !unverified {
        return view! { <p class="alert alert-ok" role="status">"Your email address is confirmed: you can create live keys now."</p> }.into_any();
    }
    if !unverified {
        return ().into_any();
    }
    view! {
        <section class="alert alert-info verify-notice" role="region" aria-label="Confirm your email address">
            <p>
                {if sent {
                    "We sent you a new link. Open it to confirm your email address; live keys wait until then."
                } else {
                    "Confirm your email address to create live keys: open the link we emailed you. Test keys work meanwhile."
                }}
            </p>
            <FormAlert message=alert/>
            <ActionForm action=resend attr:class="inline-form">
                <button type="submit" class="btn btn-secondary btn-sm">"Send a new link"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// Shown on every page of a team that requires a second factor the person has not set up:
/// its pages refuse until then; settings, sign-out and the team switcher keep working.
#[component]
pub fn SecondFactorNotice() -> impl IntoView {
    view! {
        <div class="alert alert-warn mfa-required" role="alert">
            <strong>"This team requires two-factor authentication."</strong>
            " Its keys, usage and members stay hidden until you "
            <a href="/portal/settings#mfa-title">"set up two-factor authentication"</a>
            ". You can also switch to another team."
        </div>
    }
}

/// The team switcher (a plain form, submitted on change), the new-team dialog and who is
/// signed in. Only the two small islands run in the browser.
#[component]
fn AccountMenu(info: SessionInfo) -> impl IntoView {
    let switch = ServerAction::<SwitchTeam>::new();
    let active = info.team.id.clone();
    view! {
        <ActionForm action=switch attr:class="inline-form team-switch">
            <label class="visually-hidden" for="team-switcher">"Active team"</label>
            <SubmitOnChange>
                <select id="team-switcher" name="team_id" class="team-switcher">
                    {info.teams.into_iter().map(|m| {
                        let selected = m.team.id == active;
                        let label = if m.personal { format!("{} (personal)", m.team.name) } else { m.team.name.clone() };
                        view! { <option value=m.team.id selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
            </SubmitOnChange>
            <noscript><button type="submit" class="btn btn-ghost btn-sm">"Switch"</button></noscript>
        </ActionForm>
        <OpenDialog dialog="new-team-dialog".to_string() label="New team".to_string()/>
        {info.site_admin.then(|| view! { <a class="btn btn-ghost btn-sm" href="/admin">"Admin console"</a> })}
        <span class="user-email">{info.user.email}</span>
        <CreateTeamDialog/>
        // In the provider's frame, an account the provider manages signs out on the provider's site.
        {(!(info.managed && info.embedded)).then(|| {
            let logout = ServerAction::<Logout>::new();
            view! {
                <ActionForm action=logout attr:class="inline-form">
                    <button type="submit" class="btn btn-ghost btn-sm">"Sign out"</button>
                </ActionForm>
            }
        })}
    }
}

/// The new-team form in a native `<dialog>`. A refused name comes back from the server with
/// the dialog open and the error beside the field.
#[component]
fn CreateTeamDialog() -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    let error = last_error(create);
    let name_err = field_error(error, "name");
    let description_err = field_error(error, "description");
    let open = error.get_untracked().is_some();
    view! {
        <NativeDialog id="new-team-dialog".to_owned() title="Create a team".to_owned() open>
            <p class="muted small">"Teams share keys and usage. You will be its owner and can invite others later."</p>
            <FormAlert message=form_error(error, &["name", "description"])/>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <TextField id="team-name" name="name" label="Team name" maxlength=64 error=name_err/>
                <TextField id="team-description" name="description" label="Description (optional)" maxlength=280
                    required=false error=description_err/>
                {confirm_buttons("Create team", "btn btn-primary")}
            </ActionForm>
        </NativeDialog>
    }
}
