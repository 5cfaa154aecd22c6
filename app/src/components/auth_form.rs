//! The pieces shared by the sign-in and sign-up pages.

use crate::components::forms::{field_error, TextField, Typed};
use crate::error::AppError;
use keyport_core::signup::SignupField;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// The centred card of the sign-in and sign-up pages, with the brand and a heading.
#[component]
pub fn AuthCard(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand brand-lg"><BrandMark/><span>{crate::format::app_name()}</span></div>
                <h1>{title}</h1>
                {children()}
            </div>
            <SupportLine/>
        </main>
    }
}

/// The provider's logo (named by the app name) or, without one, the lettered mark.
#[component]
pub fn BrandMark() -> impl IntoView {
    match crate::branding::logo_url() {
        Some(src) => view! { <img class="brand-logo" src=src alt="" height="28"/> }.into_any(),
        None => view! { <span class="brand-mark" aria-hidden="true">"K"</span> }.into_any(),
    }
}

/// Where to get help, when the provider named an address.
#[component]
pub fn SupportLine() -> impl IntoView {
    crate::branding::support_email().map(|e| view! {
        <footer class="support-line small muted">"Need help? Write to " <a href=format!("mailto:{e}")>{e.clone()}</a> "."</footer>
    })
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

/// The hint under every field where a new password is chosen.
pub fn new_password_hint() -> String {
    format!("At least {} characters. Long passphrases are welcome.", keyport_core::validate::PASSWORD_MIN_CHARS)
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
    // After a refused plain form post, the address typed before (the password never).
    let email = crate::components::forms::Typed::of("email").get("email");
    view! {
        <TextField id="email" name="email" label="Email" kind="email" autocomplete="email" error=field_error(error, "email")
            value=email/>
        <TextField id="password" name="password" label="Password" kind="password" autocomplete=password_autocomplete
            error=field_error(error, "password") hint=password_hint/>
    }
}

/// The provider's extra sign-up questions, each a labelled text input or list with its error
/// line (the field `signup_<name>`), posted as `signup[<name>]`. `typed` is what a refused
/// plain form had typed.
#[component]
pub fn SignupQuestions(
    /// The questions asked now.
    fields: Vec<SignupField>,
    /// The last error of the form's action.
    error: Signal<Option<AppError>>,
    /// What the refused form had typed, if it was refused.
    typed: Typed,
) -> impl IntoView {
    fields
        .into_iter()
        .map(|f| {
            let id = f.field_id();
            let error_id = format!("{id}-error");
            let name = format!("signup[{}]", f.name);
            let value = typed.get(&id);
            let err = {
                let id = id.clone();
                Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.for_field(&id))))
            };
            let optional = (!f.required).then(|| view! { " " <span class="muted small">"(optional)"</span> });
            let input = if f.is_choice() {
                view! {
                    <select id=id.clone() name=name required=f.required aria-describedby=error_id.clone()
                        aria-invalid=move || err.get().is_some().to_string()>
                        <option value="" selected=value.is_none()>"Choose…"</option>
                        {f.choices.into_iter().map(|c| {
                            let selected = value.as_deref() == Some(c.as_str());
                            let shown = c.clone();
                            view! { <option value=c selected=selected>{shown}</option> }
                        }).collect_view()}
                    </select>
                }
                .into_any()
            } else {
                view! {
                    <input id=id.clone() name=name type="text" autocomplete="off" required=f.required value=value
                        maxlength=keyport_core::signup::MAX_ANSWER_CHARS.to_string()
                        aria-describedby=error_id.clone() aria-invalid=move || err.get().is_some().to_string()/>
                }
                .into_any()
            };
            view! {
                <div class="field">
                    <label for=id>{f.label}{optional}</label>
                    {input}
                    <p class="field-error" id=error_id role="alert" hidden=move || err.get().is_none()>
                        {move || err.get().unwrap_or_default()}
                    </p>
                </div>
            }
        })
        .collect_view()
}

/// Whether an error belongs to a field the sign-up forms show next to it (so the form-level
/// alert leaves it out): `fields`, or one of the sign-up questions.
pub fn shown_at_field(err: &AppError, fields: &[&str]) -> bool {
    matches!(err, AppError::Invalid { field, .. } if fields.contains(&field.as_str()) || field.starts_with("signup_"))
}
