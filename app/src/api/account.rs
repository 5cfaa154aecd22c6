//! Server functions of the signed-in person and of signing in: session, sign-up, sign-in
//! and out, the account, password change and reset.

#[allow(unused_imports)]
use super::*;

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
    let mut info = svc.session_info(&caller).await?;
    info.embedded = ssr::embedded_request();
    Ok(Some(info))
}

/// Creates an account and signs it in, then sends the browser to the dashboard. `signup`
/// holds the answers to the sign-up questions by name (`signup[company]=Acme` from a form).
#[server(endpoint = "register")]
pub async fn register(email: String, password: String, signup: Option<std::collections::BTreeMap<String, String>>) -> Result<(), AppError> {
    let svc = ssr::services()?;
    let answers = signup.unwrap_or_default();
    let (_, token) = svc.register(&email, &password, &answers, &ssr::request_meta()).await.inspect_err(|_| {
        let answers = ssr::typed_answers(&answers);
        let mut typed = vec![("email", email.as_str())];
        typed.extend(answers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        ssr::remember_form("email", &typed);
    })?;
    ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
    ssr::forget_form();
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
            ssr::forget_form();
            ssr::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        Err(CoreError::Unauthenticated) => {
            ssr::remember_form_email(&email);
            let e = AppError::Invalid { field: "form".into(), message: "Email or password is incorrect.".into() };
            if let (false, Some(res)) = (crate::error::plain_form_post(), use_context::<leptos_axum::ResponseOptions>()) {
                res.set_status(http::StatusCode::UNAUTHORIZED);
            }
            Err(e)
        }
        Err(e) => {
            ssr::remember_form_email(&email);
            Err(e.into())
        }
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
    ssr::redirect("/portal/settings?changed");
    Ok(())
}

/// Removes one of the caller's sign-in providers' identities (never the last way in).
#[server(endpoint = "account/identities/remove")]
pub async fn remove_identity(id: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    if id.is_empty() || id.len() > 64 {
        return Err(AppError::Invalid { field: "id".into(), message: "No such sign-in provider on your account.".into() });
    }
    ssr::services()?.unlink_identity(&caller, &id, &ssr::request_meta()).await?;
    ssr::redirect("/portal/settings?unlinked");
    Ok(())
}

/// Signs out one other device of the caller.
#[server(endpoint = "account/sessions/end")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    let token = ssr::session_token().ok_or(AppError::Unauthenticated)?;
    ssr::services()?.end_session(&caller, &token, &id, &ssr::request_meta()).await?;
    ssr::redirect("/portal/settings?ended=one");
    Ok(())
}

/// Signs out every other device of the caller; returns how many.
#[server(endpoint = "account/sessions/end-others")]
pub async fn end_other_sessions() -> Result<i64, AppError> {
    let caller = ssr::require_caller().await?;
    let token = ssr::session_token().ok_or(AppError::Unauthenticated)?;
    let ended = ssr::services()?.end_other_sessions(&caller, &token, &ssr::request_meta()).await?;
    ssr::redirect(&format!("/portal/settings?ended={ended}"));
    Ok(i64::try_from(ended).unwrap_or(i64::MAX))
}

/// Emails a one-time link to set a new password, if the address has an account; the answer
/// is the same either way.
#[server(endpoint = "account/forgot")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let result = ssr::services()?.request_password_reset(&email, &ssr::request_meta()).await;
    // The form page shows the address again, whether it was refused or the link went out.
    ssr::remember_form_email(&email);
    result?;
    ssr::redirect("/portal/forgot?sent");
    Ok(())
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
