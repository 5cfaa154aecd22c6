//! `/portal/keys`: create, list and revoke API keys. The full key is shown once.

use crate::api::{get_key_options, get_session, list_keys, list_pending_keys, ApproveKey, CreateKey, DenyKey, RevokeKey};
use crate::components::dialog::ConfirmDialog;
use crate::components::forms::error_message;
use crate::components::key_parts::{ExpiryPicker, ScopePicker, ShowOnceDialog};
use crate::components::dialog::Dialog;
use crate::components::forms::{last_error, field_error, form_error, refresh_on_success, FormAlert, TextField};
use crate::components::icons::{Icon, IconKind};
use crate::format::{date, date_or, date_time};
use keyport_core::dto::{CreatedKey, KeyOptions, KeyStatus, KeyView};
use keyport_core::roles::{allowed, Action, Role};
use leptos::prelude::*;
use leptos_meta::Title;

/// The CSS class of a status badge.
pub fn status_class(s: KeyStatus) -> &'static str {
    match s {
        KeyStatus::Active => "badge badge-ok",
        KeyStatus::ExpiringSoon | KeyStatus::InGrace | KeyStatus::PendingApproval => "badge badge-warn",
        KeyStatus::Disabled => "badge badge-live",
        KeyStatus::Expired | KeyStatus::Revoked | KeyStatus::Denied => "badge badge-muted",
    }
}

/// The keys page.
#[component]
pub fn KeysPage() -> impl IntoView {
    view! {
        <Title text="API keys"/>
        <KeysView/>
    }
}

/// The list, the approval queue and the dialogs of the keys page, all changing in place.
#[island(lazy)]
fn KeysView() -> impl IntoView {
    crate::islands::ready();
    let create = ServerAction::<CreateKey>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let approve = ServerAction::<ApproveKey>::new();
    let deny = ServerAction::<DenyKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get(), approve.version().get(), deny.version().get()),
        |_| list_keys(),
    );
    // Reloaded after a key is created or revoked, not after a refused attempt (which would
    // rebuild the open form and lose what was typed).
    let changed = RwSignal::new(0u32);
    refresh_on_success(revoke, changed);
    let options = Resource::new(move || changed.get(), |_| get_key_options());
    let opts = move || options.get().and_then(Result::ok);
    let at_limit = move || opts().is_some_and(|o| o.keys >= o.max_keys);
    // Who is looking decides which buttons appear; the server applies the same table.
    let session = Resource::new(|| (), |_| get_session());
    let me = move || session.get().and_then(Result::ok).flatten().map(|s| (s.role, s.user.id));
    let can_create = move || me().is_some_and(|(role, _)| allowed(role, Action::CreateKey));
    // The approval queue, for those who decide; others never ask for it.
    let pending = Resource::new(
        move || (session.get().and_then(Result::ok).flatten().map(|s| s.role), create.version().get(), approve.version().get(), deny.version().get()),
        |(role, _, _, _)| async move {
            match role {
                Some(r) if allowed(r, Action::ApproveKeys) => list_pending_keys().await.map(Some),
                _ => Ok(None),
            }
        },
    );
    let show_create = RwSignal::new(false);
    let created: RwSignal<Option<CreatedKey>> = RwSignal::new(None);
    let to_revoke: RwSignal<Option<KeyView>> = RwSignal::new(None);

    // A successful creation closes the form and opens the show-once dialog.
    Effect::new(move |_| {
        if let Some(Ok(k)) = create.value().get() {
            show_create.set(false);
            created.set(Some(k));
            changed.update(|n| *n += 1);
            create.value().set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = revoke.value().get() {
            to_revoke.set(None);
        }
    });

    view! {
        <header class="page-header page-header-row">
            <div>
                <h1>"API keys"</h1>
                <p class="muted">"Keys authenticate your requests. Keep them secret; revoke any you no longer trust."</p>
            </div>
            <Transition>
                {move || can_create().then(|| view! {
                    <div class="header-actions">
                        {opts().map(|o| view! { <span class="small muted">{format!("{} of {} keys in use", o.keys, o.max_keys)}</span> })}
                        <button type="button" class="btn btn-primary" disabled=at_limit
                            title=move || at_limit().then_some("This team has as many keys as allowed. Revoke one first.")
                            on:click=move |_| show_create.set(true)>
                            <Icon kind=IconKind::Plus/>"Create key"
                        </button>
                    </div>
                })}
            </Transition>
        </header>
        <Transition>
            {move || pending.get().and_then(Result::ok).flatten().filter(|p| !p.is_empty()).map(|list| view! {
                <ApprovalQueue list approve deny/>
            })}
        </Transition>
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
        {move || show_create.get().then(|| options.get_untracked().and_then(Result::ok)).flatten().map(|o| view! {
            <CreateKeyDialog create options=o on_close=Callback::new(move |_| show_create.set(false))/>
        })}
        {move || created.get().map(|k| view! {
            <ShowOnceDialog created=k api_base_url=opts().map(|o| o.api_base_url).unwrap_or_default()
                on_close=Callback::new(move |_| created.set(None))/>
        })}
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
                        <th scope="col" class="hide-sm">"Scopes"</th>
                        <th scope="col" class="hide-sm hide-md">"Expires"</th>
                        <th scope="col" class="hide-sm">"Last used"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|k| {
                        let revocable = viewer.as_ref().is_some_and(|(role, me)| k.manageable_by(*role, me));
                        let in_grace = k.status == KeyStatus::InGrace;
                        let label = if in_grace { format!("Revoke old key now: {}", k.name) } else { format!("Revoke {}", k.name) };
                        let row_key = k.clone();
                        view! {
                            <tr>
                                <th scope="row" class="key-name">
                                    <a href=format!("/portal/keys/{}", k.id)>{k.name.clone()}</a>
                                    <span class="sub">{k.description.clone().unwrap_or_else(|| format!("Created {}", date(k.created_at)))}</span>
                                </th>
                                <td>
                                    <code class="key-masked">{k.masked.clone()}</code>
                                    " "<span class=format!("badge badge-{}", k.environment)>{k.environment.to_string()}</span>
                                </td>
                                <td class="hide-sm scopes-cell">
                                    {if k.scopes.is_empty() {
                                        view! { <span class="muted small">"No scopes"</span> }.into_any()
                                    } else {
                                        k.scopes.iter().map(|sc| view! { <code class="scope">{sc.clone()}</code> }).collect_view().into_any()
                                    }}
                                </td>
                                <td class="hide-sm hide-md">{date_or(k.expires_at, "Never")}</td>
                                <td class="hide-sm">{k.last_used_at.map(date_time).unwrap_or_else(|| "Never".into())}</td>
                                <td>
                                    <span class=status_class(k.status)>{k.status.label()}</span>
                                    {k.grace_until.filter(|_| in_grace).map(|t| view! { <span class="sub">{format!("until {}", date_time(t))}</span> })}
                                </td>
                                <td class="actions">
                                    {revocable.then(|| view! {
                                        <button type="button" class="btn btn-danger-ghost btn-sm" aria-label=label
                                            on:click=move |_| to_revoke.set(Some(row_key.clone()))>
                                            {if in_grace { "Revoke old key now" } else { "Revoke" }}
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
fn CreateKeyDialog(create: ServerAction<CreateKey>, options: KeyOptions, on_close: Callback<()>) -> impl IntoView {
    let value = last_error(create);
    let fields = &["name", "description", "environment", "scopes", "expiry", "ratelimit", "quota"];
    let form_err = form_error(value, fields);
    let pending = create.pending();
    let approval_hint = match (options.approval_live, options.approval_scopes.is_empty()) {
        (true, true) => Some(format!("Live keys work once {} approves them.", options.approver())),
        (true, false) => Some(format!("Live keys, and keys with {}, work once {} approves them.", options.approval_scopes.join(", "), options.approver())),
        (false, false) => Some(format!("Keys with {} work once {} approves them.", options.approval_scopes.join(", "), options.approver())),
        (false, true) => None,
    };
    let KeyOptions { scopes, default_scopes, default_ratelimit, max_ratelimit, .. } = options;
    view! {
        <Dialog labelled_by="create-title" on_close>
            <h2 id="create-title">"Create an API key"</h2>
            <FormAlert message=form_err/>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <TextField id="key-name" name="name" label="Name" maxlength=64 error=field_error(value, "name")/>
                <TextField id="key-description" name="description" label="Description (optional)" maxlength=280 required=false
                    error=field_error(value, "description")/>
                <fieldset class="field">
                    <legend>"Environment"</legend>
                    <div class="radio-row">
                        <label class="radio"><input type="radio" name="environment" value="live" checked/>"Live"</label>
                        <label class="radio"><input type="radio" name="environment" value="test"/>"Test"</label>
                    </div>
                    {approval_hint.map(|h| view! { <p class="hint">{h}</p> })}
                </fieldset>
                <ScopePicker id="key-scope" catalogue=scopes selected=default_scopes error=field_error(value, "scopes")/>
                <div class="form-grid">
                    <ExpiryPicker error=field_error(value, "expiry")/>
                    <NumberField id="key-ratelimit" name="ratelimit" label="Requests per minute" value=default_ratelimit.to_string()
                        min=1 max=max_ratelimit hint=format!("1 to {max_ratelimit}") error=field_error(value, "ratelimit")/>
                </div>
                <NumberField id="key-quota" name="quota" label="Monthly quota (optional)" value=String::new()
                    min=1 max=1_000_000_000 hint="Requests per calendar month; empty for no quota.".to_owned() error=field_error(value, "quota")/>
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

/// A labelled number input with a hint and its error line.
#[component]
pub fn NumberField(
    /// Element id.
    id: &'static str,
    /// Form field name.
    name: &'static str,
    /// Visible label.
    label: &'static str,
    /// Initial value.
    value: String,
    /// Smallest value.
    min: i64,
    /// Largest value.
    max: i64,
    /// A hint under the field.
    hint: String,
    /// The field's error, if any.
    error: Signal<Option<String>>,
) -> impl IntoView {
    let described = format!("{id}-hint {id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=name type="number" inputmode="numeric" min=min max=max step="1" value=value
                aria-describedby=described aria-invalid=move || error.get().is_some().to_string()/>
            <p class="hint" id=format!("{id}-hint")>{hint}</p>
            <p class="field-error" id=format!("{id}-error") role="alert" hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
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

#[component]
fn ApprovalQueue(list: Vec<KeyView>, approve: ServerAction<ApproveKey>, deny: ServerAction<DenyKey>) -> impl IntoView {
    let denying: RwSignal<Option<KeyView>> = RwSignal::new(None);
    let reason = RwSignal::new(String::new());
    let reason_err = field_error(last_error(deny), "reason");
    Effect::new(move |_| {
        if let Some(Ok(_)) = deny.value().get() {
            denying.set(None);
        }
    });
    view! {
        <section class="card section approval-queue" aria-labelledby="queue-title">
            <h2 id="queue-title">{format!("Waiting for approval ({})", list.len())}</h2>
            <p class="small muted">"These keys do not work, or keep their old scopes, until an owner or admin other than the requester approves them. The requester is told by email either way."</p>
            <FormAlert message=error_message(approve)/>
            <ul class="queue">
                {list.into_iter().map(|k| {
                    let id = k.id.clone();
                    let row = k.clone();
                    view! {
                        <li class="queue-item">
                            <div>
                                <strong>{k.name.clone()}</strong>" "
                                <span class=format!("badge badge-{}", k.environment)>{k.environment.to_string()}</span>
                                <div class="small muted">
                                    {if k.pending_scopes.is_empty() {
                                        k.scopes.iter().map(|s| view! { <code class="scope">{s.clone()}</code> }).collect_view().into_any()
                                    } else {
                                        view! { "asks for the scopes " {k.pending_scopes.iter().map(|s| view! { <code class="scope">{s.clone()}</code> }).collect_view()} }.into_any()
                                    }}
                                    {format!("requested {}", date(k.created_at))}
                                </div>
                            </div>
                            <div class="queue-actions">
                                <button type="button" class="btn btn-primary btn-sm" aria-label=format!("Approve {}", k.name)
                                    disabled=move || approve.pending().get()
                                    on:click=move |_| { approve.dispatch(ApproveKey { id: id.clone(), reason: String::new() }); }>"Approve"</button>
                                <button type="button" class="btn btn-danger-ghost btn-sm" aria-label=format!("Deny {}", k.name)
                                    on:click=move |_| { reason.set(String::new()); denying.set(Some(row.clone())); }>"Deny"</button>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        {move || denying.get().map(|k| {
            let id = k.id.clone();
            view! {
                <ConfirmDialog id="deny-title" title=format!("Deny “{}”?", k.name)
                    confirm=("Deny key", "Denying…")
                    pending=deny.pending().into()
                    error=form_error(last_error(deny), &["reason"])
                    on_confirm=Callback::new(move |_| { deny.dispatch(DenyKey { id: id.clone(), reason: reason.get_untracked() }); })
                    on_close=Callback::new(move |_| denying.set(None))>
                    <div class="field">
                        <label for="deny-reason">"Reason (sent to the requester)"</label>
                        <textarea id="deny-reason" rows="3" maxlength="500" aria-describedby="deny-reason-error"
                            on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                        <p class="field-error" id="deny-reason-error" role="alert" hidden=move || reason_err.get().is_none()>
                            {move || reason_err.get().unwrap_or_default()}
                        </p>
                    </div>
                </ConfirmDialog>
            }
        })}
    }
}
