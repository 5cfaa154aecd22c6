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
