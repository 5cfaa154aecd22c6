//! `/portal/team`: the active team's members, their roles, invitations and the team's settings.
//! What each person sees follows the permission table in `core`; the server applies the same.

use crate::api::{
    get_team_overview, ChangeRole, DeleteTeam, InviteMember, LeaveTeam, RemoveMember, ResendInvitation,
    RevokeInvitation, SetTeamRequiresMfa, UpdateTeam,
};
use crate::components::forms::{error_message, field_error, form_error, last_error, FormAlert, TextField, Typed, ValueField};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::islands::{OpenDialog, SubmitOnChange};
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

/// The members page, drawn on the server: every change is a plain form (a role menu sent on
/// change, confirmations in native dialogs) whose answer is this page again, saying what
/// happened.
#[component]
pub fn TeamPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_team_overview());
    let query = leptos_router::hooks::use_query_map().get_untracked();
    let outcome = Outcome {
        role_updated: query.get("role").as_deref() == Some("updated"),
        invited: query.get("invited"),
        resent: query.get("resent"),
        saved: query.get("saved").is_some(),
        mfa_saved: query.get("mfa").as_deref() == Some("saved"),
    };
    view! {
        <Title text="Team"/>
        <header class="page-header">
            <h1>"Team"</h1>
            <p class="muted">"Everyone in this team shares its keys and usage. What each person may do depends on their role."</p>
        </header>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading members…"</p> }>
            {move || {
                let outcome = outcome.clone();
                overview.get().map(move |result| match result {
                    Ok(o) => {
                        let personal = o.team.personal;
                        let name = o.team.name.clone();
                        let require_mfa = o.team.require_mfa;
                        view! {
                            <MembersTable list=o.members role=o.role me=o.me.id role_updated=outcome.role_updated/>
                            {o.invitations.map(|items| view! { <Invitations role=o.role items invited=outcome.invited.clone() resent=outcome.resent.clone()/> })}
                            {allowed(o.role, Action::EditTeam).then(|| view! { <TeamSettings details=o.team saved=outcome.saved/> })}
                            {(o.role == Role::Owner).then(|| view! { <SecondFactorPolicy required=require_mfa saved=outcome.mfa_saved/> })}
                            <LeaveSection team=name.clone()/>
                            {(allowed(o.role, Action::DeleteTeam) && !personal).then(|| view! { <DeleteSection team=name/> })}
                        }.into_any()
                    }
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Suspense>
    }
}

/// What the last form on this page did, from the address it came back to.
#[derive(Clone)]
struct Outcome {
    role_updated: bool,
    invited: Option<String>,
    resent: Option<String>,
    saved: bool,
    mfa_saved: bool,
}

#[component]
fn MembersTable(list: Vec<MemberView>, role: Role, me: String, role_updated: bool) -> impl IntoView {
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let my_role = role;
    let my_id = me;
    let count = list.len();
    view! {
        <section class="card section" aria-labelledby="members-title">
            <h2 id="members-title">{format!("Members ({count})")}</h2>
            <FormAlert message=error_message(change)/>
            <FormAlert message=error_message(remove)/>
            <p class="small muted" role="status">{role_updated.then_some("Role updated.")}</p>
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
                            let dialog = format!("remove-{}", m.user_id);
                            let user = StoredValue::new((m.user_id.clone(), m.email.clone()));
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
                                                <ActionForm action=change attr:class="inline-form">
                                                    <input type="hidden" name="user_id" value=user.get_value().0/>
                                                    <SubmitOnChange>
                                                        <select class="role-select" name="role" aria-label=format!("Role of {}", user.get_value().1)>
                                                            {grantable_roles(my_role).into_iter().map(|r| view! {
                                                                <option value=r.as_str() selected=r == current>{r.label()}</option>
                                                            }).collect_view()}
                                                        </select>
                                                    </SubmitOnChange>
                                                    <noscript><button type="submit" class="btn btn-ghost btn-sm">"Change"</button></noscript>
                                                </ActionForm>
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
                                            <OpenDialog dialog=dialog.clone() label="Remove".to_owned() class="btn btn-danger-ghost btn-sm".to_owned()
                                                aria_label=format!("Remove {}", m.email)/>
                                            <NativeDialog id=dialog.clone() title=format!("Remove {}?", m.email)>
                                                <p>"They lose access to this team's keys and usage at once. Keys they created keep working until someone revokes them."</p>
                                                <ActionForm action=remove>
                                                    <input type="hidden" name="user_id" value=user.get_value().0/>
                                                    {confirm_buttons("Remove member", "btn btn-danger")}
                                                </ActionForm>
                                            </NativeDialog>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn Invitations(role: Role, items: Vec<InvitationView>, invited: Option<String>, resent: Option<String>) -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let error = last_error(invite);
    let typed = if error.get_untracked().is_some() { Typed::of("invitations/create") } else { Typed::default() };
    let email_err = field_error(error, "email");
    let role_err = field_error(error, "role");
    let message_err = field_error(error, "message");
    let email_of = |id: &Option<String>| id.as_ref().and_then(|id| items.iter().find(|i| &i.id == id)).map(|i| i.email.clone());
    let sent = email_of(&invited).map(|e| format!("Invitation sent to {e}."));
    let row_status = email_of(&resent).map(|e| format!("Sent again to {e}, with a new link."));
    let typed_role = typed.get("role").and_then(|r| Role::parse(&r)).unwrap_or(Role::Member);
    view! {
        <section class="card section" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite people"</h2>
            <p class="muted small">"They get an email with a link that works once, for seven days, and only for the address you enter."</p>
            <FormAlert message=form_error(error, &["email", "role", "message"])/>
            <ActionForm action=invite attr:class="form form-grid" attr:novalidate=true>
                <TextField id="invite-email" name="email" label="Email address" kind="email" maxlength=320 error=email_err value=typed.get("email")/>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role" aria-describedby="invite-role-error">
                        {grantable_roles(role).into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == typed_role>{format!("{} — {}", r.label(), role_summary(r))}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="invite-role-error" role="alert" hidden=move || role_err.get().is_none()>
                        {move || role_err.get().unwrap_or_default()}
                    </p>
                </div>
                <div class="field field-wide">
                    <label for="invite-message">"Personal message (optional)"</label>
                    <textarea id="invite-message" name="message" rows="2" maxlength="500"
                        aria-describedby="invite-message-error">{typed.get("message")}</textarea>
                    <p class="field-error" id="invite-message-error" role="alert" hidden=move || message_err.get().is_none()>
                        {move || message_err.get().unwrap_or_default()}
                    </p>
                </div>
                <div class="field-wide">
                    <button type="submit" class="btn btn-primary">"Send invitation"</button>
                    <span class="small muted status-inline" role="status">{sent}</span>
                </div>
            </ActionForm>
        </section>
        <section class="card section" aria-labelledby="pending-title">
            <div class="section-head">
                <h2 id="pending-title">"Pending invitations"</h2>
                <a href="/portal/outbox" class="small">"Sent emails"</a>
            </div>
            <FormAlert message=Signal::derive(move || error_message(resend).get().or_else(|| error_message(revoke).get()))/>
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
                                        let dialog = format!("revoke-invite-{}", inv.id);
                                        let invitation = StoredValue::new((inv.id.clone(), inv.email.clone()));
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
                                                    <ActionForm action=resend attr:class="inline-form">
                                                        <input type="hidden" name="id" value=invitation.get_value().0/>
                                                        <button type="submit" class="btn btn-ghost btn-sm" aria-label=format!("Resend invitation to {}", invitation.get_value().1)>"Resend"</button>
                                                    </ActionForm>
                                                    <OpenDialog dialog=dialog.clone() label="Revoke".to_owned() class="btn btn-danger-ghost btn-sm".to_owned()
                                                        aria_label=format!("Revoke invitation to {}", inv.email)/>
                                                    <NativeDialog id=dialog.clone() title=format!("Revoke the invitation to {}?", inv.email)>
                                                        <p>"The link in their email stops working at once. You can invite them again later."</p>
                                                        <ActionForm action=revoke>
                                                            <input type="hidden" name="id" value=invitation.get_value().0/>
                                                            {confirm_buttons("Revoke invitation", "btn btn-danger")}
                                                        </ActionForm>
                                                    </NativeDialog>
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
    }
}

#[component]
fn TeamSettings(details: TeamDetails, saved: bool) -> impl IntoView {
    let update = ServerAction::<UpdateTeam>::new();
    let error = last_error(update);
    let typed = if error.get_untracked().is_some() { Typed::of("team/update") } else { Typed::default() };
    let name_err = field_error(error, "name");
    let description_err = field_error(error, "description");
    let TeamDetails { name, description, .. } = details;
    view! {
        <section class="card section" aria-labelledby="settings-title">
            <h2 id="settings-title">"Team settings"</h2>
            <FormAlert message=form_error(error, &["name", "description"])/>
            <ActionForm action=update attr:class="form form-grid" attr:novalidate=true>
                <ValueField id="team-settings-name" name="name" label="Team name" value=typed.get("name").unwrap_or(name) maxlength=64 error=name_err/>
                <ValueField id="team-settings-description" name="description" label="Description"
                    value=typed.get("description").unwrap_or_else(|| description.unwrap_or_default()) maxlength=280 error=description_err/>
                <div class="field-wide">
                    <button type="submit" class="btn btn-secondary">"Save settings"</button>
                    <span class="small muted status-inline" role="status">{saved.then_some("Saved.")}</span>
                </div>
            </ActionForm>
        </section>
    }
}

/// The owner's switch for requiring two-factor authentication of every member.
#[component]
fn SecondFactorPolicy(required: bool, saved: bool) -> impl IntoView {
    let set = ServerAction::<SetTeamRequiresMfa>::new();
    let error = last_error(set);
    let (label, value, class) = if required {
        ("Stop requiring two-factor authentication", "false", "btn btn-danger-ghost")
    } else {
        ("Require two-factor authentication", "true", "btn btn-secondary")
    };
    view! {
        <section class="card section" aria-labelledby="team-mfa-title">
            <h2 id="team-mfa-title">"Two-factor authentication"</h2>
            <p class="muted small">
                {if required {
                    "Required: members without two-factor authentication see nothing of this team until they set it up in their account settings."
                } else {
                    "Not required. When required, members must set up two-factor authentication before they see this team's keys, usage and members. You need it on yourself first."
                }}
            </p>
            <FormAlert message=form_error(error, &["require_mfa"])/>
            <p class="field-error" id="require-mfa-error" role="alert" hidden=move || field_error(error, "require_mfa").get().is_none()>
                {move || field_error(error, "require_mfa").get().unwrap_or_default()}
            </p>
            <ActionForm action=set attr:class="inline-form">
                <input type="hidden" name="required" value=value/>
                <button type="submit" class=class aria-describedby="require-mfa-error">{label}</button>
                <span class="small muted status-inline" role="status">{saved.then_some("Saved.")}</span>
            </ActionForm>
        </section>
    }
}

#[component]
fn LeaveSection(team: String) -> impl IntoView {
    let leave = ServerAction::<LeaveTeam>::new();
    let error = error_message(leave);
    let open = error.get_untracked().is_some();
    view! {
        <section class="card section danger-zone" aria-labelledby="leave-title">
            <h2 id="leave-title">"Leave this team"</h2>
            <p class="muted small">"You lose access to its keys and usage. Someone will have to invite you again to come back."</p>
            <OpenDialog dialog="leave-dialog".to_owned() label="Leave team".to_owned() class="btn btn-danger-ghost".to_owned()/>
        </section>
        <NativeDialog id="leave-dialog".to_owned() title=format!("Leave {team}?") open>
            <p>"You will be taken to another of your teams."</p>
            <FormAlert message=error/>
            <ActionForm action=leave>{confirm_buttons("Leave team", "btn btn-danger")}</ActionForm>
        </NativeDialog>
    }
}

#[component]
fn DeleteSection(team: String) -> impl IntoView {
    let delete = ServerAction::<DeleteTeam>::new();
    let error = last_error(delete);
    let open = error.get_untracked().is_some();
    view! {
        <section class="card section danger-zone" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete this team"</h2>
            <p class="muted small">"Every member loses access and every key of the team is revoked at once. The audit record stays."</p>
            <OpenDialog dialog="delete-dialog".to_owned() label="Delete team".to_owned() class="btn btn-danger".to_owned()/>
        </section>
        <NativeDialog id="delete-dialog".to_owned() title=format!("Delete {team}?") open>
            <p>"This cannot be undone. Applications using the team's keys will be refused from their next request."</p>
            <FormAlert message=form_error(error, &["name"])/>
            <ActionForm action=delete attr:novalidate=true>
                <ConfirmByTyping expected=team error=field_error(error, "name").get_untracked()/>
            </ActionForm>
        </NativeDialog>
    }
}

/// The name to type and the buttons of the delete dialog. Once live, "Delete team" stays off
/// until the name matches; without JavaScript the server compares it.
#[island]
fn ConfirmByTyping(expected: String, error: Option<String>) -> impl IntoView {
    crate::islands::ready();
    let typed = RwSignal::new(String::new());
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let label = format!("Type “{expected}” to confirm");
    let matches = move || typed.get().trim() == expected;
    let has_error = error.is_some();
    view! {
        <div class="field">
            <label for="delete-confirm">{label}</label>
            <input id="delete-confirm" name="name" type="text" autocomplete="off" aria-describedby="delete-confirm-error"
                aria-invalid=has_error.to_string() on:input=move |ev| typed.set(event_target_value(&ev))/>
            <p class="field-error" id="delete-confirm-error" role="alert" hidden=!has_error>{error}</p>
        </div>
        <div class="dialog-actions">
            <button type="submit" class="btn btn-ghost" formmethod="dialog" formnovalidate=true>"Cancel"</button>
            <button type="submit" class="btn btn-danger" disabled=move || live.get() && !matches()>"Delete team"</button>
        </div>
    }
}
