//! `/admin/billing`: the provider's view of billing — requests for products waiting for a
//! decision (approve, or deny with the reason the team reads), recent invoices (mark a due
//! one paid, for the manual provider, or void it and issue its correction), and the plans
//! and products in effect, each opening its form (`plans.rs`).

use super::{admin_view, done_line};
use crate::api::{admin_billing, AdminDecideProduct, AdminPayInvoice, AdminVoidInvoice};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{error_message, field_error, form_error, last_error, FormAlert, Typed};
use crate::islands::OpenDialog;
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
            {done_line(&[
                ("decided", "Decision recorded; the requester was told."),
                ("paid", "Marked paid."),
                ("voided", "Voided. The team's billing page shows it void."),
                ("reissued", "Voided, and its correction issued with the next number (the team was emailed)."),
                ("plan-saved", "Plan saved: teams on it have the new terms from their next request."),
                ("plan-archived", "Plan archived: teams on it stay; nobody can switch to it."),
                ("plan-default", "New teams now start on that plan."),
                ("product-saved", "Product saved."),
                ("product-archived", "Product archived: it left the catalogue."),
            ])}
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
            <section class="card section" id="plans" aria-labelledby="admin-plans-title">
                <div class="section-head">
                    <h2 id="admin-plans-title">"Plans"</h2>
                    <a class="btn btn-secondary btn-sm" href="/admin/billing/plans/new">"New plan"</a>
                </div>
                <div class="table-wrap">
                    <table class="keys-table">
                        <caption class="visually-hidden">"Plans"</caption>
                        <thead><tr><th scope="col">"Plan"</th><th scope="col" class="num">"Price"</th><th scope="col" class="num">"Included"</th><th scope="col">"Past them"</th><th scope="col" class="num">"Teams"</th></tr></thead>
                        <tbody>
                            {b.plans.into_iter().map(|p| view! {
                                <tr id=format!("plan-{}", p.id)>
                                    <th scope="row"><a href=format!("/admin/billing/plans/{}", p.id) aria-label=format!("Edit plan {}", p.name)>{p.name.clone()}</a> " " <code class="small">{p.id.clone()}</code>
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
                <p class="muted small">"Open a plan to change its terms, make it the default or archive it (or use keyport plans)."</p>
            </section>
            <section class="card section" id="products" aria-labelledby="admin-products-title">
                <div class="section-head">
                    <h2 id="admin-products-title">"Products"</h2>
                    <a class="btn btn-secondary btn-sm" href="/admin/billing/products/new">"New product"</a>
                </div>
                {if b.products.is_empty() {
                    view! { <p class="muted">"No products: every scope is open to every key. A product ties scopes to the teams that have it."</p> }.into_any()
                } else {
                    view! {
                        <ul class="admin-guides">
                            {b.products.into_iter().map(|p| view! {
                                <li id=format!("product-{}", p.id)>
                                    <span><a href=format!("/admin/billing/products/{}", p.id) aria-label=format!("Edit product {}", p.name)><strong>{p.name.clone()}</strong></a> " " <span class="badge badge-muted">{p.visibility.as_str()}</span>
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
                                        <div class="button-row">
                                            <ActionForm action=pay attr:class="inline-form">
                                                <input type="hidden" name="number" value=v.number.unwrap_or_default().to_string()/>
                                                <input type="hidden" name="note" value="marked paid in the console"/>
                                                <button type="submit" class="btn btn-ghost btn-sm" aria-label=format!("Mark {number} paid")>"Mark paid"</button>
                                            </ActionForm>
                                            <VoidInvoice v=v.clone()/>
                                        </div>
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

/// Voiding a due invoice, asked first: the reason, and whether to issue its correction at
/// once with a credit off it.
#[component]
fn VoidInvoice(v: InvoiceView) -> impl IntoView {
    let void = ServerAction::<AdminVoidInvoice>::new();
    let err = last_error(void);
    let n = v.number.unwrap_or_default();
    let label = v.number_label();
    let typed = Typed::of(&format!("admin/invoices/void/{n}"));
    let open = !typed.is_empty();
    let dialog = format!("void-{n}");
    let ids = move |f: &str| format!("void-{n}-{f}");
    let (reason_err, credit_err) = (field_error(err, "reason"), field_error(err, "credit"));
    view! {
        <OpenDialog dialog=dialog.clone() label="Void…".to_owned() class="btn btn-ghost btn-sm".to_owned() aria_label=format!("Void {label}")/>
        <NativeDialog id=dialog title=format!("Void {label}?") open>
            <p>{format!("{} for {}, {}. It stays on record, marked void; nothing is deleted. A paid invoice is refunded through the payment provider instead.", label, v.team_name, format_money(v.total_minor, &v.currency))}</p>
            <FormAlert message=form_error(err, &["reason", "credit", "credit_description"])/>
            <ActionForm action=void attr:class="form" attr:novalidate=true>
                <input type="hidden" name="number" value=n.to_string()/>
                <div class="field">
                    <label for=ids("reason")>"Reason (kept with the invoice)"</label>
                    <input id=ids("reason") name="reason" type="text" maxlength="300" required=true value=typed.get("reason") aria-describedby=ids("reason-error")/>
                    <p class="field-error" id=ids("reason-error") role="alert" hidden=move || reason_err.get().is_none()>{move || reason_err.get()}</p>
                </div>
                <label class="checkbox" for=ids("reissue")>
                    <input type="checkbox" id=ids("reissue") name="reissue" value="on" checked=typed.get("reissue").is_some_and(|r| !r.is_empty())/>
                    <span>"Issue the correction now (same lines, the next number, the billing contact as it is today)"</span>
                </label>
                <div class="form-row">
                    <div class="field">
                        <label for=ids("credit")>{format!("Credit off it, in {} (optional)", v.currency)}</label>
                        <input id=ids("credit") name="credit" type="text" inputmode="decimal" maxlength="20" value=typed.get("credit") aria-describedby=ids("credit-error")/>
                        <p class="field-error" id=ids("credit-error") role="alert" hidden=move || credit_err.get().is_none()>{move || credit_err.get()}</p>
                    </div>
                    <div class="field">
                        <label for=ids("credit-description")>"What the credit is for"</label>
                        <input id=ids("credit-description") name="credit_description" type="text" maxlength="200" value=typed.get("credit_description")/>
                    </div>
                </div>
                {confirm_buttons("Void invoice", "btn btn-danger")}
            </ActionForm>
        </NativeDialog>
    }
}
