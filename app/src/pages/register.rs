//! `/portal/register`: create an account (and its personal team).

use crate::api::{get_session, Register};
use crate::components::forms::{last_error, field_error, form_error, FieldMessage, FormAlert};
use keyport_core::validate::PASSWORD_MIN_CHARS;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

/// The sign-up page.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| get_session());
    let register = ServerAction::<Register>::new();
    let value = last_error(register);
    let email_err = field_error(value, "email");
    let password_err = field_error(value, "password");
    let form_err = form_error(value, &["email", "password"]);
    let pending = register.pending();
    view! {
        <Title text="Create your account"/>
        <Suspense>
            {move || matches!(session.get(), Some(Ok(Some(_)))).then(|| view! { <Redirect path="/portal"/> })}
        </Suspense>
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand brand-lg"><span class="brand-mark" aria-hidden="true">"K"</span>"Keyport"</div>
                <h1>"Create your account"</h1>
                <p class="muted">"Get an API key in under a minute."</p>
                <FormAlert message=form_err/>
                <ActionForm action=register attr:class="form" attr:novalidate=true>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="email" required
                            aria-describedby="email-error" aria-invalid=move || email_err.get().is_some().to_string()/>
                        <FieldMessage id="email-error" message=email_err/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="new-password" required
                            aria-describedby="password-hint password-error"
                            aria-invalid=move || password_err.get().is_some().to_string()/>
                        <p class="hint" id="password-hint">
                            {format!("At least {PASSWORD_MIN_CHARS} characters. Long passphrases are welcome.")}
                        </p>
                        <FieldMessage id="password-error" message=password_err/>
                    </div>
                    <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                        {move || if pending.get() { "Creating account…" } else { "Create account" }}
                    </button>
                </ActionForm>
                <p class="auth-switch">"Already have an account? " <A href="/portal/login">"Sign in"</A></p>
            </div>
        </main>
    }
}
