//! Server functions of the docs section: the API reference of the document in effect.

#[allow(unused_imports)]
use super::*;

/// One of the team's usable keys, as the docs offer it for the samples and compare its
/// scopes with what operations need.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocsKey {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `test` or `live`.
    pub environment: String,
    /// The masked key (`kp_test_AbCd…wxyz`): what the samples show.
    pub masked: String,
    /// Its scopes.
    pub scopes: Vec<String>,
}

/// The docs page's data: the reference and the team's keys.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocsView {
    /// The reference; `None` before any import.
    pub reference: Option<keyport_core::dto::docs::ApiReference>,
    /// The team's usable keys, newest first.
    pub keys: Vec<DocsKey>,
}

/// The API reference drawn from the operator's OpenAPI document in effect, with the team's
/// usable keys. Signed-in developers only.
#[server(endpoint = "docs/reference")]
pub async fn get_api_reference() -> Result<DocsView, AppError> {
    let caller = ssr::require_caller().await?;
    let svc = ssr::services()?;
    let base = svc.key_options(&caller).await?.api_base_url;
    let keys = svc
        .list_keys(&caller)
        .await?
        .into_iter()
        .filter(|k| k.status.is_usable())
        .map(|k| DocsKey { id: k.id, name: k.name, environment: k.environment.as_str().to_owned(), masked: k.masked, scopes: k.scopes })
        .collect();
    let reference = svc.active_document().await?.map(|(_, json)| {
        // Descriptions are CommonMark: the page receives them as sanitized HTML.
        let mut r = keyport_core::openapi::reference(&json, &base);
        render_markdown(&mut r);
        r
    });
    Ok(DocsView { reference, keys })
}

/// Turns every description in the reference from CommonMark into sanitized HTML.
#[cfg(feature = "ssr")]
fn render_markdown(r: &mut keyport_core::dto::docs::ApiReference) {
    use keyport_core::dto::docs::{MediaView, ParameterView, SchemaRow};
    let md = |d: &mut Option<String>| *d = d.as_deref().map(crate::branding::markdown);
    let rows = |rows: &mut Vec<SchemaRow>| rows.iter_mut().for_each(|row| md(&mut row.description));
    let params = |ps: &mut Vec<ParameterView>| ps.iter_mut().for_each(|p| md(&mut p.description));
    let media = |ms: &mut Vec<MediaView>| ms.iter_mut().for_each(|m| rows(&mut m.schema));
    md(&mut r.description);
    for s in &mut r.security_schemes {
        md(&mut s.description);
    }
    for s in &mut r.schemas {
        rows(&mut s.rows);
    }
    for g in &mut r.groups {
        md(&mut g.description);
        for o in &mut g.operations {
            md(&mut o.description);
            params(&mut o.parameters);
            if let Some(b) = &mut o.request_body {
                md(&mut b.description);
                media(&mut b.contents);
            }
            for resp in &mut o.responses {
                params(&mut resp.headers);
                media(&mut resp.contents);
            }
        }
    }
}
