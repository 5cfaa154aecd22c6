//! Server functions: the portal's RPC surface. Each one authenticates, calls one `core`
//! service and maps the error. Endpoint names are explicit and stable: they are public API.

use crate::error::AppError;
use keyport_core::dto::{AuditEventView, CreatedKey, KeyView, MemberView, SessionInfo, TeamView, UsageSummary};
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
        headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|h| {
            h.split(';').find_map(|c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == SESSION_COOKIE && !v.is_empty()).then(|| v.to_owned())
            })
        })
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

    /// Marks the response as carrying a secret: never cache it.
    pub fn no_store() {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.insert_header(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// Who is signed in, if anyone.
#[server(endpoint = "session")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    let svc = ssr::services()?;
    let Some(token) = ssr::session_token() else { return Ok(None) };
    let Some(caller) = svc.authenticate(&token).await? else { return Ok(None) };
    Ok(Some(svc.session_info(&caller).await?))
}

/// Creates a team owned by the caller and makes it the active team.
#[server(endpoint = "teams/create")]
pub async fn create_team(name: String, description: String) -> Result<TeamView, AppError> {
    let caller = ssr::require_caller().await?;
    let svc = ssr::services()?;
    let team = svc.create_team(&caller, &name, &description, &ssr::request_meta()).await?;
    if let Some(token) = ssr::session_token() {
        svc.switch_team(&token, &caller, &team.id).await?;
    }
    Ok(team)
}

/// Makes another of the caller's teams the active one.
#[server(endpoint = "teams/switch")]
pub async fn switch_team(team_id: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    let token = ssr::session_token().ok_or(AppError::Unauthenticated)?;
    Ok(ssr::services()?.switch_team(&token, &caller, &team_id).await?)
}

/// Creates an account and signs it in, then sends the browser to the dashboard.
#[server(endpoint = "register")]
pub async fn register(email: String, password: String) -> Result<(), AppError> {
    let svc = ssr::services()?;
    let (_, token) = svc.register(&email, &password).await?;
    ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
    leptos_axum::redirect("/portal");
    Ok(())
}

/// Signs in, then sends the browser to the dashboard.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use keyport_core::CoreError;
    let svc = ssr::services()?;
    let previous = ssr::session_token();
    match svc.login(&email, &password, &ssr::request_meta(), previous.as_deref()).await {
        Ok((_, token)) => {
            ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
            leptos_axum::redirect("/portal");
            Ok(())
        }
        Err(CoreError::Unauthenticated) => {
            let e = AppError::Invalid { field: "form".into(), message: "Email or password is incorrect.".into() };
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(http::StatusCode::UNAUTHORIZED);
            }
            Err(e)
        }
        Err(e) => Err(e.into()),
    }
}

/// Signs out: the session dies on the server and the cookie is cleared.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let svc = ssr::services()?;
    if let Some(token) = ssr::session_token() {
        svc.logout(&token).await?;
    }
    ssr::clear_session_cookie();
    leptos_axum::redirect("/portal/login");
    Ok(())
}

/// The active team's members.
#[server(endpoint = "team/members")]
pub async fn list_members() -> Result<Vec<MemberView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.list_members(&caller).await?)
}

/// The active team's audit trail, newest first, optionally for one action.
#[server(endpoint = "audit/list")]
pub async fn list_audit(action: String) -> Result<Vec<AuditEventView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.list_audit(&caller, Some(&action)).await?)
}

/// The active team's keys, newest first.
#[server(endpoint = "keys/list")]
pub async fn list_keys() -> Result<Vec<KeyView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.list_keys(&caller).await?)
}

/// Creates a key; the answer holds the full key, once.
#[server(endpoint = "keys/create")]
pub async fn create_key(name: String, environment: String, expiry: String) -> Result<CreatedKey, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    Ok(ssr::services()?.create_key(&caller, &name, &environment, &expiry, &ssr::request_meta()).await?)
}

/// Revokes a key of the active team.
#[server(endpoint = "keys/revoke")]
pub async fn revoke_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.revoke_key(&caller, &id, &ssr::request_meta()).await?)
}

/// The dashboard's usage figures.
#[server(endpoint = "usage/summary")]
pub async fn get_usage_summary() -> Result<UsageSummary, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.usage_summary(&caller).await?)
}
