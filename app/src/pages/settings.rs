//! `/portal/settings`: the signed-in person's account — change the password, see the devices
//! that are signed in and sign out the ones they do not recognise.

use crate::api::{get_account, ChangePassword, EndOtherSessions, EndSession};
use crate::components::auth_form::new_password_hint;
use crate::components::dialog::ConfirmDialog;
use crate::components::forms::{error_message, field_error, form_error, last_error, refresh_on_success, FormAlert, TextField};
use crate::components::local_time::LocalTime;
use keyport_core::dto::{AccountView, SessionView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings"/>
        <header class="page-header">
            <h1>"Settings"</h1>
            <p class="muted">"Your own account: how you sign in and where you are signed in. Team name and members are on the " <A href="/portal/team">"Team"</A> " page."</p>
        </header>
        <SettingsView/>
    }
}

/// The account, password and devices cards, reloaded after each change.
#[island(lazy)]
fn SettingsView() -> impl IntoView {
    crate::islands::ready();
    let change = ServerAction::<ChangePassword>::new();
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let refresh = RwSignal::new(0u32);
    refresh_on_success(change, refresh);
    refresh_on_success(end_one, refresh);
    refresh_on_success(end_others, refresh);
    let account = Resource::new(move || refresh.get(), |_| get_account());
    view! {
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading your account…"</p> }>
            {move || account.get().map(|r| match r {
                Ok(a) => view! {
                    <AccountCard account=a.clone()/>
                    <PasswordCard change/>
                    <DevicesCard sessions=a.sessions end_one end_others/>
                }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn AccountCard(account: AccountView) -> impl IntoView {
    view! {
        <section class="card section" aria-labelledby="account-title">
            <h2 id="account-title">"Account"</h2>
            <dl class="details">
                <dt>"Email"</dt><dd>{account.email}</dd>
                <dt>"Member since"</dt><dd><LocalTime at=account.created_at/></dd>
            </dl>
        </section>
    }
}

#[component]
fn PasswordCard(change: ServerAction<ChangePassword>) -> impl IntoView {
    let error = last_error(change);
    let pending = change.pending();
    let form = NodeRef::<leptos::html::Form>::new();
    // After a change the fields are emptied, so the new password does not linger on screen.
    Effect::new(move |_| {
        if let (Some(Ok(())), Some(f)) = (change.value().get(), form.get()) {
            f.reset();
        }
    });
    let done = Signal::derive(move || match change.value().get() {
        Some(Ok(())) => "Password changed. Every other device was signed out, and you got an email about it.".to_owned(),
        _ => String::new(),
    });
    view! {
        <section class="card section" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <p class="muted small">"Changing it signs out every other device, so a session you forgot about (or someone else's) ends too."</p>
            <FormAlert message=form_error(error, &["current_password", "new_password", "confirm_password"])/>
            <ActionForm action=change node_ref=form attr:class="form form-narrow" attr:novalidate=true>
                <TextField id="current-password" name="current_password" label="Current password" kind="password"
                    autocomplete="current-password" error=field_error(error, "current_password")/>
                <TextField id="new-password" name="new_password" label="New password" kind="password"
                    autocomplete="new-password" error=field_error(error, "new_password") hint=Some(new_password_hint())/>
                <TextField id="confirm-password" name="confirm_password" label="Repeat the new password" kind="password"
                    autocomplete="new-password" error=field_error(error, "confirm_password")/>
                <div>
                    <button type="submit" class="btn btn-primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Changing password…" } else { "Change password" }}
                    </button>
                </div>
            </ActionForm>
            <p class="alert alert-ok" role="status" hidden=move || done.get().is_empty()>{done}</p>
        </section>
    }
}

#[component]
fn DevicesCard(sessions: Vec<SessionView>, end_one: ServerAction<EndSession>, end_others: ServerAction<EndOtherSessions>) -> impl IntoView {
    let to_end: RwSignal<Option<SessionView>> = RwSignal::new(None);
    let asking_all = RwSignal::new(false);
    // The dialogs close once their action went through.
    Effect::new(move |_| {
        if let Some(Ok(())) = end_one.value().get() {
            to_end.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = end_others.value().get() {
            asking_all.set(false);
        }
    });
    let status = Signal::derive(move || match (end_others.value().get(), end_one.value().get()) {
        (Some(Ok(0)), _) => "No other device was signed in.".to_owned(),
        (Some(Ok(n)), _) => format!("Signed out {n} other device{}.", if n == 1 { "" } else { "s" }),
        (_, Some(Ok(()))) => "Device signed out.".to_owned(),
        _ => String::new(),
    });
    let others = sessions.iter().filter(|s| !s.current).count();
    let count = sessions.len();
    view! {
        <section class="card section" aria-labelledby="devices-title">
            <div class="section-head">
                <h2 id="devices-title">{format!("Signed-in devices ({count})")}</h2>
                {(others > 0).then(|| view! {
                    <button type="button" class="btn btn-danger-ghost" on:click=move |_| asking_all.set(true)>"Sign out all other devices"</button>
                })}
            </div>
            <p class="small muted" role="status">{status}</p>
            {(others == 0).then(|| view! { <p class="muted small">"Only this browser is signed in to your account."</p> })}
            <ul class="device-list">
                {sessions.into_iter().map(|s| {
                    let device = s.device();
                    let row = s.clone();
                    view! {
                        <li class="device">
                            <div class="device-main">
                                <strong>{device.clone()}</strong>
                                {s.current.then(|| view! { <span class="badge badge-ok">"This device"</span> })}
                                <div class="small muted">
                                    {(!s.ip.is_empty()).then(|| format!("{} · ", s.ip))}
                                    "Signed in " <LocalTime at=s.created_at/>
                                    " · Last active " <LocalTime at=s.last_seen_at/>
                                </div>
                            </div>
                            {(!s.current).then(|| view! {
                                // Two devices can share a name; the sign-in time tells them apart.
                                <button type="button" class="btn btn-ghost btn-sm"
                                    aria-label=format!("Sign out {device} (signed in {})", crate::format::date_time(s.created_at))
                                    on:click=move |_| to_end.set(Some(row.clone()))>"Sign out"</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        {move || to_end.get().map(|s| {
            let id = s.id.clone();
            view! {
                <ConfirmDialog id="end-session-title" title=format!("Sign out {}?", s.device())
                    confirm=("Sign out", "Signing out…")
                    pending=end_one.pending().into()
                    error=error_message(end_one)
                    on_confirm=Callback::new(move |_| { end_one.dispatch(EndSession { id: id.clone() }); })
                    on_close=Callback::new(move |_| to_end.set(None))>
                    <p>"That browser will have to sign in again with your password."</p>
                </ConfirmDialog>
            }
        })}
        <Show when=move || asking_all.get()>
            <ConfirmDialog id="end-others-title" title="Sign out all other devices?".to_owned()
                confirm=("Sign out others", "Signing out…")
                pending=end_others.pending().into()
                error=error_message(end_others)
                on_confirm=Callback::new(move |_| { end_others.dispatch(EndOtherSessions {}); })
                on_close=Callback::new(move |_| asking_all.set(false))>
                <p>"Every browser but this one will have to sign in again. If you think someone else knows your password, change it too."</p>
            </ConfirmDialog>
        </Show>
    }
}
