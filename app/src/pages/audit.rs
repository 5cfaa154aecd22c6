//! `/portal/audit`: who did what in the active team (owners and admins).

use crate::api::list_audit;
use crate::components::local_time::LocalTime;
use crate::islands::SubmitOnChange;
use leptos::prelude::*;
use leptos_meta::Title;

/// The filterable actions: stored name and label.
pub const ACTIONS: [(&str, &str); 61] = [
    ("sign_in", "Signed in"),
    ("sign_in_failed", "Sign-in failed"),
    ("key.created", "Key created"),
    ("key.revoked", "Key revoked"),
    ("key.edited", "Key edited"),
    ("key.disabled", "Key disabled"),
    ("key.enabled", "Key enabled"),
    ("key.regenerated", "Key regenerated"),
    ("key.rotated", "Key rotated"),
    ("key.leak_revoked", "Leaked key revoked"),
    ("key.approved", "Key approved"),
    ("key.denied", "Key denied"),
    ("team.created", "Team created"),
    ("team.updated", "Team settings changed"),
    ("team.deleted", "Team deleted"),
    ("invitation.sent", "Invitation sent"),
    ("invitation.accepted", "Invitation accepted"),
    ("invitation.revoked", "Invitation revoked"),
    ("member.role_changed", "Role changed"),
    ("member.removed", "Member removed"),
    ("member.left", "Member left"),
    ("password.changed", "Password changed"),
    ("sessions.ended", "Devices signed out"),
    ("password.reset", "Password reset by email"),
    ("setting.changed", "Setting changed"),
    ("admin.granted", "Admin role granted"),
    ("admin.revoked", "Admin role taken away"),
    ("developer.suspended", "Developer suspended"),
    ("developer.reactivated", "Developer reactivated"),
    ("team.suspended", "Team suspended"),
    ("team.reactivated", "Team reactivated"),
    ("embed.link_created", "Embedded sign-in link made"),
    ("email.verified", "Email address verified"),
    ("docs.imported", "API document imported"),
    ("docs.rolled_back", "API document rolled back"),
    ("docs.page_saved", "Docs guide saved"),
    ("docs.page_removed", "Docs guide removed"),
    ("profile.changed", "Profile changed"),
    ("email.change_requested", "Email change asked for"),
    ("email.changed", "Email address changed"),
    ("key.revealed", "Key revealed"),
    ("key.copied", "Key copied"),
    ("mfa.enabled", "Two-factor authentication turned on"),
    ("mfa.disabled", "Two-factor authentication turned off"),
    ("mfa.recovery_code_used", "Recovery code used"),
    ("mfa.failed", "Wrong second-factor code"),
    ("team.mfa_requirement", "Two-factor requirement changed"),
    ("identity.linked", "Sign-in provider linked"),
    ("identity.unlinked", "Sign-in provider removed"),
    ("plan.saved", "Plan saved"),
    ("plan.archived", "Plan archived"),
    ("plan.changed", "Plan changed"),
    ("invoice.issued", "Invoice issued"),
    ("invoice.paid", "Invoice paid"),
    ("invoice.voided", "Invoice voided"),
    ("billing.contact_changed", "Billing contact changed"),
    ("invoice.payment_failed", "Invoice payment failed"),
    ("product.saved", "Product saved"),
    ("product.requested", "Product requested"),
    ("product.approved", "Product approved"),
    ("product.denied", "Product denied"),
];

/// A label for a stored action name.
pub fn action_label(action: &str) -> &str {
    ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, l)| *l).unwrap_or(action)
}

/// The audit filter as the page holds it: action, actor, from, to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Action name or empty.
    pub action: String,
    /// Part of the actor's email or empty.
    pub actor: String,
    /// First day, `YYYY-MM-DD`, or empty.
    pub from: String,
    /// Last day, `YYYY-MM-DD`, or empty.
    pub to: String,
}

impl Filter {
    /// The export link for the same rows.
    pub fn csv_href(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [("action", &self.action), ("actor", &self.actor), ("from", &self.from), ("to", &self.to)] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        if parts.is_empty() { "/portal/audit.csv".to_owned() } else { format!("/portal/audit.csv?{}", parts.join("&")) }
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The audit page: the filters are a plain GET form (sent as soon as a choice changes), so a
/// filtered view has its own address; the rows are drawn on the server.
#[component]
pub fn AuditPage() -> impl IntoView {
    let filter = leptos_router::hooks::use_query_map().with_untracked(|q| Filter {
        action: q.get("action").unwrap_or_default(),
        actor: q.get("actor").unwrap_or_default(),
        from: q.get("from").unwrap_or_default(),
        to: q.get("to").unwrap_or_default(),
    });
    let events = Resource::new({
        let f = filter.clone();
        move || f.clone()
    }, |f| list_audit(f.action, f.actor, f.from, f.to));
    let f = filter.clone();
    view! {
        <Title text="Audit trail"/>
        <header class="page-header page-header-row">
            <div>
                <h1>"Audit trail"</h1>
                <p class="muted">"Every security-relevant action in this team: who, what, when and from where. Times are in your time zone; hover for UTC."</p>
            </div>
            <a class="btn btn-secondary" href=filter.csv_href() download="keyport-audit.csv">"Export CSV"</a>
        </header>
        <form class="filters" method="get" action="/portal/audit" role="search" aria-label="Filter the audit trail">
            <SubmitOnChange>
                <div class="field">
                    <label for="audit-action">"Action"</label>
                    <select id="audit-action" name="action">
                        <option value="">"All actions"</option>
                        {ACTIONS.iter().map(|(v, l)| view! { <option value=*v selected=f.action == *v>{*l}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-actor">"Actor"</label>
                    <input id="audit-actor" name="actor" type="search" placeholder="Email contains…" maxlength="320" value=f.actor.clone()/>
                </div>
                <div class="field">
                    <label for="audit-from">"From (UTC)"</label>
                    <input id="audit-from" name="from" type="date" value=f.from.clone()/>
                </div>
                <div class="field">
                    <label for="audit-to">"To (UTC)"</label>
                    <input id="audit-to" name="to" type="date" value=f.to.clone()/>
                </div>
            </SubmitOnChange>
            <noscript><button type="submit" class="btn btn-primary">"Apply"</button></noscript>
        </form>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the audit trail…"</p> }>
            {move || events.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! {
                    <section class="card empty-state"><h2>"Nothing matches"</h2>
                    <p class="muted">"No recorded action matches these filters. Actions such as creating keys or inviting people appear here."</p></section>
                }.into_any(),
                Ok(list) => view! { <AuditTable list/> }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// Audit rows as a table (the team's trail and the console's whole trail): time, actor
/// (marked when the provider acted for the team), action, details, address.
#[component]
pub fn AuditTable(list: Vec<keyport_core::dto::AuditEventView>) -> impl IntoView {
    view! {
        <div class="table-wrap card">
            <table class="keys-table">
                <caption class="visually-hidden">"Audit events"</caption>
                <thead><tr>
                    <th scope="col">"Time"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                    <th scope="col">"Details"</th><th scope="col" class="hide-sm">"Address"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|e| view! {
                        <tr>
                            <td><LocalTime at=e.at/></td>
                            <td>{e.actor.unwrap_or_else(|| "—".into())}{e.by_provider.then(|| view! { " " <span class="badge badge-test" title="Done by the provider's admin for this team">"Provider"</span> })}</td>
                            <th scope="row">{action_label(&e.action).to_owned()}</th>
                            <td class="wrap">
                                {e.detail.map(|d| view! { <span>{d}</span> })}
                                <code class="object-id">{e.object.unwrap_or_default()}</code>
                            </td>
                            <td class="hide-sm" title=e.user_agent>{e.ip}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audited_action_has_a_label() {
        #[cfg(feature = "ssr")]
        for a in keyport_core::services::audit::AuditAction::ALL {
            assert!(ACTIONS.iter().any(|(n, _)| *n == a.as_str()), "{a:?} has no label");
        }
        #[cfg(feature = "ssr")]
        assert_eq!(ACTIONS.len(), keyport_core::services::audit::AuditAction::ALL.len(), "a label for an action that does not exist");
    }

    #[test]
    fn the_export_link_carries_the_filter() {
        assert_eq!(Filter::default().csv_href(), "/portal/audit.csv");
        let f = Filter { action: "key.created".into(), actor: "a+b@x.io".into(), from: "2026-11-01".into(), to: String::new() };
        assert_eq!(f.csv_href(), "/portal/audit.csv?action=key.created&actor=a%2Bb%40x.io&from=2026-11-01");
    }
}
