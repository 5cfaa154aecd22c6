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
