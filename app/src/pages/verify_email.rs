//! `/portal/verify-email/{token}`: the link that confirms an account's address. Opening it
//! only shows a button: confirming is a form post, so a mail scanner that fetches links
//! before the person clicks cannot use the link up.

use crate::api::{check_verification_link, VerifyEmail};
use crate::components::auth_form::AuthCard;
use crate::components::forms::{last_error, FormAlert};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// The page a confirmation link opens.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let check = Resource::new(token, check_verification_link);
    view! {
        <Title text="Confirm your email address"/>
        <AuthCard title="Confirm your email address">
            <Suspense fallback=|| view! { <p class="muted" role="status">"Checking your link…"</p> }>
                {move || check.get().map(|r| match r {
                    Ok(email) => view! { <VerifyForm email token=token()/> }.into_any(),
                    Err(e) => view! {
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                        <p class="auth-switch"><A href="/portal/login">"Sign in"</A></p>
                    }.into_any(),
                })}
            </Suspense>
        </AuthCard>
    }
}

/// One button, a plain form (the page loads no WASM).
#[component]
fn VerifyForm(email: String, token: String) -> impl IntoView {
    let verify = ServerAction::<VerifyEmail>::new();
    let error = last_error(verify);
    let alert = Signal::derive(move || error.get().map(|e| e.to_string()));
    view! {
        <p class="muted">"Confirm that " <strong>{email}</strong> " is your address."</p>
        <FormAlert message=alert/>
        <ActionForm action=verify attr:class="form">
            <input type="hidden" name="token" value=token/>
            <button type="submit" class="btn btn-primary btn-block">"Confirm my address"</button>
        </ActionForm>
    }
}
