//! `/portal/team`: who is in the active team, with which role.

use crate::api::list_members;
use crate::format::date;
use keyport_core::roles::Role;
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

/// The members page.
#[component]
pub fn TeamPage() -> impl IntoView {
    let members = Resource::new(|| (), |_| list_members());
    view! {
        <Title text="Team"/>
        <header class="page-header">
            <h1>"Team members"</h1>
            <p class="muted">"Everyone in this team shares its keys and usage. What each person may do depends on their role."</p>
        </header>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading members…"</p> }>
            {move || members.get().map(|result| match result {
                Ok(list) => view! {
                    <div class="table-wrap card">
                        <table class="keys-table">
                            <caption class="visually-hidden">"Team members"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Member"</th>
                                    <th scope="col">"Role"</th>
                                    <th scope="col">"Joined"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|m| view! {
                                    <tr>
                                        <th scope="row" class="key-name">{m.email}</th>
                                        <td><span class=role_class(m.role)>{m.role.label()}</span></td>
                                        <td>{date(m.joined_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <section class="card empty-state">
                        <h2>"Inviting people is not available yet"</h2>
                        <p class="muted">"Invitations by email, role changes and removing members are coming next. Until then, every team has its creator as owner."</p>
                    </section>
                }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}
