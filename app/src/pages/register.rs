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
    let typed = if error.get_untracked().is_some() { Typed::of("email") } else { Typed::default() };
    let alert = Signal::derive(move || error.with(|e| e.as_ref().filter(|e| !shown_at_field(e, &["email", "password"])).map(|e| e.to_string())));
    view! {
        <FormAlert message=alert/>
        <ActionForm action=register attr:class="form" attr:novalidate=true>
            <CredentialFields error password_autocomplete="new-password" password_hint=hint/>
            <SignupQuestions fields error typed/>
            <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                {move || if pending.get() { "Creating account…" } else { "Create account" }}
            </button>
        </ActionForm>
    }
}
