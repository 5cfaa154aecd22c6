//! `/admin/keys` (every team's keys by status) and `/admin/approvals` (the approval queue of
//! every team). The provider disables, enables and revokes keys, approves and denies.

use super::{admin_view, done_line};
use crate::api::{admin_keys, AdminDecideKey, AdminKeyAct};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{error_message, FormAlert, Typed};
use crate::components::local_time::LocalTime;
use crate::format::date;
use crate::islands::{OpenDialog, SubmitOnChange};
use crate::pages::keys::status_class;
use keyport_core::dto::admin::AdminKey;
use keyport_core::dto::{KeyStatus, KeyView};
use leptos::prelude::*;
use leptos_meta::Title;

/// Keys in a table with the provider's actions; `back` is the page the actions return to.
#[component]
pub fn KeyTable(keys: Vec<AdminKey>, back: String) -> impl IntoView {
    let act = ServerAction::<AdminKeyAct>::new();
    view! {
        <FormAlert message=error_message(act)/>
        <div class="table-wrap">
            <table class="keys-table">
                <caption class="visually-hidden">"Keys"</caption>
                <thead><tr>
                    <th scope="col">"Key"</th><th scope="col">"Team"</th><th scope="col">"Status"</th>
                    <th scope="col" class="hide-sm">"Created"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {keys.into_iter().map(|k| view! {
                        <tr>
                            <th scope="row">{k.key.name.clone()} <br/><code class="key-masked small">{k.key.masked.clone()}</code></th>
                            <td><a href=format!("/admin/teams/{}", k.team_id)>{k.team_name.clone()}</a></td>
                            <td>
                                <span class=format!("badge badge-{}", k.key.environment)>{k.key.environment.to_string()}</span> " "
                                <span class=status_class(k.key.status)>{k.key.status.label()}</span>
                            </td>
                            <td class="hide-sm">{date(k.key.created_at)}</td>
                            <td class="actions"><KeyActions key=k.key act back=back.clone()/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn KeyActions(key: KeyView, act: ServerAction<AdminKeyAct>, back: String) -> impl IntoView {
    if matches!(key.status, KeyStatus::Revoked | KeyStatus::Denied) {
        return ().into_any();
    }
    let dialog = format!("revoke-{}", key.id);
    let toggle = if key.disabled_at.is_some() { ("enable", "Enable") } else { ("disable", "Disable") };
    let (id1, id2, back1, back2) = (key.id.clone(), key.id.clone(), back.clone(), back);
    let (toggle_label, revoke_label, title) = (format!("{} {}", toggle.1, key.name), format!("Revoke {}", key.name), format!("Revoke {}?", key.name));
    view! {
        <ActionForm action=act attr:class="inline-form">
            <input type="hidden" name="key_id" value=id1/>
            <input type="hidden" name="act" value=toggle.0/>
            <input type="hidden" name="back" value=back1/>
            <button type="submit" class="btn btn-ghost btn-sm" aria-label=toggle_label>{toggle.1}</button>
        </ActionForm>
        <OpenDialog dialog=dialog.clone() label="Revoke".to_owned() class="btn btn-danger-ghost btn-sm".to_owned() aria_label=revoke_label/>
        <NativeDialog id=dialog title=title>
            <p>"The key stops working at once, for good, on every node. The team sees in its audit trail that the provider revoked it."</p>
            <ActionForm action=act>
                <input type="hidden" name="key_id" value=id2/>
                <input type="hidden" name="act" value="revoke"/>
                <input type="hidden" name="back" value=back2/>
                {confirm_buttons("Revoke key", "btn btn-danger")}
            </ActionForm>
        </NativeDialog>
    }
    .into_any()
}

/// Every team's keys, by status.
#[component]
pub fn AdminKeysPage() -> impl IntoView {
    let status = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("status").unwrap_or_default());
    let keys = Resource::new({
        let s = status.clone();
        move || s.clone()
    }, admin_keys);
    let back = if status.is_empty() { "/admin/keys".to_owned() } else { format!("/admin/keys?status={status}") };
    view! {
        <Title text="Keys · Admin"/>
        {admin_view(keys, "Loading keys…", move |list: Vec<AdminKey>| {
            let status = status.clone();
            let back = back.clone();
            view! {
                <header class="page-header">
                    <h1>"Keys"</h1>
                    <p class="muted">"Keys of every team, newest first (masked: nobody can see a key after it was shown once)."</p>
                </header>
                <form class="filters" method="get" action="/admin/keys" role="search" aria-label="Filter keys">
                    <SubmitOnChange>
                        <div class="field">
                            <label for="keys-status">"Status"</label>
                            <select id="keys-status" name="status">
                                {[("", "All keys"), ("live", "Working"), ("pending", "Waiting for approval"), ("disabled", "Disabled"), ("revoked", "Revoked")]
                                    .into_iter().map(|(v, l)| view! { <option value=v selected=status == v>{l}</option> }).collect_view()}
                            </select>
                        </div>
                    </SubmitOnChange>
                    <noscript><button type="submit" class="btn btn-primary">"Apply"</button></noscript>
                </form>
                {if list.is_empty() {
                    view! { <section class="card empty-state"><h2>"No keys"</h2><p class="muted">"No key has this status."</p></section> }.into_any()
                } else {
                    view! { <section class="card"><KeyTable keys=list back/></section> }.into_any()
                }}
            }
        })}
    }
}

/// The approval queue of every team.
#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let keys = Resource::new(|| (), |_| admin_keys("pending".into()));
    view! {
        <Title text="Approvals · Admin"/>
        {admin_view(keys, "Loading the queue…", |list: Vec<AdminKey>| view! {
            <header class="page-header">
                <h1>"Approvals"</h1>
                <p class="muted">"Keys and scope changes that wait for a decision, in every team, oldest last. The requester is emailed the decision and your reason."</p>
            </header>
            {done_line(&[("decided", "Decision recorded; the requester was told.")])}
            {if list.is_empty() {
                view! { <section class="card empty-state"><h2>"Nothing waits"</h2><p class="muted">"Keys that need approval (live keys or sensitive scopes, as the settings say) appear here."</p></section> }.into_any()
            } else {
                view! { <ul class="outbox-list">{list.into_iter().map(|k| view! { <Pending k/> }).collect_view()}</ul> }.into_any()
            }}
        })}
    }
}

#[component]
fn Pending(k: AdminKey) -> impl IntoView {
    let decide = ServerAction::<AdminDecideKey>::new();
    let form = format!("admin/keys/decide/{}", k.key.id);
    let typed = Typed::of(&form);
    let reason_id = format!("reason-{}", k.key.id);
    let asked = if k.key.pending_scopes.is_empty() { k.key.scopes.join(", ") } else { k.key.pending_scopes.join(", ") };
    view! {
        <li class="card outbox-item">
            <div class="outbox-head">
                <div>
                    <strong>{k.key.name.clone()}</strong>
                    <div class="small muted">
                        <a href=format!("/admin/teams/{}", k.team_id)>{k.team_name.clone()}</a> " · "
                        {k.key.environment.to_string()} " · asked " <LocalTime at=k.key.created_at/>
                    </div>
                </div>
                <span class=status_class(k.key.status)>{if k.key.pending_scopes.is_empty() { "New key" } else { "Scope change" }}</span>
            </div>
            <p class="small">"Scopes: " {if asked.is_empty() { "none".to_owned() } else { asked }}</p>
            <FormAlert message=error_message(decide)/>
            <ActionForm action=decide attr:class="form form-grid">
                <input type="hidden" name="key_id" value=k.key.id.clone()/>
                <div class="field">
                    <label for=reason_id.clone()>"Reason (needed to deny)"</label>
                    <input id=reason_id name="reason" type="text" maxlength="500" value=typed.get("reason")/>
                </div>
                <div class="button-row">
                    <button type="submit" name="decision" value="approve" class="btn btn-primary" aria-label=format!("Approve {}", k.key.name)>"Approve"</button>
                    <button type="submit" name="decision" value="deny" class="btn btn-danger" aria-label=format!("Deny {}", k.key.name)>"Deny"</button>
                </div>
            </ActionForm>
        </li>
    }
}
