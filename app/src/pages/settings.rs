//! `/portal/settings`: the signed-in person's account — change the password, see the devices
//! that are signed in and sign out the ones they do not recognise.

use crate::api::{get_account, get_totp_enrolment, ChangePassword, RequestEmailChange, ConfirmTotp, DisableTotp, EndOtherSessions, EndSession, RemoveIdentity, StartTotpSetup, UpdateProfile};
use crate::components::auth_form::new_password_hint;
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::islands::OpenDialog;
use crate::components::forms::{error_message, field_error, form_error, last_error, CodeField, FormAlert, TextField, Typed};
use crate::components::local_time::LocalTime;
use keyport_core::dto::{AccountView, IdentityView, SessionView, TotpEnrolment};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The settings page, drawn on the server: the password form and the sign-out buttons are
/// plain forms (the sign-outs confirmed in native dialogs), and each answer is a fresh page
/// that says what happened.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let account = Resource::new(|| (), |_| get_account());
    let enrolment = Resource::new(|| (), |_| get_totp_enrolment());
    let (changed, ended, mfa, unlinked, profile_saved, email) = leptos_router::hooks::use_query_map().with_untracked(|q| {
        (q.get("changed").is_some(), q.get("ended"), q.get("mfa"), q.get("unlinked").is_some(), q.get("profile").is_some(), q.get("email"))
    });
    let codes = new_recovery_codes(mfa.as_deref());
    let status = match ended.as_deref() {
        Some("one") => "Device signed out.".to_owned(),
        Some("0") => "No other device was signed in.".to_owned(),
        Some("1") => "Signed out 1 other device.".to_owned(),
        Some(n) if n.parse::<u32>().is_ok() => format!("Signed out {n} other devices."),
        _ => String::new(),
    };
    view! {
        <Title text="Settings"/>
        <header class="page-header">
            <h1>"Settings"</h1>
            <p class="muted">"Your own account: how you sign in and where you are signed in. Team name and members are on the " <A href="/portal/team">"Team"</A> " page."</p>
        </header>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading your account…"</p> }>
            {move || {
                let status = status.clone();
                let mfa = mfa.clone();
                let codes = codes.clone();
                let email = email.clone();
                let pending = enrolment.get().and_then(Result::ok).flatten();
                account.get().map(move |r| match r {
                    Ok(a) => view! {
                        <AccountCard account=a.clone() saved=profile_saved/>
                        {(!a.managed && a.has_password).then(|| view! { <EmailCard current=a.email.clone() pending=a.pending_email.clone() outcome=email/> })}
                        // The provider's site signs its accounts in: no password lives here.
                        {(!a.managed && a.has_password).then(|| view! { <PasswordCard changed/> })}
                        {(!a.managed && (!a.identities.is_empty() || !a.has_password)).then(|| view! {
                            <IdentitiesCard identities=a.identities.clone() has_password=a.has_password unlinked/>
                        })}
                        {(!a.managed).then(|| view! {
                            <TwoFactorCard enabled=a.totp_enabled codes_left=a.recovery_codes_left pending outcome=mfa codes/>
                        })}
                        <DevicesCard sessions=a.sessions status/>
                    }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Suspense>
    }
}

/// The account, the name shown in the portal and which emails to send.
#[component]
fn AccountCard(account: AccountView, saved: bool) -> impl IntoView {
    let save = ServerAction::<UpdateProfile>::new();
    let err = last_error(save);
    let typed = Typed::of("account/profile");
    let name = typed.get("name").or(account.name.clone()).unwrap_or_default();
    view! {
        <section class="card section" aria-labelledby="account-title">
            <h2 id="account-title">"Account"</h2>
            <dl class="details">
                <dt>"Email"</dt><dd>{account.email}</dd>
                <dt>"Member since"</dt><dd><LocalTime at=account.created_at/></dd>
            </dl>
            {saved.then(|| view! { <p class="alert alert-ok" role="status">"Profile saved."</p> })}
            <FormAlert message=form_error(err, &["name"])/>
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <TextField id="profile-name" name="name" label="Your name" maxlength=80 required=false autocomplete="name"
                    error=field_error(err, "name") value=Some(name) hint=Some("Optional; kept with your account.".to_owned())/>
                <fieldset class="field">
                    <legend>"Emails"</legend>
                    <label class="checkbox"><input type="checkbox" name="quota" value="on" checked=account.notify_quota/>" Quota warnings (at 80 % and 100 % of your team's monthly quota)"</label>
                    <label class="checkbox"><input type="checkbox" name="expiry" value="on" checked=account.notify_expiry/>" Key expiry reminders (a week and a day before a key of yours expires)"</label>
                    <label class="checkbox"><input type="checkbox" name="news" value="on" checked=account.notify_news/>" Product news"</label>
                    <label class="checkbox"><input type="checkbox" checked=true disabled=true/>" Security notices (sign-in links, password changes, leaked keys) — always sent"</label>
                </fieldset>
                <button type="submit" class="btn btn-primary">"Save profile"</button>
            </ActionForm>
        </section>
    }
}

/// Moving the account to another address: the new address and the current password; the
/// move waits for the link sent there.
#[component]
fn EmailCard(current: String, pending: Option<String>, outcome: Option<String>) -> impl IntoView {
    let change = ServerAction::<RequestEmailChange>::new();
    let error = last_error(change);
    let typed = Typed::of("account/email").get("new_email");
    let status = match (outcome.as_deref(), pending.as_ref()) {
        (Some("changed"), _) => Some(format!("Your address is now {current}. We told your old address about the change.")),
        (Some("sent"), Some(new)) => Some(format!("We sent a link to {new}. Open it to finish the change; until then you keep {current}.")),
        _ => None,
    };
    view! {
        <section class="card section" aria-labelledby="email-title">
            <h2 id="email-title">"Change email address"</h2>
            <p class="muted small">"We send a link to the new address; your account moves when you open it, and your current address gets a notice."</p>
            {status.map(|s| view! { <p class="alert alert-ok" role="status">{s}</p> })}
            {pending.filter(|_| outcome.as_deref() != Some("sent")).map(|new| view! {
                <p class="alert alert-info">"Waiting for you to confirm " <strong>{new}</strong> " from the link we sent there. Asking again replaces that link."</p>
            })}
            <FormAlert message=form_error(error, &["new_email", "password"])/>
            <ActionForm action=change attr:class="form form-narrow" attr:novalidate=true>
                <TextField id="new-email" name="new_email" label="New email address" kind="email" autocomplete="email"
                    error=field_error(error, "new_email") value=typed/>
                <TextField id="email-password" name="password" label="Your password" kind="password"
                    autocomplete="current-password" error=field_error(error, "password")/>
                <div>
                    <button type="submit" class="btn btn-primary">"Send confirmation link"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn PasswordCard(changed: bool) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = last_error(change);
    view! {
        <section class="card section" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <p class="muted small">"Changing it signs out every other device, so a session you forgot about (or someone else's) ends too."</p>
            <FormAlert message=form_error(error, &["current_password", "new_password", "confirm_password"])/>
            <ActionForm action=change attr:class="form form-narrow" attr:novalidate=true>
                <TextField id="current-password" name="current_password" label="Current password" kind="password"
                    autocomplete="current-password" error=field_error(error, "current_password")/>
                <TextField id="new-password" name="new_password" label="New password" kind="password"
                    autocomplete="new-password" error=field_error(error, "new_password") hint=Some(new_password_hint())/>
                <TextField id="confirm-password" name="confirm_password" label="Repeat the new password" kind="password"
                    autocomplete="new-password" error=field_error(error, "confirm_password")/>
                <div>
                    <button type="submit" class="btn btn-primary">"Change password"</button>
                </div>
            </ActionForm>
            {changed.then(|| view! {
                <p class="alert alert-ok" role="status">"Password changed. Every other device was signed out, and you got an email about it."</p>
            })}
        </section>
    }
}

/// The recovery codes a confirmed set-up handed to this page, once (nothing in the browser).
fn new_recovery_codes(outcome: Option<&str>) -> Vec<String> {
    if outcome != Some("on") {
        return Vec::new();
    }
    #[cfg(feature = "ssr")]
    {
        crate::api::ssr::no_store();
        crate::api::ssr::take_handed_over_recovery_codes().unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    Vec::new()
}

/// Two-factor authentication: set it up (QR code and secret, confirmed by a code), see the
/// recovery codes once, or turn it off with a code.
#[component]
fn TwoFactorCard(enabled: bool, codes_left: i64, pending: Option<TotpEnrolment>, outcome: Option<String>, codes: Vec<String>) -> impl IntoView {
    let status = match outcome.as_deref() {
        Some("off") if !enabled => Some("Two-factor authentication is off."),
        Some("on") if enabled => Some("Two-factor authentication is on. From now on, signing in asks for a code from your app."),
        _ => None,
    };
    let body = if enabled {
        view! { <TwoFactorOn codes_left codes/> }.into_any()
    } else if let Some(p) = pending {
        view! { <TwoFactorSetup enrolment=p/> }.into_any()
    } else {
        view! { <TwoFactorStart/> }.into_any()
    };
    view! {
        <section class="card section" aria-labelledby="mfa-title">
            <div class="section-head">
                <h2 id="mfa-title">"Two-factor authentication"</h2>
                {if enabled {
                    view! { <span class="badge badge-ok">"On"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-muted">"Off"</span> }.into_any()
                }}
            </div>
            {status.map(|s| view! { <p class="alert alert-ok" role="status">{s}</p> })}
            {body}
        </section>
    }
}

/// The sign-in providers linked to the account, each removable unless it is the last way in.
#[component]
fn IdentitiesCard(identities: Vec<IdentityView>, has_password: bool, unlinked: bool) -> impl IntoView {
    let remove = ServerAction::<RemoveIdentity>::new();
    view! {
        <section class="card section" aria-labelledby="identities-title">
            <h2 id="identities-title">"Sign-in providers"</h2>
            <p class="muted small">
                {if has_password {
                    "You can sign in with your password or with any provider below."
                } else {
                    "Your account has no password: you sign in with a provider below. To set a password, use “Forgot your password?” on the sign-in page."
                }}
            </p>
            <FormAlert message=error_message(remove)/>
            {unlinked.then(|| view! { <p class="alert alert-ok" role="status">"Sign-in provider removed."</p> })}
            {identities.is_empty().then(|| view! { <p class="muted small">"No provider is linked."</p> })}
            <ul class="identity-list">
                {identities.into_iter().map(|i| {
                    let id = i.id.clone();
                    let dialog = format!("remove-identity-{id}");
                    let title = format!("Remove {}?", i.provider_label);
                    let label = format!("Remove {} ({})", i.provider_label, i.email);
                    view! {
                        <li class="identity">
                            <div>
                                <strong>{i.provider_label.clone()}</strong>
                                <div class="small muted">{i.email.clone()} " · Linked " <LocalTime at=i.linked_at/></div>
                            </div>
                            {if i.last_way_in {
                                view! {
                                    <p class="small muted" id=format!("{dialog}-why")>
                                        "This is the only way into your account, so it cannot be removed. Set a password or link another provider first."
                                    </p>
                                }.into_any()
                            } else {
                                view! {
                                    <OpenDialog dialog=dialog.clone() label="Remove".to_string() aria_label=label/>
                                    <NativeDialog id=dialog.clone() title=title>
                                        <p>"You will no longer be able to sign in with it. You can link it again by signing in with it while signed out, if your addresses match."</p>
                                        <ActionForm action=remove>
                                            <input type="hidden" name="id" value=id.clone()/>
                                            {confirm_buttons("Remove", "btn btn-danger")}
                                        </ActionForm>
                                    </NativeDialog>
                                }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn TwoFactorStart() -> impl IntoView {
    let start = ServerAction::<StartTotpSetup>::new();
    view! {
        <p class="muted small">"Signing in then also asks for a 6-digit code from an authenticator app on your phone (any app that supports TOTP), so a stolen password alone is not enough."</p>
        <FormAlert message=error_message(start)/>
        <ActionForm action=start attr:class="form form-narrow">
            <div><button type="submit" class="btn btn-primary">"Set up two-factor authentication"</button></div>
        </ActionForm>
    }
}

#[component]
fn TwoFactorSetup(enrolment: TotpEnrolment) -> impl IntoView {
    let confirm = ServerAction::<ConfirmTotp>::new();
    let start = ServerAction::<StartTotpSetup>::new();
    let error = last_error(confirm);
    let TotpEnrolment { secret, qr_svg, .. } = enrolment;
    // Groups of four are easier to read and type; apps ignore the spaces.
    let grouped = secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
    view! {
        <ol class="steps">
            <li>"Scan this QR code with your authenticator app."</li>
        </ol>
        <div class="qr-code" inner_html=qr_svg></div>
        <p class="small">"Can't scan it? Enter this key in the app instead:"</p>
        <p><code class="totp-secret" aria-label="Setup key">{grouped}</code></p>
        <ol class="steps" start="2">
            <li>"Enter the 6-digit code the app shows to finish."</li>
        </ol>
        <FormAlert message=form_error(error, &["code"])/>
        <ActionForm action=confirm attr:class="form form-narrow" attr:novalidate=true>
            <CodeField id="totp-confirm-code" label="Code from the app" error=field_error(error, "code")
                hint="Six digits; a new one appears every 30 seconds."/>
            <div><button type="submit" class="btn btn-primary">"Turn on two-factor authentication"</button></div>
        </ActionForm>
        <ActionForm action=start attr:class="inline-form">
            <button type="submit" class="btn btn-ghost btn-sm">"Start again with a new key"</button>
        </ActionForm>
    }
}

#[component]
fn TwoFactorOn(codes_left: i64, codes: Vec<String>) -> impl IntoView {
    let disable = ServerAction::<DisableTotp>::new();
    let error = last_error(disable);
    let shown = !codes.is_empty();
    view! {
        {shown.then(|| view! {
            <div class="recovery-codes" role="region" aria-labelledby="recovery-title">
                <h3 id="recovery-title">"Your recovery codes"</h3>
                <p class="small">"Each code signs you in once if you lose your phone. Save them somewhere safe now: they are not shown again."</p>
                <ul class="code-list">
                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ul>
            </div>
        })}
        <p class="muted small">
            {format!("Signing in asks for a code from your authenticator app. Recovery codes left: {codes_left} of 10.")}
        </p>
        <h3>"Turn off two-factor authentication"</h3>
        <FormAlert message=form_error(error, &["code"])/>
        <ActionForm action=disable attr:class="form form-narrow" attr:novalidate=true>
            <CodeField id="totp-disable-code" label="Code from the app or a recovery code" error=field_error(error, "code")
                hint="Turning it off needs a current code, so someone who only has your password cannot." recovery=true/>
            <div><button type="submit" class="btn btn-danger-ghost">"Turn off two-factor authentication"</button></div>
        </ActionForm>
    }
}

#[component]
fn DevicesCard(sessions: Vec<SessionView>, status: String) -> impl IntoView {
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let others = sessions.iter().filter(|s| !s.current).count();
    let count = sessions.len();
    view! {
        <section class="card section" aria-labelledby="devices-title">
            <div class="section-head">
                <h2 id="devices-title">{format!("Signed-in devices ({count})")}</h2>
                {(others > 0).then(|| view! {
                    <OpenDialog dialog="end-others-dialog".to_string() label="Sign out all other devices".to_string()
                        class="btn btn-danger-ghost".to_string()/>
                })}
            </div>
            <FormAlert message=error_message(end_one)/>
            <FormAlert message=error_message(end_others)/>
            <p class="small muted" role="status">{status}</p>
            {(others == 0).then(|| view! { <p class="muted small">"Only this browser is signed in to your account."</p> })}
            <ul class="device-list">
                {sessions.into_iter().map(|s| {
                    let device = s.device();
                    let dialog = format!("end-session-{}", s.id);
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
                                <OpenDialog dialog=dialog.clone() label="Sign out".to_string()
                                    aria_label=format!("Sign out {device} (signed in {})", crate::format::date_time(s.created_at))/>
                                <NativeDialog id=dialog.clone() title=format!("Sign out {device}?")>
                                    <p>"That browser will have to sign in again with your password."</p>
                                    <ActionForm action=end_one>
                                        <input type="hidden" name="id" value=s.id.clone()/>
                                        {confirm_buttons("Sign out", "btn btn-danger")}
                                    </ActionForm>
                                </NativeDialog>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        <NativeDialog id="end-others-dialog".to_owned() title="Sign out all other devices?".to_owned()>
            <p>"Every browser but this one will have to sign in again. If you think someone else knows your password, change it too."</p>
            <ActionForm action=end_others>{confirm_buttons("Sign out others", "btn btn-danger")}</ActionForm>
        </NativeDialog>
    }
}
