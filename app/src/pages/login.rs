//! `/portal/login`: sign in with email and password.

use crate::api::{get_session, Login};
use crate::components::forms::{last_error, field_error, form_error, FieldMessage, FormAlert};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

/// The sign-in page. A signed-in visitor goes straight to the dashboard.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| get_session());
    let login = ServerAction::<Login>::new();
    let value = last_error(login);
    let email_err = field_error(value, "email");
    let password_err = field_error(value, "password");
    let form_err = form_error(value, &["email", "password"]);
    let pending = login.pending();
    view! {
        <Title text="Sign in"/>
        <Suspense>
            {move || matches!(session.get(), Some(Ok(Some(_)))).then(|| view! { <Redirect path="/portal"/> })}
        </Suspense>
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand brand-lg"><span class="brand-mark" aria-hidden="true">"K"</span>"Keyport"</div>
                <h1>"Sign in to your account"</h1>
                <FormAlert message=form_err/>
                <ActionForm action=login attr:class="form" attr:novalidate=true>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="email" required
                            aria-describedby="email-error" aria-invalid=move || email_err.get().is_some().to_string()/>
                        <FieldMessage id="email-error" message=email_err/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required
                            aria-describedby="password-error" aria-invalid=move || password_err.get().is_some().to_string()/>
                        <FieldMessage id="password-error" message=password_err/>
                    </div>
                    <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="auth-switch">"New to Keyport? " <A href="/portal/register">"Create an account"</A></p>
            </div>
        </main>
    }
}
