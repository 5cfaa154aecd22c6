//! `/portal/login`: sign in with email and password.

use crate::api::Login;
use crate::components::auth_form::{AuthCard, CredentialFields, RedirectIfSignedIn};
use crate::components::forms::{form_error, last_error, FormAlert};
use crate::components::sso::{sso_error_message, SsoButtons};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The sign-in page. A signed-in visitor goes straight to the dashboard.
#[component]
pub fn LoginPage() -> impl IntoView {
    // Where to go afterwards (an invitation link sends people here with `next`); the server
    // only follows portal paths.
    let query = leptos_router::hooks::use_query_map();
    let (next, sso_error, verified, email_changed) =
        query.with_untracked(|q| (q.get("next").unwrap_or_default(), q.get("sso_error"), q.get("verified").is_some(), q.get("email_changed").is_some()));
    let sso_error = sso_error.as_deref().and_then(sso_error_message);
    view! {
        <Title text="Sign in"/>
        <RedirectIfSignedIn/>
        <AuthCard title="Sign in to your account">
            // In the provider's frame, embed-frame.js tells the parent page nobody is signed in.
            <span data-keyport-signed-out="" hidden=true></span>
            {verified.then(|| view! { <p class="alert alert-ok" role="status">"Your email address is confirmed. Sign in to continue."</p> })}
            {email_changed.then(|| view! { <p class="alert alert-ok" role="status">"Your account uses its new address now. Sign in with it."</p> })}
            {sso_error.map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <SsoButtons next=next.clone()/>
            <LoginForm next/>
            <p class="auth-switch"><A href="/portal/forgot">"Forgot your password?"</A></p>
            <p class="auth-switch">"New to Keyport? " <A href="/portal/register">"Create an account"</A></p>
        </AuthCard>
    }
}

/// The sign-in form: a plain form post, so it works the moment it is painted, with or
/// without JavaScript; a refusal comes back rendered by the server beside its field.
#[component]
fn LoginForm(next: String) -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = last_error(login);
    let pending = login.pending();
    view! {
        <FormAlert message=form_error(error, &["email", "password"])/>
        <ActionForm action=login attr:class="form" attr:novalidate=true>
            <CredentialFields error password_autocomplete="current-password"/>
            <input type="hidden" name="next" value=next/>
            <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                {move || if pending.get() { "Signing in…" } else { "Sign in" }}
            </button>
        </ActionForm>
    }
}
