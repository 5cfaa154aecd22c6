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

/// The largest request body a path accepts: the `/v1` batch routes take 1000 entries, the
/// rest of `/v1` single JSON objects, the portal forms and server functions a few fields;
/// the docs' "Try it" carries a request body of up to 256 KB, URL-encoded, and the console's
/// import an OpenAPI document.
pub fn body_limit(path: &str) -> usize {
    match path {
        "/v1/usage" | "/v1/keys/leaked" => crate::v1::BATCH_BODY_LIMIT,
        "/api/docs/try" => 1024 * 1024,
        // A 5 MB document as a JSON string; only an operator admin gets past its handler.
        "/api/admin/docs/import" => 8 * 1024 * 1024,
        p if p.starts_with("/v1/") => 64 * 1024,
        _ => 256 * 1024,
    }
}

/// Oversized bodies up to this size are read and dropped before the 413 is sent.
const DRAIN_LIMIT: u64 = 8 * 1024 * 1024;

fn too_large(limit: usize) -> Response {
    json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &format!("The request body is larger than the {} KB this route accepts.", limit / 1024),
    )
}

/// Refuses request bodies over the route's limit with `413` and the JSON error shape, before
/// any handler (or Leptos' server-function decoding, which would answer 500) reads them. A
/// declared length is checked at once; a body without one is read up to the limit here. Any
/// other `413` on the way out gets the same shape.
pub async fn limit_body(req: Request, next: Next) -> Response {
    let limit = body_limit(req.uri().path());
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let req = match declared {
        Some(n) if n > limit as u64 => {
            // Read (and drop) a moderately oversized body so the client, still sending it,
            // gets the answer instead of a reset connection; a huge one is not worth reading.
            if n <= DRAIN_LIMIT {
                use http_body_util::BodyExt;
                let mut body = req.into_body();
                while let Some(Ok(_)) = body.frame().await {}
            }
            return too_large(limit);
        }
        Some(_) => req,
        None if is_safe(req.method()) => req,
        None => {
            let (parts, body) = req.into_parts();
            match axum::body::to_bytes(body, limit).await {
                Ok(bytes) => Request::from_parts(parts, Body::from(bytes)),
                Err(_) => return too_large(limit),
            }
        }
    };
    let res = next.run(req).await;
    let json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        return too_large(limit);
    }
    res
}

/// A request path fit for the log: the one-time token in an invitation, reset, confirmation
/// or address-change link is replaced, so a log never holds a link someone could still use.
/// The query is left out.
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/portal/invite/", "/portal/reset/", "/portal/embed/", "/portal/verify-email/", "/portal/email-change/"] {
        if path.starts_with(prefix) && path.len() > prefix.len() {
            return format!("{prefix}<token>");
        }
    }
    path.chars().take(200).collect()
}

/// The Content-Security-Policy for a response with this nonce.
pub fn csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// With `portal.enabled=false`, every portal page and server function answers 503 with a page
/// that says so (and where to get help); `/v1`, the admin console, health and static files keep
/// answering.
/// `stylesheet` is the portal's own style sheet, so the page looks like the portal.
pub async fn portal_switch(State((svc, stylesheet)): State<(Arc<keyport_core::Services>, Arc<str>)>, req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path();
    // The admin console keeps working while the portal is off: it is where it is turned on.
    let console = path.starts_with("/admin") || path.starts_with("/api/admin/");
    if !(console || path.starts_with("/portal") || path.starts_with("/api/")) {
        return next.run(req).await;
    }
    let live = svc.settings();
    if live.portal_enabled || console {
        let framable = !console && !live.embed_allowed_origins.is_empty();
        let mut res = next.run(req).await;
        // A logo on another host may load (the CSP names that host for images, nothing more).
        if let Some(origin) = live.logo_url.as_deref().and_then(image_origin) {
            res.extensions_mut().insert(ImageOrigin(origin));
        }
        // The provider's sites may frame portal pages (never the admin console).
        if framable {
            res.extensions_mut().insert(FrameAncestors(live.embed_allowed_origins.join(" ")));
        }
        return res;
    }
    let help = match &live.support_email {
        Some(e) => format!("<p>Questions? Write to <a href=\"mailto:{0}\">{0}</a>.</p>", keyport_app::format::escape_html(e)),
        None => String::new(),
    };
    let name = keyport_app::format::escape_html(&live.app_name);
    notice_page(
        &stylesheet,
        &format!("Portal unavailable · {name}"),
        &format!("<h1>The {name} portal is unavailable</h1><p>The provider has switched the developer portal off for now. API requests with your keys keep working.</p>{help}"),
        "300",
        false,
    )
}

/// A page of its own (no database, no app): the portal's style sheet, one card, `503` with
/// `Retry-After`; `refresh` makes the browser try again by itself after that many seconds.
fn notice_page(stylesheet: &str, title: &str, card: &str, retry_after: &'static str, refresh: bool) -> Response {
    let refresh = if refresh { format!("<meta http-equiv=\"refresh\" content=\"{retry_after}\">") } else { String::new() };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{refresh}\
         <link rel=\"stylesheet\" href=\"{css}\"><title>{title}</title></head><body><main class=\"auth-page\"><div class=\"auth-card\">{card}</div></main></body></html>",
        css = keyport_app::format::escape_html(stylesheet)
    );
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, axum::response::Html(body)).into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// While the database is out of reach, every page (portal and console) answers at once with a
/// "temporarily unavailable" page (`503`, `Retry-After`, trying again by itself) and every
/// server function with its typed error (`503`, `AppError::Unavailable`) instead of waiting
/// for the pool; a request already running when the database is found down (by the probe or
/// by another request) gives up then, and a page whose data could not be read answers the
/// same. `/v1`, health and the built files pass.
pub async fn database_gate(State((svc, stylesheet)): State<(Arc<keyport_core::Services>, Arc<str>)>, req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path();
    let file = path.rsplit('/').next().is_some_and(|last| last.contains('.'));
    let api = path.starts_with("/api/");
    let page = matches!(*req.method(), http::Method::GET | http::Method::HEAD)
        && !file
        && (path == "/" || path.starts_with("/portal") || path.starts_with("/admin"));
    if !(page || api) {
        return next.run(req).await;
    }
    // A plain form (JavaScript off) is shown the page; the portal's own calls get the error.
    let html = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    let answer = || {
        if api && !html {
            let mut res = (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], "\"Unavailable\"").into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return res;
        }
        let name = keyport_app::format::escape_html(&svc.settings().app_name);
        notice_page(
            &stylesheet,
            &format!("Temporarily unavailable · {name}"),
            "<h1>Temporarily unavailable</h1><p>The portal cannot reach its database just now. Nothing you saved is lost, \
             and API requests with keys already in use keep being answered.</p><p>This page tries again by itself every few seconds.</p>",
            "5",
            true,
        )
    };
    if svc.database.is_down() {
        return answer();
    }
    tokio::select! {
        res = next.run(req) => {
            if page && res.status() == StatusCode::SERVICE_UNAVAILABLE && svc.database.is_down() { answer() } else { res }
        }
        _ = svc.database.wait_down() => answer(),
    }
}

/// Counts every server function call (`POST /api/…`) per session and per client address
/// before it runs; over the limit it answers 429 with `Retry-After`: to the portal's own
/// calls the error the UI shows ("Try again in N seconds"), to a plain form a page saying
/// the same with a way back.
pub async fn portal_limits(State((svc, stylesheet)): State<(Arc<keyport_core::Services>, Arc<str>)>, req: Request<Body>, next: Next) -> Response {
    let Some(endpoint) = req.uri().path().strip_prefix("/api/") else {
        return next.run(req).await;
    };
    let ip = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
    let session = keyport_app::api::ssr::session_token_from(req.headers());
    let Err(retry_after) = svc.check_portal_call(session.as_deref(), &ip, endpoint) else {
        return next.run(req).await;
    };
    tracing::info!(endpoint, retry_after, "portal call refused: too many in a minute");
    let plain_form = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    let mut res = if plain_form {
        // Back to the page the form was on, if it is one of ours.
        let back = req
            .headers()
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
            .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
            .filter(|p| p.starts_with("/portal") || p.starts_with("/admin"))
            .unwrap_or_else(|| "/portal".into());
        let back = back.split('?').next().unwrap_or("/portal").to_owned();
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"stylesheet\" href=\"{css}\"><title>Too many requests</title></head><body><main class=\"auth-page\"><div class=\"auth-card\">\
             <h1>Too many requests</h1><p role=\"alert\">You did that too often in the last minute. Try again in {retry_after} seconds.</p>\
             <p><a class=\"btn btn-primary\" href=\"{back}\">Go back</a></p></div></main></body></html>",
            css = keyport_app::format::escape_html(&stylesheet),
            back = keyport_app::format::escape_html(&back),
        );
        (StatusCode::TOO_MANY_REQUESTS, axum::response::Html(body)).into_response()
    } else {
        let error = keyport_app::error::AppError::TooManyAttempts { retry_after };
        let body = serde_json::to_string(&error).unwrap_or_default();
        (StatusCode::TOO_MANY_REQUESTS, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The origins a portal page may be framed by (`embed.allowed_origins`), for its CSP.
#[derive(Clone)]
pub struct FrameAncestors(String);

/// An extra origin the page's CSP allows images from (the provider's logo host).
#[derive(Clone)]
pub struct ImageOrigin(String);

/// `https://host[:port]` of an image address on another host, if it is a plain one.
fn image_origin(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let plain = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:".contains(&b));
    plain.then(|| format!("https://{}", host.to_ascii_lowercase()))
}


/// The CSP of the operator API's JSON answers: nothing to load, run or frame. Built once.
const API_CSP: HeaderValue = HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");

/// Adds the security headers to every response, and a fresh CSP nonce to every request that
/// can render a page (the `/v1` API answers JSON only: it gets a constant policy and no
/// nonce, so its hot path draws no random numbers).
pub async fn security_headers(mut req: Request<Body>, next: Next) -> Response {
    let api = req.uri().path().starts_with("/v1/");
    let nonce: Option<Arc<str>> = (!api).then(|| keyport_core::crypto::nonce_token().into());
    if let Some(n) = &nonce {
        req.extensions_mut().insert(CspNonce(n.clone()));
    }
    let path = req.uri().path();
    let form_post = path.starts_with("/api/");
    let referer = form_post.then(|| req.headers().get(header::REFERER).cloned()).flatten();
    let asset = path.starts_with("/pkg/") || path == "/favicon.svg";
    let cache = asset.then(|| {
        if keyport_app::assets::is_hashed(path.rsplit('/').next().unwrap_or("")) {
            // A new build has new names: a hashed file never changes.
            HeaderValue::from_static("public, max-age=31536000, immutable")
        } else {
            HeaderValue::from_static("public, max-age=300")
        }
    });
    let mut res = next.run(req).await;
    let found = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    let image_origin = res.extensions().get::<ImageOrigin>().map(|o| o.0.clone());
    let frame_ancestors = res.extensions().get::<FrameAncestors>().map(|o| o.0.clone());
    let h = res.headers_mut();
    if form_post {
        tidy_form_redirect(h, referer.as_ref());
    }
    match &nonce {
        Some(n) => {
            let mut policy = csp(n);
            if let Some(o) = image_origin {
                policy = policy.replace("img-src 'self' data:", &format!("img-src 'self' data: {o}"));
            }
            if let Some(list) = &frame_ancestors {
                policy = policy.replace("frame-ancestors 'none'", &format!("frame-ancestors {list}"));
            }
            if let Ok(v) = HeaderValue::from_str(&policy) {
                h.insert(header::CONTENT_SECURITY_POLICY, v);
            }
        }
        None => {
            h.insert(header::CONTENT_SECURITY_POLICY, API_CSP);
        }
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    // X-Frame-Options cannot name a list of sites: with embedding allowed, the CSP alone says who.
    if frame_ancestors.is_none() {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
    if let Some(c) = cache {
        if found {
            h.insert(header::CACHE_CONTROL, c);
        } else {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        // The same name answers brotli, gzip or plain bytes by Accept-Encoding.
        if !h.get_all(header::VARY).iter().any(|v| v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))) {
            h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    } else {
        // Pages and API answers are personal (and some carry secrets): never cache them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A plain form that fails is sent back to the page it came from with the error in the
/// query (`__path`, `__err`). Failing again from that page would add a second pair after the
/// first, and the page would show the old error: only the newest pair is kept. A form that
/// goes through is sent back to the page as it was (`Location` is the `Referer`): an error
/// that page still had in its address is gone now, and is dropped.
fn tidy_form_redirect(h: &mut http::HeaderMap, referer: Option<&HeaderValue>) {
    let Some(location) = h.get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned) else { return };
    let Some((path, query)) = location.split_once('?') else { return };
    let pairs: Vec<&str> = query.split('&').collect();
    if referer.is_some_and(|r| r.as_bytes() == location.as_bytes()) {
        let kept: Vec<&str> = pairs.iter().copied().filter(|p| !(p.starts_with("__err=") || p.starts_with("__path="))).collect();
        if kept.len() < pairs.len() {
            let to = if kept.is_empty() { path.to_owned() } else { format!("{path}?{}", kept.join("&")) };
            if let Ok(v) = HeaderValue::from_str(&to) {
                h.insert(header::LOCATION, v);
            }
        }
        return;
    }
    let last = |key: &str| pairs.iter().rposition(|p| p.starts_with(key));
    let (Some(last_err), last_path) = (last("__err="), last("__path=")) else { return };
    if pairs.iter().filter(|p| p.starts_with("__err=")).count() < 2 {
        return;
    }
    let kept: Vec<&str> = pairs
        .iter()
        .enumerate()
        .filter(|(i, p)| !(p.starts_with("__err=") || p.starts_with("__path=")) || *i == last_err || Some(*i) == last_path)
        .map(|(_, p)| *p)
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("{path}?{}", kept.join("&"))) {
        h.insert(header::LOCATION, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_failing_twice_shows_only_the_newest_error() {
        let mut h = http::HeaderMap::new();
        h.insert(header::LOCATION, HeaderValue::from_static("http://h/portal/login?next=%2Fportal%2Fkeys&__path=%2Fapi%2Flogin&__err=OLD&__path=%2Fapi%2Flogin&__err=NEW"));
        let came_from = HeaderValue::from_static("http://h/portal/login?next=%2Fportal%2Fkeys&__path=%2Fapi%2Flogin&__err=OLD");
        tidy_form_redirect(&mut h, Some(&came_from));
        assert_eq!(h[header::LOCATION], "http://h/portal/login?next=%2Fportal%2Fkeys&__path=%2Fapi%2Flogin&__err=NEW");
        let mut one = http::HeaderMap::new();
        one.insert(header::LOCATION, HeaderValue::from_static("/portal/login?__path=%2Fapi%2Flogin&__err=A"));
        tidy_form_redirect(&mut one, Some(&HeaderValue::from_static("/portal/login")));
        assert_eq!(one[header::LOCATION], "/portal/login?__path=%2Fapi%2Flogin&__err=A");
    }

    #[test]
    fn a_form_that_goes_through_drops_the_error_its_page_still_showed() {
        let page = HeaderValue::from_static("http://h/portal/keys?created=key_1&__path=%2Fapi%2Fkeys%2Fcreate&__err=OLD");
        let mut h = http::HeaderMap::new();
        h.insert(header::LOCATION, page.clone());
        tidy_form_redirect(&mut h, Some(&page));
        assert_eq!(h[header::LOCATION], "http://h/portal/keys?created=key_1");
        let bare = HeaderValue::from_static("http://h/portal/keys?__path=%2Fapi%2Fkeys%2Frevoke&__err=OLD");
        let mut b = http::HeaderMap::new();
        b.insert(header::LOCATION, bare.clone());
        tidy_form_redirect(&mut b, Some(&bare));
        assert_eq!(b[header::LOCATION], "http://h/portal/keys");
    }

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
    fn one_time_tokens_stay_out_of_logged_paths() {
        assert_eq!(loggable_path("/portal/invite/abcDEF_123"), "/portal/invite/<token>");
        assert_eq!(loggable_path("/portal/reset/abcDEF_123"), "/portal/reset/<token>");
        assert_eq!(loggable_path("/portal/verify-email/abcDEF_123"), "/portal/verify-email/<token>");
        assert_eq!(loggable_path("/portal/email-change/abcDEF_123"), "/portal/email-change/<token>");
        assert_eq!(loggable_path("/portal/keys"), "/portal/keys");
    }

    #[test]
    fn body_limits_follow_the_route() {
        assert_eq!(body_limit("/v1/usage"), crate::v1::BATCH_BODY_LIMIT);
        assert_eq!(body_limit("/v1/keys/verify"), 64 * 1024);
        assert_eq!(body_limit("/api/keys/create"), 256 * 1024);
        assert_eq!(body_limit("/api/docs/try"), 1024 * 1024);
    }

    #[test]
    fn csp_forbids_framing_and_plugins() {
        let c = csp("abc");
        assert!(c.contains("frame-ancestors 'none'") && c.contains("object-src 'none'") && c.contains("'nonce-abc'"));
    }
}

/// The header a request id travels in (taken from a proxy that sets one, else made here).
pub const REQUEST_ID: &str = "x-request-id";

/// A request id a proxy sent, if it is one we can log as it is (1–64 of `A-Z a-z 0-9 . _ -`).
fn usable_request_id(v: &HeaderValue) -> Option<&str> {
    let s = v.to_str().ok()?;
    ((1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))).then_some(s)
}

/// Gives every request an id — the proxy's `X-Request-Id` when usable, else a new random one
/// — serves it inside a span carrying it (so every line logged meanwhile names it; with
/// `KEYPORT_LOG_FORMAT=json` as `request_id`), and answers it in `X-Request-Id`.
pub async fn request_id(req: Request<Body>, next: Next) -> Response {
    use tracing::Instrument;
    let id = match req.headers().get(REQUEST_ID).and_then(usable_request_id) {
        Some(id) => id.to_owned(),
        None => format!("{:032x}", rand::random::<u128>()),
    };
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %loggable_path(req.uri().path()));
    let mut res = next.run(req).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}
