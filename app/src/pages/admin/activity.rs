//! `/admin/outbox` (every email) and `/admin/audit` (the whole audit trail, with CSV).

use super::admin_view;
use crate::api::{admin_audit, admin_outbox};
use crate::components::local_time::LocalTime;
use crate::islands::SubmitOnChange;
use crate::pages::audit::{AuditTable, Filter, ACTIONS};
use keyport_core::dto::{AuditEventView, OutboxEmailView};
use leptos::prelude::*;
use leptos_meta::Title;

/// Every email, newest first.
#[component]
pub fn AdminOutboxPage() -> impl IntoView {
    let emails = Resource::new(|| (), |_| admin_outbox());
    view! {
        <Title text="Emails · Admin"/>
        {admin_view(emails, "Loading emails…", |list: Vec<OutboxEmailView>| view! {
            <header class="page-header">
                <h1>"Emails"</h1>
                <p class="muted">"Every email Keyport queued, for every team and account, newest first. One-time links are never stored readable: only their recipient gets them."</p>
            </header>
            {if list.is_empty() {
                view! { <section class="card empty-state"><h2>"No emails yet"</h2><p class="muted">"Invitations, resets and notices appear here once sent."</p></section> }.into_any()
            } else {
                view! {
                    <div class="table-wrap card">
                        <table class="keys-table">
                            <caption class="visually-hidden">"Emails"</caption>
                            <thead><tr><th scope="col">"Queued"</th><th scope="col">"To"</th><th scope="col">"Subject"</th><th scope="col">"Status"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| view! {
                                    <tr>
                                        <td><LocalTime at=e.created_at/></td>
                                        <td>{e.to.clone()}</td>
                                        <th scope="row">
                                            <details><summary>{e.subject.clone()}</summary><pre class="email-body">{e.body.clone()}</pre></details>
                                        </th>
                                        <td>{e.status.label()}{e.last_error.map(|err| view! { <div class="small muted">{err}</div> })}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        })}
    }
}

/// The whole audit trail: a GET form of filters, rows drawn on the server, CSV of the same.
#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let (filter, team) = leptos_router::hooks::use_query_map().with_untracked(|q| {
        (
            Filter {
                action: q.get("action").unwrap_or_default(),
                actor: q.get("actor").unwrap_or_default(),
                from: q.get("from").unwrap_or_default(),
                to: q.get("to").unwrap_or_default(),
            },
            q.get("team").unwrap_or_default(),
        )
    });
    let events = Resource::new({
        let key = (filter.clone(), team.clone());
        move || key.clone()
    }, |(f, team)| admin_audit(f.action, f.actor, f.from, f.to, team));
    view! {
        <Title text="Audit · Admin"/>
        {admin_view(events, "Loading the audit trail…", move |list: Vec<AuditEventView>| {
            let f = filter.clone();
            let csv = f.csv_href().replacen("/portal/audit.csv", "/admin/audit.csv", 1);
            let csv = if team.is_empty() { csv } else { format!("{csv}{}team={}", if csv.contains('?') { "&" } else { "?" }, team) };
            view! {
                <header class="page-header page-header-row">
                    <div>
                        <h1>"Audit trail"</h1>
                        <p class="muted">"Everything recorded, in every team and site-wide (settings, admins, suspensions). Rows marked Provider were done by an admin on a team's behalf."</p>
                    </div>
                    <a class="btn btn-secondary" href=csv download="keyport-audit-all.csv">"Export CSV"</a>
                </header>
                <form class="filters" method="get" action="/admin/audit" role="search" aria-label="Filter the audit trail">
                    <SubmitOnChange>
                        <div class="field">
                            <label for="aa-action">"Action"</label>
                            <select id="aa-action" name="action">
                                <option value="">"All actions"</option>
                                {ACTIONS.iter().map(|(v, l)| view! { <option value=*v selected=f.action == *v>{*l}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="aa-actor">"Actor"</label>
                            <input id="aa-actor" name="actor" type="search" placeholder="Email contains…" maxlength="320" value=f.actor.clone()/>
                        </div>
                        <div class="field">
                            <label for="aa-from">"From (UTC)"</label>
                            <input id="aa-from" name="from" type="date" value=f.from.clone()/>
                        </div>
                        <div class="field">
                            <label for="aa-to">"To (UTC)"</label>
                            <input id="aa-to" name="to" type="date" value=f.to.clone()/>
                        </div>
                    </SubmitOnChange>
                    {(!team.is_empty()).then(|| view! { <input type="hidden" name="team" value=team.clone()/> })}
                    <noscript><button type="submit" class="btn btn-primary">"Apply"</button></noscript>
                </form>
                {if list.is_empty() {
                    view! { <section class="card empty-state"><h2>"Nothing matches"</h2><p class="muted">"No recorded action matches these filters."</p></section> }.into_any()
                } else {
                    view! { <AuditTable list/> }.into_any()
                }}
            }
        })}
    }
}
