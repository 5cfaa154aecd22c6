//! `/portal/outbox`: the emails Keyport sent for the active team (owners and admins). Without
//! SMTP configured, this is where invitation links can be read and passed on by hand.

use crate::api::list_outbox;
use crate::components::local_time::LocalTime;
use keyport_core::dto::OutboxStatus;
use leptos::prelude::*;
use leptos_meta::Title;

fn status_class(s: OutboxStatus) -> &'static str {
    match s {
        OutboxStatus::Sent => "badge badge-ok",
        OutboxStatus::Logged | OutboxStatus::Queued => "badge badge-muted",
        OutboxStatus::Retrying => "badge badge-warn",
        OutboxStatus::Failed => "badge badge-live",
    }
}

/// The outbox page.
#[component]
pub fn OutboxPage() -> impl IntoView {
    let emails = Resource::new(|| (), |_| list_outbox());
    view! {
        <Title text="Sent emails"/>
        <header class="page-header">
            <h1>"Sent emails"</h1>
            <p class="muted">"Invitations and notices Keyport sent for this team. One-time links (invitations, password resets) are never shown here: only their recipient gets them. When the server has no SMTP configured, emails go to the server's log instead of a mailbox."</p>
        </header>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading emails…"</p> }>
            {move || emails.get().map(|r| match r {
                Ok(list) if list.is_empty() => view! {
                    <section class="card empty-state"><h2>"No emails yet"</h2>
                    <p class="muted">"Invitations you send from the Team page will appear here."</p></section>
                }.into_any(),
                Ok(list) => view! {
                    <ul class="outbox-list">
                        {list.into_iter().map(|e| view! {
                            <li class="card outbox-item">
                                <div class="outbox-head">
                                    <div>
                                        <strong>{e.subject.clone()}</strong>
                                        <div class="small muted">"To " {e.to.clone()} " · " <LocalTime at=e.created_at/></div>
                                    </div>
                                    <span class=status_class(e.status)>{e.status.label()}</span>
                                </div>
                                {e.last_error.map(|err| view! { <p class="small alert alert-warn">{format!("Last attempt failed: {err}")}</p> })}
                                <details>
                                    <summary>{format!("Message to {}", e.to)}</summary>
                                    <pre class="email-body">{e.body}</pre>
                                </details>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}
