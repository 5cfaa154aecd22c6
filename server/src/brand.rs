//! The provider's branding as a style sheet of its own, `/portal/brand.css`: the brand
//! colour's palette (with text colours chosen for contrast) and the operator's custom CSS,
//! which was checked when stored to load and run nothing. Pages link it only when there is
//! branding, under an address that changes with it.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue};
use keyport_core::Services;
use std::sync::Arc;

/// `GET /portal/brand.css`.
pub async fn brand_css(State(svc): State<Arc<Services>>) -> Response {
    let css = keyport_app::branding::stylesheet(&svc.settings()).unwrap_or_default();
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"))], css).into_response()
}
