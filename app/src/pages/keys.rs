//! `/portal/keys`: create, list and revoke API keys. The full key is shown once.
//!
//! Drawn on the server: every action is a plain form (in a native dialog where it needs
//! confirming), and its answer is this page again. Only the dialog buttons and the show-once
//! box run in the browser.

use crate::api::{get_key_options, get_session, list_keys, list_pending_keys, ApproveKey, CreateKey, DenyKey, RevokeKey};
use crate::components::forms::{error_message, field_error, form_error, last_error, FormAlert, TextField, Typed};
use crate::components::icons::{Icon, IconKind};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::key_parts::{ExpiryPicker, ScopePicker, ShowOnce};
use crate::error::AppError;
use crate::format::{date, date_or, date_time};
use crate::islands::OpenDialog;
use keyport_core::dto::{KeyOptions, KeyStatus, KeyView, SessionInfo};
use keyport_core::roles::{allowed, Action};
use crate::components::upgrade::UpgradePrompt;
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

/// The secret a plain form handed to this page for the key named in `?created=`, once
/// (`(kind, secret)`); nothing in the browser.
pub fn handed_over_key() -> Option<(String, String, String)> {
    let id = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("created"))?;
    #[cfg(feature = "ssr")]
    return crate::api::ssr::take_handed_over_key(&id).map(|(kind, secret)| (id, kind, secret));
    #[cfg(not(feature = "ssr"))]
    {
        let _ = id;
        None
    }
}

/// Everything the keys page shows, read at once on the server.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct KeysData {
    session: SessionInfo,
    keys: Vec<KeyView>,
    options: KeyOptions,
    pending: Vec<KeyView>,
}

async fn keys_data() -> Result<KeysData, AppError> {
    let session = get_session().await?.ok_or(AppError::Unauthenticated)?;
    let keys = list_keys().await?;
    let options = get_key_options().await?;
    // The approval queue, for those who decide; others never ask for it.
    let pending = if allowed(session.role, Action::ApproveKeys) { list_pending_keys().await? } else { Vec::new() };
    Ok(KeysData { session, keys, options, pending })
}

/// The keys page.
#[component]
pub fn KeysPage() -> impl IntoView {
    // Read (and cleared) before anything streams, so the cookie's removal is in the headers.
    let handed = handed_over_key();
    let data = Resource::new(|| (), |_| async move { keys_data().await.map_err(|e| e.to_string()) });
    view! {
        <Title text="API keys"/>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading keys…"</p> }>
            {move || {
                let handed = handed.clone();
                data.get().map(move |r| match r {
                    Ok(d) => view! { <KeysContent data=d handed/> }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e}</p> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn KeysContent(data: KeysData, handed: Option<(String, String, String)>) -> impl IntoView {
    let KeysData { session, keys, options, pending } = data;
    let revoke = ServerAction::<RevokeKey>::new();
    let can_create = allowed(session.role, Action::CreateKey);
    let at_limit = options.keys >= options.max_keys;
    let shown = handed.and_then(|(id, kind, secret)| {
        let key = keys.iter().find(|k| k.id == id)?.clone();
        let title = if kind == "rotated" { "Your new key (rotated)" } else if kind == "regenerated" { "Your regenerated key" } else { "Your new API key" };
        Some(view! { <ShowOnce key secret api_base_url=options.api_base_url.clone() title/> })
    });
    let me = (session.role, session.user.id.clone());
    view! {
        <header class="page-header page-header-row">
            <div>
                <h1>"API keys"</h1>
                <p class="muted">"Keys authenticate your requests. Keep them secret; revoke any you no longer trust."</p>
            </div>
            {can_create.then(|| view! {
                <div class="header-actions">
                    <span class="small muted">{format!("{} of {} keys in use", options.keys, options.max_keys)}</span>
                    {if at_limit {
                        view! {
                            <button type="button" class="btn btn-primary" disabled=true
                                title="This team has as many keys as allowed. Revoke one first.">
                                <Icon kind=IconKind::Plus/>"Create key"
                            </button>
                        }.into_any()
                    } else {
                        view! { <OpenDialog dialog="create-key".to_owned() label="Create key".to_owned() class="btn btn-primary".to_owned()/> }.into_any()
                    }}
                </div>
            })}
        </header>
        {(!pending.is_empty()).then(|| view! { <ApprovalQueue list=pending/> })}
        <FormAlert message=error_message(revoke)/>
        {if keys.is_empty() {
            view! {
                <section class="card empty-state">
                    <div class="empty-icon" aria-hidden="true"><Icon kind=IconKind::Key/></div>
                    <h2>"No API keys yet"</h2>
                    {if can_create {
                        view! {
                            <p class="muted">"Create your first key to start calling the API. It takes a few seconds."</p>
                            <OpenDialog dialog="create-key".to_owned() label="Create your first key".to_owned() class="btn btn-primary".to_owned()/>
                        }.into_any()
                    } else {
                        view! { <p class="muted">"Your role in this team can see keys but not create them. Ask an owner or admin."</p> }.into_any()
                    }}
                </section>
            }.into_any()
        } else {
            view! { <KeyTable list=keys me revoke/> }.into_any()
        }}
        {(can_create && !at_limit).then(|| view! { <CreateKeyDialog options/> })}
        {shown}
    }
}

#[component]
fn KeyTable(list: Vec<KeyView>, me: (keyport_core::roles::Role, String), revoke: ServerAction<RevokeKey>) -> impl IntoView {
    let (role, my_id) = me;
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
                        let revocable = k.manageable_by(role, &my_id);
                        let in_grace = k.status == KeyStatus::InGrace;
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
                                    {revocable.then(|| view! { <RevokeButton key=k.clone() revoke in_grace/> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The row's Revoke button and the dialog it opens.
#[component]
fn RevokeButton(key: KeyView, revoke: ServerAction<RevokeKey>, in_grace: bool) -> impl IntoView {
    let dialog = format!("revoke-{}", key.id);
    let label = if in_grace { format!("Revoke old key now: {}", key.name) } else { format!("Revoke {}", key.name) };
    view! {
        <OpenDialog dialog=dialog.clone() label=(if in_grace { "Revoke old key now" } else { "Revoke" }).to_owned()
            class="btn btn-danger-ghost btn-sm".to_owned() aria_label=label/>
        <RevokeDialog id=dialog key revoke/>
    }
}

/// Asks before revoking `key` (the keys list and the key's page share it).
#[component]
pub fn RevokeDialog(id: String, key: KeyView, revoke: ServerAction<RevokeKey>) -> impl IntoView {
    view! {
        <NativeDialog id title=format!("Revoke “{}”?", key.name)>
            <p>"Requests using " <code>{key.masked.clone()}</code> " will be refused immediately. This cannot be undone."</p>
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=key.id.clone()/>
                {confirm_buttons("Revoke key", "btn btn-danger")}
            </ActionForm>
        </NativeDialog>
    }
}

#[component]
fn CreateKeyDialog(options: KeyOptions) -> impl IntoView {
    let create = ServerAction::<CreateKey>::new();
    let value = last_error(create);
    let refused = value.get_untracked().is_some();
    let typed = if refused { Typed::of("keys/create") } else { Typed::default() };
    let fields = &["name", "description", "environment", "scopes", "expiry", "ratelimit", "quota"];
    let approval_hint = match (options.approval_live, options.approval_scopes.is_empty()) {
        (true, true) => Some(format!("Live keys work once {} approves them.", options.approver())),
        (true, false) => Some(format!("Live keys, and keys with {}, work once {} approves them.", options.approval_scopes.join(", "), options.approver())),
        (false, false) => Some(format!("Keys with {} work once {} approves them.", options.approval_scopes.join(", "), options.approver())),
        (false, true) => None,
    };
    let KeyOptions { scopes, default_scopes, default_ratelimit, max_ratelimit, live_keys, plan_name, .. } = options;
    let test_env = !live_keys || typed.get("environment").as_deref() == Some("test");
    let selected = if typed.is_empty() { default_scopes } else { typed.all("scope") };
    view! {
        <NativeDialog id="create-key".to_owned() title="Create an API key".to_owned() open=refused>
            <FormAlert message=form_error(value, fields)/>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <TextField id="key-name" name="name" label="Name" maxlength=64 error=field_error(value, "name") value=typed.get("name")/>
                <TextField id="key-description" name="description" label="Description (optional)" maxlength=280 required=false
                    error=field_error(value, "description") value=typed.get("description")/>
                <fieldset class="field">
                    <legend>"Environment"</legend>
                    <div class="radio-row">
                        <label class="radio"><input type="radio" name="environment" value="live" checked=!test_env disabled=!live_keys/>"Live"</label>
                        <label class="radio"><input type="radio" name="environment" value="test" checked=test_env/>"Test"</label>
                    </div>
                    {(!live_keys).then(|| view! { <UpgradePrompt what="live keys" plan=plan_name/> })}
                    {approval_hint.map(|h| view! { <p class="hint">{h}</p> })}
                    {move || field_error(value, "environment").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </fieldset>
                <ScopePicker id="key-scope" catalogue=scopes selected error=field_error(value, "scopes")/>
                <div class="form-grid">
                    <ExpiryPicker chosen=typed.get("expiry").filter(|e| e.len() <= 6) date=typed.get("expiry_date") error=field_error(value, "expiry")/>
                    <NumberField id="key-ratelimit" name="ratelimit" label="Requests per minute"
                        value=typed.get("ratelimit").unwrap_or_else(|| default_ratelimit.to_string())
                        min=1 max=max_ratelimit hint=format!("1 to {max_ratelimit}") error=field_error(value, "ratelimit")/>
                </div>
                <NumberField id="key-quota" name="quota" label="Monthly quota (optional)" value=typed.get("quota").unwrap_or_default()
                    min=1 max=1_000_000_000 hint="Requests per calendar month; empty for no quota.".to_owned() error=field_error(value, "quota")/>
                {confirm_buttons("Create key", "btn btn-primary")}
            </ActionForm>
        </NativeDialog>
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
fn ApprovalQueue(list: Vec<KeyView>) -> impl IntoView {
    let approve = ServerAction::<ApproveKey>::new();
    let deny = ServerAction::<DenyKey>::new();
    let deny_error = last_error(deny);
    // A refused denial (no reason given) comes back with its dialog open.
    let refused = if deny_error.get_untracked().is_some() { Typed::of("keys/deny") } else { Typed::default() };
    view! {
        <section class="card section approval-queue" aria-labelledby="queue-title">
            <h2 id="queue-title">{format!("Waiting for approval ({})", list.len())}</h2>
            <p class="small muted">"These keys do not work, or keep their old scopes, until an owner or admin other than the requester approves them. The requester is told by email either way."</p>
            <FormAlert message=error_message(approve)/>
            <ul class="queue">
                {list.into_iter().map(|k| {
                    let dialog = format!("deny-{}", k.id);
                    let open = refused.get("id").as_deref() == Some(k.id.as_str());
                    let reason = if open { refused.get("reason") } else { None };
                    let id = StoredValue::new(k.id.clone());
                    let name = k.name.clone();
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
                                <ActionForm action=approve attr:class="inline-form">
                                    <input type="hidden" name="id" value=id.get_value()/>
                                    <input type="hidden" name="reason" value=""/>
                                    <button type="submit" class="btn btn-primary btn-sm" aria-label=format!("Approve {name}")>"Approve"</button>
                                </ActionForm>
                                <OpenDialog dialog=dialog.clone() label="Deny".to_owned() class="btn btn-danger-ghost btn-sm".to_owned()
                                    aria_label=format!("Deny {}", k.name)/>
                            </div>
                            <NativeDialog id=dialog.clone() title=format!("Deny “{}”?", k.name) open>
                                {open.then(|| view! { <FormAlert message=form_error(deny_error, &["reason"])/> })}
                                <ActionForm action=deny attr:class="form" attr:novalidate=true>
                                    <input type="hidden" name="id" value=id.get_value()/>
                                    <div class="field">
                                        <label for=format!("{dialog}-reason")>"Reason (sent to the requester)"</label>
                                        <textarea id=format!("{dialog}-reason") name="reason" rows="3" maxlength="500"
                                            aria-describedby=format!("{dialog}-reason-error")>{reason}</textarea>
                                        {open.then(|| {
                                            let err = field_error(deny_error, "reason");
                                            view! {
                                                <p class="field-error" id=format!("{dialog}-reason-error") role="alert" hidden=move || err.get().is_none()>
                                                    {move || err.get().unwrap_or_default()}
                                                </p>
                                            }
                                        })}
                                    </div>
                                    {confirm_buttons("Deny key", "btn btn-danger")}
                                </ActionForm>
                            </NativeDialog>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
