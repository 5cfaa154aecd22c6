//! Email verification: a new account proves it receives mail at its address by opening an
//! emailed one-time link. Until then (when the provider asks for it, `signup.require_verification`)
//! it can sign in and look around but cannot create live keys.

use crate::crypto::{new_id, sha256_hex};
use crate::entity::{email_verification, user};
use crate::error::CoreError;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::Caller;
use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailContent, SignupAttempt, VerifyEmail};
use crate::services::Services;
use crate::validate::{Email, FieldError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// How long a verification link works.
pub const VERIFY_TTL_HOURS: i64 = 24;
/// Verification emails one account may ask for per minute.
pub const VERIFY_RESENDS_PER_MINUTE: u64 = 2;
/// "Someone tried to sign up with your address" emails per address per minute; more
/// attempts get the same answer at the form and no email (so the form cannot flood a mailbox).
pub const SIGNUP_NOTICES_PER_MINUTE: u64 = 1;

/// The refusal of a verification link that is unknown, used, replaced or expired.
fn link_refused() -> CoreError {
    CoreError::Conflict("This confirmation link has expired or was already used. Sign in and send yourself a new one from the dashboard.".into())
}

impl Services {
    /// Queues the email with a one-time link that confirms `email` belongs to `user_id`, on
    /// `db` (the caller's transaction); older links of the account stop working.
    pub(crate) async fn queue_verification<C: sea_orm::ConnectionTrait>(&self, db: &C, user_id: &str, email: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        email_verification::Entity::delete_many()
            .filter(email_verification::Column::UserId.eq(user_id))
            .filter(email_verification::Column::UsedAt.is_null())
            .exec(db)
            .await?;
        let content = EmailContent::VerifyEmail(VerifyEmail { email: email.to_owned(), ip: meta.ip.to_string(), hours: VERIFY_TTL_HOURS });
        let queued = self.enqueue_email(db, NewEmail { team_id: None, to: email, content }).await?;
        let token = queued.token.ok_or_else(|| CoreError::Internal("a verification email without its link".into()))?;
        let now = self.now();
        email_verification::ActiveModel {
            id: Set(new_id("evf")),
            user_id: Set(user_id.to_owned()),
            token_hash: Set(sha256_hex(token.expose())),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::hours(VERIFY_TTL_HOURS)),
            used_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(())
    }

    /// Tells the owner of an existing account that someone tried to sign up with its address
    /// (at most once a minute per address; the sign-up form answers the same either way).
    pub(crate) async fn notify_signup_attempt(&self, email: &Email, meta: &RequestMeta) -> Result<(), CoreError> {
        let now = self.now().timestamp();
        if !self.login_limiter.check(&format!("signup-notice:{}", email.as_str()), SIGNUP_NOTICES_PER_MINUTE, 60, now).allowed {
            tracing::info!("sign-up attempt for an existing address; its owner was told within the last minute");
            return Ok(());
        }
        let base = self.settings().base_url.trim_end_matches('/').to_owned();
        let content = EmailContent::SignupAttempt(SignupAttempt {
            email: email.as_str().to_owned(),
            ip: meta.ip.to_string(),
            login_url: format!("{base}/portal/login"),
            forgot_url: format!("{base}/portal/forgot"),
        });
        self.enqueue_email(&self.db, NewEmail { team_id: None, to: email.as_str(), content }).await?;
        self.wake_outbox();
        Ok(())
    }

    /// The address a verification link is for, if the link still works (for the page that
    /// asks to confirm).
    pub async fn check_verification_link(&self, token: &str) -> Result<String, CoreError> {
        let (_, u) = self.live_verification(&self.db, token).await?;
        Ok(u.email)
    }

    async fn live_verification<C: sea_orm::ConnectionTrait>(&self, db: &C, token: &str) -> Result<(email_verification::Model, user::Model), CoreError> {
        if token.is_empty() || token.len() > 128 {
            return Err(link_refused());
        }
        let Some(v) = email_verification::Entity::find().filter(email_verification::Column::TokenHash.eq(sha256_hex(token))).one(db).await? else {
            return Err(link_refused());
        };
        if v.used_at.is_some() || v.expires_at <= self.now() {
            return Err(link_refused());
        }
        let u = user::Entity::find_by_id(v.user_id.clone()).one(db).await?.ok_or_else(link_refused)?;
        Ok((v, u))
    }

    /// Confirms an address through its link: the link is used up (once, even from two tabs)
    /// and the account counts as verified from now on. Returns the account's id and address.
    /// It signs nobody in: whoever holds the link still signs in as usual (with a second
    /// factor, if the account has one).
    pub async fn verify_email(&self, token: &str, meta: &RequestMeta) -> Result<(String, String), CoreError> {
        let txn = self.begin_write().await?;
        let (v, u) = self.live_verification(&txn, token).await?;
        let now = self.now();
        let used = email_verification::Entity::update_many()
            .col_expr(email_verification::Column::UsedAt, Expr::value(now))
            .filter(email_verification::Column::Id.eq(&v.id))
            .filter(email_verification::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(link_refused());
        }
        let first = u.email_verified_at.is_none();
        if first {
            user::Entity::update_many()
                .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
                .filter(user::Column::Id.eq(&u.id))
                .exec(&txn)
                .await?;
            let entry = AuditEntry { team_id: None, actor_user_id: Some(&u.id), actor_email: Some(&u.email), action: AuditAction::EmailVerified, object: None, detail: None, by_provider: false };
            self.audit(&txn, meta, entry).await?;
            if let Some(caller) = self.personal_caller(&txn, &u).await? {
                self.queue_welcome(&txn, &caller).await?;
            }
        }
        txn.commit().await?;
        self.wake_outbox();
        tracing::info!(user_id = %u.id, "email address verified");
        Ok((u.id, u.email))
    }

    /// The account as the caller in its personal team, for the welcome email.
    async fn personal_caller<C: sea_orm::ConnectionTrait>(&self, db: &C, u: &user::Model) -> Result<Option<Caller>, CoreError> {
        use crate::entity::{membership, team};
        let teams = membership::Entity::find().filter(membership::Column::UserId.eq(&u.id)).all(db).await?;
        for m in teams {
            if let Some(t) = team::Entity::find_by_id(m.team_id.clone()).one(db).await? {
                if t.personal {
                    return Ok(Some(Caller {
                        user: crate::dto::UserView { id: u.id.clone(), email: u.email.clone() },
                        team: crate::dto::TeamView { id: t.id, name: t.name },
                        role: crate::roles::Role::Owner,
                        as_provider: false,
                        needs_second_factor: false,
                    }));
                }
            }
        }
        Ok(None)
    }

    /// Sends the signed-in caller a new verification link (older ones stop working).
    pub async fn resend_verification(&self, caller: &Caller, meta: &RequestMeta) -> Result<(), CoreError> {
        let u = user::Entity::find_by_id(caller.user.id.clone()).one(&self.db).await?.ok_or(CoreError::Unauthenticated)?;
        if u.email_verified_at.is_some() {
            return Err(CoreError::Conflict("Your email address is already confirmed.".into()));
        }
        let now = self.now().timestamp();
        let d = self.login_limiter.check(&format!("verify:{}", u.id), VERIFY_RESENDS_PER_MINUTE, 60, now);
        if !d.allowed {
            return Err(CoreError::TooManyAttempts { retry_after: (d.reset - now).max(1) as u64 });
        }
        let txn = self.begin_write().await?;
        self.queue_verification(&txn, &u.id, &u.email, meta).await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(())
    }

    /// Deletes confirmation links a day past their expiry (used or not: they open nothing).
    pub async fn prune_verification_links(&self) -> Result<u64, CoreError> {
        let cutoff = self.now() - chrono::Duration::days(1);
        let gone = email_verification::Entity::delete_many().filter(email_verification::Column::ExpiresAt.lt(cutoff)).exec(&self.db).await?;
        Ok(gone.rows_affected)
    }

    /// Whether the account must still confirm its address before it may create live keys.
    pub async fn verification_pending(&self, user_id: &str) -> Result<bool, CoreError> {
        if !self.settings().require_verification {
            return Ok(false);
        }
        let u = user::Entity::find_by_id(user_id.to_owned()).one(&self.db).await?;
        Ok(u.is_some_and(|u| u.email_verified_at.is_none()))
    }

    /// Refuses a live key to an account that has not confirmed its address yet, when the
    /// provider asks for confirmation. The provider's own admins are not held to it.
    pub(crate) async fn require_verified_for_live(&self, caller: &Caller, live: bool) -> Result<(), CoreError> {
        if live && !caller.as_provider && self.verification_pending(&caller.user.id).await? {
            return Err(FieldError::new(
                "environment",
                "Confirm your email address to create live keys: open the link we emailed you, or send a new one from the dashboard. Test keys work meanwhile.",
            )
            .into());
        }
        Ok(())
    }
}
