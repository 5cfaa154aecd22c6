//! `/admin/developers` and `/admin/developers/:id`: every portal account, and one of them
//! with its teams, keys, devices and latest actions; suspend, reactivate, make admin.

use super::{admin_view, done_line};
use crate::api::{admin_developer, admin_developers, AdminReactivateDeveloper, AdminSetSiteAdmin, AdminSuspendDeveloper};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{error_message, field_error, last_error, FormAlert, Typed};
use crate::components::local_time::LocalTime;
use crate::format::date;
use crate::islands::{OpenDialog, SubmitOnChange};
use crate::pages::audit::action_label;
use crate::pages::team::role_class;
use keyport_core::dto::admin::{DeveloperDetail, DeveloperRow};
use leptos::prelude::*;
use leptos_meta::Title;

fn status_badge(d: &DeveloperRow) -> impl IntoView {
    let (class, label) = if d.suspended_at.is_some() { ("badge badge-warn", "Suspended") } else { ("badge badge-ok", "Active") };
    view! {
        <span class=class>{label}</span>
        {d.site_admin.then(|| view! { " " <span class="badge badge-test">"Admin"</span> })}
    }
}

/// The export of the rows a filter shows (`/admin/developers.csv` with the same query).
pub fn developers_csv_href(q: &str, status: &str, since: &str) -> String {
    let parts: Vec<String> = [("q", q), ("status", status), ("since", since)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::pages::audit::encode(v)))
        .collect();
    if parts.is_empty() { "/admin/developers.csv".to_owned() } else { format!("/admin/developers.csv?{}", parts.join("&")) }
}

/// The developers list: a GET form of filters (sent on change), rows drawn on the server.
#[component]
pub fn DevelopersPage() -> impl IntoView {
    let (q, status, since) = leptos_router::hooks::use_query_map()
        .with_untracked(|m| (m.get("q").unwrap_or_default(), m.get("status").unwrap_or_default(), m.get("since").unwrap_or_default()));
    let rows = Resource::new({
        let f = (q.clone(), status.clone(), since.clone());
        move || f.clone()
    }, |(q, s, d)| admin_developers(q, s, d));
    view! {
        <Title text="Developers · Admin"/>
        {admin_view(rows, "Loading developers…", move |list: Vec<DeveloperRow>| {
            let (q, status, since) = (q.clone(), status.clone(), since.clone());
            let csv = developers_csv_href(&q, &status, &since);
            view! {
                <header class="page-header page-header-row">
                    <div>
                        <h1>"Developers"</h1>
                        <p class="muted">"Everyone who signed up to the portal. Open one to see their teams, keys and devices, or to suspend them."</p>
                    </div>
                    <a class="btn btn-secondary" href=csv download="keyport-developers.csv">"Export CSV"</a>
                </header>
                <form class="filters" method="get" action="/admin/developers" role="search" aria-label="Filter developers">
                    <SubmitOnChange>
                        <div class="field">
                            <label for="dev-q">"Email"</label>
                            <input id="dev-q" name="q" type="search" placeholder="Contains…" maxlength="320" value=q/>
                        </div>
                        <div class="field">
                            <label for="dev-status">"Status"</label>
                            <select id="dev-status" name="status">
                                {[("", "Everyone"), ("active", "Active"), ("suspended", "Suspended"), ("admin", "Operator admins")].into_iter()
                                    .map(|(v, l)| view! { <option value=v selected=status == v>{l}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="dev-since">"Signed up since"</label>
                            <input id="dev-since" name="since" type="date" value=since/>
                        </div>
                    </SubmitOnChange>
                    <noscript><button type="submit" class="btn btn-primary">"Apply"</button></noscript>
                </form>
                {if list.is_empty() {
                    view! { <section class="card empty-state"><h2>"Nobody matches"</h2><p class="muted">"No account matches these filters."</p></section> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap card">
                            <table class="keys-table">
                                <caption class="visually-hidden">"Developers"</caption>
                                <thead><tr>
                                    <th scope="col">"Email"</th><th scope="col">"Status"</th><th scope="col" class="hide-sm">"Signed up"</th>
                                    <th scope="col" class="hide-sm">"Last active"</th><th scope="col">"Teams"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|d| view! {
                                        <tr>
                                            <th scope="row"><a href=format!("/admin/developers/{}", d.id)>{d.email.clone()}</a></th>
                                            <td>{status_badge(&d)}</td>
                                            <td class="hide-sm">{date(d.created_at)}</td>
                                            <td class="hide-sm">{match d.last_active_at { Some(t) => view! { <LocalTime at=t/> }.into_any(), None => "Never".into_any() }}</td>
                                            <td>{d.teams}</td>
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

/// One developer.
#[component]
pub fn DeveloperPage() -> impl IntoView {
    let id = leptos_router::hooks::use_params_map().with_untracked(|p| p.get("id").unwrap_or_default());
    let data = Resource::new(move || id.clone(), admin_developer);
    view! {
        <Title text="Developer · Admin"/>
        {admin_view(data, "Loading the developer…", |d: DeveloperDetail| view! { <Developer d/> })}
    }
}

#[component]
fn Developer(d: DeveloperDetail) -> impl IntoView {
    let suspend = ServerAction::<AdminSuspendDeveloper>::new();
    let reactivate = ServerAction::<AdminReactivateDeveloper>::new();
    let grant = ServerAction::<AdminSetSiteAdmin>::new();
    let suspend_err = last_error(suspend);
    let reason_err = field_error(suspend_err, "reason");
    let typed = Typed::of("admin/developer/suspend");
    let DeveloperDetail { row, suspended_reason, signup_answers, teams, keys, sessions, audit } = d;
    let id = row.id.clone();
    let (id_reactivate, id_suspend) = (id.clone(), id.clone());
    let back = format!("/admin/developers/{id}");
    view! {
        <header class="page-header">
            <p class="small"><a href="/admin/developers">"← Developers"</a></p>
            <h1>{row.email.clone()}</h1>
            <p>{status_badge(&row)} " " <span class="muted">"Signed up " {date(row.created_at)}</span></p>
        </header>
        {done_line(&[("suspended", "Suspended: their sessions ended and they cannot sign in."), ("reactivated", "Reactivated: they can sign in again."),
            ("granted", "They are now an operator admin."), ("revoked", "They are no longer an operator admin.")])}
        <FormAlert message=Signal::derive(move || [error_message(reactivate), error_message(grant)].into_iter().find_map(|e| e.get()))/>
        {suspended_reason.map(|r| view! { <p class="alert alert-warn" role="note">"Suspended: " {r}</p> })}
        <section class="card section" aria-labelledby="dev-actions">
            <h2 id="dev-actions">"Actions"</h2>
            <div class="button-row">
                {if row.suspended_at.is_some() {
                    view! {
                        <ActionForm action=reactivate attr:class="inline-form">
                            <input type="hidden" name="id" value=id_reactivate.clone()/>
                            <button type="submit" class="btn btn-secondary">"Reactivate account"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <OpenDialog dialog="suspend-dev".to_owned() label="Suspend account".to_owned() class="btn btn-danger".to_owned()/>
                        <NativeDialog id="suspend-dev".to_owned() title=format!("Suspend {}?", row.email) open=suspend_err.get_untracked().is_some()>
                            <p>"Every session of this account ends at once and signing in is refused with your reason. Their keys keep working: suspend the team or revoke keys to stop those."</p>
                            <FormAlert message=Signal::derive(move || suspend_err.get().filter(|e| e.for_field("reason").is_none()).map(|e| e.to_string()))/>
                            <ActionForm action=suspend attr:class="form" attr:novalidate=true>
                                <input type="hidden" name="id" value=id_suspend.clone()/>
                                <div class="field">
                                    <label for="suspend-reason">"Reason (shown to them)"</label>
                                    <textarea id="suspend-reason" name="reason" rows="3" maxlength="500" required=true
                                        aria-describedby="suspend-reason-error">{typed.get("reason")}</textarea>
                                    <p class="field-error" id="suspend-reason-error" role="alert" hidden=move || reason_err.get().is_none()>{move || reason_err.get()}</p>
                                </div>
                                {confirm_buttons("Suspend account", "btn btn-danger")}
                            </ActionForm>
                        </NativeDialog>
                    }.into_any()
                }}
                <ActionForm action=grant attr:class="inline-form">
                    <input type="hidden" name="email" value=row.email.clone()/>
                    <input type="hidden" name="grant" value=(!row.site_admin).to_string()/>
                    <input type="hidden" name="back" value=back/>
                    <button type="submit" class="btn btn-ghost">{if row.site_admin { "Take away admin role" } else { "Make operator admin" }}</button>
                </ActionForm>
            </div>
        </section>
        {(!signup_answers.is_empty()).then(|| view! {
            <section class="card section" aria-labelledby="dev-answers">
                <h2 id="dev-answers">"Sign-up answers"</h2>
                <dl class="details">
                    {signup_answers.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </section>
        })}
        <section class="card section" aria-labelledby="dev-teams">
            <h2 id="dev-teams">{format!("Teams ({})", teams.len())}</h2>
            <ul class="plain-list">
                {teams.into_iter().map(|t| view! {
                    <li>
                        <a href=format!("/admin/teams/{}", t.team_id)>{t.name}</a> " "
                        <span class=role_class(t.role)>{t.role.label()}</span>
                        {t.personal.then_some(" (personal)")}
                    </li>
                }).collect_view()}
            </ul>
        </section>
        <section class="card section" aria-labelledby="dev-keys">
            <h2 id="dev-keys">{format!("Keys they created ({})", keys.len())}</h2>
            {if keys.is_empty() { view! { <p class="muted">"None."</p> }.into_any() } else { view! { <super::keys::KeyTable keys back=format!("/admin/developers/{}", row.id)/> }.into_any() }}
        </section>
        <section class="card section" aria-labelledby="dev-sessions">
            <h2 id="dev-sessions">{format!("Signed-in devices ({})", sessions.len())}</h2>
            {if sessions.is_empty() { view! { <p class="muted">"None."</p> }.into_any() } else { view! {
                <ul class="plain-list">
                    {sessions.into_iter().map(|s| view! {
                        <li>{s.device()} " · " {s.ip.clone()} " · last seen " <LocalTime at=s.last_seen_at/></li>
                    }).collect_view()}
                </ul>
            }.into_any() }}
        </section>
        <section class="card section" aria-labelledby="dev-audit">
            <h2 id="dev-audit">"Recent actions"</h2>
            {if audit.is_empty() { view! { <p class="muted">"None recorded."</p> }.into_any() } else { view! {
                <ul class="plain-list">
                    {audit.into_iter().map(|e| view! {
                        <li><LocalTime at=e.at/> " · " {action_label(&e.action).to_owned()} {e.detail.map(|d| format!(" · {d}"))}</li>
                    }).collect_view()}
                </ul>
            }.into_any() }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::developers_csv_href;

    #[test]
    fn the_export_link_carries_the_filters_of_the_list() {
        assert_eq!(developers_csv_href("", "", ""), "/admin/developers.csv");
        assert_eq!(developers_csv_href("a+b@x.io", "suspended", "2026-11-01"), "/admin/developers.csv?q=a%2Bb%40x.io&status=suspended&since=2026-11-01");
        assert_eq!(developers_csv_href("", "admin", ""), "/admin/developers.csv?status=admin");
    }
}
