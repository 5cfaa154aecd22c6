//! Invitations: an owner or admin invites an email address with a role; the link in the email
//! lets that address (and only it) join, once, within seven days.

use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::{Caller, SessionToken};
use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailContent, Invitation};
use crate::services::Services;
use crate::crypto::{new_id, sha256_hex};
use crate::dto::{InvitationPreview, InvitationState, InvitationView, TeamView};
use crate::entity::{invitation, membership, team, user};
use crate::error::CoreError;
use crate::roles::{Action, Role};
use crate::validate::{Email, FieldError, Password};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use tracing::instrument;

/// How long an invitation link works.
pub const INVITATION_TTL_DAYS: i64 = 7;
/// The longest personal message.
pub const MESSAGE_MAX_CHARS: usize = 300;
/// Invitation emails one address may get, across every team: (window in seconds, count, the
/// window for people). Revoked invitations and resends count.
const INVITES_PER_ADDRESS: &[(i64, u64, &str)] = &[(3600, 5, "hour"), (86_400, 10, "day")];
/// Invitation emails one team may send.
const INVITES_PER_TEAM: &[(i64, u64, &str)] = &[(3600, 30, "hour"), (86_400, 100, "day")];
/// The shortest wait between two sends of the same invitation.
const RESEND_INTERVAL_SECONDS: i64 = 60;

/// Parses the optional personal message: trimmed, bounded, no control characters but newlines.
pub fn parse_message(input: &str) -> Result<Option<String>, FieldError> {
    let m = input.trim();
    if m.is_empty() {
        return Ok(None);
    }
    if m.chars().count() > MESSAGE_MAX_CHARS {
        return Err(FieldError::new("message", format!("Keep the message under {MESSAGE_MAX_CHARS} characters.")));
    }
    // The email goes out under the operator's name: it must not carry someone's links.
    let lower = m.to_lowercase();
    if ["://", "www.", "mailto:", "href"].iter().any(|l| lower.contains(l)) {
        return Err(FieldError::new("message", "Links are not allowed in the message; the email carries the one link it needs."));
    }
    if m.lines().count() > 10 {
        return Err(FieldError::new("message", "Keep the message to 10 lines or fewer."));
    }
    Ok(Some(m.chars().filter(|c| *c == '\n' || !c.is_control()).collect()))
}

fn state_of(i: &invitation::Model, now: DateTime<Utc>) -> InvitationState {
    if i.accepted_at.is_some() {
        InvitationState::Accepted
    } else if i.revoked_at.is_some() {
        InvitationState::Revoked
    } else if i.expires_at <= now {
        InvitationState::Expired
    } else {
        InvitationState::Pending
    }
}

/// Why a link cannot be used, for people.
fn refusal(state: InvitationState) -> CoreError {
    CoreError::Conflict(
        match state {
            InvitationState::Accepted => "This invitation has already been used.",
            InvitationState::Revoked => "This invitation was withdrawn by the team.",
            InvitationState::Expired => "This invitation has expired. Ask the team for a new one.",
            InvitationState::Pending => "This invitation cannot be used.",
        }
        .into(),
    )
}

impl Services {
    /// Queues the invitation email inside `txn`, after checking the throttles. Returns the
    /// hash of the link's token (the token itself is only ever in the delivered message).
    async fn send_invitation<C: ConnectionTrait>(&self, txn: &C, caller: &Caller, to: &str, role: Role, message: Option<&str>, expires: DateTime<Utc>) -> Result<String, CoreError> {
        self.check_invitation_throttle(txn, &caller.team.id, to).await?;
        let content = EmailContent::Invitation(Invitation {
            inviter: caller.user.email.clone(),
            team: caller.team.name.clone(),
            role: role.label().to_lowercase(),
            to: to.to_owned(),
            message: message.map(|m| m.lines().map(str::to_owned).collect()),
            expires: expires.format("%d %b %Y %H:%M").to_string(),
        });
        let email = NewEmail { team_id: Some(&caller.team.id), to, content };
        let queued = self.enqueue_email(txn, email).await?;
        let token = queued.token.ok_or_else(|| CoreError::Internal("an invitation email without its link".into()))?;
        Ok(sha256_hex(token.expose()))
    }

    /// Refuses an invitation email beyond the limits: per team and per recipient address
    /// (across every team), counted from the invitation emails already queued, so revoking
    /// and inviting again, or resending, counts too.
    async fn check_invitation_throttle<C: ConnectionTrait>(&self, txn: &C, team_id: &str, to: &str) -> Result<(), CoreError> {
        use crate::entity::outbox_email;
        use sea_orm::PaginatorTrait;
        let sent = outbox_email::Entity::find().filter(outbox_email::Column::Kind.eq("invitation"));
        let checks = [
            (sent.clone().filter(outbox_email::Column::ToAddress.eq(to)), INVITES_PER_ADDRESS, true),
            (sent.filter(outbox_email::Column::TeamId.eq(team_id)), INVITES_PER_TEAM, false),
        ];
        for (query, limits, per_address) in checks {
            for (window, limit, what) in limits {
                let since = self.now() - Duration::seconds(*window);
                if query.clone().filter(outbox_email::Column::CreatedAt.gt(since)).count(txn).await? >= *limit {
                    let message = if per_address {
                        format!("{to} was sent {limit} invitations in the last {what}. Wait before inviting this address again.")
                    } else {
                        format!("This team sent {limit} invitations in the last {what}, the most allowed. Try again later.")
                    };
                    return Err(CoreError::Throttled { retry_after: *window as u64, message });
                }
            }
        }
        Ok(())
    }

    /// Invites `email` into the active team with `role`. The answer is the same whether or not
    /// the address has an account.
    #[instrument(skip_all, fields(team_id = %caller.team.id))]
    pub async fn invite(&self, caller: &Caller, email: &str, role: &str, message: &str, meta: &RequestMeta) -> Result<InvitationView, CoreError> {
        caller.require(Action::ManageInvitations)?;
        if email.trim().is_empty() {
            return Err(FieldError::new("email", "Enter the address to send the invitation to.").into());
        }
        let email = Email::parse(email)?;
        let role = Role::parse(role).ok_or_else(|| FieldError::new("role", "Choose a role."))?;
        if !caller.role.at_least(role) {
            return Err(FieldError::new("role", "You can only invite people with a role up to your own.").into());
        }
        let message = parse_message(message)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        crate::services::members::lock_team(&txn, &caller.team.id).await?;
        if let Some(u) = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&txn).await? {
            if membership::Entity::find_by_id((caller.team.id.clone(), u.id)).one(&txn).await?.is_some() {
                return Err(FieldError::new("email", "This person is already a member of the team.").into());
            }
        }
        let pending = invitation::Entity::find()
            .filter(invitation::Column::TeamId.eq(&caller.team.id))
            .filter(invitation::Column::Email.eq(email.as_str()))
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .filter(invitation::Column::ExpiresAt.gt(now))
            .one(&txn)
            .await?;
        if pending.is_some() {
            return Err(FieldError::new("email", "An invitation to this address is already pending. Resend it from the list instead.").into());
        }
        let id = new_id("inv");
        let expires = now + Duration::days(INVITATION_TTL_DAYS);
        let token_hash = self.send_invitation(&txn, caller, email.as_str(), role, message.as_deref(), expires).await?;
        invitation::ActiveModel {
            id: Set(id.clone()),
            team_id: Set(caller.team.id.clone()),
            email: Set(email.as_str().to_owned()),
            role: Set(role.as_str().to_owned()),
            message: Set(message.clone()),
            token_hash: Set(token_hash),
            invited_by: Set(caller.user.id.clone()),
            created_at: Set(now),
            expires_at: Set(expires),
            last_sent_at: Set(now),
            accepted_at: Set(None),
            accepted_by: Set(None),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let entry = caller.entry(AuditAction::InvitationSent, ("invitation", &id)).with_detail(format!("{} as {}", email.as_str(), role.as_str()));
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        self.wake_outbox();
        tracing::info!(invitation_id = %id, "invitation sent");
        Ok(InvitationView { id, email: email.as_str().to_owned(), role, invited_by: caller.user.email.clone(), sent_at: now, expires_at: expires, expired: false })
    }

    async fn team_invitation<C: ConnectionTrait>(&self, db: &C, caller: &Caller, id: &str) -> Result<invitation::Model, CoreError> {
        invitation::Entity::find_by_id(id.to_owned())
            .filter(invitation::Column::TeamId.eq(&caller.team.id))
            .one(db)
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// Sends a pending (or expired, not yet used) invitation again with a new link, valid for
    /// another seven days; the old link stops working.
    #[instrument(skip_all, fields(team_id = %caller.team.id, invitation_id = %id))]
    pub async fn resend_invitation(&self, caller: &Caller, id: &str, meta: &RequestMeta) -> Result<InvitationView, CoreError> {
        caller.require(Action::ManageInvitations)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let inv = self.team_invitation(&txn, caller, id).await?;
        let state = state_of(&inv, now);
        if matches!(state, InvitationState::Accepted | InvitationState::Revoked) {
            return Err(refusal(state));
        }
        if now - inv.last_sent_at < Duration::seconds(RESEND_INTERVAL_SECONDS) {
            return Err(CoreError::Conflict("This invitation was sent less than a minute ago. Give it a moment to arrive.".into()));
        }
        let role = Role::parse(&inv.role).unwrap_or(Role::Viewer);
        if !caller.role.at_least(role) {
            return Err(CoreError::Forbidden);
        }
        let expires = now + Duration::days(INVITATION_TTL_DAYS);
        let email = inv.email.clone();
        let message = inv.message.clone();
        let token_hash = self.send_invitation(&txn, caller, &email, role, message.as_deref(), expires).await?;
        let mut am: invitation::ActiveModel = inv.into();
        am.token_hash = Set(token_hash);
        am.expires_at = Set(expires);
        am.last_sent_at = Set(now);
        am.update(&txn).await?;
        let entry = caller.entry(AuditAction::InvitationSent, ("invitation", id)).with_detail(format!("{email} as {} (resent)", role.as_str()));
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(InvitationView { id: id.to_owned(), email, role, invited_by: caller.user.email.clone(), sent_at: now, expires_at: expires, expired: false })
    }

    /// Withdraws an invitation; its link stops working at once.
    #[instrument(skip_all, fields(team_id = %caller.team.id, invitation_id = %id))]
    pub async fn revoke_invitation(&self, caller: &Caller, id: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        caller.require(Action::ManageInvitations)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let inv = self.team_invitation(&txn, caller, id).await?;
        if inv.accepted_at.is_some() || inv.revoked_at.is_some() {
            return Err(refusal(state_of(&inv, now)));
        }
        let email = inv.email.clone();
        let mut am: invitation::ActiveModel = inv.into();
        am.revoked_at = Set(Some(now));
        am.update(&txn).await?;
        let entry = caller.entry(AuditAction::InvitationRevoked, ("invitation", id)).with_detail(email);
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The active team's invitations that were neither used nor withdrawn, newest first.
    pub async fn list_invitations(&self, caller: &Caller) -> Result<Vec<InvitationView>, CoreError> {
        caller.require(Action::ManageInvitations)?;
        let now = self.now();
        let rows = invitation::Entity::find()
            .filter(invitation::Column::TeamId.eq(&caller.team.id))
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .order_by_desc(invitation::Column::LastSentAt)
            .all(&self.db)
            .await?;
        let inviter_ids: Vec<String> = rows.iter().map(|r| r.invited_by.clone()).collect();
        let inviters = user::Entity::find().filter(user::Column::Id.is_in(inviter_ids)).all(&self.db).await?;
        Ok(rows
            .into_iter()
            .map(|r| InvitationView {
                invited_by: inviters.iter().find(|u| u.id == r.invited_by).map(|u| u.email.clone()).unwrap_or_default(),
                role: Role::parse(&r.role).unwrap_or(Role::Viewer),
                expired: r.expires_at <= now,
                id: r.id,
                email: r.email,
                sent_at: r.last_sent_at,
                expires_at: r.expires_at,
            })
            .collect())
    }

    async fn invitation_by_token<C: ConnectionTrait>(&self, db: &C, token: &str) -> Result<invitation::Model, CoreError> {
        if token.is_empty() || token.len() > 128 {
            return Err(CoreError::NotFound);
        }
        invitation::Entity::find()
            .filter(invitation::Column::TokenHash.eq(sha256_hex(token)))
            .one(db)
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// What the invitation page shows for a link. Unknown links are "not found".
    pub async fn preview_invitation(&self, token: &str, viewer: Option<&Caller>) -> Result<InvitationPreview, CoreError> {
        let inv = self.invitation_by_token(&self.db, token).await?;
        let team = team::Entity::find_by_id(inv.team_id.clone()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let inviter = user::Entity::find_by_id(inv.invited_by.clone()).one(&self.db).await?.map(|u| u.email).unwrap_or_default();
        Ok(InvitationPreview {
            state: state_of(&inv, self.now()),
            team_name: team.name,
            invited_by: inviter,
            role: Role::parse(&inv.role).unwrap_or(Role::Viewer),
            message: inv.message,
            expires_at: inv.expires_at,
            email: inv.email,
            signed_in_as: viewer.map(|c| c.user.email.clone()),
        })
    }

    /// Marks the invitation used by `user_id` and adds the membership, inside `txn`. The
    /// conditional update makes the link single-use even when two tabs accept at once.
    async fn join_by_invitation<C: ConnectionTrait>(&self, txn: &C, inv: &invitation::Model, user_id: &str, user_email: &str, meta: &RequestMeta) -> Result<TeamView, CoreError> {
        let now = self.now();
        let state = state_of(inv, now);
        if state != InvitationState::Pending {
            return Err(refusal(state));
        }
        if inv.email != user_email {
            return Err(CoreError::Conflict(format!(
                "This invitation was sent to {}. Sign in with that address to accept it.",
                inv.email
            )));
        }
        if membership::Entity::find_by_id((inv.team_id.clone(), user_id.to_owned())).one(txn).await?.is_some() {
            return Err(CoreError::Conflict("You are already a member of this team.".into()));
        }
        let used = invitation::Entity::update_many()
            .col_expr(invitation::Column::AcceptedAt, Expr::value(Some(now)))
            .col_expr(invitation::Column::AcceptedBy, Expr::value(Some(user_id.to_owned())))
            .filter(invitation::Column::Id.eq(&inv.id))
            .filter(invitation::Column::TokenHash.eq(&inv.token_hash))
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .filter(invitation::Column::ExpiresAt.gt(now))
            .exec(txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(refusal(InvitationState::Accepted));
        }
        let role = Role::parse(&inv.role).unwrap_or(Role::Viewer);
        membership::ActiveModel {
            team_id: Set(inv.team_id.clone()),
            user_id: Set(user_id.to_owned()),
            role: Set(role.as_str().to_owned()),
            created_at: Set(now),
            last_active_at: Set(None),
        }
        .insert(txn)
        .await?;
        let entry = AuditEntry {
            team_id: Some(&inv.team_id),
            actor_user_id: Some(user_id),
            actor_email: Some(user_email),
            action: AuditAction::InvitationAccepted,
            object: Some(("invitation", &inv.id)),
            detail: Some(format!("joined as {}", role.as_str())),
            by_provider: false,
        };
        self.audit(txn, meta, entry).await?;
        let team = team::Entity::find_by_id(inv.team_id.clone()).one(txn).await?.ok_or(CoreError::NotFound)?;
        Ok(TeamView { id: team.id, name: team.name })
    }

    /// A signed-in user accepts an invitation sent to their address.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn accept_invitation(&self, caller: &Caller, token: &str, meta: &RequestMeta) -> Result<TeamView, CoreError> {
        let txn = self.begin_write().await?;
        let inv = self.invitation_by_token(&txn, token).await?;
        let team = self.join_by_invitation(&txn, &inv, &caller.user.id, &caller.user.email, meta).await?;
        txn.commit().await?;
        tracing::info!(team_id = %team.id, "invitation accepted");
        Ok(team)
    }

    /// Someone new accepts: the account (with the invited address and their answers to the
    /// sign-up questions, checked as on the sign-up page), its personal team, the membership
    /// and a session are created together, or nothing is.
    #[instrument(skip_all)]
    pub async fn accept_invitation_with_signup(
        &self,
        token: &str,
        password: &str,
        answers: &std::collections::BTreeMap<String, String>,
        meta: &RequestMeta,
    ) -> Result<(Caller, SessionToken), CoreError> {
        let inv = self.invitation_by_token(&self.db, token).await?;
        let state = state_of(&inv, self.now());
        if state != InvitationState::Pending {
            return Err(refusal(state));
        }
        let password = Password::parse(password)?;
        let answers = self.signup_answers(answers)?;
        let email = Email::parse(&inv.email)?;
        self.throttle_signup(meta)?;
        let hash = self.passwords.hash(&password).await?;
        let txn = self.begin_write().await?;
        let account = self.create_account(&txn, &email, hash, answers, true).await.map_err(|e| match e {
            CoreError::Invalid(f) if f.field == "email" => CoreError::Conflict(
                "An account with this address already exists. Sign in to accept the invitation.".into(),
            ),
            e => e,
        })?;
        let team = self.join_by_invitation(&txn, &inv, &account.user.id, &account.user.email, meta).await?;
        let token = self.insert_session(&txn, &account.user.id, meta).await?;
        self.queue_welcome(&txn, &account).await?;
        txn.commit().await?;
        self.wake_outbox();
        tracing::info!(user_id = %account.user.id, team_id = %team.id, "account created from an invitation");
        let caller = Caller { user: account.user, team, role: Role::parse(&inv.role).unwrap_or(Role::Viewer), as_provider: false, needs_second_factor: false };
        Ok((caller, token))
    }
}
