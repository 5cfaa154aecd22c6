//! `/portal/forgot` asks for a reset link by email; `/portal/reset/{token}` (the link) sets
//! the new password and signs in.

use crate::api::{check_reset_link, RequestPasswordReset, ResetPassword};
use crate::components::auth_form::{new_password_hint, AuthCard};
use crate::components::forms::{field_error, form_error, last_error, FormAlert, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// The "forgot your password" page.
#[component]
pub fn ForgotPage() -> impl IntoView {
    view! {
        <Title text="Reset your password"/>
        <AuthCard title="Reset your password">
            <ForgotForm/>
            <p class="auth-switch"><A href="/portal/login">"Back to sign in"</A></p>
        </AuthCard>
    }
}

/// Asks for the link (a plain form, errors rendered by the server); once sent, says where it
/// went, with the same words for any address.
#[component]
fn ForgotForm() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let error = last_error(request);
    let sent = leptos_router::hooks::use_query_map().read_untracked().get("sent").is_some();
    let email = crate::components::forms::Typed::of("email").get("email");
    if sent {
        let to = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).unwrap_or_else(|| "that address".into());
        return view! {
            <p class="alert alert-ok" role="status">
                {format!("If an account exists for {to}, we have sent it a link to choose a new password. The link works once, for an hour.")}
            </p>
            <p class="muted small">"Nothing arrived? Check your spam folder, or " <a href="/portal/forgot">"ask again"</a> " in a minute."</p>
        }
        .into_any();
    }
    view! {
        <p class="muted">"Enter the email address you sign in with. We will send you a link to choose a new password."</p>
        <FormAlert message=form_error(error, &["email"])/>
        <ActionForm action=request attr:class="form" attr:novalidate=true>
            <TextField id="email" name="email" label="Email" kind="email" autocomplete="email" error=field_error(error, "email") value=email/>
            <button type="submit" class="btn btn-primary btn-block">"Send reset link"</button>
        </ActionForm>
    }
    .into_any()
}

/// The page a reset link opens.
#[component]
pub fn ResetPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let check = Resource::new(token, check_reset_link);
    view! {
        <Title text="Choose a new password"/>
        <AuthCard title="Choose a new password">
            <Suspense fallback=|| view! { <p class="muted" role="status">"Checking your link…"</p> }>
                {move || check.get().map(|r| match r {
                    Ok(email) => view! { <ResetForm email token=token()/> }.into_any(),
                    Err(e) => view! {
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                        <p class="auth-switch"><A href="/portal/forgot">"Send a new link"</A></p>
                    }.into_any(),
                })}
            </Suspense>
        </AuthCard>
    }
}

/// A plain form (the page loads no WASM); a refusal comes back rendered by the server.
#[component]
fn ResetForm(email: String, token: String) -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let error = last_error(reset);
    view! {
        <p class="muted">"For " <strong>{email}</strong> ". Every device signed in to this account will be signed out."</p>
        <FormAlert message=form_error(error, &["password", "confirm_password"])/>
        <ActionForm action=reset attr:class="form" attr:novalidate=true>
            <input type="hidden" name="token" value=token/>
            <TextField id="password" name="password" label="New password" kind="password" autocomplete="new-password"
                error=field_error(error, "password") hint=Some(new_password_hint())/>
            <TextField id="confirm-password" name="confirm_password" label="Repeat the new password" kind="password"
                autocomplete="new-password" error=field_error(error, "confirm_password")/>
            <button type="submit" class="btn btn-primary btn-block">"Set new password"</button>
        </ActionForm>
    }
}
