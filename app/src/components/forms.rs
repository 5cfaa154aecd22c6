//! Form helpers: field errors and form-level alerts.

use crate::error::AppError;
use leptos::prelude::*;

/// What a plain form that failed had typed, for the page it returns to (read on the server
/// from a short-lived cookie; in the browser there is nothing to read).
#[derive(Clone, Debug, Default)]
pub struct Typed(Vec<(String, String)>);

impl Typed {
    /// The fields left behind by the form named `form`, if that is the form that failed.
    pub fn of(form: &str) -> Self {
        #[cfg(feature = "ssr")]
        return Self(crate::api::ssr::remembered_form(form));
        #[cfg(not(feature = "ssr"))]
        {
            let _ = form;
            Self::default()
        }
    }

    /// The value typed into `name`, if any.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// Every value of `name` (ticked checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// Whether the form left anything behind.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The error of an action's last result, if it failed.
pub fn last_error<T>(action: ServerAction<T>) -> Signal<Option<AppError>>
where
    T: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    T::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// The text of an action's last error, for a dialog's alert.
pub fn error_message<T>(action: ServerAction<T>) -> Signal<Option<String>>
where
    T: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    T::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || last_error(action).get().map(|e| e.to_string()))
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

/// A form-level error banner.
#[component]
pub fn FormAlert(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="alert alert-error" role="alert" hidden=move || message.get().is_none()>
            {move || message.get().unwrap_or_default()}
        </div>
    }
}

/// A labelled input with its error line (and an optional hint), wired for assistive
/// technology: `aria-describedby` names the hint and the error, `aria-invalid` follows it.
#[component]
pub fn TextField(
    /// Element id; the error line gets `<id>-error`, the hint `<id>-hint`.
    id: &'static str,
    /// Form field name.
    name: &'static str,
    /// Visible label.
    label: &'static str,
    /// The field's error message, if any.
    error: Signal<Option<String>>,
    /// Input type (`text`, `email`, `password`).
    #[prop(default = "text")]
    kind: &'static str,
    /// Autocomplete hint for browsers and password managers.
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// Maximum length in characters.
    #[prop(optional)]
    maxlength: Option<u32>,
    /// Whether the field must be filled.
    #[prop(default = true)]
    required: bool,
    /// A hint under the field.
    #[prop(optional_no_strip)]
    hint: Option<String>,
    /// What the field holds at first (a failed plain form shows the address again).
    #[prop(optional_no_strip)]
    value: Option<String>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = if hint.is_some() { format!("{hint_id} {error_id}") } else { error_id.clone() };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=name type=kind autocomplete=autocomplete required=required value=value
                maxlength=maxlength.map(|m| m.to_string())
                aria-describedby=described_by aria-invalid=move || error.get().is_some().to_string()/>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <p class="field-error" id=error_id role="alert" hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// The field for a one-time code (from an authenticator app, or a recovery code), with its
/// error line: the browser may offer the code (`one-time-code`), phones show digits when only
/// digits fit.
#[component]
pub fn CodeField(
    /// Element id; the error line gets `<id>-error`, the hint `<id>-hint`.
    id: &'static str,
    /// Visible label.
    label: &'static str,
    /// The field's error message, if any.
    error: Signal<Option<String>>,
    /// A hint under the field.
    hint: &'static str,
    /// Whether recovery codes (letters) are accepted too.
    #[prop(default = false)]
    recovery: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = format!("{hint_id} {error_id}");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name="code" type="text" class="code-input" autocomplete="one-time-code" required=true
                inputmode=if recovery { "text" } else { "numeric" } maxlength=if recovery { "24" } else { "7" }
                spellcheck="false" autocapitalize="off"
                aria-describedby=described_by aria-invalid=move || error.get().is_some().to_string()/>
            <p class="hint" id=hint_id>{hint}</p>
            <p class="field-error" id=error_id role="alert" hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// A text input that starts with a value (for editing), with its error line.
#[component]
pub fn ValueField(
    /// Element id; the error line gets `<id>-error`.
    id: &'static str,
    /// Form field name.
    name: &'static str,
    /// Visible label.
    label: &'static str,
    /// The current value.
    value: String,
    /// Maximum length in characters.
    maxlength: u32,
    /// The field's error message, if any.
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=name type="text" value=value maxlength=maxlength.to_string() aria-describedby=error_id.clone()
                aria-invalid=move || error.get().is_some().to_string()/>
            <p class="field-error" id=error_id role="alert" hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// A group of checkboxes posted as `<name>[]` (one per ticked box), with a legend, a hint
/// and the group's error line: plain HTML, nothing to run in the browser.
#[component]
pub fn CheckboxGroup(
    /// Element id prefix; the error line gets `<id>-error`.
    id: &'static str,
    /// Form field name (posted as `<name>[]`).
    name: &'static str,
    /// The group's legend.
    legend: &'static str,
    /// A hint under the legend.
    hint: &'static str,
    /// Each box: value and label.
    options: Vec<(String, String)>,
    /// Values ticked at first.
    selected: Vec<String>,
    /// Labels set as code (scopes).
    #[prop(default = false)]
    code: bool,
    /// The group's error, if any.
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    let field = format!("{name}[]");
    view! {
        <fieldset class="field" aria-describedby=described>
            <legend>{legend}</legend>
            <p class="hint">{hint}</p>
            <div class="scope-grid">
                {options.into_iter().enumerate().map(|(i, (value, label))| {
                    let checked = selected.contains(&value);
                    view! {
                        <label class="checkbox" for=format!("{id}-{i}")>
                            <input type="checkbox" id=format!("{id}-{i}") name=field.clone() value=value checked=checked/>
                            {if code { view! { <code>{label}</code> }.into_any() } else { view! { <span>{label}</span> }.into_any() }}
                        </label>
                    }
                }).collect_view()}
            </div>
            <p class="field-error" id=error_id role="alert" hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </fieldset>
    }
}
