//! Server functions: the portal's RPC surface, one file per area. Each one authenticates,
//! calls one `core` service and maps the error. Endpoint names are explicit and stable: they
//! are public API.

use crate::error::AppError;
use keyport_core::dto::{
    AccountView, AuditEventView, CreatedKey, TotpEnrolment, InvitationPreview, KeyActivity, KeyOptions, InvitationView, KeyView, MemberView, OutboxEmailView, SessionInfo,
    TeamDetails, TeamOverview, TeamView, UsageSummary,
};
use keyport_core::usage_report::UsageReport;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub mod ssr {
    //! Request plumbing for server functions: services, session cookie, client address.

    use crate::error::AppError;
    use http::header::{COOKIE, SET_COOKIE};
    use http::HeaderValue;
    use keyport_core::services::audit::RequestMeta;
    use keyport_core::services::auth::{Caller, SessionToken};
    use keyport_core::Services;
    use leptos::prelude::*;
    use std::sync::Arc;

    /// The session cookie. `__Host-` binds it to this host, path `/`, secure.
    pub const SESSION_COOKIE: &str = "__Host-keyport_session";

    /// The session cookie of the portal inside the provider's frame (`SameSite=None;
    /// Partitioned`): only sent within that frame, on the provider's site.
    pub const EMBED_COOKIE: &str = "__Host-keyport_embed";

    /// The shared services, provided as context by the server.
    pub fn services() -> Result<Arc<Services>, AppError> {
        let svc = use_context::<Arc<Services>>().ok_or_else(|| {
            tracing::error!("services missing from context");
            AppError::Internal
        })?;
        // While the database is out of reach, every call says so at once instead of waiting
        // for the pool (the probe lets them through again within a second of its return).
        if svc.database.is_down() {
            let e = AppError::Unavailable;
            e.set_status();
            return Err(e);
        }
        Ok(svc)
    }

    /// The session token sent by the browser, if any.
    pub fn session_token() -> Option<String> {
        session_token_from(&use_context::<http::request::Parts>()?.headers)
    }

    /// The session token in a request's `Cookie` headers, if any.
    pub fn session_token_from(headers: &http::HeaderMap) -> Option<String> {
        cookie(headers, SESSION_COOKIE)
            .filter(|v| !v.is_empty())
            .or_else(|| cookie(headers, EMBED_COOKIE).filter(|v| !v.is_empty()))
            .map(str::to_owned)
    }

    /// Whether this request runs in the provider's frame: it carries the embed cookie and no
    /// top-level session cookie.
    pub fn embedded_request() -> bool {
        use_context::<http::request::Parts>().is_some_and(|p| {
            cookie(&p.headers, SESSION_COOKIE).filter(|v| !v.is_empty()).is_none()
                && cookie(&p.headers, EMBED_COOKIE).is_some_and(|v| !v.is_empty())
        })
    }

    /// The `SameSite` of the short-lived cookies (a refused form, a new secret) on this
    /// response: `Strict` at top level; in the provider's frame, where a browser keeps only
    /// partitioned cross-site cookies, `None; Partitioned` (requests stay guarded by the CSRF
    /// check of `Sec-Fetch-Site`).
    fn same_site() -> &'static str {
        if embedded_request() { "SameSite=None; Partitioned" } else { "SameSite=Strict" }
    }

    /// The value of the cookie `name` in a request's `Cookie` headers, if sent.
    fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
        headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|h| {
            h.split(';').find_map(|c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == name).then_some(v)
            })
        })
    }

    /// Sends the browser to `path` after this server function. Every redirect goes through
    /// here: a path that cannot be a `Location` header (control characters) goes to the
    /// dashboard instead of panicking inside leptos_axum. A server function redirects once
    /// it went through, so what an earlier refusal of a form remembered is dropped here (the
    /// next form drawn starts from the stored values, not from the refused input).
    pub fn redirect(path: &str) {
        let path = if HeaderValue::from_str(path).is_ok() { path } else { "/portal" };
        forget_form();
        leptos_axum::redirect(path);
    }

    /// The caller of this request, looked up once per request: every part of one page (the
    /// layout and each of its resources) sees the same session, so a session that ends while
    /// the page is being drawn (signed out elsewhere) gives a whole signed-out page, not a
    /// page with some parts refused.
    #[derive(Clone, Default)]
    pub struct RequestCaller(std::sync::Arc<tokio::sync::OnceCell<Option<Caller>>>);

    /// Who is signed in on this request, if anyone (`None` also for an ended session).
    pub async fn current_caller() -> Result<Option<Caller>, AppError> {
        let svc = services()?;
        let Some(token) = session_token() else { return Ok(None) };
        let caller = match use_context::<RequestCaller>() {
            Some(memo) => memo.0.get_or_try_init(|| svc.authenticate(&token)).await?.clone(),
            None => svc.authenticate(&token).await?,
        };
        Ok(caller)
    }

    /// The signed-in caller, or `Unauthenticated`.
    pub async fn require_caller() -> Result<Caller, AppError> {
        current_caller().await?.ok_or_else(unauthenticated)
    }

    fn unauthenticated() -> AppError {
        let e = AppError::Unauthenticated;
        e.set_status();
        e
    }

    /// Where the request came from: address (for throttling) and user agent (for the audit trail).
    pub fn request_meta() -> RequestMeta {
        let Some(parts) = use_context::<http::request::Parts>() else { return RequestMeta::default() };
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let agent = parts.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
        RequestMeta::new(ip, agent)
    }

    /// Sets the session cookie on the response.
    pub fn set_session_cookie(token: &SessionToken, max_age_secs: i64) {
        set_cookie(&format!(
            "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}",
            token.0
        ));
    }

    /// The cookie of a sign-in waiting for its second factor (the password was right): the
    /// challenge token, five minutes, readable by no script, sent to this site only.
    pub const SIGNIN_COOKIE: &str = "__Host-keyport_signin";

    /// Sets the sign-in challenge cookie on the response.
    pub fn set_signin_cookie(token: &keyport_core::services::mfa::ChallengeToken) {
        set_cookie(&format!(
            "{SIGNIN_COOKIE}={}; Path=/; Secure; HttpOnly; {}; Max-Age={}",
            token.0,
            same_site(),
            keyport_core::services::mfa::CHALLENGE_TTL_SECONDS
        ));
    }

    /// Removes the sign-in challenge cookie.
    pub fn clear_signin_cookie() {
        set_cookie(&format!("{SIGNIN_COOKIE}=; Path=/; Secure; HttpOnly; {}; Max-Age=0", same_site()));
    }

    /// The sign-in challenge token sent by the browser, if any.
    pub fn signin_token() -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        cookie(&parts.headers, SIGNIN_COOKIE).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// Removes the session cookie.
    pub fn clear_session_cookie() {
        set_cookie(&format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"));
        set_cookie(&format!("{EMBED_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age=0"));
    }

    fn set_cookie(value: &str) {
        if let (Some(res), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(value)) {
            res.append_header(SET_COOKIE, v);
        }
    }

    /// The cookie that carries what was typed into a plain form that failed, so the page it
    /// returns to shows it again: two minutes, readable by no script, and never a password
    /// (callers name the fields that may come back).
    const FORM_COOKIE: &str = "__Host-keyport_form";

    /// Remembers `fields` of the plain form `form` (a name of the caller's choosing) for the
    /// page a failure returns to. Forms sent by scripts keep their fields themselves.
    pub fn remember_form(form: &str, fields: &[(&str, &str)]) {
        if !crate::error::plain_form_post() {
            return;
        }
        let mut encoded = form_urlencoded::Serializer::new(String::new());
        encoded.append_pair("__form", form);
        for (name, value) in fields {
            encoded.append_pair(name, value);
        }
        let encoded = encoded.finish();
        // Browsers keep about 4 KB per cookie; a form this large is simply not remembered.
        if encoded.len() <= 3000 {
            set_cookie(&format!("{FORM_COOKIE}={encoded}; Path=/; Secure; HttpOnly; {}; Max-Age=120", same_site()));
        }
    }

    /// Drops what a failed form left behind, once a form went through — but never what this
    /// very response remembers for the page it leads to (the address a reset link went to).
    pub fn forget_form() {
        let prefix = format!("{FORM_COOKIE}=");
        let remembering = use_context::<leptos_axum::ResponseOptions>().is_some_and(|r| {
            r.0.read().map(|p| p.headers.get_all(SET_COOKIE).iter().any(|v| v.to_str().is_ok_and(|v| v.starts_with(&prefix)))).unwrap_or(false)
        });
        if remembering {
            return;
        }
        if use_context::<http::request::Parts>().is_some_and(|p| cookie(&p.headers, FORM_COOKIE).is_some()) {
            set_cookie(&format!("{FORM_COOKIE}=; Path=/; Secure; HttpOnly; {}; Max-Age=0", same_site()));
        }
    }

    /// The fields the failed plain form `form` left behind, if it was that form.
    pub fn remembered_form(form: &str) -> Vec<(String, String)> {
        let Some(parts) = use_context::<http::request::Parts>() else { return Vec::new() };
        let Some(raw) = cookie(&parts.headers, FORM_COOKIE) else { return Vec::new() };
        let mut pairs = form_urlencoded::parse(raw.as_bytes()).into_owned();
        match pairs.next() {
            Some((k, v)) if k == "__form" && v == form => pairs.take(64).collect(),
            _ => Vec::new(),
        }
    }

    /// Sign-up answers as a refused form remembers them: `signup_<name>`, the questions'
    /// field names (the page shows each again in its field).
    pub fn typed_answers(answers: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
        answers.iter().take(keyport_core::signup::MAX_FIELDS * 2).map(|(k, v)| (format!("signup_{k}"), v.clone())).collect()
    }

    /// Remembers the address typed into a sign-in, sign-up or forgot-password form.
    pub fn remember_form_email(email: &str) {
        remember_form("email", &[("email", email)]);
    }

    /// The cookie that hands a secret made by a plain form (a key, an operator token) to the
    /// page the browser is sent to next: sealed under the server secret and bound to the
    /// session, five minutes at most, and cleared by the page that shows it.
    const HANDOVER_COOKIE: &str = "__Host-keyport_new_key";

    /// Seals `payload` for the next page of this session under `purpose`, when the request
    /// is a plain form: returns whether it did (a script's call gets its answer instead).
    fn hand_over(purpose: &str, payload: &str) -> bool {
        let (Ok(svc), Some(token)) = (services(), session_token()) else { return false };
        if !crate::error::plain_form_post() {
            return false;
        }
        let sealed = svc.secret.seal(purpose, &keyport_core::crypto::sha256(&token), payload.as_bytes());
        set_cookie(&format!("{HANDOVER_COOKIE}={sealed}; Path=/; Secure; HttpOnly; {}; Max-Age=300", same_site()));
        true
    }

    /// What was handed over under `purpose` in this session, once: the cookie is cleared on
    /// this response.
    fn take_handed_over(purpose: &str) -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        let sealed = cookie(&parts.headers, HANDOVER_COOKIE)?.to_owned();
        set_cookie(&format!("{HANDOVER_COOKIE}=; Path=/; Secure; HttpOnly; {}; Max-Age=0", same_site()));
        let token = session_token_from(&parts.headers)?;
        let plain = services().ok()?.secret.open(purpose, &keyport_core::crypto::sha256(&token), &sealed)?;
        String::from_utf8(plain).ok()
    }

    const NEW_KEY_PURPOSE: &str = "new-key";

    /// Hands `created` over to the next page, when it came from a plain form: returns whether
    /// it did (a script's call gets the key in its answer instead).
    pub fn hand_over_key(created: &keyport_core::dto::CreatedKey, kind: &str) -> bool {
        hand_over(NEW_KEY_PURPOSE, &format!("{}\n{kind}\n{}", created.key.id, created.secret.expose()))
    }

    /// The secret handed over for key `id` (and how it was made: `new`, `rotated`,
    /// `regenerated`), once: the cookie is cleared on this response.
    pub fn take_handed_over_key(id: &str) -> Option<(String, String)> {
        let plain = take_handed_over(NEW_KEY_PURPOSE)?;
        let mut parts = plain.splitn(3, '\n');
        let (key_id, kind, secret) = (parts.next()?, parts.next()?, parts.next()?);
        (key_id == id).then(|| (kind.to_owned(), secret.to_owned()))
    }

    const RECOVERY_CODES_PURPOSE: &str = "recovery-codes";

    /// Hands new recovery codes over to the settings page, which shows them once.
    pub fn hand_over_recovery_codes(codes: &[String]) -> bool {
        hand_over(RECOVERY_CODES_PURPOSE, &codes.join("\n"))
    }

    /// The recovery codes handed over in this session, once.
    pub fn take_handed_over_recovery_codes() -> Option<Vec<String>> {
        let plain = take_handed_over(RECOVERY_CODES_PURPOSE)?;
        Some(plain.lines().map(str::to_owned).collect())
    }

    const NEW_TOKEN_PURPOSE: &str = "new-operator-token";

    /// Hands a new operator token (`id`, `token`) over to the next page, like a key.
    pub fn hand_over_token(id: &str, token: &str) -> bool {
        hand_over(NEW_TOKEN_PURPOSE, &format!("{id}\n{token}"))
    }

    /// The operator token handed over for `id`, once.
    pub fn take_handed_over_token(id: &str) -> Option<String> {
        let plain = take_handed_over(NEW_TOKEN_PURPOSE)?;
        let (token_id, token) = plain.split_once('\n')?;
        (token_id == id).then(|| token.to_owned())
    }

    /// The signed-in operator admin, or `NotFound` for anyone else, signed in or not: the
    /// console does not admit it exists.
    pub async fn require_admin() -> Result<keyport_core::services::admin::Admin, AppError> {
        let hidden = || {
            let e = AppError::NotFound;
            e.set_status();
            e
        };
        let svc = services()?;
        let Some(token) = session_token() else { return Err(hidden()) };
        let Some(caller) = svc.authenticate(&token).await? else { return Err(hidden()) };
        svc.require_admin(&caller).await.map_err(|_| hidden())
    }

    /// Refuses a new password whose repeat differs, as an error on `confirm_password`.
    pub fn confirmed(password: &str, repeat: &str) -> Result<(), AppError> {
        if password == repeat {
            return Ok(());
        }
        let mismatch = keyport_core::validate::FieldError::new("confirm_password", "The two new passwords do not match.");
        Err(keyport_core::CoreError::Invalid(mismatch).into())
    }

    /// Marks the response as carrying a secret: never cache it.
    pub fn no_store() {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.insert_header(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

mod account;
mod admin;
mod billing;
mod catalogue;
mod docs;
mod keys;
mod try_it;
mod team;
mod usage;

pub use account::*;
pub use admin::*;
pub use billing::*;
pub use catalogue::*;
pub use docs::*;
pub use keys::*;
pub use try_it::*;
pub use team::*;
pub use usage::*;
