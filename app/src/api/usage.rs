//! Server functions of usage: the dashboard's figures and the usage page's report.

#[allow(unused_imports)]
use super::*;

/// The dashboard's usage figures.
#[server(endpoint = "usage/summary")]
pub async fn get_usage_summary() -> Result<UsageSummary, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.usage_summary(&caller).await?)
}

/// The usage page's report. Every value is checked: an unknown range, granularity or
/// environment, or a granularity that does not fit the range, is refused with a message.
#[server(endpoint = "usage/report")]
pub async fn get_usage_report(range: String, granularity: String, key: String, env: String) -> Result<UsageReport, AppError> {
    use keyport_core::key::Environment;
    use keyport_core::usage_report::{Granularity, UsageQuery, UsageRange};
    let caller = ssr::require_caller().await?;
    let bad = |m: &str| AppError::from(keyport_core::CoreError::Invalid(keyport_core::validate::FieldError::new("query", m)));
    let range = UsageRange::parse(&range).ok_or_else(|| bad("Unknown range: choose 24h, 7d, 30d or month."))?;
    let granularity = Granularity::parse(&granularity).ok_or_else(|| bad("Unknown granularity: choose minute, hour or day."))?;
    let environment = match env.as_str() {
        "" => None,
        e => Some(Environment::parse(e).ok_or_else(|| bad("Unknown environment: choose live or test."))?),
    };
    let q = UsageQuery { range, granularity, key_id: (!key.is_empty()).then_some(key), environment };
    Ok(ssr::services()?.usage_report(&caller, &q).await?)
}
