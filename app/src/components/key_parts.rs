//! Pieces of the key pages: the scope picker, the expiry picker and the show-once dialog
//! with ready-to-paste snippets.

use crate::components::forms::CheckboxGroup;
use crate::components::icons::{Icon, IconKind};
use keyport_core::dto::{snippets, KeyStatus, KeyView};
use keyport_core::validate::Expiry;
use leptos::prelude::*;

/// Checkboxes for the operator's scopes, posted as `scope[]` (one per ticked box): plain
/// HTML, nothing to run in the browser.
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
    let options = catalogue.into_iter().map(|s| (s.clone(), s)).collect();
    view! {
        <CheckboxGroup id name="scope" legend="Scopes" hint="What the key may do. A request needing a scope the key lacks is refused."
            options selected code=true error/>
    }
}

/// The expiry choice: presets, or a date (used when "On a date…" is chosen).
#[component]
pub fn ExpiryPicker(
    /// The choice typed before a refused form, if any.
    chosen: Option<String>,
    /// The date typed before a refused form, if any.
    date: Option<String>,
    /// The field's error, if any.
    error: Signal<Option<String>>,
) -> impl IntoView {
    let chosen = chosen.unwrap_or_else(|| "never".into());
    view! {
        <div class="field">
            <label for="key-expiry">"Expires"</label>
            <select id="key-expiry" name="expiry" aria-describedby="key-expiry-error">
                {Expiry::CHOICES.iter().map(|(v, l)| view! { <option value=*v selected=*v == chosen>{*l}</option> }).collect_view()}
            </select>
            <label for="key-expiry-date" class="small">"Expiry date (with “On a date…”)"</label>
            <input id="key-expiry-date" name="expiry_date" type="date" value=date/>
            <p class="hint">"The key works until the end of that day (UTC)."</p>
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

/// A retrievable key on its page: masked, with "Copy key" (without showing it) and "Reveal
/// key". Each asks the server for the key (audited there); until this session confirmed the
/// person recently, the server asks for `proof` first and a field for it appears here. The
/// key lives only in this island's memory while shown; hiding it drops it.
#[island]
pub fn KeySecret(key_id: String, masked: String, proof_label: String, proof_kind: String) -> impl IntoView {
    crate::islands::ready();
    let shown = RwSignal::new(None::<String>);
    let waiting = RwSignal::new(None::<&'static str>);
    let asking = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let note = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<bool>);
    let proof = NodeRef::<leptos::html::Input>::new();
    let key_id = StoredValue::new(key_id);
    let ask = move |purpose: &'static str, with_proof: bool| {
        #[cfg(feature = "hydrate")]
        {
            let given = if with_proof { proof.get().map(|i| i.value()).unwrap_or_default() } else { String::new() };
            busy.set(true);
            note.set(None);
            copied.set(None);
            leptos::task::spawn_local(async move {
                let answer = crate::api::retrieve_key(key_id.get_value(), purpose.to_owned(), with_proof.then_some(given)).await;
                busy.set(false);
                match answer {
                    Ok(key) => {
                        asking.set(false);
                        waiting.set(None);
                        if let Some(i) = proof.get() {
                            i.set_value("");
                        }
                        if purpose == "copy" {
                            copy_to_clipboard(key, copied);
                        } else {
                            shown.set(Some(key));
                        }
                    }
                    Err(e) => match e.for_field("proof") {
                        Some(m) => {
                            waiting.set(Some(purpose));
                            asking.set(true);
                            if with_proof {
                                note.set(Some(m));
                            }
                            // Once the field is shown (the next frame), the caret goes to it.
                            request_animation_frame(move || {
                                if let Some(i) = proof.get_untracked() {
                                    let _ = i.focus();
                                }
                            });
                        }
                        None => note.set(Some(e.to_string())),
                    },
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (purpose, with_proof, proof, key_id);
    };
    let masked = StoredValue::new(masked);
    view! {
        <div class="secret-box">
            <code aria-label="API key" data-testid="key-secret">{move || shown.get().unwrap_or_else(|| masked.get_value())}</code>
            <button type="button" class="btn btn-primary btn-sm" disabled=move || busy.get() on:click=move |_| ask("copy", false)>
                <Icon kind=IconKind::Copy/>
                {move || if copied.get() == Some(true) { "Copied" } else { "Copy key" }}
            </button>
            <button type="button" class="btn btn-ghost btn-sm" aria-pressed=move || shown.with(Option::is_some).to_string() disabled=move || busy.get()
                on:click=move |_| if shown.with(Option::is_some) { shown.set(None) } else { ask("reveal", false) }>
                <Icon kind=IconKind::Eye/>
                {move || if shown.with(Option::is_some) { "Hide key" } else { "Reveal key" }}
            </button>
        </div>
        <form class="form form-narrow confirm-presence" hidden=move || !asking.get()
            on:submit=move |ev| {
                ev.prevent_default();
                if let Some(p) = waiting.get_untracked() {
                    ask(p, true);
                }
            }>
            <p class="small">"Confirm it is you to show or copy this key."</p>
            <div class="field">
                <label for="key-proof">{proof_label}</label>
                <input id="key-proof" name="proof" type=proof_kind autocomplete="current-password" node_ref=proof/>
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary btn-sm" disabled=move || busy.get()>"Confirm"</button>
                <button type="button" class="btn btn-ghost btn-sm" on:click=move |_| { asking.set(false); waiting.set(None); note.set(None); }>"Cancel"</button>
            </div>
        </form>
        <p class="small" role="status">
            {move || match (copied.get(), note.get()) {
                (_, Some(m)) => m,
                (Some(true), _) => "Key copied to the clipboard.".to_owned(),
                (Some(false), _) => "Couldn't copy automatically. Reveal the key and copy it by hand.".to_owned(),
                _ => String::new(),
            }}
        </p>
    }
}

/// The only time a full key is on screen, on the page a plain form led to: masked by default,
/// copyable without revealing, with snippets (curl, JavaScript, Python) that hold it.
#[component]
pub fn ShowOnce(
    /// The key's list entry.
    key: KeyView,
    /// The full key.
    secret: String,
    /// The API's base URL, for the snippets.
    api_base_url: String,
    /// The heading.
    title: &'static str,
) -> impl IntoView {
    let masked = keyport_core::key::PlainKey::new(secret.clone()).masked();
    let shown = snippets(&api_base_url, &masked);
    let copied = snippets(&api_base_url, &secret);
    let snippets: Vec<(String, String, String)> =
        shown.into_iter().zip(copied).map(|((lang, shown), (_, copied))| (lang.to_owned(), shown, copied)).collect();
    view! {
        // In the provider's frame, embed-frame.js tells the parent page a key was made (its id
        // and name; never the key).
        <dialog id="show-once" class="dialog native-dialog" aria-labelledby="secret-title" open=true
            data-keyport-key-created="" data-key-id=key.id.clone() data-key-name=key.name.clone()>
            <h2 id="secret-title">{title}</h2>
            <p class="alert alert-warn">
                <strong>"This key will never be shown again."</strong>
                " Copy it now and store it somewhere safe, like a secrets manager."
            </p>
            <p class="muted small">{format!("{} · {}", key.name, key.environment)}</p>
            {(key.status == KeyStatus::PendingApproval).then(|| view! {
                <p class="alert alert-info" role="note">"This key works once an owner or admin approves it. You will get an email when they decide."</p>
            })}
            <SecretBox dialog="show-once".to_owned() key_id=key.id.clone() secret masked snippets/>
            <form method="dialog" class="dialog-actions">
                <button type="submit" class="btn btn-primary">"Done, I've saved it"</button>
            </form>
        </dialog>
    }
}

/// The key and its snippets: copy, reveal, pick a language. Once live it turns the dialog
/// the server drew open into a modal one (focus inside, Escape closes).
#[island]
pub(crate) fn SecretBox(dialog: String, key_id: String, secret: String, masked: String, snippets: Vec<(String, String, String)>) -> impl IntoView {
    crate::islands::ready();
    // The docs' samples in this tab may copy the new key for fifteen minutes (session
    // storage: this tab only, gone when it closes).
    #[cfg(feature = "hydrate")]
    {
        let recent = format!("{key_id} {} {secret}", js_sys::Date::now());
        if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
            let _ = s.set_item("keyport.recent-key", &recent);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = &key_id;
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        if let Some(d) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&dialog))
            .and_then(|d| d.dyn_into::<web_sys::HtmlDialogElement>().ok())
        {
            d.close();
            let _ = d.show_modal();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = &dialog;
    let revealed = RwSignal::new(false);
    let copied = RwSignal::new(None::<bool>);
    let lang = RwSignal::new(0usize);
    let snippet_copied = RwSignal::new(None::<bool>);
    let secret = StoredValue::new(secret);
    let snippets = StoredValue::new(snippets);
    let langs: Vec<String> = snippets.with_value(|s| s.iter().map(|(l, _, _)| l.clone()).collect());
    view! {
        <div class="secret-box">
            <code aria-label="API key" data-testid="new-key">
                {move || if revealed.get() { secret.get_value() } else { masked.clone() }}
            </code>
            <button type="button" class="btn btn-primary btn-sm" on:click=move |_| copy_to_clipboard(secret.get_value(), copied)>
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
                {langs.into_iter().enumerate().map(|(i, l)| view! {
                    <button type="button" class="btn btn-ghost btn-sm" aria-pressed=move || (lang.get() == i).to_string()
                        on:click=move |_| { lang.set(i); snippet_copied.set(None); }>{l}</button>
                }).collect_view()}
                <button type="button" class="btn btn-secondary btn-sm snippet-copy"
                    on:click=move |_| copy_to_clipboard(snippets.with_value(|s| s[lang.get_untracked()].2.clone()), snippet_copied)>
                    <Icon kind=IconKind::Copy/>
                    {move || if snippet_copied.get() == Some(true) { "Snippet copied" } else { "Copy snippet" }}
                </button>
            </div>
            // What is shown uses the masked key; what is copied holds the real one.
            <pre class="snippet" aria-label="Code snippet"><code>{move || snippets.with_value(|s| s[lang.get()].1.clone())}</code></pre>
        </div>
    }
}
