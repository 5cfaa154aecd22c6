//! Server functions of the docs section: the API reference of the document in effect.

#[allow(unused_imports)]
use super::*;

/// The API reference drawn from the operator's OpenAPI document in effect (`None`: none was
/// imported yet). Signed-in developers only.
#[server(endpoint = "docs/reference")]
pub async fn get_api_reference() -> Result<Option<keyport_core::dto::docs::ApiReference>, AppError> {
    ssr::require_caller().await?;
    let svc = ssr::services()?;
    Ok(svc.active_document().await?.map(|(_, json)| keyport_core::openapi::reference(&json)))
}
