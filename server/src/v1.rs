//! The operator API under `/v1`, authenticated with `Authorization: Bearer <operator token>`.

use crate::middleware::json_error;
use crate::startup::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use keyport_core::services::verify::Verification;
use keyport_core::Services;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The largest body of a batch route (`/v1/usage`, `/v1/keys/leaked`).
pub const BATCH_BODY_LIMIT: usize = 1024 * 1024;

/// The `/v1` routes; with `bench`, also the bare route `make bench` compares verify with.
pub fn router(bench: bool) -> Router<AppState> {
    let r = Router::new()
        .route("/keys/verify", post(verify))
        .route("/embed/sessions", post(crate::embed::create_session))
        .route("/metrics", axum::routing::get(metrics))
        // Batches of up to 1000 entries need more room than a single verify.
        .route("/keys/leaked", post(leaked).layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT)))
        .route("/usage", post(usage).layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT)))
        // Signed by Stripe, not an operator token: checked before anything is read.
        .route(
            "/billing/stripe/webhook",
            post(crate::exports::stripe_webhook).layer(DefaultBodyLimit::max(keyport_core::services::billing::stripe::MAX_EVENT_BYTES)),
        );
    // It takes no `Operator`, so it does none of Keyport's work: the baseline.
    let r = if bench { r.route("/bench/echo", post(bench_echo)) } else { r };
    r.layer(DefaultBodyLimit::max(64 * 1024))
}

/// `POST /v1/bench/echo` (only with `KEYPORT_BENCH_ROUTES`): reads a verify-shaped JSON body
/// and answers a verify-shaped JSON body of the same size, with no token check, no lookup, no
/// limiter and no counting. `make bench` compares verify with it, so the ratio is what Keyport
/// adds.
async fn bench_echo(body: Bytes) -> Response {
    #[derive(Deserialize)]
    struct Echo {
        key: String,
    }
    let Ok(req) = serde_json::from_slice::<Echo>(&body) else {
        return json_error(StatusCode::BAD_REQUEST, "bad_request", "Expected {\"key\": \"…\"}.");
    };
    let answer = VerifyResponse {
        valid: true,
        code: "VALID",
        key_id: Some("key_00000000000000000000000000000000"),
        team_id: Some("team_00000000000000000000000000000000"),
        name: Some(&req.key[..req.key.len().min(5)]),
        environment: Some("live"),
        scopes: None,
        expires_at: None,
        ratelimit: Some(RateLimitBody { limit: 1_000_000_000, remaining: 999_999_999, reset: 1_800_000_000 }),
        // As a key on a hard-stop plan (every team's by default) answers.
        quota: Some(QuotaBody { limit: 1_000_000_000_000, used: 1_000_000, remaining: 999_999_000_000, resets_at: "2027-01-01T00:00:00+00:00".into() }),
    };
    Json(answer).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Proof that the request carries a valid operator token: an extractor every `/v1` handler
/// takes, so the check costs no extra layer (a middleware's service is cloned per request).
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        use keyport_core::services::tokens::{TokenCheck, TokenScope};
        let scope = match parts.uri.path() {
            p if p.ends_with("/keys/verify") => TokenScope::Verify,
            p if p.ends_with("/keys/leaked") => TokenScope::Leaks,
            p if p.ends_with("/usage") => TokenScope::Usage,
            p if p.contains("/embed") => TokenScope::Embed,
            _ => TokenScope::Admin,
        };
        let check = match bearer(&parts.headers) {
            Some(t) => match state.services.check_operator_token(t, scope).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "operator token lookup failed");
                    return Err(json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Try again shortly."));
                }
            },
            None => TokenCheck::Refused,
        };
        match check {
            TokenCheck::Allowed => {}
            TokenCheck::MissingScope => {
                let msg = format!("This operator token lacks the `{}` scope this route needs.", scope.as_str());
                return Err(json_error(StatusCode::FORBIDDEN, "missing_scope", &msg));
            }
            TokenCheck::Refused => {
                let mut res = json_error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Send a valid operator token as `Authorization: Bearer <token>`.",
                );
                res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return Err(res);
            }
        }
        Ok(Operator)
    }
}

/// Body of `POST /v1/keys/verify`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The key to check.
    pub key: String,
    /// Scopes the request needs; the key must have all of them.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Units of the rate limit this request uses (default 1, at most 1000; 0 checks only).
    #[serde(default)]
    pub cost: Option<i64>,
    /// What was called (`GET /payments`), for usage figures.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The caller's client address (IPv4 or IPv6), for the key's request log.
    #[serde(default)]
    pub ip: Option<String>,
}

/// A client address as the request log stores it (canonical form), or why it is refused.
pub fn client_address(ip: Option<&str>) -> Result<Option<String>, &'static str> {
    match ip {
        None => Ok(None),
        Some(s) => s.trim().parse::<std::net::IpAddr>().map(|a| Some(a.to_string())).map_err(|_| "`ip` must be an IPv4 or IPv6 address, like 203.0.113.7"),
    }
}

/// The most scopes one verify may ask for.
pub const MAX_REQUESTED_SCOPES: usize = 50;
/// The highest cost one request may have.
pub const MAX_COST: i64 = 1000;

impl VerifyRequest {
    /// Checks the optional fields; the message says what is wrong.
    pub fn check(&self) -> Result<u64, String> {
        if self.scopes.len() > MAX_REQUESTED_SCOPES {
            return Err(format!("`scopes` may list at most {MAX_REQUESTED_SCOPES} scopes."));
        }
        if self.scopes.iter().any(|s| s.is_empty() || s.len() > 64) {
            return Err("Each scope must be 1 to 64 characters.".into());
        }
        if self.endpoint.as_ref().is_some_and(|e| e.len() > 256) {
            return Err("`endpoint` must be at most 256 characters.".into());
        }
        client_address(self.ip.as_deref()).map_err(|e| format!("{e}."))?;
        match self.cost {
            None => Ok(1),
            Some(c) if (0..=MAX_COST).contains(&c) => Ok(c as u64),
            Some(_) => Err(format!("`cost` must be a whole number from 0 to {MAX_COST}.")),
        }
    }
}

/// Rate-limit state in a verify answer.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct RateLimitBody {
    /// Requests per minute.
    pub limit: u64,
    /// Left in this window.
    pub remaining: u64,
    /// Window end, unix seconds.
    pub reset: i64,
}

/// Quota state in a verify answer.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct QuotaBody {
    /// Requests per calendar month.
    pub limit: i64,
    /// Used this month.
    pub used: i64,
    /// Left this month.
    pub remaining: i64,
    /// When the month ends (RFC 3339).
    pub resets_at: String,
}

/// Answer of `POST /v1/keys/verify`.
#[derive(Serialize, Debug, Clone)]
pub struct VerifyResponse<'a> {
    /// Whether the request may proceed.
    pub valid: bool,
    /// `VALID`, `INVALID_FORMAT`, `NOT_FOUND`, `REVOKED`, `DISABLED`, `EXPIRED`,
    /// `TEAM_SUSPENDED`, `INSUFFICIENT_SCOPES`, `RATE_LIMITED` or `USAGE_EXCEEDED`.
    pub code: &'static str,
    /// The key's id, when it exists.
    pub key_id: Option<&'a str>,
    /// The owning team, when the key exists.
    pub team_id: Option<&'a str>,
    /// The key's name, when it exists.
    pub name: Option<&'a str>,
    /// `live` or `test`, when the key exists.
    pub environment: Option<&'static str>,
    /// The key's scopes, when it exists.
    pub scopes: Option<&'a [String]>,
    /// Expiry (RFC 3339), if any.
    pub expires_at: Option<String>,
    /// Rate-limit state, when the key reached the limiter.
    pub ratelimit: Option<RateLimitBody>,
    /// Quota state, when the key has a monthly quota or its team is on a hard-stop plan (the
    /// one with less left).
    pub quota: Option<QuotaBody>,
}

impl<'a> From<&'a Verification> for VerifyResponse<'a> {
    // Borrowed from the cached key: the answer is serialized without copying its strings.
    fn from(v: &'a Verification) -> Self {
        let key = v.key.as_deref();
        VerifyResponse {
            valid: v.valid(),
            code: v.code.as_str(),
            key_id: key.map(|k| &*k.id),
            team_id: key.map(|k| &*k.team_id),
            name: key.map(|k| k.name.as_str()),
            environment: key.map(|k| k.environment.as_str()),
            scopes: key.map(|k| k.scopes.as_slice()),
            expires_at: key.and_then(|k| k.expires_at).map(|t| t.to_rfc3339()),
            ratelimit: v.ratelimit.map(|d| RateLimitBody { limit: d.limit, remaining: d.remaining, reset: d.reset }),
            quota: v.quota.map(|q| QuotaBody { limit: q.limit, used: q.used, remaining: q.remaining, resets_at: q.resets_at.to_rfc3339() }),
        }
    }
}

async fn verify(_: Operator, State(svc): State<Arc<Services>>, body: Bytes) -> Response {
    let req: VerifyRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("Expected a JSON body like {{\"key\": \"kp_live_…\"}}: {}", e);
            return json_error(StatusCode::BAD_REQUEST, "bad_request", &msg);
        }
    };
    let cost = match req.check() {
        Ok(c) => c,
        Err(msg) => return json_error(StatusCode::BAD_REQUEST, "bad_request", &msg),
    };
    // Checked above; canonical (`::1`, not `0:0::1`) so the log and its filter agree.
    let ip = client_address(req.ip.as_deref()).ok().flatten();
    let input = keyport_core::services::verify::VerifyInput { key: &req.key, scopes: &req.scopes, cost, endpoint: req.endpoint.as_deref(), ip: ip.as_deref() };
    let v = match svc.verify(input).await {
        Ok(v) => v,
        Err(e) => {
            // A key this node could not read (the database out of reach, or a quota lease it
            // could not renew) is never called NOT_FOUND: UNAVAILABLE, try again shortly.
            tracing::error!(error = %e, "verify failed");
            let body = serde_json::json!({
                "valid": false,
                "code": "UNAVAILABLE",
                "error": { "code": "unavailable", "message": "Verification is temporarily unavailable: this key could not be read. Try again shortly." },
            });
            let mut res = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return res;
        }
    };
    let mut res = Json(VerifyResponse::from(&v)).into_response();
    if let Some(d) = v.ratelimit {
        let h = res.headers_mut();
        h.insert("x-ratelimit-limit", d.limit.into());
        h.insert("x-ratelimit-remaining", d.remaining.into());
        h.insert("x-ratelimit-reset", d.reset.into());
        if !d.allowed {
            let wait = (d.reset - svc.now().timestamp()).max(1);
            h.insert(header::RETRY_AFTER, wait.into());
        }
    }
    res
}

/// `GET /v1/metrics`: counters in Prometheus' text format, for the operator's monitoring (and
/// for tests that prove a warm verify makes no database query).
async fn metrics(_: Operator, State(svc): State<Arc<Services>>) -> Response {
    let body = format!(
        "# HELP keyport_verify_db_queries_total Database statements made by key verification (cache misses and quota leases).\n\
         # TYPE keyport_verify_db_queries_total counter\n\
         keyport_verify_db_queries_total {}\n\
         # HELP keyport_verify_cache_misses_total Verifications that had to look a key up in the database.\n\
         # TYPE keyport_verify_cache_misses_total counter\n\
         keyport_verify_cache_misses_total {}\n\
         # HELP keyport_verify_cached_keys Keys (and unknown-key entries) in the verification cache.\n\
         # TYPE keyport_verify_cached_keys gauge\n\
         keyport_verify_cached_keys {}\n",
        svc.verify_db_queries(),
        svc.verifier.db_lookups(),
        svc.verifier.cached(),
    );
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], body).into_response()
}

/// One entry of a leaked-key report, in the shape GitHub's secret scanning sends.
#[derive(Deserialize)]
pub struct LeakedToken {
    /// The key as found.
    pub token: String,
    /// The scanner's name for the kind of secret.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Where it was found.
    #[serde(default)]
    pub url: Option<String>,
    /// What kind of place (`content`, `commit`, `pull_request`, …).
    #[serde(default)]
    pub source: Option<String>,
}

/// `POST /v1/keys/leaked`: up to 1000 keys found in public. Always `202 Accepted` for a
/// well-formed report, whether or not any key was real, so the answer tells a reporter
/// nothing; real keys are revoked, audited and their team's owners emailed.
async fn leaked(_: Operator, State(svc): State<Arc<Services>>, headers: HeaderMap, body: Bytes) -> Response {
    let reports: Vec<LeakedToken> = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("Expected a JSON array like [{{\"token\": \"kp_live_…\", \"url\": \"…\"}}]: {e}");
            return json_error(StatusCode::BAD_REQUEST, "bad_request", &msg);
        }
    };
    if reports.len() > keyport_core::services::leaks::MAX_LEAK_REPORT {
        return json_error(StatusCode::BAD_REQUEST, "bad_request", "A report may carry at most 1000 keys; split it.");
    }
    if reports.iter().any(|r| r.token.len() > 512) {
        return json_error(StatusCode::BAD_REQUEST, "bad_request", "A token is longer than any key.");
    }
    let reports: Vec<_> = reports
        .into_iter()
        .map(|r| keyport_core::services::leaks::LeakReport { token: r.token, url: r.url, source: r.source })
        .collect();
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let meta = keyport_core::services::audit::RequestMeta::new("operator api", agent);
    match svc.report_leaked_keys(&reports, &meta).await {
        Ok(n) => {
            tracing::info!(reported = reports.len(), revoked = n, "leaked-key report handled");
            (StatusCode::ACCEPTED, Json(serde_json::json!({ "received": reports.len() }))).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "leaked-key report failed");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Try again shortly; nothing was lost by retrying.")
        }
    }
}

/// One served request in `POST /v1/usage`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageEvent {
    /// The key's id (`key_…`); or send `key`.
    #[serde(default)]
    pub key_id: Option<String>,
    /// The key itself; or send `key_id`.
    #[serde(default)]
    pub key: Option<String>,
    /// What was called (`GET /payments`).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The HTTP status the backend answered.
    pub status: u16,
    /// How long it took, in milliseconds.
    pub latency_ms: f64,
    /// The client's address (IPv4 or IPv6), for the key's request log.
    #[serde(default)]
    pub ip: Option<String>,
}

/// Body of `POST /v1/usage`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageReport {
    /// Up to 1000 served requests.
    pub events: Vec<UsageEvent>,
}

impl UsageEvent {
    fn check(&self) -> Result<(), &'static str> {
        match (&self.key_id, &self.key) {
            (Some(_), Some(_)) | (None, None) => return Err("send exactly one of `key_id` and `key`"),
            (Some(id), None) if id.is_empty() || id.len() > 64 => return Err("`key_id` must be 1 to 64 characters"),
            (None, Some(k)) if k.len() > 512 => return Err("`key` is longer than any key"),
            _ => {}
        }
        if !(100..=599).contains(&self.status) {
            return Err("`status` must be an HTTP status, 100 to 599");
        }
        if !self.latency_ms.is_finite() || !(0.0..=3_600_000.0).contains(&self.latency_ms) {
            return Err("`latency_ms` must be from 0 to 3600000");
        }
        if self.endpoint.as_ref().is_some_and(|e| e.is_empty() || e.len() > 256) {
            return Err("`endpoint` must be 1 to 256 characters");
        }
        client_address(self.ip.as_deref())?;
        Ok(())
    }
}

/// `POST /v1/usage`: what the backend served, for usage figures. A batch with any invalid
/// event is refused whole (nothing is counted); events for unknown keys are skipped and
/// counted in the answer.
async fn usage(_: Operator, State(svc): State<Arc<Services>>, body: Bytes) -> Response {
    use keyport_core::services::traffic::{KeyRef, ServedRequest, MAX_EVENTS};
    let report: UsageReport = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("Expected {{\"events\": [{{\"key_id\": \"key_…\", \"endpoint\": \"GET /x\", \"status\": 200, \"latency_ms\": 12}}]}}: {e}");
            return json_error(StatusCode::BAD_REQUEST, "bad_request", &msg);
        }
    };
    if report.events.len() > MAX_EVENTS {
        return json_error(StatusCode::BAD_REQUEST, "bad_request", "A report may carry at most 1000 events; split it.");
    }
    if let Some((i, why)) = report.events.iter().enumerate().find_map(|(i, e)| e.check().err().map(|w| (i, w))) {
        return json_error(StatusCode::BAD_REQUEST, "bad_request", &format!("events[{i}]: {why}. Nothing was counted."));
    }
    let ips: Vec<Option<String>> = report.events.iter().map(|e| client_address(e.ip.as_deref()).ok().flatten()).collect();
    let events: Vec<ServedRequest> = report
        .events
        .iter()
        .zip(&ips)
        .map(|(e, ip)| ServedRequest {
            // `check` guarantees exactly one of the two.
            key: match &e.key_id {
                Some(id) => KeyRef::Id(id),
                None => KeyRef::Secret(e.key.as_deref().unwrap_or("")),
            },
            endpoint: e.endpoint.as_deref(),
            status: e.status,
            latency_ms: e.latency_ms,
            ip: ip.as_deref(),
        })
        .collect();
    match svc.ingest_served(&events).await {
        Ok(r) => (StatusCode::ACCEPTED, Json(serde_json::json!({ "accepted": r.accepted, "unknown_keys": r.unknown_keys }))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "usage report failed");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Try again shortly.")
        }
    }
}
