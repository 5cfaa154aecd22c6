//! The portal inside the provider's site: `POST /v1/embed/sessions` (the provider's backend
//! asks for a one-time link) and `GET /portal/embed/{token}` (the iframe opens it and is
//! signed in with a partitioned cookie of its own).

use crate::middleware::json_error;
use crate::v1::Operator;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use keyport_core::services::audit::RequestMeta;
use keyport_core::services::embed::EmbedRequest;
use keyport_core::{CoreError, Services};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// The team of an embed session request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedTeam {
    /// The provider's id for the team.
    pub external_id: String,
    /// Its name (used when Keyport creates it).
    pub name: String,
}

/// Body of `POST /v1/embed/sessions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedSessionRequest {
    /// The developer's email.
    pub email: String,
    /// Their name (kept for later; accepted now so providers can send it).
    #[serde(default)]
    pub name: Option<String>,
    /// The provider's id for the developer.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The team to open, created when Keyport does not know it.
    #[serde(default)]
    pub team: Option<EmbedTeam>,
    /// The developer's role in that team (`owner`, `admin`, `member`, `viewer`).
    #[serde(default)]
    pub role: Option<String>,
    /// The portal path to land on (default `/portal`).
    #[serde(default)]
    pub return_to: Option<String>,
}

/// `POST /v1/embed/sessions` (operator token with the `embed` scope): `{"url", "expires_at"}`.
pub async fn create_session(_: Operator, State(svc): State<Arc<Services>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let req: EmbedSessionRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, "bad_request", &format!("Expected {{\"email\", \"external_id\"?, \"team\"?, \"role\"?, \"return_to\"?}}: {e}")),
    };
    if req.name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return json_error(StatusCode::BAD_REQUEST, "invalid", "name: at most 200 characters.");
    }
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let meta = RequestMeta::new("operator api", agent);
    let input = EmbedRequest {
        email: &req.email,
        external_id: req.external_id.as_deref(),
        team: req.team.as_ref().map(|t| (t.external_id.as_str(), t.name.as_str())),
        role: req.role.as_deref(),
        return_to: req.return_to.as_deref(),
    };
    match svc.create_embed_link(input, &meta).await {
        Ok(link) => {
            let mut res = (StatusCode::CREATED, Json(serde_json::json!({ "url": link.url, "expires_at": link.expires_at.to_rfc3339() }))).into_response();
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(CoreError::Invalid(f)) => json_error(StatusCode::BAD_REQUEST, "invalid", &format!("{}: {}", f.field, f.message)),
        Err(CoreError::Conflict(m)) => json_error(StatusCode::CONFLICT, "conflict", &m),
        Err(e) => {
            tracing::error!(error = %e, "embed session failed");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Try again shortly.")
        }
    }
}

/// The cookie of a portal session inside the provider's frame: Chromium keeps a cookie in a
/// cross-site frame only when it is `SameSite=None; Partitioned` (CHIPS); it is separate from
/// the top-level session cookie and never sent to the portal opened on its own.
pub const EMBED_COOKIE: &str = keyport_app::api::ssr::EMBED_COOKIE;

/// `GET /portal/embed/{token}`: opens the one-time link inside the frame and lands on its
/// page; a used, expired or unknown link gets a page that says so (404).
pub async fn open(State(svc): State<Arc<Services>>, Path(token): Path<String>, ConnectInfo(addr): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let meta = RequestMeta::new(addr.ip().to_string(), agent);
    match svc.open_embed_link(&token, &meta).await {
        Ok((session, to)) => {
            let max_age = svc.config.session_ttl.num_seconds();
            let cookie = format!("{EMBED_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age={max_age}", session.0);
            let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(CoreError::NotFound) => {
            let body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                <title>Link expired</title></head><body><main><h1>This sign-in link cannot be used</h1>\
                <p>It was used already or is more than five minutes old. Reload the page it was on to get a new one.</p></main></body></html>";
            (StatusCode::NOT_FOUND, axum::response::Html(body)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "opening an embed link failed");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Try again shortly.")
        }
    }
}
