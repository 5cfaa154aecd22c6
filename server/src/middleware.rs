//! Cross-cutting HTTP concerns: CSRF refusal and security headers.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use std::sync::Arc;

/// What the security middleware needs to know.
#[derive(Clone, Debug)]
pub struct SecurityConfig {
    /// The portal's own origin (`http://127.0.0.1:3000`).
    pub origin: String,
}

/// The CSP nonce of one response, handed to Leptos through the request's extensions.
#[derive(Clone, Debug)]
pub struct CspNonce(pub Arc<str>);

/// A JSON error body: `{"error":{"code","message"}}`.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.to_string()).into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a state-changing request comes from the portal itself: `Sec-Fetch-Site:
/// same-origin`, or, when a browser does not send that header, an `Origin` equal to ours.
pub fn same_origin(headers: &http::HeaderMap, origin: &str) -> bool {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin",
        None => headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) == Some(origin),
    }
}

/// Refuses cross-site state-changing requests (403). `/v1` authenticates with a bearer token,
/// not a cookie, so it is not exposed to CSRF and is exempt.
pub async fn csrf(State(sec): State<Arc<SecurityConfig>>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) || req.uri().path().starts_with("/v1/") || same_origin(req.headers(), &sec.origin) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "cross-site request refused");
    json_error(StatusCode::FORBIDDEN, "cross_site_request", "Cross-site requests are not allowed.")
}

/// The Content-Security-Policy for a response with this nonce.
pub fn csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds the security headers to every response, and a fresh CSP nonce to every request.
pub async fn security_headers(mut req: Request<Body>, next: Next) -> Response {
    let nonce: Arc<str> = keyport_core::crypto::random_token(16).into();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let cacheable = req.uri().path().starts_with("/pkg/") || req.uri().path() == "/favicon.svg";
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp(&nonce)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
    if cacheable {
        h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("public, max-age=300"));
    } else {
        // Pages and API answers are personal (and some carry secrets): never cache them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_prefers_fetch_metadata_then_origin() {
        let o = "http://127.0.0.1:3000";
        let mut h = http::HeaderMap::new();
        assert!(!same_origin(&h, o), "no evidence is refused");
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:3000"));
        assert!(same_origin(&h, o));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h, o), "fetch metadata wins over a matching origin");
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h, o));
        let mut evil = http::HeaderMap::new();
        evil.insert(header::ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin(&evil, o));
    }

    #[test]
    fn csp_forbids_framing_and_plugins() {
        let c = csp("abc");
        assert!(c.contains("frame-ancestors 'none'") && c.contains("object-src 'none'") && c.contains("'nonce-abc'"));
    }
}
