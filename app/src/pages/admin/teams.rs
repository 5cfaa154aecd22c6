//! `/admin/teams` and `/admin/teams/:id`: every team, and one with its members, keys and
//! this month's usage; suspend or reactivate it, create a key for it.

use super::keys::KeyTable;
use super::{admin_view, done_line};
use crate::api::{admin_team, admin_teams, AdminAssignPlan, AdminCreateKey, AdminReactivateTeam, AdminSuspendTeam};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{error_message, field_error, form_error, last_error, FormAlert, TextField, Typed};
use crate::components::key_parts::{ExpiryPicker, ScopePicker, ShowOnce};
use crate::components::local_time::LocalTime;
use crate::format::date;
use crate::islands::{OpenDialog, SubmitOnChange};
use crate::pages::team::role_class;
use keyport_core::dto::admin::{AdminKey, TeamDetail, TeamRow};
use keyport_core::dto::thousands;
use keyport_core::key::Environment;
use leptos::prelude::*;
use leptos_meta::Title;

fn team_badge(t: &TeamRow) -> impl IntoView {
    if t.suspended_at.is_some() {
        view! { <span class="badge badge-warn">"Suspended"</span> }.into_any()
    } else {
        view! { <span class="badge badge-ok">"Active"</span> }.into_any()
    }
}

/// The teams list.
#[component]
pub fn TeamsPage() -> impl IntoView {
    let (q, status) = leptos_router::hooks::use_query_map().with_untracked(|m| (m.get("q").unwrap_or_default(), m.get("status").unwrap_or_default()));
    let rows = Resource::new({
        let f = (q.clone(), status.clone());
        move || f.clone()
    }, |(q, s)| admin_teams(q, s));
    view! {
        <Title text="Teams · Admin"/>
        {admin_view(rows, "Loading teams…", move |list: Vec<TeamRow>| {
            let (q, status) = (q.clone(), status.clone());
            view! {
                <header class="page-header">
                    <h1>"Teams"</h1>
                    <p class="muted">"Every team, personal ones included. Open one to see its members, keys and usage, to create a key for it or to suspend it."</p>
                </header>
                <form class="filters" method="get" action="/admin/teams" role="search" aria-label="Filter teams">
                    <SubmitOnChange>
                        <div class="field">
                            <label for="team-q">"Name"</label>
                            <input id="team-q" name="q" type="search" placeholder="Contains…" maxlength="64" value=q/>
                        </div>
                        <div class="field">
                            <label for="team-status">"Status"</label>
                            <select id="team-status" name="status">
                                {[("", "All teams"), ("active", "Active"), ("suspended", "Suspended")].into_iter()
                                    .map(|(v, l)| view! { <option value=v selected=status == v>{l}</option> }).collect_view()}
                            </select>
                        </div>
                    </SubmitOnChange>
                    <noscript><button type="submit" class="btn btn-primary">"Apply"</button></noscript>
                </form>
                {if list.is_empty() {
                    view! { <section class="card empty-state"><h2>"No teams match"</h2><p class="muted">"Try another name."</p></section> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap card">
                            <table class="keys-table">
                                <caption class="visually-hidden">"Teams"</caption>
                                <thead><tr>
                                    <th scope="col">"Team"</th><th scope="col">"Status"</th><th scope="col">"Members"</th>
                                    <th scope="col">"Working keys"</th><th scope="col" class="hide-sm">"Created"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! {
                                        <tr>
                                            <th scope="row"><a href=format!("/admin/teams/{}", t.id)>{t.name.clone()}</a>{t.personal.then_some(" (personal)")}</th>
                                            <td>{team_badge(&t)}</td>
                                            <td>{t.members}</td>
                                            <td>{t.live_keys}</td>
                                            <td class="hide-sm">{date(t.created_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            }
        })}
    }
}

/// One team.
#[component]
pub fn TeamPage() -> impl IntoView {
    let id = leptos_router::hooks::use_params_map().with_untracked(|p| p.get("id").unwrap_or_default());
    // A key this console created, handed over by the form that made it (once).
    let handed = crate::pages::keys::handed_over_key();
    let data = Resource::new(move || id.clone(), admin_team);
    view! {
        <Title text="Team · Admin"/>
        {admin_view(data, "Loading the team…", move |t: TeamDetail| view! { <Team t handed=handed.clone()/> })}
    }
}

#[component]
fn Team(t: TeamDetail, handed: Option<(String, String, String)>) -> impl IntoView {
    let suspend = ServerAction::<AdminSuspendTeam>::new();
    let reactivate = ServerAction::<AdminReactivateTeam>::new();
    let assign = ServerAction::<AdminAssignPlan>::new();
    let suspend_err = last_error(suspend);
    let reason_err = field_error(suspend_err, "reason");
    let typed_reason = Typed::of("admin/team/suspend").get("reason");
    let TeamDetail { row, description, suspended_reason, members, keys, month_requests, month_quota, scopes, api_base_url, plan, plans } = t;
    let id = row.id.clone();
    let (id_reactivate, id_suspend, id_new_key, id_assign) = (id.clone(), id.clone(), id.clone(), id.clone());
    let shown = handed.and_then(|(key_id, _, secret)| {
        let key = keys.iter().find(|k| k.id == key_id)?.clone();
        Some(view! { <ShowOnce key secret api_base_url=api_base_url.clone() title="The new key for this team"/> })
    });
    let admin_keys: Vec<AdminKey> = keys.into_iter().map(|k| AdminKey { key: k, team_id: row.id.clone(), team_name: row.name.clone() }).collect();
    let back = format!("/admin/teams/{id}");
    view! {
        <header class="page-header">
            <p class="small"><a href="/admin/teams">"← Teams"</a></p>
            <h1>{row.name.clone()}</h1>
            <p>{team_badge(&row)} " " <span class="muted">"Created " {date(row.created_at)} {row.personal.then_some(" · a personal team")}</span></p>
            {description.map(|d| view! { <p class="muted">{d}</p> })}
        </header>
        {shown}
        {done_line(&[("suspended", "Suspended: its keys now verify as TEAM_SUSPENDED."), ("reactivated", "Reactivated: its keys work again."), ("plan-assigned", "Moved to the plan, at once and without a charge; its owners were emailed.")])}
        <FormAlert message=error_message(reactivate)/>
        {suspended_reason.map(|r| view! { <p class="alert alert-warn" role="note">"Suspended: " {r}</p> })}
        <section class="card section" aria-labelledby="team-usage">
            <h2 id="team-usage">"This month"</h2>
            <p>{format!("{} of {} requests", thousands(month_requests), thousands(month_quota))}</p>
            <FormAlert message=error_message(assign)/>
            <ActionForm action=assign attr:class="filters">
                <input type="hidden" name="id" value=id_assign/>
                <div class="field">
                    <label for="team-plan">{format!("Plan (now {})", plan.1)}</label>
                    <select id="team-plan" name="plan">
                        {plans.into_iter().map(|(pid, name)| view! { <option value=pid.clone() selected=pid == plan.0>{name}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="btn btn-secondary">"Move to this plan"</button>
            </ActionForm>
            <p class="hint">"At once and without a charge; the team's owners are emailed. Hidden plans are offered here only."</p>
            <div class="button-row">
                {if row.suspended_at.is_some() {
                    view! {
                        <ActionForm action=reactivate attr:class="inline-form">
                            <input type="hidden" name="id" value=id_reactivate.clone()/>
                            <button type="submit" class="btn btn-secondary">"Reactivate team"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <OpenDialog dialog="suspend-team".to_owned() label="Suspend team".to_owned() class="btn btn-danger".to_owned()/>
                        <NativeDialog id="suspend-team".to_owned() title=format!("Suspend {}?", row.name) open=suspend_err.get_untracked().is_some()>
                            <p>"Every key of this team stops working at once (it verifies as TEAM_SUSPENDED) until you reactivate the team. Its members can still sign in and see why."</p>
                            <FormAlert message=form_error(suspend_err, &["reason"])/>
                            <ActionForm action=suspend attr:class="form" attr:novalidate=true>
                                <input type="hidden" name="id" value=id_suspend.clone()/>
                                <div class="field">
                                    <label for="team-suspend-reason">"Reason (the team sees it)"</label>
                                    <textarea id="team-suspend-reason" name="reason" rows="3" maxlength="500" required=true
                                        aria-describedby="team-suspend-reason-error">{typed_reason}</textarea>
                                    <p class="field-error" id="team-suspend-reason-error" role="alert" hidden=move || reason_err.get().is_none()>{move || reason_err.get()}</p>
                                </div>
                                {confirm_buttons("Suspend team", "btn btn-danger")}
                            </ActionForm>
                        </NativeDialog>
                    }.into_any()
                }}
                <OpenDialog dialog="admin-new-key".to_owned() label="Create a key for this team".to_owned() class="btn btn-primary".to_owned()/>
            </div>
            <NewKeyDialog team_id=id_new_key scopes/>
        </section>
        <section class="card section" aria-labelledby="team-members">
            <h2 id="team-members">{format!("Members ({})", members.len())}</h2>
            <ul class="plain-list">
                {members.into_iter().map(|m| view! {
                    <li>
                        <a href=format!("/admin/developers/{}", m.user_id)>{m.email}</a> " "
                        <span class=role_class(m.role)>{m.role.label()}</span>
                        " · last active " {match m.last_active_at { Some(t) => view! { <LocalTime at=t/> }.into_any(), None => "never".into_any() }}
                    </li>
                }).collect_view()}
            </ul>
        </section>
        <section class="card section" aria-labelledby="team-keys">
            <h2 id="team-keys">{format!("Keys ({})", admin_keys.len())}</h2>
            {if admin_keys.is_empty() { view! { <p class="muted">"No keys yet."</p> }.into_any() } else { view! { <KeyTable keys=admin_keys back/> }.into_any() }}
        </section>
    }
}

/// Creating a key on the team's behalf: the team's own policies apply (approval, limits).
#[component]
fn NewKeyDialog(team_id: String, scopes: Vec<String>) -> impl IntoView {
    let create = ServerAction::<AdminCreateKey>::new();
    let err = last_error(create);
    let typed = Typed::of("admin/keys/create");
    let open = err.get_untracked().is_some();
    view! {
        <NativeDialog id="admin-new-key".to_owned() title="Create a key for this team".to_owned() open>
            <p class="muted small">"It is shown once, to you, to hand to the customer. The team's audit trail shows the provider created it."</p>
            <FormAlert message=form_error(err, &["name", "environment", "scopes", "expiry", "ratelimit", "quota"])/>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <input type="hidden" name="team_id" value=team_id/>
                <TextField id="admin-key-name" name="name" label="Name" maxlength=64 error=field_error(err, "name") value=typed.get("name")/>
                <div class="field">
                    <label for="admin-key-env">"Environment"</label>
                    <select id="admin-key-env" name="environment">
                        {[Environment::Test, Environment::Live].into_iter().map(|e| {
                            let v = e.to_string();
                            view! { <option value=v.clone() selected=typed.get("environment").as_deref() == Some(v.as_str())>{v.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <ScopePicker id="admin-key-scope" catalogue=scopes selected=Vec::new() error=field_error(err, "scopes")/>
                <ExpiryPicker chosen=typed.get("expiry") date=None error=field_error(err, "expiry")/>
                {confirm_buttons("Create key", "btn btn-primary")}
            </ActionForm>
        </NativeDialog>
    }
}
