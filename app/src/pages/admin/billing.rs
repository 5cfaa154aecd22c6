//! `/admin/billing`: the provider's view of billing — requests for products waiting for a
//! decision (approve, or deny with the reason the team reads), recent invoices (mark a due
//! one paid, for the manual provider), and the plans and products in effect (changed with
//! `keyport plans` and `keyport products`).

use super::{admin_view, done_line};
use crate::api::{admin_billing, AdminDecideProduct, AdminPayInvoice};
use crate::components::forms::{error_message, FormAlert, Typed};
use crate::components::local_time::LocalTime;
use crate::pages::billing::status_badge;
use keyport_core::dto::billing::{format_money, period_label, AdminBillingView, InvoiceStatus, InvoiceView, ProductRequestView};
use keyport_core::dto::thousands;
use leptos::prelude::*;
use leptos_meta::Title;

/// The console's billing page.
#[component]
pub fn AdminBillingPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| admin_billing());
    view! {
        <Title text="Billing · Admin"/>
        {admin_view(data, "Loading billing…", |b: AdminBillingView| view! {
            <header class="page-header">
                <h1>"Billing"</h1>
                <p class="muted">"Product requests, invoices, and the plans and products in effect."</p>
            </header>
            {done_line(&[("decided", "Decision recorded; the requester was told."), ("paid", "Marked paid.")])}
            <section class="section" aria-labelledby="requests-title">
                <h2 id="requests-title">"Product requests"</h2>
                {if b.requests.is_empty() {
                    view! { <p class="muted">"Nothing waits. Teams ask for products offered on request in their catalogue."</p> }.into_any()
                } else {
                    view! { <ul class="outbox-list">{b.requests.into_iter().map(|r| view! { <Request r/> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            <section class="card section" id="invoices" aria-labelledby="admin-invoices-title">
                <h2 id="admin-invoices-title">"Invoices"</h2>
                {if b.invoices.is_empty() {
                    view! { <p class="muted">"No invoices yet: each month's are issued two minutes after it ends."</p> }.into_any()
                } else {
                    view! { <Invoices list=b.invoices/> }.into_any()
                }}
            </section>
            <section class="card section" aria-labelledby="admin-plans-title">
                <h2 id="admin-plans-title">"Plans"</h2>
                <div class="table-wrap">
                    <table class="keys-table">
                        <caption class="visually-hidden">"Plans"</caption>
                        <thead><tr><th scope="col">"Plan"</th><th scope="col" class="num">"Price"</th><th scope="col" class="num">"Included"</th><th scope="col">"Past them"</th><th scope="col" class="num">"Teams"</th></tr></thead>
                        <tbody>
                            {b.plans.into_iter().map(|p| view! {
                                <tr>
                                    <th scope="row">{p.name.clone()} " " <code class="small">{p.id.clone()}</code>
                                        {p.is_default.then(|| view! { " " <span class="badge badge-live">"default"</span> })}
                                        {p.archived.then(|| view! { " " <span class="badge badge-muted">"archived"</span> })}</th>
                                    <td class="num">{p.price_label()}</td>
                                    <td class="num">{thousands(p.included_requests)}</td>
                                    <td>{match p.overage_per_1000_minor { Some(o) => format!("{} / 1,000", format_money(o, &p.currency)), None => "refused".to_owned() }}</td>
                                    <td class="num">{thousands(p.teams)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <p class="muted small">"Change them with keyport plans (see keyport plans --help)."</p>
            </section>
            <section class="card section" aria-labelledby="admin-products-title">
                <h2 id="admin-products-title">"Products"</h2>
                {if b.products.is_empty() {
                    view! { <p class="muted">"No products: every scope is open to every key. Add one with keyport products create."</p> }.into_any()
                } else {
                    view! {
                        <ul class="admin-guides">
                            {b.products.into_iter().map(|p| view! {
                                <li>
                                    <span><strong>{p.name.clone()}</strong> " " <span class="badge badge-muted">{p.visibility.as_str()}</span>
                                        {p.archived.then(|| view! { " " <span class="badge badge-muted">"archived"</span> })}</span>
                                    <span class="small"><code>{p.scopes.join(" ")}</code>{(!p.plans.is_empty()).then(|| format!(" · plans: {}", p.plans.join(", ")))}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        })}
    }
}

#[component]
fn Request(r: ProductRequestView) -> impl IntoView {
    let decide = ServerAction::<AdminDecideProduct>::new();
    let typed = Typed::of(&format!("admin/products/decide/{}", r.id));
    let reason_id = format!("reason-{}", r.id);
    view! {
        <li class="card outbox-item">
            <div class="outbox-head">
                <div>
                    <strong>{r.product_name.clone()}</strong>
                    <div class="small muted">
                        <a href=format!("/admin/teams/{}", r.team_id)>{r.team_name.clone()}</a> " · " {r.requested_by.clone()} " · asked " <LocalTime at=r.requested_at/>
                    </div>
                </div>
            </div>
            <p class="small">{format!("Why: {}", r.reason)}</p>
            <FormAlert message=error_message(decide)/>
            <ActionForm action=decide attr:class="form form-grid">
                <input type="hidden" name="request_id" value=r.id.clone()/>
                <div class="field">
                    <label for=reason_id.clone()>"Reason (needed to deny)"</label>
                    <input id=reason_id name="reason" type="text" maxlength="500" value=typed.get("reason")/>
                </div>
                <div class="button-row">
                    <button type="submit" name="decision" value="approve" class="btn btn-primary" aria-label=format!("Approve {} for {}", r.product_name, r.team_name)>"Approve"</button>
                    <button type="submit" name="decision" value="deny" class="btn btn-danger" aria-label=format!("Deny {} for {}", r.product_name, r.team_name)>"Deny"</button>
                </div>
            </ActionForm>
        </li>
    }
}

#[component]
fn Invoices(list: Vec<InvoiceView>) -> impl IntoView {
    let pay = ServerAction::<AdminPayInvoice>::new();
    view! {
        <FormAlert message=error_message(pay)/>
        <div class="table-wrap">
            <table class="keys-table invoices-table">
                <caption class="visually-hidden">"Invoices"</caption>
                <thead><tr><th scope="col">"Number"</th><th scope="col">"Team"</th><th scope="col">"Period"</th><th scope="col">"Status"</th><th scope="col" class="num">"Total"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                <tbody>
                    {list.into_iter().map(|v| {
                        let number = v.number_label();
                        view! {
                            <tr>
                                <th scope="row">{number.clone()}</th>
                                <td>{v.team_name.clone()}</td>
                                <td>{period_label(&v.period)}</td>
                                <td><span class=status_badge(v.status)>{v.status.label()}</span></td>
                                <td class="num">{format_money(v.total_minor, &v.currency)}</td>
                                <td class="actions">
                                    {(v.status == InvoiceStatus::Open).then(|| view! {
                                        <ActionForm action=pay attr:class="inline-form">
                                            <input type="hidden" name="number" value=v.number.unwrap_or_default().to_string()/>
                                            <input type="hidden" name="note" value="marked paid in the console"/>
                                            <button type="submit" class="btn btn-ghost btn-sm" aria-label=format!("Mark {number} paid")>"Mark paid"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
