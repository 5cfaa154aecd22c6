//! Server functions of billing: the team's plan and its use.

#[allow(unused_imports)]
use super::*;
use keyport_core::dto::billing::BillingView;

/// The active team's plan, this period's use of it and the other plans offered.
#[server(endpoint = "billing/view")]
pub async fn get_billing() -> Result<BillingView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.billing_view(&caller).await?)
}

/// Moves the active team to another plan: a dearer one at once (the rest of the month is
/// charged, prorated), a cheaper one when the month ends. Owners and admins.
#[server(endpoint = "billing/change")]
pub async fn change_plan(plan: String) -> Result<keyport_core::dto::billing::PlanChangeView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.change_plan(&caller, &plan, &ssr::request_meta()).await?)
}

/// Cancels the team's plan at the end of the month (it then goes to the default plan).
#[server(endpoint = "billing/cancel")]
pub async fn cancel_plan() -> Result<keyport_core::dto::billing::PlanChangeView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.cancel_plan(&caller, &ssr::request_meta()).await?)
}

/// Calls off a scheduled downgrade or cancellation.
#[server(endpoint = "billing/keep")]
pub async fn keep_plan() -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.keep_plan(&caller, &ssr::request_meta()).await?)
}

/// The active team's invoices, newest first (owners and admins).
#[server(endpoint = "billing/invoices")]
pub async fn list_invoices() -> Result<Vec<keyport_core::dto::billing::InvoiceView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.team_invoices(&caller).await?)
}

/// One of the active team's invoices with its lines.
#[server(endpoint = "billing/invoice")]
pub async fn get_invoice(id: String) -> Result<keyport_core::dto::billing::InvoiceView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.team_invoice(&caller, &id).await?)
}

/// The team's billing contact and payment method (owners and admins).
#[server(endpoint = "billing/profile")]
pub async fn get_billing_profile() -> Result<keyport_core::dto::billing::BillingProfileView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.billing_profile(&caller).await?)
}

/// Saves the billing contact: who later invoices are addressed and sent to.
#[server(endpoint = "billing/profile/save")]
pub async fn save_billing_profile(email: String, company: String, address: String, tax_id: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    let input = keyport_core::dto::billing::BillingProfileView { email, company, address, tax_id, card: None, provider: String::new() };
    ssr::services()?.save_billing_profile(&caller, &input, &ssr::request_meta()).await.inspect_err(|_| {
        let fields = [("email", input.email.as_str()), ("company", input.company.as_str()), ("address", input.address.as_str()), ("tax_id", input.tax_id.as_str())];
        ssr::remember_form("billing/profile/save", &fields);
    })?;
    ssr::forget_form();
    ssr::redirect("/portal/billing?contact=saved#billing-contact");
    Ok(())
}
