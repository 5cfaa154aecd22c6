//! Moving an account to another address. The signed-in person asks with their password; a
//! one-time link goes to the new address and the account moves only when that link is
//! confirmed (a form post, so a mail scanner fetching links cannot confirm it). The old
//! address is told once the change is made. An address that already has an account gets the
//! same answer at the form (nobody learns who has an account here) and its owner an email.

use crate::crypto::{new_id, random_token, sha256_hex};
use crate::entity::{email_change, user};
use crate::error::CoreError;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::Caller;
use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailChange, EmailChangeTaken, EmailChanged, EmailContent};
use crate::services::Services;
use crate::validate::{Email, FieldError, Password};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// How long a link to confirm a new address works.
pub const EMAIL_CHANGE_TTL_HOURS: i64 = 24;
/// Address changes one account may ask for per minute (each costs an argon2 check and an
/// email to an address of the asker's choosing).
pub const EMAIL_CHANGES_PER_MINUTE: u64 = 3;

fn link_refused() -> CoreError {
    CoreError::Conflict("This link has expired, was already used or was replaced by a newer one. Ask for the change again from your settings.".into())
}

/// Deletes the address-change links of `user_id` not used yet (a newer request, a password
/// change or reset: whoever asked with the old password cannot finish the move).
pub(crate) async fn void_email_changes<C: sea_orm::ConnectionTrait>(db: &C, user_id: &str) -> Result<(), CoreError> {
    email_change::Entity::delete_many()
        .filter(email_change::Column::UserId.eq(user_id))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

impl Services {
    /// Asks to move the caller's account to `new_email`, confirmed by the current password.
    /// Returns the normalised address the link went to (the same answer when that address
    /// already has an account: its owner is told instead, and nothing changes).
    pub async fn request_email_change(&self, caller: &Caller, new_email: &str, password: &str, meta: &RequestMeta) -> Result<String, CoreError> {
        let new = Email::parse(new_email).map_err(|e| CoreError::Invalid(FieldError::new("new_email", e.message)))?;
        if password.is_empty() {
            return Err(CoreError::Invalid(FieldError::new("password", "Enter your current password.")));
        }
        let Some(u) = user::Entity::find_by_id(caller.user.id.clone()).one(&self.db).await? else {
            return Err(CoreError::Unauthenticated);
        };
        if u.managed {
            return Err(CoreError::Invalid(FieldError::new("new_email", "Your address comes from the site you signed in through; change it there.")));
        }
        if !crate::services::sso::has_password(&u.password_hash) {
            return Err(CoreError::Invalid(FieldError::new(
                "password",
                "Your account has no password yet (you sign in through single sign-on): set one with “Forgot your password?” on the sign-in page first.",
            )));
        }
        if new.as_str() == u.email {
            return Err(CoreError::Invalid(FieldError::new("new_email", "That is already your address.")));
        }
        let now = self.now();
        let d = self.login_limiter.check(&format!("email-change:{}", u.id), EMAIL_CHANGES_PER_MINUTE, 60, now.timestamp());
        if !d.allowed {
            return Err(CoreError::TooManyAttempts { retry_after: (d.reset - now.timestamp()).max(1) as u64 });
        }
        let password_ok = match Password::for_login(password) {
            Ok(p) => self.passwords.verify(&p, Some(u.password_hash.clone())).await?,
            Err(_) => false,
        };
        if !password_ok {
            return Err(CoreError::Invalid(FieldError::new("password", "Your current password is not correct.")));
        }
        let taken = user::Entity::find().filter(user::Column::Email.eq(new.as_str())).one(&self.db).await?.is_some();
        let txn = self.begin_write().await?;
        // Only the newest request's link works.
        void_email_changes(&txn, &u.id).await?;
        let token_hash = if taken {
            let content = EmailContent::EmailChangeTaken(EmailChangeTaken {
                email: new.as_str().to_owned(),
                ip: meta.ip.clone(),
                login_url: format!("{}/portal/login", self.settings().base_url.trim_end_matches('/')),
            });
            self.enqueue_email(&txn, NewEmail { team_id: None, to: new.as_str(), content }).await?;
            tracing::info!(user_id = %u.id, "address change asked for an address that has an account; its owner is told");
            // A pending change all the same, so the settings page looks the same; its link
            // was never sent to anyone and opens nothing.
            sha256_hex(&random_token(32))
        } else {
            let content = EmailContent::EmailChange(EmailChange { email: u.email.clone(), new_email: new.as_str().to_owned(), ip: meta.ip.clone(), hours: EMAIL_CHANGE_TTL_HOURS });
            let queued = self.enqueue_email(&txn, NewEmail { team_id: None, to: new.as_str(), content }).await?;
            let token = queued.token.ok_or_else(|| CoreError::Internal("an address-change email without its link".into()))?;
            sha256_hex(token.expose())
        };
        email_change::ActiveModel {
            id: Set(new_id("emc")),
            user_id: Set(u.id.clone()),
            new_email: Set(new.as_str().to_owned()),
            token_hash: Set(token_hash),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::hours(EMAIL_CHANGE_TTL_HOURS)),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        // The same entry either way: the trail does not tell who has an account either.
        let entry = AuditEntry {
            team_id: None,
            actor_user_id: Some(&u.id),
            actor_email: Some(&u.email),
            action: AuditAction::EmailChangeRequested,
            object: Some(("user", &u.id)),
            detail: Some(format!("to {}", new.as_str())),
            by_provider: false,
        };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(new.as_str().to_owned())
    }

    async fn live_email_change<C: sea_orm::ConnectionTrait>(&self, db: &C, token: &str) -> Result<(email_change::Model, user::Model), CoreError> {
        if token.is_empty() || token.len() > 128 {
            return Err(link_refused());
        }
        let Some(c) = email_change::Entity::find().filter(email_change::Column::TokenHash.eq(sha256_hex(token))).one(db).await? else {
            return Err(link_refused());
        };
        if c.used_at.is_some() || c.expires_at <= self.now() {
            return Err(link_refused());
        }
        let u = user::Entity::find_by_id(c.user_id.clone()).one(db).await?.ok_or_else(link_refused)?;
        Ok((c, u))
    }

    /// The current and the new address of a change link that still works (for the page that
    /// asks to confirm).
    pub async fn check_email_change_link(&self, token: &str) -> Result<(String, String), CoreError> {
        let (c, u) = self.live_email_change(&self.db, token).await?;
        Ok((u.email, c.new_email))
    }

    /// Confirms a change link: the account moves to the new address (which counts as
    /// verified: the link reached it), the link is used up (once, even from two tabs), the
    /// old address is told, and the change is audited. Returns the account's id. An address
    /// that got an account of its own meanwhile is refused, and nothing changes.
    pub async fn confirm_email_change(&self, token: &str, meta: &RequestMeta) -> Result<String, CoreError> {
        let txn = self.begin_write().await?;
        let (c, u) = self.live_email_change(&txn, token).await?;
        let now = self.now();
        if user::Entity::find().filter(user::Column::Email.eq(&c.new_email)).one(&txn).await?.is_some() {
            return Err(CoreError::Conflict(format!("{} now belongs to another account, so your address stays {}.", c.new_email, u.email)));
        }
        let used = email_change::Entity::update_many()
            .col_expr(email_change::Column::UsedAt, Expr::value(now))
            .filter(email_change::Column::Id.eq(&c.id))
            .filter(email_change::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(link_refused());
        }
        user::Entity::update_many()
            .col_expr(user::Column::Email, Expr::value(c.new_email.clone()))
            .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
            .filter(user::Column::Id.eq(&u.id))
            .exec(&txn)
            .await?;
        let entry = AuditEntry {
            team_id: None,
            actor_user_id: Some(&u.id),
            actor_email: Some(&c.new_email),
            action: AuditAction::EmailChanged,
            object: Some(("user", &u.id)),
            detail: Some(format!("from {} to {}", u.email, c.new_email)),
            by_provider: false,
        };
        self.audit(&txn, meta, entry).await?;
        let notice = EmailChanged {
            email: u.email.clone(),
            new_email: c.new_email.clone(),
            when: now.format("%-d %b %Y at %H:%M UTC").to_string(),
            ip: meta.ip.clone(),
        };
        self.enqueue_email(&txn, NewEmail { team_id: None, to: &u.email, content: EmailContent::EmailChanged(notice) }).await?;
        txn.commit().await?;
        self.wake_outbox();
        tracing::info!(user_id = %u.id, "email address changed");
        Ok(u.id)
    }

    /// The address the caller asked to move to and has not confirmed yet, if any.
    pub async fn pending_email_change(&self, user_id: &str) -> Result<Option<String>, CoreError> {
        let pending = email_change::Entity::find()
            .filter(email_change::Column::UserId.eq(user_id))
            .filter(email_change::Column::UsedAt.is_null())
            .filter(email_change::Column::ExpiresAt.gt(self.now()))
            .one(&self.db)
            .await?;
        Ok(pending.map(|c| c.new_email))
    }

    /// Deletes address-change links a day past their expiry.
    pub async fn prune_email_change_links(&self) -> Result<u64, CoreError> {
        let cutoff = self.now() - chrono::Duration::days(1);
        let gone = email_change::Entity::delete_many().filter(email_change::Column::ExpiresAt.lt(cutoff)).exec(&self.db).await?;
        Ok(gone.rows_affected)
    }
}
