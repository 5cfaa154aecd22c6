//! File downloads for signed-in users (plain GET routes, authenticated by the session cookie).

use crate::middleware::json_error;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use keyport_app::api::ssr::session_token_from;
use keyport_core::services::audit::{to_csv, AuditFilter};
use keyport_core::services::auth::Caller;
use keyport_core::usage_report::UsageQuery;
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
    /// One team's rows only (the admin console's export), or empty.
    #[serde(default)]
    pub team: String,
}

/// The signed-in caller of a download, or the response refusing it.
async fn caller_of(svc: &Services, headers: &HeaderMap) -> Result<Caller, Response> {
    let caller = match session_token_from(headers) {
        Some(t) => svc.authenticate(&t).await,
        None => Ok(None),
    };
    match caller {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(json_error(StatusCode::UNAUTHORIZED, "unauthorized", "Sign in first.")),
        Err(e) => {
            tracing::error!(error = %e, "export: session lookup failed");
            Err(json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong."))
        }
    }
}

/// A CSV download, or the error of the service that was to produce it.
fn csv_or_error(result: Result<String, CoreError>, filename: &'static str, forbidden: &str) -> Response {
    match result {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, HeaderValue::from_static(filename)),
            ],
            csv,
        )
            .into_response(),
        Err(CoreError::Forbidden) => json_error(StatusCode::FORBIDDEN, "forbidden", forbidden),
        Err(CoreError::SecondFactorRequired) => json_error(StatusCode::FORBIDDEN, "second_factor_required", "This team requires two-factor authentication: set it up in your account settings."),
        Err(CoreError::NotFound) => json_error(StatusCode::NOT_FOUND, "not_found", "No such key in this team."),
        Err(CoreError::Invalid(f)) => json_error(StatusCode::BAD_REQUEST, "invalid", &f.message),
        Err(e) => {
            tracing::error!(error = %e, "export failed");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong.")
        }
    }
}

/// `GET /portal/audit.csv`: the active team's audit trail as CSV (owners and admins).
pub async fn audit_csv(State(svc): State<Arc<Services>>, headers: HeaderMap, Query(q): Query<AuditQuery>) -> Response {
    let caller = match caller_of(&svc, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let filter = AuditFilter { action: q.action, actor: q.actor, from: q.from, to: q.to };
    let rows = svc.list_audit(&caller, &filter).await.map(|rows| to_csv(&rows));
    csv_or_error(rows, "attachment; filename=\"keyport-audit.csv\"", "Only owners and admins can export the audit trail.")
}

/// `GET /admin/audit.csv`: the whole audit trail as CSV, for operator admins; anyone else
/// gets 404, like every console page.
pub async fn admin_audit_csv(State(svc): State<Arc<Services>>, headers: HeaderMap, Query(q): Query<AuditQuery>) -> Response {
    let hidden = || json_error(StatusCode::NOT_FOUND, "not_found", "Not found.");
    let Ok(caller) = caller_of(&svc, &headers).await else { return hidden() };
    let Ok(admin) = svc.require_admin(&caller).await else { return hidden() };
    let filter = AuditFilter { action: q.action, actor: q.actor, from: q.from, to: q.to };
    let rows = svc.admin_audit(&admin, &filter, &q.team).await.map(|rows| to_csv(&rows));
    csv_or_error(rows, "attachment; filename=\"keyport-audit-all.csv\"", "")
}

/// Query of the developers export: the same filters as the console's list.
#[derive(Deserialize)]
pub struct DevelopersQuery {
    /// Part of the email address, or empty.
    #[serde(default)]
    pub q: String,
    /// `active`, `suspended`, `admin`, or empty for everyone.
    #[serde(default)]
    pub status: String,
    /// Signed up on or after this day (`YYYY-MM-DD`), or empty.
    #[serde(default)]
    pub since: String,
}

/// `GET /admin/developers.csv`: the developers the console's filters match, with their
/// answers to the sign-up questions asked now, as CSV; for operator admins only (anyone else
/// gets 404).
pub async fn admin_developers_csv(State(svc): State<Arc<Services>>, headers: HeaderMap, Query(q): Query<DevelopersQuery>) -> Response {
    use keyport_core::services::admin::DeveloperFilter;
    let hidden = || json_error(StatusCode::NOT_FOUND, "not_found", "Not found.");
    let Ok(caller) = caller_of(&svc, &headers).await else { return hidden() };
    let Ok(admin) = svc.require_admin(&caller).await else { return hidden() };
    let filter = DeveloperFilter { query: q.q, status: q.status, since: q.since };
    csv_or_error(svc.admin_developers_csv(&admin, &filter).await, "attachment; filename=\"keyport-developers.csv\"", "")
}

/// Query of the usage export: the same choices as the usage page.
#[derive(Deserialize)]
pub struct UsageCsvQuery {
    #[serde(default)]
    range: String,
    #[serde(default)]
    granularity: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    env: String,
}

/// `GET /portal/usage.csv`: the points of the usage chart as CSV, one line per period.
pub async fn usage_csv(State(svc): State<Arc<Services>>, headers: HeaderMap, Query(q): Query<UsageCsvQuery>) -> Response {
    let caller = match caller_of(&svc, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match svc.plan_allows(&caller.team.id, keyport_core::dto::billing::Feature::UsageExport).await {
        Ok(Ok(())) => {}
        Ok(Err(plan)) => {
            let m = format!("Usage export is not part of the {plan} plan: see the plans on the Billing page.");
            return json_error(StatusCode::PAYMENT_REQUIRED, "plan_feature", &m);
        }
        Err(e) => {
            tracing::error!(error = %e, "reading the team's plan");
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong.");
        }
    }
    let nonempty = |s: &str| (!s.is_empty()).then_some(s.to_owned());
    let query = UsageQuery::from_params(nonempty(&q.range).as_deref(), nonempty(&q.granularity).as_deref(), nonempty(&q.key).as_deref(), nonempty(&q.env).as_deref());
    if !q.env.is_empty() && query.environment.is_none() {
        return json_error(StatusCode::BAD_REQUEST, "invalid", "Unknown environment: choose live or test.");
    }
    let report = svc.usage_report(&caller, &query).await.map(|r| r.to_csv());
    csv_or_error(report, "attachment; filename=\"keyport-usage.csv\"", "Your role cannot see usage.")
}

/// `GET /portal/billing/invoices/{id}/pdf`: one of the team's invoices as the PDF rendered
/// when it was issued (owners and admins).
pub async fn invoice_pdf(State(svc): State<Arc<Services>>, headers: HeaderMap, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    let caller = match caller_of(&svc, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match svc.team_invoice_pdf(&caller, &id).await {
        Ok((name, pdf)) => {
            let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).unwrap_or(HeaderValue::from_static("attachment"));
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
                ],
                pdf,
            )
                .into_response()
        }
        Err(CoreError::Forbidden) => json_error(StatusCode::FORBIDDEN, "forbidden", "Only owners and admins can see invoices."),
        Err(CoreError::NotFound) => json_error(StatusCode::NOT_FOUND, "not_found", "No such invoice in this team."),
        Err(CoreError::SecondFactorRequired) => json_error(StatusCode::FORBIDDEN, "second_factor_required", "This team requires two-factor authentication: set it up in your account settings."),
        Err(e) => {
            tracing::error!(error = %e, "invoice download failed");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong.")
        }
    }
}

/// `GET /portal/billing/payment-method`: to the payment provider's page where an owner or
/// admin enters the team's card (Stripe Checkout, setup mode); back to billing with the
/// manual provider, which has none.
pub async fn payment_method(State(svc): State<Arc<Services>>, headers: HeaderMap) -> Response {
    let caller = match caller_of(&svc, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match svc.payment_method_url(&caller).await {
        Ok(Some(url)) => match HeaderValue::from_str(&url) {
            Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]).into_response(),
            Err(_) => json_error(StatusCode::BAD_GATEWAY, "provider", "The payment provider answered with an unusable address."),
        },
        Ok(None) => (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_static("/portal/billing#billing-contact"))]).into_response(),
        Err(CoreError::Forbidden) => json_error(StatusCode::FORBIDDEN, "forbidden", "Only owners and admins can change the payment method."),
        Err(CoreError::SecondFactorRequired) => json_error(StatusCode::FORBIDDEN, "second_factor_required", "This team requires two-factor authentication: set it up in your account settings."),
        Err(e) => {
            tracing::error!(error = %e, "opening the payment provider's page failed");
            json_error(StatusCode::BAD_GATEWAY, "provider", "The payment provider could not be reached: try again in a moment.")
        }
    }
}

/// `POST /v1/billing/stripe/webhook`: Stripe's events, verified by their signature before
/// anything is read; 200 for an event applied, ignored or seen before (Stripe stops
/// retrying), 400 for a bad signature or body, 404 while Stripe is not configured.
pub async fn stripe_webhook(State(svc): State<Arc<Services>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    use keyport_core::services::billing::collect::{WebhookError, WebhookOutcome};
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    match svc.stripe_webhook(signature, &body).await {
        Ok(outcome) => {
            let outcome = match outcome {
                WebhookOutcome::Applied => "applied",
                WebhookOutcome::Duplicate => "duplicate",
                WebhookOutcome::Ignored => "ignored",
            };
            axum::Json(serde_json::json!({ "received": true, "outcome": outcome })).into_response()
        }
        Err(WebhookError::NotConfigured) => json_error(StatusCode::NOT_FOUND, "not_found", "Stripe is not this portal's payment provider."),
        Err(WebhookError::Signature(e)) => json_error(StatusCode::BAD_REQUEST, "bad_signature", &format!("The Stripe-Signature does not hold: {e:?}.")),
        Err(WebhookError::Malformed) => json_error(StatusCode::BAD_REQUEST, "invalid", "Not a Stripe event."),
        Err(WebhookError::Internal(e)) => {
            tracing::error!(error = %e, "a Stripe webhook failed; Stripe will retry");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong.")
        }
    }
}
