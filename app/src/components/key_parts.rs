//! Pieces of the key pages: the scope picker, the expiry picker, and the show-once dialog
//! with ready-to-paste snippets.

use crate::components::dialog::Dialog;
use crate::components::icons::{Icon, IconKind};
use keyport_core::dto::{snippets, CreatedKey};
use keyport_core::validate::Expiry;
use leptos::prelude::*;

/// Checkboxes for the operator's scopes; the chosen ones travel in a hidden `scopes` input
/// (space-separated), so the form posts one field whatever is ticked.
#[component]
pub fn ScopePicker(
    /// Element id prefix.
    id: &'static str,
    /// The operator's catalogue.
    catalogue: Vec<String>,
    /// Ticked at first.
    selected: Vec<String>,
    /// The field's error, if any.
    error: Signal<Option<String>>,
) -> impl IntoView {
    let chosen = RwSignal::new(selected);
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <fieldset class="field" aria-describedby=described>
            <legend>"Scopes"</legend>
            <p class="hint">"What the key may do. A request needing a scope the key lacks is refused."</p>
            <div class="scope-grid">
                {catalogue.into_iter().enumerate().map(|(i, scope)| {
                    let s = scope.clone();
                    let checked = chosen.with_untracked(|c| c.contains(&scope));
                    view! {
                        <label class="checkbox" for=format!("{id}-{i}")>
                            <input type="checkbox" id=format!("{id}-{i}") checked=checked
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| {
                                        c.retain(|x| *x != s);
                                        if on { c.push(s.clone()); }
                                    });
                                }/>
                            <code>{scope}</code>
                        </label>
                    }
                }).collect_view()}
            </div>
            <input type="hidden" name="scopes" prop:value=move || chosen.with(|c| c.join(" "))/>
            <p class="field-error" id=error_id role="alert" hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </fieldset>
    }
}

/// The expiry choice: presets, or a date. Posts one `expiry` field.
#[component]
pub fn ExpiryPicker(error: Signal<Option<String>>) -> impl IntoView {
    let choice = RwSignal::new("never".to_owned());
    let date = RwSignal::new(String::new());
    view! {
        <div class="field">
            <label for="key-expiry">"Expires"</label>
            <select id="key-expiry" aria-describedby="key-expiry-error" on:change=move |ev| choice.set(event_target_value(&ev))>
                {Expiry::CHOICES.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
            </select>
            <Show when=move || choice.get() == "date">
                <label for="key-expiry-date" class="visually-hidden">"Expiry date"</label>
                <input id="key-expiry-date" type="date" on:input=move |ev| date.set(event_target_value(&ev))/>
                <p class="hint">"The key works until the end of that day (UTC)."</p>
            </Show>
            <input type="hidden" name="expiry"
                prop:value=move || if choice.get() == "date" { date.get() } else { choice.get() }/>
            <p class="field-error" id="key-expiry-error" role="alert" hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// Copies `text` to the clipboard; `done` learns whether it worked.
pub fn copy_to_clipboard(text: String, done: RwSignal<Option<bool>>) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let ok = match web_sys::window() {
            Some(w) => wasm_bindgen_futures::JsFuture::from(w.navigator().clipboard().write_text(&text)).await.is_ok(),
            None => false,
        };
        done.set(Some(ok));
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, done);
}

/// The only time a full key is on screen: masked by default, copyable without revealing,
/// with snippets (curl, JavaScript, Python) that hold it.
#[component]
pub fn ShowOnceDialog(
    /// The new key.
    created: CreatedKey,
    /// The API's base URL, for the snippets.
    api_base_url: String,
    /// The heading.
    #[prop(default = "Your new API key")]
    title: &'static str,
    /// Called when the person has saved it.
    on_close: Callback<()>,
) -> impl IntoView {
    let revealed = RwSignal::new(false);
    let copied = RwSignal::new(None::<bool>);
    let secret = StoredValue::new(created.secret.clone());
    let masked = created.secret.masked();
    let lang = RwSignal::new(0usize);
    let snippet_copied = RwSignal::new(None::<bool>);
    let api = StoredValue::new(api_base_url);
    // What is shown uses the masked key; what is copied holds the real one.
    let shown_snippet = {
        let masked = masked.clone();
        move || api.with_value(|a| snippets(a, &masked))[lang.get()].1.clone()
    };
    let copy_key = move |_| copy_to_clipboard(secret.with_value(|s| s.expose().to_owned()), copied);
    let copy_snippet = move |_| {
        let code = api.with_value(|a| secret.with_value(|s| snippets(a, s.expose())))[lang.get_untracked()].1.clone();
        copy_to_clipboard(code, snippet_copied);
    };
    view! {
        <Dialog labelled_by="secret-title" on_close>
            <h2 id="secret-title">{title}</h2>
            <p class="alert alert-warn">
                <strong>"This key will never be shown again."</strong>
                " Copy it now and store it somewhere safe, like a secrets manager."
            </p>
            <p class="muted small">{format!("{} · {}", created.key.name, created.key.environment)}</p>
            {(created.key.status == keyport_core::dto::KeyStatus::PendingApproval).then(|| view! {
                <p class="alert alert-info" role="note">"This key works once an owner or admin approves it. You will get an email when they decide."</p>
            })}
            <div class="secret-box">
                <code aria-label="API key" data-testid="new-key">
                    {move || if revealed.get() { secret.with_value(|s| s.expose().to_owned()) } else { masked.clone() }}
                </code>
                <button type="button" class="btn btn-primary btn-sm" on:click=copy_key>
                    <Icon kind=IconKind::Copy/>
                    {move || if copied.get() == Some(true) { "Copied" } else { "Copy" }}
                </button>
                <button type="button" class="btn btn-ghost btn-sm" aria-pressed=move || revealed.get().to_string()
                    on:click=move |_| revealed.update(|r| *r = !*r)>
                    <Icon kind=IconKind::Eye/>
                    {move || if revealed.get() { "Hide key" } else { "Reveal key" }}
                </button>
            </div>
            <p class="small" role="status">
                {move || match copied.get() {
                    Some(true) => "Key copied to the clipboard.",
                    Some(false) => "Couldn't copy automatically. Reveal the key and copy it by hand.",
                    None => "",
                }}
            </p>
            <div class="snippets">
                <div class="snippet-tabs" role="group" aria-label="Snippet language">
                    {["curl", "JavaScript", "Python"].into_iter().enumerate().map(|(i, l)| view! {
                        <button type="button" class="btn btn-ghost btn-sm" aria-pressed=move || (lang.get() == i).to_string()
                            on:click=move |_| { lang.set(i); snippet_copied.set(None); }>{l}</button>
                    }).collect_view()}
                    <button type="button" class="btn btn-secondary btn-sm snippet-copy" on:click=copy_snippet>
                        <Icon kind=IconKind::Copy/>
                        {move || if snippet_copied.get() == Some(true) { "Snippet copied" } else { "Copy snippet" }}
                    </button>
                </div>
                <pre class="snippet" aria-label="Code snippet"><code>{shown_snippet}</code></pre>
            </div>
            <div class="dialog-actions">
                <button type="button" class="btn btn-primary" on:click=move |_| on_close.run(())>"Done, I've saved it"</button>
            </div>
        </Dialog>
    }
}
