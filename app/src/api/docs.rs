//! Server functions of the docs section: the API reference of the document in effect.

#[allow(unused_imports)]
use super::*;

/// The API reference drawn from the operator's OpenAPI document in effect (`None`: none was
/// imported yet). Signed-in developers only.
#[server(endpoint = "docs/reference")]
pub async fn get_api_reference() -> Result<Option<keyport_core::dto::docs::ApiReference>, AppError> {
    ssr::require_caller().await?;
    let svc = ssr::services()?;
    Ok(svc.active_document().await?.map(|(_, json)| {
        // Descriptions are CommonMark: the page receives them as sanitized HTML.
        let mut r = keyport_core::openapi::reference(&json);
        let md = |d: &mut Option<String>| *d = d.as_deref().map(crate::branding::markdown);
        md(&mut r.description);
        for g in &mut r.groups {
            md(&mut g.description);
            for o in &mut g.operations {
                md(&mut o.description);
                for p in &mut o.parameters {
                    md(&mut p.description);
                }
            }
        }
        r
    }))
}
