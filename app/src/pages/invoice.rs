//! `/portal/billing/invoices/:id`: one invoice as a printable page (the same facts as its
//! PDF), with the PDF to download. Owners and admins.

use crate::api::get_invoice;
use crate::islands::PrintButton;
use crate::pages::billing::status_badge;
use keyport_core::dto::billing::{format_money, invoice_number_label, period_label, rate_label, InvoiceView};
use keyport_core::dto::thousands;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The invoice page.
#[component]
pub fn InvoicePage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let data = Resource::new(move || id.clone(), get_invoice);
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the invoice…"</p> }>
            {move || data.get().map(|r| match r {
                Ok(v) => view! { <Invoice v/> }.into_any(),
                Err(e) => view! {
                    <Title text="Invoice"/>
                    <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    <p><a href="/portal/billing">"Back to billing"</a></p>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Invoice(v: InvoiceView) -> impl IntoView {
    let money = {
        let c = v.currency.clone();
        move |m: i64| format_money(m, &c)
    };
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.format("%d %b %Y").to_string()).unwrap_or_else(|| "—".into());
    let title = v.title();
    let pdf = format!("/portal/billing/invoices/{}/pdf", v.id);
    let number = v.number_label();
    let mut issuer = v.issuer.split(", ").map(str::to_owned);
    let issuer_name = issuer.next().unwrap_or_default();
    let issuer_rest: Vec<String> = issuer.collect();
    let address: Vec<String> = v.bill_to.address.clone().unwrap_or_default().lines().map(str::to_owned).collect();
    let status = match v.status {
        keyport_core::dto::billing::InvoiceStatus::Void => format!("Void: {}", v.void_reason.clone().unwrap_or_default()),
        keyport_core::dto::billing::InvoiceStatus::Paid => format!("Paid on {}", date(v.paid_at)),
        _ => format!("Due {}", date(v.due_at)),
    };
    view! {
        <Title text=title.clone()/>
        <nav class="breadcrumbs no-print" aria-label="Breadcrumb"><a href="/portal/billing">"Billing"</a>" / "{number.clone()}</nav>
        <header class="page-header invoice-actions no-print">
            <h1>{title.clone()}</h1>
            <div class="actions">
                <a class="btn btn-primary" href=pdf download="">"Download PDF"</a>
                <PrintButton/>
            </div>
        </header>
        <article class="card invoice" aria-label=title>
            <div class="invoice-head">
                <div>
                    <p class="invoice-issuer">{issuer_name}</p>
                    {issuer_rest.into_iter().map(|l| view! { <p class="muted small">{l}</p> }).collect_view()}
                </div>
                <dl class="invoice-facts">
                    <dt>"Number"</dt><dd>{number}</dd>
                    <dt>"Period"</dt><dd>{period_label(&v.period)}</dd>
                    <dt>"Issued"</dt><dd>{date(v.issued_at)}</dd>
                    <dt>"Due"</dt><dd>{date(v.due_at)}</dd>
                    <dt>"Status"</dt><dd><span class=status_badge(v.status)>{v.status.label()}</span></dd>
                </dl>
            </div>
            <section class="invoice-to" aria-labelledby="bill-to">
                <h2 id="bill-to" class="small-caps">"Bill to"</h2>
                <p><strong>{v.bill_to.name.clone()}</strong></p>
                {address.into_iter().map(|l| view! { <p>{l}</p> }).collect_view()}
                {v.bill_to.email.clone().map(|e| view! { <p>{e}</p> })}
                {v.bill_to.tax_id.clone().map(|t| view! { <p>{format!("Tax ID: {t}")}</p> })}
                {(v.team_name != v.bill_to.name).then(|| view! { <p class="muted">{format!("Team: {}", v.team_name)}</p> })}
            </section>
            <div class="table-wrap">
                <table class="keys-table invoice-lines">
                    <caption class="visually-hidden">"Invoice lines"</caption>
                    <thead><tr><th scope="col">"Description"</th><th scope="col" class="num col-qty">"Qty"</th><th scope="col" class="num">"Tax"</th><th scope="col" class="num">"Amount"</th></tr></thead>
                    <tbody>
                        {v.lines.iter().map(|l| view! {
                            <tr>
                                <td class="wrap">{l.description.clone()}</td>
                                <td class="num col-qty">{thousands(l.quantity)}</td>
                                <td class="num">{rate_label(l.tax_rate_bp)}</td>
                                <td class="num">{money(l.amount_minor)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <dl class="invoice-totals">
                <dt>"Subtotal"</dt><dd>{money(v.subtotal_minor)}</dd>
                <dt>"Tax"</dt><dd>{money(v.tax_minor)}</dd>
                <dt class="invoice-total">"Total"</dt><dd class="invoice-total">{money(v.total_minor)}</dd>
            </dl>
            <p class="invoice-status">{status}</p>
            {v.replaces.map(|n| view! { <p class="muted">{format!("This invoice replaces {}, which is void.", invoice_number_label(n))}</p> })}
            {v.replaced_by.map(|n| view! { <p class="muted">{format!("Replaced by {}.", invoice_number_label(n))}</p> })}
        </article>
    }
}
