//! Server functions: the portal's RPC surface. Each one authenticates, calls one `core`
//! service and maps the error. Endpoint names are explicit and stable: they are public API.

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
        headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|h| {
            h.split(';').find_map(|c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == SESSION_COOKIE && !v.is_empty()).then(|| v.to_owned())
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

/// Who is signed in, if anyone.
#[server(endpoint = "session")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    let svc = ssr::services()?;
    let Some(token) = ssr::session_token() else { return Ok(None) };
    let Some(caller) = svc.authenticate(&token).await? else {
        // A cookie for a session that ended (signed out elsewhere, expired): drop it.
        ssr::clear_session_cookie();
        return Ok(None);
    };
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
    let (_, token) = svc.register(&email, &password, &ssr::request_meta()).await?;
    ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
    ssr::redirect("/portal");
    Ok(())
}

/// Where to go after signing in: a portal path from the `next` parameter, or the dashboard.
/// Only a plain portal path is followed: anything that could lead off the portal
/// (`//evil`, `https://…`, `/\\evil`) or is not printable ASCII (control characters that
/// would split a header, spaces, non-ASCII) is ignored.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/portal/")
                && n.len() <= 512
                && !n.contains("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n
        }
        _ => "/portal",
    }
}

/// Signs in, then sends the browser on (`next`, a portal path) or to the dashboard.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use keyport_core::CoreError;
    let svc = ssr::services()?;
    let previous = ssr::session_token();
    match svc.login(&email, &password, &ssr::request_meta(), previous.as_deref()).await {
        Ok((_, token)) => {
            ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
            ssr::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        Err(CoreError::Unauthenticated) => {
            let e = AppError::Invalid { field: "form".into(), message: "Email or password is incorrect.".into() };
            if let (false, Some(res)) = (crate::error::plain_form_post(), use_context::<leptos_axum::ResponseOptions>()) {
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
    ssr::redirect("/portal/login");
    Ok(())
}

/// The caller's account and signed-in devices.
#[server(endpoint = "account")]
pub async fn get_account() -> Result<AccountView, AppError> {
    let caller = ssr::require_caller().await?;
    let token = ssr::session_token().ok_or(AppError::Unauthenticated)?;
    Ok(ssr::services()?.account(&caller, &token).await?)
}

/// Changes the password; every session ends and this browser gets a new one.
#[server(endpoint = "account/password")]
pub async fn change_password(current_password: String, new_password: String, confirm_password: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    ssr::confirmed(&new_password, &confirm_password)?;
    let svc = ssr::services()?;
    let token = svc.change_password(&caller, &current_password, &new_password, &ssr::request_meta()).await?;
    ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
    Ok(())
}

/// Signs out one other device of the caller.
#[server(endpoint = "account/sessions/end")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    let token = ssr::session_token().ok_or(AppError::Unauthenticated)?;
    Ok(ssr::services()?.end_session(&caller, &token, &id, &ssr::request_meta()).await?)
}

/// Signs out every other device of the caller; returns how many.
#[server(endpoint = "account/sessions/end-others")]
pub async fn end_other_sessions() -> Result<i64, AppError> {
    let caller = ssr::require_caller().await?;
    let token = ssr::session_token().ok_or(AppError::Unauthenticated)?;
    let ended = ssr::services()?.end_other_sessions(&caller, &token, &ssr::request_meta()).await?;
    Ok(i64::try_from(ended).unwrap_or(i64::MAX))
}

/// Emails a one-time link to set a new password, if the address has an account; the answer
/// is the same either way.
#[server(endpoint = "account/forgot")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    Ok(ssr::services()?.request_password_reset(&email, &ssr::request_meta()).await?)
}

/// The address a reset link is for, if the link still works.
#[server(endpoint = "account/reset/check")]
pub async fn check_reset_link(token: String) -> Result<String, AppError> {
    ssr::no_store();
    Ok(ssr::services()?.check_reset_link(&token).await?)
}

/// Sets a new password through a reset link and signs this browser in.
#[server(endpoint = "account/reset")]
pub async fn reset_password(token: String, password: String, confirm_password: String) -> Result<(), AppError> {
    ssr::confirmed(&password, &confirm_password)?;
    let svc = ssr::services()?;
    let session = svc.reset_password(&token, &password, &ssr::request_meta()).await?;
    ssr::set_session_cookie(&session, svc.config.session_ttl.num_seconds());
    ssr::redirect("/portal");
    Ok(())
}

/// The active team's members.
#[server(endpoint = "team/members")]
pub async fn list_members() -> Result<Vec<MemberView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.list_members(&caller).await?)
}

/// The active team's audit trail, newest first, narrowed by action, actor (part of an email)
/// and a UTC date range (`YYYY-MM-DD`); empty fields do not filter.
#[server(endpoint = "audit/list")]
pub async fn list_audit(action: String, actor: String, from: String, to: String) -> Result<Vec<AuditEventView>, AppError> {
    use keyport_core::services::audit::AuditFilter;
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.list_audit(&caller, &AuditFilter { action, actor, from, to }).await?)
}

/// Everything the team page shows: the viewer, the team, members and pending invitations.
#[server(endpoint = "team/overview")]
pub async fn get_team_overview() -> Result<TeamOverview, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.team_overview(&caller).await?)
}

/// The active team's name and description.
#[server(endpoint = "team/details")]
pub async fn get_team_details() -> Result<TeamDetails, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.team_details(&caller).await?)
}

/// Renames the active team and sets its description (owners and admins).
#[server(endpoint = "team/update")]
pub async fn update_team(name: String, description: String) -> Result<TeamDetails, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.update_team(&caller, &name, &description, &ssr::request_meta()).await?)
}

/// Gives a member of the active team another role.
#[server(endpoint = "team/change-role")]
pub async fn change_role(user_id: String, role: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.change_role(&caller, &user_id, &role, &ssr::request_meta()).await?)
}

/// Removes a member from the active team.
#[server(endpoint = "team/remove")]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.remove_member(&caller, &user_id, &ssr::request_meta()).await?)
}

/// The caller leaves the active team and lands on the dashboard of another of their teams.
#[server(endpoint = "team/leave")]
pub async fn leave_team() -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    ssr::services()?.leave_team(&caller, &ssr::request_meta()).await?;
    Ok(())
}

/// Deletes the active team (owners; `name` must repeat the team's name).
#[server(endpoint = "team/delete")]
pub async fn delete_team(name: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.delete_team(&caller, &name, &ssr::request_meta()).await?)
}

/// The active team's pending invitations (owners and admins).
#[server(endpoint = "invitations/list")]
pub async fn list_invitations() -> Result<Vec<InvitationView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.list_invitations(&caller).await?)
}

/// Invites someone by email with a role and an optional message.
#[server(endpoint = "invitations/create")]
pub async fn invite_member(email: String, role: String, message: String) -> Result<InvitationView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.invite(&caller, &email, &role, &message, &ssr::request_meta()).await?)
}

/// Sends an invitation again with a fresh link.
#[server(endpoint = "invitations/resend")]
pub async fn resend_invitation(id: String) -> Result<InvitationView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.resend_invitation(&caller, &id, &ssr::request_meta()).await?)
}

/// Withdraws an invitation.
#[server(endpoint = "invitations/revoke")]
pub async fn revoke_invitation(id: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.revoke_invitation(&caller, &id, &ssr::request_meta()).await?)
}

/// What an invitation link leads to; needs no session (the link is the credential to look).
#[server(endpoint = "invitations/preview")]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    let svc = ssr::services()?;
    ssr::no_store();
    let viewer = match ssr::session_token() {
        Some(t) => svc.authenticate(&t).await?,
        None => None,
    };
    Ok(svc.preview_invitation(&token, viewer.as_ref()).await?)
}

/// The signed-in user accepts an invitation and switches to the team.
#[server(endpoint = "invitations/accept")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    let svc = ssr::services()?;
    let team = svc.accept_invitation(&caller, &token, &ssr::request_meta()).await?;
    if let Some(session) = ssr::session_token() {
        svc.switch_team(&session, &caller, &team.id).await?;
    }
    ssr::redirect("/portal");
    Ok(())
}

/// Someone new creates their account with the invited address and joins in one step.
#[server(endpoint = "invitations/accept-signup")]
pub async fn accept_invitation_signup(token: String, password: String) -> Result<(), AppError> {
    let svc = ssr::services()?;
    let (caller, session) = svc.accept_invitation_with_signup(&token, &password, &ssr::request_meta()).await?;
    svc.switch_team(&session.0, &caller, &caller.team.id).await?;
    ssr::set_session_cookie(&session, svc.config.session_ttl.num_seconds());
    ssr::redirect("/portal");
    Ok(())
}

/// The active team's outgoing email (owners and admins).
#[server(endpoint = "outbox/list")]
pub async fn list_outbox() -> Result<Vec<OutboxEmailView>, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    Ok(ssr::services()?.list_outbox(&caller).await?)
}

/// The active team's keys, newest first.
#[server(endpoint = "keys/list")]
pub async fn list_keys() -> Result<Vec<KeyView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.list_keys(&caller).await?)
}

/// What the create-key form offers: scopes, defaults, limits.
#[server(endpoint = "keys/options")]
pub async fn get_key_options() -> Result<KeyOptions, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.key_options(&caller).await?)
}

/// Creates a key; the answer holds the full key, once. `scopes` are separated by spaces or
/// commas; an empty `ratelimit` takes the default; an empty `quota` means none.
#[server(endpoint = "keys/create")]
#[allow(clippy::too_many_arguments)]
pub async fn create_key(
    name: String,
    environment: String,
    expiry: String,
    description: Option<String>,
    scopes: Option<String>,
    ratelimit: Option<String>,
    quota: Option<String>,
) -> Result<CreatedKey, AppError> {
    use keyport_core::services::keys::KeyInput;
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let input = KeyInput {
        name: &name,
        description: description.as_deref().unwrap_or(""),
        environment: &environment,
        scopes: scopes.as_deref().unwrap_or(""),
        expiry: &expiry,
        ratelimit: ratelimit.as_deref().unwrap_or(""),
        quota: quota.as_deref().unwrap_or(""),
    };
    Ok(ssr::services()?.create_key(&caller, input, &ssr::request_meta()).await?)
}

/// One key of the active team.
#[server(endpoint = "keys/get")]
pub async fn get_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.get_key(&caller, &id).await?)
}

/// Saves a key's name, description, scopes, rate limit and quota.
#[server(endpoint = "keys/update")]
pub async fn update_key(id: String, name: String, description: String, scopes: String, ratelimit: String, quota: String) -> Result<KeyView, AppError> {
    use keyport_core::services::keys::KeyEdit;
    let caller = ssr::require_caller().await?;
    let edit = KeyEdit { name: &name, description: &description, scopes: &scopes, ratelimit: &ratelimit, quota: &quota };
    Ok(ssr::services()?.update_key(&caller, &id, edit, &ssr::request_meta()).await?)
}

/// Switches a key off; verification answers `DISABLED` until it is enabled.
#[server(endpoint = "keys/disable")]
pub async fn disable_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.set_key_disabled(&caller, &id, true, &ssr::request_meta()).await?)
}

/// Switches a disabled key on again.
#[server(endpoint = "keys/enable")]
pub async fn enable_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.set_key_disabled(&caller, &id, false, &ssr::request_meta()).await?)
}

/// Rotates a key: a new key with the same settings (shown once); the old one keeps working
/// for `grace` (`now`, `1h`, `24h`, `7d`).
#[server(endpoint = "keys/rotate")]
pub async fn rotate_key(id: String, grace: String) -> Result<CreatedKey, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    Ok(ssr::services()?.rotate_key(&caller, &id, &grace, &ssr::request_meta()).await?)
}

/// A key's traffic over the last hour and its latest verifications.
#[server(endpoint = "keys/activity")]
pub async fn get_key_activity(id: String) -> Result<KeyActivity, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.key_activity(&caller, &id).await?)
}

/// The active team's keys waiting for approval (owners and admins).
#[server(endpoint = "keys/pending")]
pub async fn list_pending_keys() -> Result<Vec<KeyView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.pending_keys(&caller).await?)
}

/// Approves a key waiting for approval; `reason` is optional.
#[server(endpoint = "keys/approve")]
pub async fn approve_key(id: String, reason: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.decide_key(&caller, &id, true, &reason, &ssr::request_meta()).await?)
}

/// Denies a key waiting for approval; `reason` is required and sent to the requester.
#[server(endpoint = "keys/deny")]
pub async fn deny_key(id: String, reason: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.decide_key(&caller, &id, false, &reason, &ssr::request_meta()).await?)
}

/// Gives a key a new secret (shown once); the old one stops working at once.
#[server(endpoint = "keys/regenerate")]
pub async fn regenerate_key(id: String) -> Result<CreatedKey, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    Ok(ssr::services()?.regenerate_key(&caller, &id, &ssr::request_meta()).await?)
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

/// The usage page's report. Every value is checked: an unknown range, granularity or
/// environment, or a granularity that does not fit the range, is refused with a message.
#[server(endpoint = "usage/report")]
pub async fn get_usage_report(range: String, granularity: String, key: String, env: String) -> Result<UsageReport, AppError> {
    use keyport_core::key::Environment;
    use keyport_core::usage_report::{Granularity, UsageQuery, UsageRange};
    let caller = ssr::require_caller().await?;
    let bad = |m: &str| AppError::from(keyport_core::CoreError::Invalid(keyport_core::validate::FieldError::new("query", m)));
    let range = UsageRange::parse(&range).ok_or_else(|| bad("Unknown range: choose 24h, 7d, 30d or month."))?;
    let granularity = Granularity::parse(&granularity).ok_or_else(|| bad("Unknown granularity: choose minute, hour or day."))?;
    let environment = match env.as_str() {
        "" => None,
        e => Some(Environment::parse(e).ok_or_else(|| bad("Unknown environment: choose live or test."))?),
    };
    let q = UsageQuery { range, granularity, key_id: (!key.is_empty()).then_some(key), environment };
    Ok(ssr::services()?.usage_report(&caller, &q).await?)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn sign_in_only_forwards_to_portal_paths() {
        assert_eq!(safe_next(Some("/portal/invite/abc_DEF-1")), "/portal/invite/abc_DEF-1");
        for bad in ["//evil.example", "https://evil.example/portal/", "/portal//evil", "/portal/\\evil", "/other", "", "/portalx", "/portal/x\r\nSet-Cookie: a=b", "/portal/x y", "/portal/\u{e9}", "/portal/x\t"] {
            assert_eq!(safe_next(Some(bad)), "/portal", "{bad}");
        }
        assert_eq!(safe_next(None), "/portal");
    }
}
