//! `/portal/team`: the active team's members, their roles, invitations and the team's settings.
//! What each person sees follows the permission table in `core`; the server applies the same.

use crate::api::{
    get_team_overview, ChangeRole, DeleteTeam, InviteMember, LeaveTeam, RemoveMember, ResendInvitation,
    RevokeInvitation, UpdateTeam,
};
use crate::components::dialog::ConfirmDialog;
use crate::components::forms::{error_message, field_error, form_error, last_error, refresh_on_success, FormAlert, TextField, ValueField};
use crate::components::local_time::LocalTime;
use crate::format::date;
use keyport_core::dto::{InvitationView, MemberView, TeamDetails};
use keyport_core::roles::{allowed, grantable_roles, may_change_member, Action, Role};
use leptos::prelude::*;
use leptos_meta::Title;

/// The CSS class of a role badge.
pub fn role_class(r: Role) -> &'static str {
    match r {
        Role::Owner => "badge badge-live",
        Role::Admin => "badge badge-test",
        Role::Member => "badge badge-ok",
        Role::Viewer => "badge badge-muted",
    }
}

/// What a role may do, in a sentence, for the invite form and the members table.
pub fn role_summary(r: Role) -> &'static str {
    match r {
        Role::Owner => "Everything, including managing owners.",
        Role::Admin => "Manages members, invitations and every key.",
        Role::Member => "Creates keys and manages their own.",
        Role::Viewer => "Read-only: masked keys, usage and members.",
    }
}

/// Sends the browser to the dashboard, so every figure is the (new) active team's.
fn reload_portal() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href("/portal");
    }
}

/// The members page. One resource holds everything it shows (created at the top of the
/// page, so the server and the browser agree on it during hydration); a successful change
/// reloads it.
#[component]
pub fn TeamPage() -> impl IntoView {
    view! {
        <Title text="Team"/>
        <TeamView/>
    }
}

/// Everything on the team page; it changes in place as members and invitations change.
#[island(lazy)]
fn TeamView() -> impl IntoView {
    crate::islands::ready();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let invite = ServerAction::<InviteMember>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let update = ServerAction::<UpdateTeam>::new();
    let refresh = RwSignal::new(0u32);
    refresh_on_success(remove, refresh);
    refresh_on_success(invite, refresh);
    refresh_on_success(resend, refresh);
    refresh_on_success(revoke, refresh);
    refresh_on_success(update, refresh);
    // A refused role change reloads too, so the menu shows the role that really applies.
    let overview = Resource::new(move || (refresh.get(), change.version().get()), |_| get_team_overview());
    view! {
        <header class="page-header">
            <h1>"Team"</h1>
            <p class="muted">"Everyone in this team shares its keys and usage. What each person may do depends on their role."</p>
        </header>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading members…"</p> }>
            {move || overview.get().map(|result| match result {
                Ok(o) => {
                    let personal = o.team.personal;
                    let name = o.team.name.clone();
                    view! {
                        <MembersTable list=o.members role=o.role me=o.me.id change remove/>
                        {o.invitations.map(|items| view! { <Invitations role=o.role items invite resend revoke/> })}
                        {allowed(o.role, Action::EditTeam).then(|| view! { <TeamSettings details=o.team update/> })}
                        <LeaveSection team=name.clone()/>
                        {(allowed(o.role, Action::DeleteTeam) && !personal).then(|| view! { <DeleteSection team=name/> })}
                    }.into_any()
                }
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn MembersTable(list: Vec<MemberView>, role: Role, me: String, change: ServerAction<ChangeRole>, remove: ServerAction<RemoveMember>) -> impl IntoView {
    let to_remove: RwSignal<Option<MemberView>> = RwSignal::new(None);
    let status = Signal::derive(move || match change.value().get() {
        Some(Ok(())) => "Role updated.".to_owned(),
        _ => String::new(),
    });
    let change_error = error_message(change);
    let my_role = role;
    let my_id = me;
    let count = list.len();
    view! {
        <section class="card section" aria-labelledby="members-title">
            <h2 id="members-title">{format!("Members ({count})")}</h2>
            <FormAlert message=change_error/>
            <p class="small muted" role="status">{status}</p>
            <div class="table-wrap">
                <table class="keys-table">
                    <thead>
                        <tr>
                            <th scope="col">"Member"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col" class="hide-sm">"Joined"</th>
                            <th scope="col" class="hide-sm">"Last active"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.into_iter().map(|m| {
                            let is_me = m.user_id == my_id;
                            let manageable = !is_me && may_change_member(my_role, m.role, None);
                            let row = m.clone();
                            let user_id = m.user_id.clone();
                            view! {
                                <tr>
                                    <th scope="row" class="key-name">
                                        {m.email.clone()}
                                        {is_me.then(|| view! { <span class="sub">"You"</span> })}
                                    </th>
                                    <td>
                                        {if manageable {
                                            let current = m.role;
                                            view! {
                                                <select class="role-select" aria-label=format!("Role of {}", m.email)
                                                    disabled=move || change.pending().get()
                                                    on:change=move |ev| {
                                                        let role = event_target_value(&ev);
                                                        change.dispatch(ChangeRole { user_id: user_id.clone(), role });
                                                    }>
                                                    {grantable_roles(my_role).into_iter().map(|r| view! {
                                                        <option value=r.as_str() selected=r == current>{r.label()}</option>
                                                    }).collect_view()}
                                                </select>
                                            }.into_any()
                                        } else {
                                            view! { <span class=role_class(m.role) title=role_summary(m.role)>{m.role.label()}</span> }.into_any()
                                        }}
                                    </td>
                                    <td class="hide-sm">{date(m.joined_at)}</td>
                                    <td class="hide-sm">{match m.last_active_at {
                                        Some(t) => view! { <LocalTime at=t/> }.into_any(),
                                        None => view! { <span class="muted">"Not yet"</span> }.into_any(),
                                    }}</td>
                                    <td class="actions">
                                        {manageable.then(|| view! {
                                            <button type="button" class="btn btn-danger-ghost btn-sm"
                                                aria-label=format!("Remove {}", m.email)
                                                on:click=move |_| to_remove.set(Some(row.clone()))>
                                                "Remove"
                                            </button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        {move || to_remove.get().map(|m| {
            let user_id = m.user_id.clone();
            view! {
                <ConfirmDialog id="remove-title" title=format!("Remove {}?", m.email)
                    confirm=("Remove member", "Removing…")
                    pending=remove.pending().into()
                    error=error_message(remove)
                    on_confirm=Callback::new(move |_| { remove.dispatch(RemoveMember { user_id: user_id.clone() }); })
                    on_close=Callback::new(move |_| to_remove.set(None))>
                    <p>"They lose access to this team's keys and usage at once. Keys they created keep working until someone revokes them."</p>
                </ConfirmDialog>
            }
        })}
    }
}

#[component]
fn Invitations(
    role: Role,
    items: Vec<InvitationView>,
    invite: ServerAction<InviteMember>,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let error = last_error(invite);
    let email_err = field_error(error, "email");
    let role_err = field_error(error, "role");
    let message_err = field_error(error, "message");
    let pending = invite.pending();
    let sent = Signal::derive(move || match invite.value().get() {
        Some(Ok(inv)) => format!("Invitation sent to {}.", inv.email),
        _ => String::new(),
    });
    let to_revoke: RwSignal<Option<InvitationView>> = RwSignal::new(None);
    let row_status = Signal::derive(move || match (resend.value().get(), revoke.value().get()) {
        (Some(Err(e)), _) => e.to_string(),
        (Some(Ok(inv)), _) => format!("Sent again to {}, with a new link.", inv.email),
        _ => String::new(),
    });
    view! {
        <section class="card section" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite people"</h2>
            <p class="muted small">"They get an email with a link that works once, for seven days, and only for the address you enter."</p>
            <FormAlert message=form_error(error, &["email", "role", "message"])/>
            <ActionForm action=invite attr:class="form form-grid" attr:novalidate=true>
                <TextField id="invite-email" name="email" label="Email address" kind="email" maxlength=320 error=email_err/>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role" aria-describedby="invite-role-error">
                        {grantable_roles(role).into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == Role::Member>{format!("{} — {}", r.label(), role_summary(r))}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="invite-role-error" role="alert" hidden=move || role_err.get().is_none()>
                        {move || role_err.get().unwrap_or_default()}
                    </p>
                </div>
                <div class="field field-wide">
                    <label for="invite-message">"Personal message (optional)"</label>
                    <textarea id="invite-message" name="message" rows="2" maxlength="500"
                        aria-describedby="invite-message-error"></textarea>
                    <p class="field-error" id="invite-message-error" role="alert" hidden=move || message_err.get().is_none()>
                        {move || message_err.get().unwrap_or_default()}
                    </p>
                </div>
                <div class="field-wide">
                    <button type="submit" class="btn btn-primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Sending…" } else { "Send invitation" }}
                    </button>
                    <span class="small muted status-inline" role="status">{sent}</span>
                </div>
            </ActionForm>
        </section>
        <section class="card section" aria-labelledby="pending-title">
            <div class="section-head">
                <h2 id="pending-title">"Pending invitations"</h2>
                <a href="/portal/outbox" class="small">"Sent emails"</a>
            </div>
            <p class="small muted" role="status">{row_status}</p>
            {if items.is_empty() {
                    view! { <p class="muted">"No pending invitations."</p> }.into_any()
            } else {
                    view! {
                        <div class="table-wrap">
                            <table class="keys-table">
                                <thead><tr>
                                    <th scope="col">"Email"</th><th scope="col">"Role"</th>
                                    <th scope="col" class="hide-sm">"Invited by"</th><th scope="col">"Expires"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {items.into_iter().map(|inv| {
                                        let id = inv.id.clone();
                                        let row = inv.clone();
                                        view! {
                                            <tr>
                                                <th scope="row" class="key-name">{inv.email.clone()}</th>
                                                <td><span class=role_class(inv.role)>{inv.role.label()}</span></td>
                                                <td class="hide-sm">{inv.invited_by.clone()}</td>
                                                <td>{if inv.expired {
                                                    view! { <span class="badge badge-muted">"Expired"</span> }.into_any()
                                                } else {
                                                    view! { <LocalTime at=inv.expires_at/> }.into_any()
                                                }}</td>
                                                <td class="actions">
                                                    <button type="button" class="btn btn-ghost btn-sm" aria-label=format!("Resend invitation to {}", inv.email)
                                                        disabled=move || resend.pending().get()
                                                        on:click=move |_| { resend.dispatch(ResendInvitation { id: id.clone() }); }>
                                                        "Resend"
                                                    </button>
                                                    <button type="button" class="btn btn-danger-ghost btn-sm" aria-label=format!("Revoke invitation to {}", inv.email)
                                                        on:click=move |_| to_revoke.set(Some(row.clone()))>
                                                        "Revoke"
                                                    </button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
            }}
        </section>
        {move || to_revoke.get().map(|inv| {
            let id = inv.id.clone();
            view! {
                <ConfirmDialog id="revoke-invite-title" title=format!("Revoke the invitation to {}?", inv.email)
                    confirm=("Revoke invitation", "Revoking…")
                    pending=revoke.pending().into()
                    error=error_message(revoke)
                    on_confirm=Callback::new(move |_| { revoke.dispatch(RevokeInvitation { id: id.clone() }); })
                    on_close=Callback::new(move |_| to_revoke.set(None))>
                    <p>"The link in their email stops working at once. You can invite them again later."</p>
                </ConfirmDialog>
            }
        })}
    }
}

#[component]
fn TeamSettings(details: TeamDetails, update: ServerAction<UpdateTeam>) -> impl IntoView {
    let error = last_error(update);
    let name_err = field_error(error, "name");
    let description_err = field_error(error, "description");
    let pending = update.pending();
    let saved = Signal::derive(move || match update.value().get() {
        Some(Ok(_)) => "Saved.".to_owned(),
        _ => String::new(),
    });
    let TeamDetails { name, description, .. } = details;
    view! {
        <section class="card section" aria-labelledby="settings-title">
            <h2 id="settings-title">"Team settings"</h2>
            <FormAlert message=form_error(error, &["name", "description"])/>
            <ActionForm action=update attr:class="form form-grid" attr:novalidate=true>
                <ValueField id="team-settings-name" name="name" label="Team name" value=name maxlength=64 error=name_err/>
                <ValueField id="team-settings-description" name="description" label="Description"
                    value=description.unwrap_or_default() maxlength=280 error=description_err/>
                <div class="field-wide">
                    <button type="submit" class="btn btn-secondary" disabled=move || pending.get()>
                        {move || if pending.get() { "Saving…" } else { "Save settings" }}
                    </button>
                    <span class="small muted status-inline" role="status">{saved}</span>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn LeaveSection(team: String) -> impl IntoView {
    let leave = ServerAction::<LeaveTeam>::new();
    let asking = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = leave.value().get() {
            reload_portal();
        }
    });
    view! {
        <section class="card section danger-zone" aria-labelledby="leave-title">
            <h2 id="leave-title">"Leave this team"</h2>
            <p class="muted small">"You lose access to its keys and usage. Someone will have to invite you again to come back."</p>
            <button type="button" class="btn btn-danger-ghost" on:click=move |_| asking.set(true)>"Leave team"</button>
        </section>
        <Show when=move || asking.get()>
            <ConfirmDialog id="leave-dialog-title" title=format!("Leave {team}?")
                confirm=("Leave team", "Leaving…")
                pending=leave.pending().into()
                error=error_message(leave)
                on_confirm=Callback::new(move |_| { leave.dispatch(LeaveTeam {}); })
                on_close=Callback::new(move |_| asking.set(false))>
                <p>"You will be taken to another of your teams."</p>
            </ConfirmDialog>
        </Show>
    }
}

#[component]
fn DeleteSection(team: String) -> impl IntoView {
    let delete = ServerAction::<DeleteTeam>::new();
    let asking = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let name_err = field_error(last_error(delete), "name");
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            reload_portal();
        }
    });
    let expected = team.clone();
    let title = format!("Delete {team}?");
    let label = StoredValue::new(format!("Type “{team}” to confirm"));
    let matches = Signal::derive(move || typed.get().trim() == expected);
    view! {
        <section class="card section danger-zone" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete this team"</h2>
            <p class="muted small">"Every member loses access and every key of the team is revoked at once. The audit record stays."</p>
            <button type="button" class="btn btn-danger" on:click=move |_| asking.set(true)>"Delete team"</button>
        </section>
        <Show when=move || asking.get()>
            <ConfirmDialog id="delete-dialog-title" title=title.clone()
                confirm=("Delete team", "Deleting…")
                pending=delete.pending().into()
                disabled=Signal::derive(move || !matches.get())
                error=Signal::derive(move || form_error(last_error(delete), &["name"]).get())
                on_confirm=Callback::new(move |_| { delete.dispatch(DeleteTeam { name: typed.get_untracked() }); })
                on_close=Callback::new(move |_| asking.set(false))>
                <p>"This cannot be undone. Applications using the team's keys will be refused from their next request."</p>
                <div class="field">
                    <label for="delete-confirm">{label.get_value()}</label>
                    <input id="delete-confirm" type="text" autocomplete="off"
                        aria-describedby="delete-confirm-error"
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                    <p class="field-error" id="delete-confirm-error" role="alert" hidden=move || name_err.get().is_none()>
                        {move || name_err.get().unwrap_or_default()}
                    </p>
                </div>
            </ConfirmDialog>
        </Show>
    }
}
