//! `/portal/email-change/{token}`: the link that moves an account to a new address. Opening it
//! only shows a button: confirming is a form post, so a mail scanner that fetches links
//! before the person clicks cannot use the link up.

use crate::api::{check_email_change_link, ConfirmEmailChange};
use crate::components::auth_form::AuthCard;
use crate::components::forms::{last_error, FormAlert};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// The page an address-change link opens.
#[component]
pub fn EmailChangePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let check = Resource::new(token, check_email_change_link);
    view! {
        <Title text="Confirm your new email address"/>
        <AuthCard title="Confirm your new email address">
            <Suspense fallback=|| view! { <p class="muted" role="status">"Checking your link…"</p> }>
                {move || check.get().map(|r| match r {
                    Ok((current, new)) => view! { <ConfirmForm current new token=token()/> }.into_any(),
                    Err(e) => view! {
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                        <p class="auth-switch"><A href="/portal/settings">"Settings"</A></p>
                    }.into_any(),
                })}
            </Suspense>
        </AuthCard>
    }
}

/// One button, a plain form (the page loads no WASM).
#[component]
fn ConfirmForm(current: String, new: String, token: String) -> impl IntoView {
    let confirm = ServerAction::<ConfirmEmailChange>::new();
    let error = last_error(confirm);
    let alert = Signal::derive(move || error.get().map(|e| e.to_string()));
    view! {
        <p class="muted">"Move your account from " <strong>{current}</strong> " to " <strong>{new}</strong> "? You sign in with the new address from then on."</p>
        <FormAlert message=alert/>
        <ActionForm action=confirm attr:class="form">
            <input type="hidden" name="token" value=token/>
            <button type="submit" class="btn btn-primary btn-block">"Use my new address"</button>
        </ActionForm>
    }
}
