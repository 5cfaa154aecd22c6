//! Form helpers: field errors and form-level alerts.

use crate::error::AppError;
use leptos::prelude::*;

/// The error of an action's last result, if it failed.
pub fn last_error<T>(action: ServerAction<T>) -> Signal<Option<AppError>>
where
    T: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    T::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// The error message for `field`, if the last error concerns it.
pub fn field_error(err: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || err.with(|e| e.as_ref().and_then(|e| e.for_field(field))))
}

/// The message for errors not tied to one field (network, throttling, wrong credentials).
pub fn form_error(err: Signal<Option<AppError>>, fields: &'static [&'static str]) -> Signal<Option<String>> {
    Signal::derive(move || err.with(|e| match e {
        Some(AppError::Invalid { field, .. }) if fields.contains(&field.as_str()) => None,
        Some(e) => Some(e.to_string()),
        None => None,
    }))
}

/// A field's error line, announced to screen readers.
#[component]
pub fn FieldMessage(id: &'static str, message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p class="field-error" id=id role="alert" hidden=move || message.get().is_none()>
            {move || message.get().unwrap_or_default()}
        </p>
    }
}

/// A form-level error banner.
#[component]
pub fn FormAlert(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="alert alert-error" role="alert" hidden=move || message.get().is_none()>
            {move || message.get().unwrap_or_default()}
        </div>
    }
}
