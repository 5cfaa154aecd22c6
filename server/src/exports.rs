//! File downloads for signed-in users (plain GET routes, authenticated by the session cookie).

use crate::middleware::json_error;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use keyport_app::api::ssr::session_token_from;
use keyport_core::services::audit::{to_csv, AuditFilter};
use keyport_core::{CoreError, Services};
use serde::Deserialize;
use std::sync::Arc;

/// Query of the audit export: the same filter as the page.
#[derive(Deserialize)]
pub struct AuditQuery {
    /// Action name, or empty for all.
    #[serde(default)]
    pub action: String,
    /// Part of the actor's email, or empty.
    #[serde(default)]
    pub actor: String,
    /// First day (`YYYY-MM-DD`, UTC), or empty.
    #[serde(default)]
    pub from: String,
    /// Last day (`YYYY-MM-DD`, UTC), or empty.
    #[serde(default)]
    pub to: String,
}

/// `GET /portal/audit.csv`: the active team's audit trail as CSV (owners and admins).
pub async fn audit_csv(State(svc): State<Arc<Services>>, headers: HeaderMap, Query(q): Query<AuditQuery>) -> Response {
    let caller = match session_token_from(&headers) {
        Some(t) => svc.authenticate(&t).await,
        None => Ok(None),
    };
    let caller = match caller {
        Ok(Some(c)) => c,
        Ok(None) => return json_error(StatusCode::UNAUTHORIZED, "unauthorized", "Sign in first."),
        Err(e) => {
            tracing::error!(error = %e, "audit export: session lookup failed");
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong.");
        }
    };
    let filter = AuditFilter { action: q.action, actor: q.actor, from: q.from, to: q.to };
    match svc.list_audit(&caller, &filter).await {
        Ok(rows) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"keyport-audit.csv\"")),
            ],
            to_csv(&rows),
        )
            .into_response(),
        Err(CoreError::Forbidden) => json_error(StatusCode::FORBIDDEN, "forbidden", "Only owners and admins can export the audit trail."),
        Err(CoreError::Invalid(f)) => json_error(StatusCode::BAD_REQUEST, "invalid", &f.message),
        Err(e) => {
            tracing::error!(error = %e, "audit export failed");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong.")
        }
    }
}
