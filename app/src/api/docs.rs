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
    /// Kept sealed (`keys.retrievable`): a copied sample can carry it once the person
    /// confirmed it is them on its page.
    #[serde(default)]
    pub retrievable: bool,
}

/// The docs page's data: the reference and the team's keys.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocsView {
    /// The reference; `None` before any import.
    pub reference: Option<keyport_core::dto::docs::ApiReference>,
    /// The team's usable keys, newest first.
    pub keys: Vec<DocsKey>,
    /// The operator's guides, in their order.
    pub guides: Vec<keyport_core::dto::docs::GuideView>,
    /// What a search found, when one was asked for.
    pub search: Option<keyport_core::dto::docs::SearchResults>,
    /// "Try it" is offered (`docs.try_it`).
    pub try_it: bool,
}

/// The API reference drawn from the operator's OpenAPI document in effect, the operator's
/// guides and the team's usable keys; with `q`, what a search for its words finds (cut to
/// 100 characters). Signed-in developers only.
#[server(endpoint = "docs/reference")]
pub async fn get_api_reference(q: Option<String>) -> Result<DocsView, AppError> {
    let caller = ssr::require_caller().await?;
    let svc = ssr::services()?;
    let base = svc.config.api_base_url.clone();
    let keys = svc
        .list_keys(&caller)
        .await?
        .into_iter()
        .filter(|k| k.status.is_usable())
        .map(|k| DocsKey { id: k.id, name: k.name, environment: k.environment.as_str().to_owned(), masked: k.masked, scopes: k.scopes, retrievable: k.retrievable })
        .collect();
    let mut reference = svc.active_document().await?.map(|(_, json)| keyport_core::openapi::reference(&json, &base));
    let pages = svc.doc_pages().await?;
    let anchors: Vec<String> = pages.iter().map(|p| format!("guide-{}", p.slug)).collect();
    // Searched before rendering: the words are looked for in the text, not in the markup.
    let search = q.as_deref().and_then(|q| {
        let texts: Vec<_> = pages.iter().zip(&anchors).map(|(p, anchor)| keyport_core::openapi::GuideText { anchor, title: &p.title, body: &p.body }).collect();
        keyport_core::openapi::search(reference.as_ref(), &texts, q)
    });
    // Descriptions and guides are CommonMark: the page receives them as sanitized HTML.
    if let Some(r) = &mut reference {
        render_markdown(r);
    }
    let guides = pages
        .into_iter()
        .zip(anchors)
        .map(|(p, anchor)| keyport_core::dto::docs::GuideView { anchor, title: p.title, html: demote_headings(&crate::branding::markdown(&p.body)) })
        .collect();
    Ok(DocsView { reference, keys, guides, search, try_it: svc.settings().docs_try_it })
}

/// A guide sits under the page's `h1` and its own `h2` title: its headings move down two
/// levels (`#` becomes `h3`, and so on, `h6` at most).
#[cfg(feature = "ssr")]
fn demote_headings(html: &str) -> String {
    let mut out = html.to_owned();
    for (from, to) in [(6, 6), (5, 6), (4, 6), (3, 5), (2, 4), (1, 3)] {
        out = out.replace(&format!("<h{from}>"), &format!("<h{to}>")).replace(&format!("</h{from}>"), &format!("</h{to}>"));
    }
    out
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

/// The dashboard's data: the team's keys (for its keys card too), and whether the quickstart
/// shows and what it offers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuickstartView {
    /// Shown until a day after the team's first accepted call.
    pub show: bool,
    /// The caller may create keys.
    pub can_create: bool,
    /// The scopes a new key gets by default.
    pub default_scopes: Vec<String>,
    /// The first call: the document's first `GET`, else a plain call of the API's base URL.
    pub call: keyport_core::dto::docs::QuickCall,
    /// The call comes from the API document (it has a place in the docs).
    pub documented: bool,
    /// The team's keys, newest first (each with its first accepted verification).
    pub keys: Vec<keyport_core::dto::KeyView>,
}

impl QuickstartView {
    /// When the team's first accepted verification arrived.
    pub fn first_call(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.keys.iter().filter_map(|k| k.first_valid_at).min()
    }
}

/// What the dashboard shows: the team's keys and the quickstart. Signed-in members of a team.
#[server(endpoint = "docs/quickstart")]
pub async fn get_quickstart() -> Result<QuickstartView, AppError> {
    use keyport_core::dto::docs::{QuickCall, KEY_SENTINEL};
    let caller = ssr::require_caller().await?;
    let svc = ssr::services()?;
    let keys = svc.list_keys(&caller).await?;
    let first_call = keys.iter().filter_map(|k| k.first_valid_at).min();
    let show = first_call.is_none_or(|t| svc.now() - t < chrono::Duration::hours(24));
    let base = svc.config.api_base_url.clone();
    // Only while shown is the document read (a dashboard reloads its live parts often).
    let documented = if show { svc.active_document().await?.and_then(|(_, json)| keyport_core::openapi::first_call(&json, &base)) } else { None };
    let call = documented.clone().unwrap_or_else(|| QuickCall {
        path: "/".into(),
        summary: "Call the API".into(),
        anchor: String::new(),
        curl: keyport_core::dto::snippets(&base, KEY_SENTINEL)[0].1.clone(),
    });
    Ok(QuickstartView {
        show,
        can_create: caller.require(keyport_core::roles::Action::CreateKey).is_ok(),
        default_scopes: svc.settings().default_scopes.clone(),
        call,
        documented: documented.is_some(),
        keys,
    })
}
