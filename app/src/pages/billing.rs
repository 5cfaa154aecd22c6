//! `/portal/billing`: the team's plan (price, what it includes, what happens past it), how
//! much of it this period has used, and the other plans side by side. Every member sees it.

use crate::api::{get_billing, get_billing_profile, list_invoices, CancelPlan, ChangePlan, KeepPlan, SaveBillingProfile};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{field_error, form_error, last_error, FormAlert, TextField, Typed};
use crate::islands::OpenDialog;
use keyport_core::dto::billing::{feature_label, format_money, period_label, BillingProfileView, BillingView, InvoiceStatus, InvoiceView, PlanView};
use keyport_core::dto::thousands;
use leptos::prelude::*;
use leptos_meta::Title;

/// The billing page.
#[component]
pub fn BillingPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_billing());
    let actions = Actions { change: ServerAction::new(), cancel: ServerAction::new(), keep: ServerAction::new() };
    let errors = [
        form_error(last_error(actions.change), &[]),
        form_error(last_error(actions.cancel), &[]),
        form_error(last_error(actions.keep), &[]),
    ];
    let error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    view! {
        <Title text="Billing"/>
        <header class="page-header">
            <h1>"Billing"</h1>
            <p class="muted">"Your team's plan, what it includes and how much of it this month has used."</p>
        </header>
        <FormAlert message=error/>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading your plan…"</p> }>
            {move || data.get().map(|r| match r {
                Ok(b) => view! { <Billing b actions/> }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// The page's forms.
#[derive(Clone, Copy)]
struct Actions {
    change: ServerAction<ChangePlan>,
    cancel: ServerAction<CancelPlan>,
    keep: ServerAction<KeepPlan>,
}

/// "1,000 requests" or the portal's own limit, as people read it.
fn limit(v: Option<i64>, portal: i64, unit: &str) -> String {
    format!("{} {unit}", thousands(v.unwrap_or(portal)))
}

#[component]
fn Billing(b: BillingView, actions: Actions) -> impl IntoView {
    let p = b.plan.clone();
    let percent = if p.included_requests > 0 { (b.used_requests as f64 * 100.0 / p.included_requests as f64).min(999.0) } else { 0.0 };
    let level = if percent >= 100.0 { "meter-full" } else if percent >= 80.0 { "meter-warn" } else { "" };
    let overage = b.overage_so_far();
    let over = (b.used_requests - p.included_requests).max(0);
    let period = format!("{} – {}", b.period_start.format("%d %b %Y"), (b.period_end - chrono::Duration::seconds(1)).format("%d %b %Y"));
    let limits = (b.portal_max_ratelimit, b.portal_max_keys);
    let key_limit = p.max_keys.unwrap_or(b.portal_max_keys);
    let ends = b.period_end.format("%d %b %Y").to_string();
    let choices = b.choices.clone();
    let b = StoredValue::new(b);
    view! {
        <div class="grid">
            <section class="card" aria-labelledby="plan-title">
                <h2 id="plan-title" class="card-title">"Current plan"</h2>
                <h3 class="plan-name">{p.name.clone()}</h3>
                <p class="price">{p.price_label()}</p>
                {p.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
                {b.with_value(|b| b.trial_ends_at).map(|t| view! { <p class="badge badge-live">{format!("Trial until {}", t.format("%d %b %Y"))}</p> })}
                {b.with_value(|b| b.scheduled.clone()).map(|next| {
                    let keep = format!("Keep {}", p.name);
                    let cancelling = b.with_value(|b| b.cancelling);
                    let text = if cancelling {
                        format!("Cancelled: your team moves to {next} on {ends}.")
                    } else {
                        format!("Your team moves to {next} on {ends}, when this month ends.")
                    };
                    view! {
                        <div class="notice" role="status">
                            <p>{text}</p>
                            {b.with_value(|b| b.can_manage).then(|| view! {
                                <ActionForm action=actions.keep>
                                    <button type="submit" class="btn btn-secondary">{keep}</button>
                                </ActionForm>
                            })}
                        </div>
                    }
                })}
                <PlanTerms p=p.clone() limits/>
                {(b.with_value(|b| b.can_manage && b.scheduled.is_none()) && !p.is_default).then(|| view! {
                    <OpenDialog dialog="cancel-plan".to_owned() label="Cancel plan".to_owned() class="btn btn-danger-ghost".to_owned()/>
                    <NativeDialog id="cancel-plan".to_owned() title=format!("Cancel {}?", p.name)>
                        <p>{format!("{} keeps working until {ends}; then your team moves to the plan every team starts on. Nothing is refunded, and you can change your mind until then.", p.name)}</p>
                        <ActionForm action=actions.cancel>
                            {confirm_buttons("Cancel plan", "btn btn-danger")}
                        </ActionForm>
                    </NativeDialog>
                })}
            </section>
            <section class="card" aria-labelledby="period-title">
                <h2 id="period-title" class="card-title">"This period"</h2>
                <p class="muted small">{period}</p>
                <p>
                    <strong>{thousands(b.with_value(|b| b.used_requests))}</strong>
                    {format!(" of {} included requests ({:.0} %)", thousands(p.included_requests), percent.floor())}
                </p>
                <progress class=format!("quota {level}") max=p.included_requests.max(1) value=b.with_value(|b| b.used_requests).min(p.included_requests.max(1))
                    aria-label="Included requests used">
                    {format!("{:.0} %", percent.floor())}
                </progress>
                {match p.overage_per_1000_minor {
                    None if b.with_value(|b| b.used_requests) >= p.included_requests => view! {
                        <p class="alert alert-error" role="status">"The included requests are used up: your keys are refused with USAGE_EXCEEDED until the month ends. A plan with more requests lifts this at once."</p>
                    }.into_any(),
                    None => view! { <p class="muted small">"Requests past the included ones are refused until the month ends."</p> }.into_any(),
                    Some(_) => view! {
                        <p>{format!("{} requests past the included ones so far: {}", thousands(over), format_money(overage, &p.currency))}</p>
                    }.into_any(),
                }}
                {(b.with_value(|b| b.charges) > 0).then(|| view! {
                    <p>{format!("Prorated charges this month: {}", format_money(b.with_value(|b| b.charges), &p.currency))}</p>
                })}
                <p>{format!("Keys: {} of {}", b.with_value(|b| b.keys), thousands(key_limit))}</p>
            </section>
        </div>
        <section class="section billing-plans" aria-labelledby="plans-title">
            <h2 id="plans-title">"Plans"</h2>
            {(!b.with_value(|b| b.can_manage)).then(|| view! { <p class="muted">"Owners and admins of the team can change its plan."</p> })}
            {if choices.is_empty() {
                view! { <p class="muted">"No other plans are offered."</p> }.into_any()
            } else {
                view! {
                    <ul class="plan-list">
                        {choices.into_iter().map(|c| view! { <PlanCard c b actions/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        {b.with_value(|b| b.can_manage).then(|| view! { <Invoices/> <Contact/> })}
    }
}

/// The team's invoices, newest first, each with its page and its PDF.
#[component]
fn Invoices() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_invoices());
    view! {
        <section class="card section" aria-labelledby="invoices-title">
            <h2 id="invoices-title">"Invoices"</h2>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading invoices…"</p> }>
                {move || list.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted">"No invoices yet. Each month's invoice is issued when the month ends, if anything is owed."</p>
                    }.into_any(),
                    Ok(list) => view! { <InvoiceTable list/> }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// The badge class of an invoice's status.
pub fn status_badge(s: InvoiceStatus) -> &'static str {
    match s {
        InvoiceStatus::Paid => "badge badge-ok",
        InvoiceStatus::Open => "badge badge-warn",
        InvoiceStatus::Void | InvoiceStatus::Draft => "badge badge-muted",
    }
}

#[component]
fn InvoiceTable(list: Vec<InvoiceView>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="keys-table invoices-table">
                <caption class="visually-hidden">"Invoices"</caption>
                <thead><tr><th scope="col">"Number"</th><th scope="col">"Period"</th><th scope="col">"Status"</th><th scope="col" class="num">"Total"</th><th scope="col">"Issued"</th><th scope="col"><span class="visually-hidden">"Links"</span></th></tr></thead>
                <tbody>
                    {list.into_iter().map(|v| {
                        let number = v.number_label();
                        let page = format!("/portal/billing/invoices/{}", v.id);
                        let pdf = format!("{page}/pdf");
                        view! {
                            <tr>
                                <th scope="row"><a href=page.clone()>{number.clone()}</a></th>
                                <td>{period_label(&v.period)}</td>
                                <td><span class=status_badge(v.status)>{v.status.label()}</span></td>
                                <td class="num">{format_money(v.total_minor, &v.currency)}</td>
                                <td>{v.issued_at.map(|t| t.format("%d %b %Y").to_string()).unwrap_or_default()}</td>
                                <td><a href=pdf download="" aria-label=format!("Download {number} as PDF")>"PDF"</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Who invoices are addressed and sent to, and how they are paid.
#[component]
fn Contact() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_billing_profile());
    view! {
        <section class="card section" id="billing-contact" aria-labelledby="contact-title">
            <h2 id="contact-title">"Billing contact"</h2>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
                {move || profile.get().map(|r| match r {
                    Ok(p) => view! { <ContactForm p/> }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ContactForm(p: BillingProfileView) -> impl IntoView {
    let save = ServerAction::<SaveBillingProfile>::new();
    let err = last_error(save);
    let (saved, updated) = leptos_router::hooks::use_query_map()
        .with_untracked(|q| (q.get("contact").as_deref() == Some("saved"), q.get("payment").as_deref() == Some("updated")));
    let typed = Typed::of("billing/profile/save");
    let value = |name: &str, stored: &str| Some(typed.get(name).unwrap_or_else(|| stored.to_owned()));
    let (email, company, tax_id) = (value("email", &p.email), value("company", &p.company), value("tax_id", &p.tax_id));
    let address = typed.get("address").unwrap_or_else(|| p.address.clone());
    let payment = match (&p.card, p.provider.as_str()) {
        (Some(card), _) => card.clone(),
        (None, "manual") => "Invoices are paid by bank transfer, quoting the invoice's number.".to_owned(),
        (None, _) => "No payment method yet.".to_owned(),
    };
    view! {
        {saved.then(|| view! { <p class="alert alert-ok" role="status">"Billing contact saved. Later invoices use it."</p> })}
        <FormAlert message=form_error(err, &["email", "company", "address", "tax_id"])/>
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <TextField id="billing-email" name="email" label="Billing email" kind="email" autocomplete="email" required=false maxlength=254
                error=field_error(err, "email") value=email hint=Some("Invoices are sent here; empty: to the team's owners.".to_owned())/>
            <TextField id="billing-company" name="company" label="Company" autocomplete="organization" required=false maxlength=200
                error=field_error(err, "company") value=company hint=Some("Invoices are addressed to it; empty: the team's name.".to_owned())/>
            <div class="field">
                <label for="billing-address">"Address"</label>
                <textarea id="billing-address" name="address" rows="4" maxlength="500" autocomplete="street-address"
                    aria-describedby="billing-address-error" aria-invalid=move || field_error(err, "address").get().is_some().to_string()>{address}</textarea>
                <p class="field-error" id="billing-address-error" role="alert" hidden=move || field_error(err, "address").get().is_none()>{move || field_error(err, "address").get()}</p>
            </div>
            <TextField id="billing-tax-id" name="tax_id" label="Tax ID" required=false maxlength=40
                error=field_error(err, "tax_id") value=tax_id hint=Some("A VAT or other tax number, printed on invoices.".to_owned())/>
            <button type="submit" class="btn btn-primary">"Save billing contact"</button>
        </ActionForm>
        <h3 class="card-subtitle">"Payment method"</h3>
        {updated.then(|| view! { <p class="alert alert-ok" role="status">"Thanks: the payment provider is saving your card; it shows here in a moment."</p> })}
        <p>{payment}</p>
        {(p.provider == "stripe").then(|| view! {
            <a class="btn btn-secondary" href="/portal/billing/payment-method">{if p.card.is_some() { "Change payment method" } else { "Add a card" }}</a>
        })}
    }
}

/// What a plan includes, as a definition list (`limits`: the portal's own rate limit and key
/// limit, where the plan sets none).
#[component]
fn PlanTerms(p: PlanView, limits: (i64, i64)) -> impl IntoView {
    let features = p.features.clone();
    view! {
        <dl class="details">
            <dt>"Included requests"</dt><dd>{format!("{} / month", thousands(p.included_requests))}</dd>
            <dt>"Past the included"</dt><dd>{p.overage_label()}</dd>
            <dt>"Rate limit"</dt><dd>{limit(p.ratelimit_cap, limits.0, "requests / minute per key")}</dd>
            <dt>"Keys"</dt><dd>{limit(p.max_keys, limits.1, "working keys")}</dd>
            <dt>"Features"</dt>
            <dd>
                {if features.is_empty() {
                    view! { <span class="muted">"None"</span> }.into_any()
                } else {
                    view! { <ul class="feature-list">{features.iter().map(|f| view! { <li>{feature_label(f)}</li> }).collect_view()}</ul> }.into_any()
                }}
            </dd>
        </dl>
    }
}

/// One plan offered beside the current one, with the difference in price stated, and (for
/// owners and admins) the switch, confirmed with what it costs.
#[component]
fn PlanCard(c: PlanView, b: StoredValue<BillingView>, actions: Actions) -> impl IntoView {
    let id = format!("plan-{}", c.id);
    let current = b.with_value(|b| b.plan.clone());
    let difference = (c.currency == current.currency).then(|| c.price_minor - current.price_minor);
    let compared = match difference {
        Some(d) if d > 0 => format!("{} more a month than {}", format_money(d, &c.currency), current.name),
        Some(d) if d < 0 => format!("{} less a month than {}", format_money(-d, &c.currency), current.name),
        Some(_) => format!("The same price as {}", current.name),
        None => format!("Priced in {}", c.currency),
    };
    let terms = b.with_value(|b| b.change_terms(&c));
    let limits = b.with_value(|b| (b.portal_max_ratelimit, b.portal_max_keys));
    let can = b.with_value(|b| b.can_manage) && difference.is_some();
    let dialog = format!("switch-{}", c.id);
    view! {
        <li class="card plan-card" aria-labelledby=id.clone()>
            <h3 id=id.clone()>{c.name.clone()}</h3>
            <p class="price">{c.price_label()}</p>
            <p class="muted small">{compared}</p>
            {b.with_value(|b| b.trial_of(&c)).map(|_| view! { <p><span class="badge badge-live">{format!("{}-day free trial", c.trial_days)}</span></p> })}
            {c.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            <PlanTerms p=c.clone() limits/>
            {can.then(|| view! {
                <OpenDialog dialog=dialog.clone() label=format!("Switch to {}", c.name) class="btn btn-primary".to_owned()/>
                <NativeDialog id=dialog.clone() title=format!("Switch to {}?", c.name)>
                    <p>{terms}</p>
                    <ActionForm action=actions.change>
                        <input type="hidden" name="plan" value=c.id.clone()/>
                        {confirm_buttons("Switch plan", "btn btn-primary")}
                    </ActionForm>
                </NativeDialog>
            })}
        </li>
    }
}
