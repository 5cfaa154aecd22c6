//! Server functions of teams: creating and switching, members and roles, invitations, the
//! audit trail and the outbox.

#[allow(unused_imports)]
use super::*;

/// Creates a team owned by the caller and makes it the active team.
#[server(endpoint = "teams/create")]
pub async fn create_team(name: String, description: String) -> Result<TeamView, AppError> {
    let caller = ssr::require_caller().await?;
    let svc = ssr::services()?;
    let team = svc.create_team(&caller, &name, &description, &ssr::request_meta()).await?;
    if let Some(token) = ssr::session_token() {
        svc.switch_team(&token, &caller, &team.id).await?;
    }
    // The dashboard, afresh: every figure on it is the new team's.
    ssr::redirect("/portal");
    Ok(team)
}

/// Makes another of the caller's teams the active one.
#[server(endpoint = "teams/switch")]
pub async fn switch_team(team_id: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    let token = ssr::session_token().ok_or(AppError::Unauthenticated)?;
    ssr::services()?.switch_team(&token, &caller, &team_id).await?;
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
    let team = ssr::services()?.update_team(&caller, &name, &description, &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form("team/update", &[("name", &name), ("description", &description)]))?;
    ssr::forget_form();
    ssr::redirect("/portal/team?saved");
    Ok(team)
}

/// Makes the active team require (`required=true`) or stop requiring two-factor
/// authentication of its members (owners, who must have it on themselves).
#[server(endpoint = "team/require-mfa")]
pub async fn set_team_requires_mfa(required: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    let required = match required.as_str() {
        "true" | "on" => true,
        "false" | "off" => false,
        _ => {
            let e = keyport_core::validate::FieldError::new("require_mfa", "Choose whether the team requires two-factor authentication.");
            return Err(keyport_core::CoreError::Invalid(e).into());
        }
    };
    ssr::services()?.set_team_requires_mfa(&caller, required, &ssr::request_meta()).await?;
    ssr::redirect("/portal/team?mfa=saved");
    Ok(())
}

/// Gives a member of the active team another role.
#[server(endpoint = "team/change-role")]
pub async fn change_role(user_id: String, role: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    ssr::services()?.change_role(&caller, &user_id, &role, &ssr::request_meta()).await?;
    ssr::redirect("/portal/team?role=updated");
    Ok(())
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
    ssr::redirect("/portal");
    Ok(())
}

/// Deletes the active team (owners; `name` must repeat the team's name).
#[server(endpoint = "team/delete")]
pub async fn delete_team(name: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    ssr::services()?.delete_team(&caller, &name, &ssr::request_meta()).await?;
    // On to another of the caller's teams: every figure there is that team's.
    ssr::redirect("/portal");
    Ok(())
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
    let invitation = ssr::services()?.invite(&caller, &email, &role, &message, &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form("invitations/create", &[("email", &email), ("role", &role), ("message", &message)]))?;
    ssr::forget_form();
    ssr::redirect(&format!("/portal/team?invited={}", invitation.id));
    Ok(invitation)
}

/// Sends an invitation again with a fresh link.
#[server(endpoint = "invitations/resend")]
pub async fn resend_invitation(id: String) -> Result<InvitationView, AppError> {
    let caller = ssr::require_caller().await?;
    let invitation = ssr::services()?.resend_invitation(&caller, &id, &ssr::request_meta()).await?;
    ssr::redirect(&format!("/portal/team?resent={}", invitation.id));
    Ok(invitation)
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

/// Someone new creates their account with the invited address and joins in one step,
/// answering the sign-up questions (`signup[name]`) as on the sign-up page.
#[server(endpoint = "invitations/accept-signup")]
pub async fn accept_invitation_signup(token: String, password: String, signup: Option<std::collections::BTreeMap<String, String>>) -> Result<(), AppError> {
    let svc = ssr::services()?;
    let answers = signup.unwrap_or_default();
    let (caller, session) = svc.accept_invitation_with_signup(&token, &password, &answers, &ssr::request_meta()).await.inspect_err(|_| {
        let typed = ssr::typed_answers(&answers);
        ssr::remember_form("invitations/accept-signup", &typed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    })?;
    ssr::forget_form();
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
