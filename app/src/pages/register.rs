//! `/portal/register`: create an account (and its personal team).

use crate::api::Register;
use crate::components::auth_form::{new_password_hint, AuthCard, CredentialFields, RedirectIfSignedIn};
use crate::components::forms::{form_error, last_error, FormAlert};
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
            {open.then(|| view! { <RegisterForm/> })}
            <p class="auth-switch">"Already have an account? " <A href="/portal/login">"Sign in"</A></p>
        </AuthCard>
    }
}

/// The sign-up form: a plain form post, errors rendered by the server.
#[component]
fn RegisterForm() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    let error = last_error(register);
    let pending = register.pending();
    let hint = new_password_hint();
    view! {
        <FormAlert message=form_error(error, &["email", "password"])/>
        <ActionForm action=register attr:class="form" attr:novalidate=true>
            <CredentialFields error password_autocomplete="new-password" password_hint=hint/>
            <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                {move || if pending.get() { "Creating account…" } else { "Create account" }}
            </button>
        </ActionForm>
    }
}
