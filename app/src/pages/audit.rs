//! `/portal/audit`: who did what in the active team (owners and admins).

use crate::api::list_audit;
use crate::format::date_time;
use leptos::prelude::*;
use leptos_meta::Title;

/// The filterable actions: stored name and label.
pub const ACTIONS: [(&str, &str); 5] = [
    ("sign_in", "Signed in"),
    ("sign_in_failed", "Sign-in failed"),
    ("key.created", "Key created"),
    ("key.revoked", "Key revoked"),
    ("team.created", "Team created"),
];

/// A label for a stored action name.
pub fn action_label(action: &str) -> &str {
    ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, l)| *l).unwrap_or(action)
}

/// The audit page.
#[component]
pub fn AuditPage() -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let events = Resource::new(move || filter.get(), |action| list_audit(action));
    let csv_href = move || {
        let a = filter.get();
        if a.is_empty() { "/portal/audit.csv".to_owned() } else { format!("/portal/audit.csv?action={a}") }
    };
    view! {
        <Title text="Audit trail"/>
        <header class="page-header page-header-row">
            <div>
                <h1>"Audit trail"</h1>
                <p class="muted">"Every security-relevant action in this team: who, what, when and from where. Times are UTC."</p>
            </div>
            <a class="btn btn-secondary" href=csv_href download="keyport-audit.csv">"Export CSV"</a>
        </header>
        <div class="filters">
            <label for="audit-action">"Action"</label>
            <select id="audit-action" on:change=move |ev| filter.set(event_target_value(&ev))>
                <option value="">"All actions"</option>
                {ACTIONS.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
            </select>
        </div>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading the audit trail…"</p> }>
            {move || events.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! {
                    <section class="card empty-state"><h2>"Nothing recorded yet"</h2>
                    <p class="muted">"Actions such as creating or revoking keys will appear here."</p></section>
                }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap card">
                        <table class="keys-table">
                            <caption class="visually-hidden">"Audit events"</caption>
                            <thead><tr>
                                <th scope="col">"Time"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                                <th scope="col">"Object"</th><th scope="col" class="hide-sm">"Address"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| view! {
                                    <tr>
                                        <td>{date_time(e.at)}</td>
                                        <td>{e.actor.unwrap_or_else(|| "—".into())}</td>
                                        <th scope="row">{action_label(&e.action).to_owned()}</th>
                                        <td><code>{e.object.unwrap_or_default()}</code></td>
                                        <td class="hide-sm" title=e.user_agent>{e.ip}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}
