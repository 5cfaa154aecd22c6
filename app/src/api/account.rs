//! Server functions of the signed-in person and of signing in: session, sign-up, sign-in
//! and out, the account, password change and reset.

#[allow(unused_imports)]
use super::*;

/// Who is signed in, if anyone.
#[server(endpoint = "session")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    let svc = ssr::services()?;
    if ssr::session_token().is_none() {
        return Ok(None);
    }
    let Some(caller) = ssr::current_caller().await? else {
        // A cookie for a session that ended (signed out elsewhere, expired): drop it.
        ssr::clear_session_cookie();
        return Ok(None);
    };
    let mut info = svc.session_info(&caller).await?;
    info.embedded = ssr::embedded_request();
    Ok(Some(info))
}

/// Creates an account and signs it in, then sends the browser to the dashboard; or, when
/// the provider asks new accounts to confirm their address, to "check your email" (the same
/// answer for every address). `signup` holds the answers to the sign-up questions by name
/// (`signup[company]=Acme` from a form).
#[server(endpoint = "register")]
pub async fn register(email: String, password: String, signup: Option<std::collections::BTreeMap<String, String>>) -> Result<bool, AppError> {
    use keyport_core::services::auth::Registered;
    let svc = ssr::services()?;
    let answers = signup.unwrap_or_default();
    let registered = svc.register(&email, &password, &answers, &ssr::request_meta()).await.inspect_err(|_| {
        let answers = ssr::typed_answers(&answers);
        let mut typed = vec![("email", email.as_str())];
        typed.extend(answers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        ssr::remember_form("email", &typed);
    })?;
    match registered {
        Registered::SignedIn(_, token) => {
            ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
            ssr::forget_form();
            ssr::redirect("/portal");
            Ok(true)
        }
        Registered::CheckEmail => {
            // The page names the address back, as the password-reset page does.
            ssr::remember_form_email(&email);
            ssr::redirect("/portal/register?check");
            Ok(false)
        }
    }
}

/// The address a confirmation link is for, if the link still works.
#[server(endpoint = "account/verify/check")]
pub async fn check_verification_link(token: String) -> Result<String, AppError> {
    ssr::no_store();
    Ok(ssr::services()?.check_verification_link(&token).await?)
}

/// Confirms the address through its link; then to the dashboard when this browser is signed
/// in as that account, else to sign-in.
#[server(endpoint = "account/verify")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let svc = ssr::services()?;
    let (user_id, _) = svc.verify_email(&token, &ssr::request_meta()).await?;
    let signed_in = match ssr::session_token() {
        Some(t) => svc.authenticate(&t).await?.is_some_and(|c| c.user.id == user_id),
        None => false,
    };
    ssr::redirect(if signed_in { "/portal?verified" } else { "/portal/login?verified" });
    Ok(())
}

/// Sends the signed-in account a new confirmation link.
#[server(endpoint = "account/verify/resend")]
pub async fn resend_verification() -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    ssr::services()?.resend_verification(&caller, &ssr::request_meta()).await?;
    ssr::redirect("/portal?verification=sent");
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

/// The page that asks for the second factor, keeping where to go afterwards.
pub fn verify_path(next: Option<&str>) -> String {
    match safe_next(next) {
        "/portal" => "/portal/login/verify".to_owned(),
        // `safe_next` keeps printable ASCII only: escaping all but the unreserved characters
        // is enough.
        n => {
            let escaped: String = n
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            format!("/portal/login/verify?next={escaped}")
        }
    }
}

/// Where a sign-in goes once the person is identified: signed in and on (`next`), or, for an
/// account with a second factor, to the page that asks for the code, with the challenge in
/// its own HttpOnly cookie (no session yet). Every sign-in method's server function or
/// callback ends here with what `Services::begin_sign_in` answered.
#[cfg(feature = "ssr")]
pub(crate) fn continue_sign_in(step: keyport_core::services::mfa::SignInStep, next: Option<&str>) -> Result<(), AppError> {
    use keyport_core::services::mfa::SignInStep;
    let svc = ssr::services()?;
    ssr::forget_form();
    match step {
        SignInStep::Session(_, token) => {
            ssr::clear_signin_cookie();
            ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
            ssr::redirect(safe_next(next));
        }
        SignInStep::SecondFactor(challenge) => {
            ssr::set_signin_cookie(&challenge);
            ssr::redirect(&verify_path(next));
        }
    }
    Ok(())
}

/// Signs in, then sends the browser on (`next`, a portal path) or to the dashboard; an
/// account with two-factor authentication goes to `/portal/login/verify` first.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use keyport_core::CoreError;
    let svc = ssr::services()?;
    let previous = ssr::session_token();
    match svc.login(&email, &password, &ssr::request_meta(), previous.as_deref()).await {
        Ok(step) => continue_sign_in(step, next.as_deref()),
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

/// The second step of signing in: a code from the authenticator app (or a recovery code)
/// for the challenge in the sign-in cookie. Right, the session opens and the browser goes on
/// (`next`); wrong, the error is on `code`; expired or used up, the person signs in again.
#[server(endpoint = "login/verify")]
pub async fn verify_sign_in(code: String, next: Option<String>) -> Result<(), AppError> {
    use keyport_core::CoreError;
    let svc = ssr::services()?;
    let expired = || keyport_core::validate::FieldError::new("code", "This sign-in has expired. Sign in again with your password.");
    let Some(challenge) = ssr::signin_token() else {
        return Err(CoreError::Invalid(expired()).into());
    };
    let previous = ssr::session_token();
    match svc.complete_sign_in(&challenge, &code, &ssr::request_meta(), previous.as_deref()).await {
        Ok((_, token)) => {
            ssr::clear_signin_cookie();
            ssr::set_session_cookie(&token, svc.config.session_ttl.num_seconds());
            ssr::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        Err(CoreError::Unauthenticated) => {
            ssr::clear_signin_cookie();
            let e = AppError::Invalid { field: "code".into(), message: expired().message };
            if let (false, Some(res)) = (crate::error::plain_form_post(), use_context::<leptos_axum::ResponseOptions>()) {
                res.set_status(http::StatusCode::UNAUTHORIZED);
            }
            Err(e)
        }
        Err(e @ CoreError::TooManyAttempts { .. }) => {
            // A challenge that took its last code is of no more use.
            ssr::clear_signin_cookie();
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Starts setting up two-factor authentication: a new secret, kept on the server, shown on
/// the settings page until a code confirms it.
#[server(endpoint = "account/mfa/setup")]
pub async fn start_totp_setup() -> Result<TotpEnrolment, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let enrolment = ssr::services()?.start_totp_enrolment(&caller).await?;
    ssr::redirect("/portal/settings?mfa=setup#mfa-title");
    Ok(enrolment)
}

/// The set-up in progress, if any (its secret and QR code).
#[server(endpoint = "account/mfa/enrolment")]
pub async fn get_totp_enrolment() -> Result<Option<TotpEnrolment>, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    Ok(ssr::services()?.totp_enrolment(&caller).await?)
}

/// Confirms the set-up with a current code; answers the ten recovery codes (shown once: a
/// plain form gets them on the next page through a sealed cookie).
#[server(endpoint = "account/mfa/confirm")]
pub async fn confirm_totp(code: String) -> Result<Vec<String>, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let codes = ssr::services()?.confirm_totp(&caller, &code, &ssr::request_meta()).await?;
    if ssr::hand_over_recovery_codes(&codes) {
        ssr::redirect("/portal/settings?mfa=on#mfa-title");
        return Ok(Vec::new());
    }
    ssr::redirect("/portal/settings?mfa=on#mfa-title");
    Ok(codes)
}

/// Turns two-factor authentication off, given a current code or a recovery code.
#[server(endpoint = "account/mfa/disable")]
pub async fn disable_totp(code: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    ssr::services()?.disable_totp(&caller, &code, &ssr::request_meta()).await?;
    ssr::redirect("/portal/settings?mfa=off#mfa-title");
    Ok(())
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
    let step = svc.reset_password(&token, &password, &ssr::request_meta()).await?;
    continue_sign_in(step, None)
}

#[cfg(test)]
mod tests {
    use super::{safe_next, verify_path};

    #[test]
    fn sign_in_only_forwards_to_portal_paths() {
        assert_eq!(safe_next(Some("/portal/invite/abc_DEF-1")), "/portal/invite/abc_DEF-1");
        for bad in ["//evil.example", "https://evil.example/portal/", "/portal//evil", "/portal/\\evil", "/other", "", "/portalx", "/portal/x\r\nSet-Cookie: a=b", "/portal/x y", "/portal/\u{e9}", "/portal/x\t"] {
            assert_eq!(safe_next(Some(bad)), "/portal", "{bad}");
        }
        assert_eq!(safe_next(None), "/portal");
    }

    #[test]
    fn the_code_page_keeps_only_a_safe_next() {
        assert_eq!(verify_path(None), "/portal/login/verify");
        assert_eq!(verify_path(Some("//evil")), "/portal/login/verify");
        assert_eq!(verify_path(Some("/portal/invite/a_b")), "/portal/login/verify?next=%2Fportal%2Finvite%2Fa_b");
    }
}

/// Saves the signed-in person's name and which emails they want (checkboxes: present is on).
#[server(endpoint = "account/profile")]
pub async fn update_profile(name: String, quota: Option<String>, expiry: Option<String>, news: Option<String>) -> Result<(), AppError> {
    use keyport_core::services::account::NotifyPrefs;
    let caller = ssr::require_caller().await?;
    let on = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
    let prefs = NotifyPrefs { quota: on(&quota), expiry: on(&expiry), news: on(&news) };
    ssr::services()?.update_profile(&caller, &name, prefs, &ssr::request_meta()).await.inspect_err(|_| {
        ssr::remember_form("account/profile", &[("name", name.as_str())]);
    })?;
    ssr::forget_form();
    ssr::redirect("/portal/settings?profile=saved");
    Ok(())
}

/// Asks to move the signed-in account to another address, confirmed by the current password:
/// a link goes to the new address (the same answer whether or not it has an account).
#[server(endpoint = "account/email")]
pub async fn request_email_change(new_email: String, password: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    ssr::services()?.request_email_change(&caller, &new_email, &password, &ssr::request_meta()).await.inspect_err(|_| {
        ssr::remember_form("account/email", &[("new_email", new_email.as_str())]);
    })?;
    ssr::forget_form();
    ssr::redirect("/portal/settings?email=sent");
    Ok(())
}

/// The current and the new address of an address-change link that still works.
#[server(endpoint = "account/email/check")]
pub async fn check_email_change_link(token: String) -> Result<(String, String), AppError> {
    ssr::no_store();
    Ok(ssr::services()?.check_email_change_link(&token).await?)
}

/// Confirms an address-change link; then to settings when this browser is signed in as that
/// account, else to sign-in.
#[server(endpoint = "account/email/confirm")]
pub async fn confirm_email_change(token: String) -> Result<(), AppError> {
    let svc = ssr::services()?;
    let user_id = svc.confirm_email_change(&token, &ssr::request_meta()).await?;
    let signed_in = match ssr::session_token() {
        Some(t) => svc.authenticate(&t).await?.is_some_and(|c| c.user.id == user_id),
        None => false,
    };
    ssr::redirect(if signed_in { "/portal/settings?email=changed" } else { "/portal/login?email_changed" });
    Ok(())
}
