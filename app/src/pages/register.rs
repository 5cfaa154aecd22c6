//! `/portal/register`: create an account (and its personal team).

use crate::api::Register;
use crate::components::auth_form::{new_password_hint, shown_at_field, AuthCard, CredentialFields, RedirectIfSignedIn, SignupQuestions};
use crate::components::forms::{last_error, FormAlert, Typed};
use crate::components::sso::SsoButtons;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The sign-up page.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let (open, notice) = crate::branding::signup_notice();
    if leptos_router::hooks::use_query_map().read_untracked().get("check").is_some() {
        return view! { <Title text="Check your email"/> <CheckEmail/> }.into_any();
    }
    view! {
        <Title text="Create your account"/>
        <RedirectIfSignedIn/>
        <AuthCard title="Create your account">
            {if open {
                view! { <p class="muted">"Get an API key in under a minute."</p> }.into_any()
            } else {
                ().into_any()
            }}
            {notice.map(|n| view! { <p class="alert alert-info" role="note">{n}</p> })}
            {open.then(|| view! { <SsoButtons/> <RegisterForm/> })}
            <p class="auth-switch">"Already have an account? " <A href="/portal/login">"Sign in"</A></p>
        </AuthCard>
    }
    .into_any()
}

/// After sign-up when the provider asks for a confirmed address: the same words for every
/// address, whether it was new (a confirmation link went out) or had an account already (its
/// owner was told someone tried).
#[component]
fn CheckEmail() -> impl IntoView {
    let to = crate::components::forms::Typed::of("email")
        .get("email")
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "your address".into());
    view! {
        <AuthCard title="Check your email">
            <p class="alert alert-ok" role="status">
                {format!("We have sent an email to {to}. Open the link in it to confirm your address; the link works once, for 24 hours.")}
            </p>
            <p class="muted small">"You can sign in already and look around; live keys wait until the address is confirmed. Nothing arrived? Check your spam folder, or sign in and send a new link from the dashboard."</p>
            <p class="auth-switch"><A href="/portal/login">"Sign in"</A></p>
        </AuthCard>
    }
}

/// The sign-up form: a plain form post, errors rendered by the server. The provider's extra
/// questions (`signup.fields`) follow the email and password.
#[component]
fn RegisterForm() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    let error = last_error(register);
    let pending = register.pending();
    let hint = new_password_hint();
    let fields = crate::branding::signup_fields();
    let confirms = crate::branding::confirms_address();
    let typed = if error.get_untracked().is_some() { Typed::of("email") } else { Typed::default() };
    let alert = Signal::derive(move || error.with(|e| e.as_ref().filter(|e| !shown_at_field(e, &["email", "password"])).map(|e| e.to_string())));
    view! {
        <FormAlert message=alert/>
        <ActionForm action=register attr:class="form" attr:novalidate=true>
            <CredentialFields error password_autocomplete="new-password" password_hint=hint/>
            <SignupQuestions fields error typed/>
            {confirms.then(|| view! { <p class="muted small">"We will email you a link to confirm your address."</p> })}
            <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                {move || if pending.get() { "Creating account…" } else { "Create account" }}
            </button>
        </ActionForm>
    }
}
