//! Server functions: the portal's RPC surface, one file per area. Each one authenticates,
//! calls one `core` service and maps the error. Endpoint names are explicit and stable: they
//! are public API.

use crate::error::AppError;
use keyport_core::dto::{
    AccountView, AuditEventView, CreatedKey, InvitationPreview, KeyActivity, KeyOptions, InvitationView, KeyView, MemberView, OutboxEmailView, SessionInfo,
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

    /// The shared services, provided as context by the server.
    pub fn services() -> Result<Arc<Services>, AppError> {
        use_context::<Arc<Services>>().ok_or_else(|| {
            tracing::error!("services missing from context");
            AppError::Internal
        })
    }

    /// The session token sent by the browser, if any.
    pub fn session_token() -> Option<String> {
        session_token_from(&use_context::<http::request::Parts>()?.headers)
    }

    /// The session token in a request's `Cookie` headers, if any.
    pub fn session_token_from(headers: &http::HeaderMap) -> Option<String> {
        cookie(headers, SESSION_COOKIE).filter(|v| !v.is_empty()).map(str::to_owned)
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
    /// dashboard instead of panicking inside leptos_axum.
    pub fn redirect(path: &str) {
        let path = if HeaderValue::from_str(path).is_ok() { path } else { "/portal" };
        leptos_axum::redirect(path);
    }

    /// The signed-in caller, or `Unauthenticated`.
    pub async fn require_caller() -> Result<Caller, AppError> {
        let svc = services()?;
        let Some(token) = session_token() else {
            return Err(unauthenticated());
        };
        svc.authenticate(&token).await?.ok_or_else(unauthenticated)
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

    /// Removes the session cookie.
    pub fn clear_session_cookie() {
        set_cookie(&format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"));
    }

    fn set_cookie(value: &str) {
        if let (Some(res), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(value)) {
            res.append_header(SET_COOKIE, v);
        }
    }

    /// The cookie that carries the email address typed into a plain sign-in or sign-up form
    /// that failed, so the page it returns to shows it again (two minutes; never the password).
    const FORM_EMAIL_COOKIE: &str = "__Host-keyport_form_email";

    /// Remembers `email` for the page a failed plain form returns to.
    pub fn remember_form_email(email: &str) {
        if !crate::error::plain_form_post() || email.len() > 320 {
            return;
        }
        let encoded: String = email
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"@.-_+".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        set_cookie(&format!("{FORM_EMAIL_COOKIE}={encoded}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=120"));
    }

    /// Drops the remembered address once the form went through.
    pub fn forget_form_email() {
        if remembered_form_email().is_some() {
            set_cookie(&format!("{FORM_EMAIL_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"));
        }
    }

    /// The email address a failed plain form left behind, if any.
    pub fn remembered_form_email() -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        let raw = cookie(&parts.headers, FORM_EMAIL_COOKIE)?;
        let mut out = Vec::with_capacity(raw.len());
        let bytes = raw.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())?;
                out.push(hex);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).ok().filter(|e| e.len() <= 320)
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
mod keys;
mod team;
mod usage;

pub use account::*;
pub use keys::*;
pub use team::*;
pub use usage::*;
