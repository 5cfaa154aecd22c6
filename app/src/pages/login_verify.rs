//! `/portal/login/verify`: the second step of signing in to an account with two-factor
//! authentication — a code from the authenticator app, or a recovery code.

use crate::api::VerifySignIn;
use crate::components::auth_form::AuthCard;
use crate::components::forms::{field_error, form_error, last_error, CodeField, FormAlert};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The code page. It works without JavaScript (a plain form); the password step left a
/// challenge in an HttpOnly cookie that the form's post carries.
#[component]
pub fn LoginVerifyPage() -> impl IntoView {
    let next = leptos_router::hooks::use_query_map().read_untracked().get("next").unwrap_or_default();
    let verify = ServerAction::<VerifySignIn>::new();
    let error = last_error(verify);
    let pending = verify.pending();
    view! {
        <Title text="Two-factor authentication"/>
        <AuthCard title="Enter your code">
            <p class="muted small">"Your password was right. Open your authenticator app and enter the 6-digit code it shows for this account."</p>
            <FormAlert message=form_error(error, &["code"])/>
            <ActionForm action=verify attr:class="form" attr:novalidate=true>
                <CodeField id="signin-code" label="Authentication code" error=field_error(error, "code")
                    hint="Lost your phone? Enter one of your recovery codes instead." recovery=true/>
                <input type="hidden" name="next" value=next/>
                <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                    {move || if pending.get() { "Checking…" } else { "Verify and sign in" }}
                </button>
            </ActionForm>
            <p class="auth-switch"><A href="/portal/login">"Start over: sign in again"</A></p>
        </AuthCard>
    }
}
