//! `/portal/keys`: create, list and revoke API keys. The full key is shown once.

use crate::api::{get_session, list_keys, CreateKey, RevokeKey};
use crate::components::dialog::Dialog;
use crate::components::forms::{last_error, field_error, form_error, FormAlert, TextField};
use crate::components::icons::{Icon, IconKind};
use crate::format::{date, date_or, date_time};
use keyport_core::dto::{CreatedKey, KeyStatus, KeyView};
use keyport_core::roles::{allowed, Action, Role};
use keyport_core::validate::Expiry;
use leptos::prelude::*;
use leptos_meta::Title;

/// The CSS class of a status badge.
pub fn status_class(s: KeyStatus) -> &'static str {
    match s {
        KeyStatus::Active => "badge badge-ok",
        KeyStatus::ExpiringSoon => "badge badge-warn",
        KeyStatus::Expired | KeyStatus::Revoked => "badge badge-muted",
    }
}

/// The keys page.
#[component]
pub fn KeysPage() -> impl IntoView {
    let create = ServerAction::<CreateKey>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let keys = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_keys());
    // Who is looking decides which buttons appear; the server applies the same table.
    let session = Resource::new(|| (), |_| get_session());
    let me = move || session.get().and_then(Result::ok).flatten().map(|s| (s.role, s.user.id));
    let can_create = move || me().is_some_and(|(role, _)| allowed(role, Action::CreateKey));
    let show_create = RwSignal::new(false);
    let created: RwSignal<Option<CreatedKey>> = RwSignal::new(None);
    let to_revoke: RwSignal<Option<KeyView>> = RwSignal::new(None);

    // A successful creation closes the form and opens the show-once dialog.
    Effect::new(move |_| {
        if let Some(Ok(k)) = create.value().get() {
            show_create.set(false);
            created.set(Some(k));
            create.value().set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = revoke.value().get() {
            to_revoke.set(None);
        }
    });

    view! {
        <Title text="API keys"/>
        <header class="page-header page-header-row">
            <div>
                <h1>"API keys"</h1>
                <p class="muted">"Keys authenticate your requests. Keep them secret; revoke any you no longer trust."</p>
            </div>
            <Transition>
                {move || can_create().then(|| view! {
                    <button type="button" class="btn btn-primary" on:click=move |_| show_create.set(true)>
                        <Icon kind=IconKind::Plus/>"Create key"
                    </button>
                })}
            </Transition>
        </header>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading keys…"</p> }>
            {move || keys.get().zip(session.get()).map(|(result, _)| {
                match result {
                    Ok(list) if list.is_empty() => view! {
                        <section class="card empty-state">
                            <div class="empty-icon" aria-hidden="true"><Icon kind=IconKind::Key/></div>
                            <h2>"No API keys yet"</h2>
                            {if can_create() {
                                view! {
                                    <p class="muted">"Create your first key to start calling the API. It takes a few seconds."</p>
                                    <button type="button" class="btn btn-primary" on:click=move |_| show_create.set(true)>
                                        "Create your first key"
                                    </button>
                                }.into_any()
                            } else {
                                view! { <p class="muted">"Your role in this team can see keys but not create them. Ask an owner or admin."</p> }.into_any()
                            }}
                        </section>
                    }.into_any(),
                    Ok(list) => view! { <KeyTable list to_revoke viewer=me()/> }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <Show when=move || show_create.get()>
            <CreateKeyDialog create on_close=Callback::new(move |_| show_create.set(false))/>
        </Show>
        {move || created.get().map(|k| view! { <ShowOnceDialog created=k on_close=Callback::new(move |_| created.set(None))/> })}
        {move || to_revoke.get().map(|k| view! { <RevokeDialog key=k revoke on_close=Callback::new(move |_| to_revoke.set(None))/> })}
    }
}

#[component]
fn KeyTable(list: Vec<KeyView>, to_revoke: RwSignal<Option<KeyView>>, viewer: Option<(Role, String)>) -> impl IntoView {
    view! {
        <div class="table-wrap card">
            <table class="keys-table">
                <caption class="visually-hidden">"Your API keys"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Environment"</th>
                        <th scope="col" class="hide-sm">"Expires"</th>
                        <th scope="col" class="hide-sm">"Last used"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|k| {
                        let revocable = viewer.as_ref().is_some_and(|(role, me)| k.manageable_by(*role, me));
                        let label = format!("Revoke {}", k.name);
                        let row_key = k.clone();
                        view! {
                            <tr>
                                <th scope="row" class="key-name">
                                    {k.name.clone()}
                                    <span class="sub">{format!("Created {}", date(k.created_at))}</span>
                                </th>
                                <td><code class="key-masked">{k.masked.clone()}</code></td>
                                <td><span class=format!("badge badge-{}", k.environment)>{k.environment.to_string()}</span></td>
                                <td class="hide-sm">{date_or(k.expires_at, "Never")}</td>
                                <td class="hide-sm">{k.last_used_at.map(date_time).unwrap_or_else(|| "Never".into())}</td>
                                <td><span class=status_class(k.status)>{k.status.label()}</span></td>
                                <td class="actions">
                                    {revocable.then(|| view! {
                                        <button type="button" class="btn btn-danger-ghost btn-sm" aria-label=label
                                            on:click=move |_| to_revoke.set(Some(row_key.clone()))>
                                            "Revoke"
                                        </button>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn CreateKeyDialog(create: ServerAction<CreateKey>, on_close: Callback<()>) -> impl IntoView {
    let value = last_error(create);
    let name_err = field_error(value, "name");
    let form_err = form_error(value, &["name", "environment", "expiry"]);
    let pending = create.pending();
    view! {
        <Dialog labelled_by="create-title" on_close>
            <h2 id="create-title">"Create an API key"</h2>
            <FormAlert message=form_err/>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <TextField id="key-name" name="name" label="Name" maxlength=64 error=name_err/>
                <fieldset class="field">
                    <legend>"Environment"</legend>
                    <div class="radio-row">
                        <label class="radio"><input type="radio" name="environment" value="live" checked/>"Live"</label>
                        <label class="radio"><input type="radio" name="environment" value="test"/>"Test"</label>
                    </div>
                </fieldset>
                <div class="field">
                    <label for="key-expiry">"Expires"</label>
                    <select id="key-expiry" name="expiry">
                        {Expiry::CHOICES.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                    </select>
                </div>
                <div class="dialog-actions">
                    <button type="button" class="btn btn-ghost" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Creating…" } else { "Create key" }}
                    </button>
                </div>
            </ActionForm>
        </Dialog>
    }
}

#[component]
fn ShowOnceDialog(created: CreatedKey, on_close: Callback<()>) -> impl IntoView {
    let revealed = RwSignal::new(false);
    let copied = RwSignal::new(None::<bool>);
    let secret = StoredValue::new(created.secret.clone());
    let masked = created.secret.masked();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = secret.with_value(|s| s.expose().to_owned());
            leptos::task::spawn_local(async move {
                let ok = match web_sys::window() {
                    Some(w) => wasm_bindgen_futures::JsFuture::from(w.navigator().clipboard().write_text(&text)).await.is_ok(),
                    None => false,
                };
                copied.set(Some(ok));
            });
        }
    };
    view! {
        <Dialog labelled_by="secret-title" on_close>
            <h2 id="secret-title">"Your new API key"</h2>
            <p class="alert alert-warn">
                <strong>"This key will never be shown again."</strong>
                " Copy it now and store it somewhere safe, like a secrets manager."
            </p>
            <p class="muted small">{format!("{} · {}", created.key.name, created.key.environment)}</p>
            <div class="secret-box">
                <code aria-label="API key" data-testid="new-key">
                    {move || if revealed.get() { secret.with_value(|s| s.expose().to_owned()) } else { masked.clone() }}
                </code>
                <button type="button" class="btn btn-primary btn-sm" on:click=copy>
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
            <div class="dialog-actions">
                <button type="button" class="btn btn-primary" on:click=move |_| on_close.run(())>"Done, I've saved it"</button>
            </div>
        </Dialog>
    }
}

#[component]
fn RevokeDialog(key: KeyView, revoke: ServerAction<RevokeKey>, on_close: Callback<()>) -> impl IntoView {
    let pending = revoke.pending();
    let err = Signal::derive(move || match revoke.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    });
    let id = key.id.clone();
    view! {
        <Dialog labelled_by="revoke-title" on_close>
            <h2 id="revoke-title">{format!("Revoke “{}”?", key.name)}</h2>
            <p>"Requests using " <code>{key.masked.clone()}</code> " will be refused immediately. This cannot be undone."</p>
            <FormAlert message=err/>
            <div class="dialog-actions">
                <button type="button" class="btn btn-ghost" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="button" class="btn btn-danger" disabled=move || pending.get()
                    on:click=move |_| { revoke.dispatch(RevokeKey { id: id.clone() }); }>
                    {move || if pending.get() { "Revoking…" } else { "Revoke key" }}
                </button>
            </div>
        </Dialog>
    }
}
