//! The pieces shared by the sign-in and sign-up pages.

use crate::components::forms::{field_error, FieldMessage};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// The centred card of the sign-in and sign-up pages, with the brand and a heading.
#[component]
pub fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand brand-lg"><span class="brand-mark" aria-hidden="true">"K"</span>"Keyport"</div>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

/// Sends a visitor who is already signed in to the dashboard.
#[component]
pub fn RedirectIfSignedIn() -> impl IntoView {
    let session = Resource::new(|| (), |_| crate::api::get_session());
    view! {
        <Suspense>
            {move || matches!(session.get(), Some(Ok(Some(_)))).then(|| view! { <Redirect path="/portal"/> })}
        </Suspense>
    }
}

/// Labelled email and password inputs with their error lines.
#[component]
pub fn CredentialFields(
    /// The last error of the form's action.
    error: Signal<Option<AppError>>,
    /// `current-password` to sign in, `new-password` to sign up.
    password_autocomplete: &'static str,
    /// A hint under the password field.
    #[prop(optional)]
    password_hint: Option<String>,
) -> impl IntoView {
    let email_err = field_error(error, "email");
    let password_err = field_error(error, "password");
    let described_by = if password_hint.is_some() { "password-hint password-error" } else { "password-error" };
    view! {
        <div class="field">
            <label for="email">"Email"</label>
            <input id="email" name="email" type="email" autocomplete="email" required
                aria-describedby="email-error" aria-invalid=move || email_err.get().is_some().to_string()/>
            <FieldMessage id="email-error" message=email_err/>
        </div>
        <div class="field">
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete=password_autocomplete required
                aria-describedby=described_by aria-invalid=move || password_err.get().is_some().to_string()/>
            {password_hint.map(|h| view! { <p class="hint" id="password-hint">{h}</p> })}
            <FieldMessage id="password-error" message=password_err/>
        </div>
    }
}
