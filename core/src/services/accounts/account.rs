//! The signed-in person's own account: password change and the devices (sessions) that are
//! signed in, with a way to sign them out.

use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::{Caller, SessionToken};
use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailContent, PasswordChanged, PasswordReset};
use crate::services::Services;
use crate::crypto::{new_id, sha256_hex};
use crate::dto::{AccountView, SessionView};
use crate::entity::{password_reset, session, user};
use crate::error::CoreError;
use crate::validate::{Email, FieldError, Password};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use tracing::instrument;

/// Password-change attempts allowed per account, per minute (each costs an argon2 hash).
pub const PASSWORD_CHANGES_PER_MINUTE: u64 = 5;
/// How long a password-reset link works.
pub const RESET_TTL_MINUTES: i64 = 60;
/// Reset emails one address may be sent per minute (so the form cannot flood an inbox).
pub const RESETS_PER_MINUTE: u64 = 2;
/// Reset requests allowed per client address per minute.
pub const RESETS_PER_ADDRESS_PER_MINUTE: u64 = 10;

/// Ends every session of `user_id` inside `txn` (after a password change or reset): a stolen
/// cookie dies with the old password, and so does every reset link not used yet, so nobody
/// holding an older link can undo the change, and every address change not confirmed yet
/// (asked for with the old password).
async fn end_every_session<C: sea_orm::ConnectionTrait>(txn: &C, user_id: &str) -> Result<(), CoreError> {
    session::Entity::delete_many().filter(session::Column::UserId.eq(user_id)).exec(txn).await?;
    crate::services::email_change::void_email_changes(txn, user_id).await?;
    void_reset_links(txn, user_id).await
}

/// Deletes the reset links of `user_id` that were not used yet.
async fn void_reset_links<C: sea_orm::ConnectionTrait>(txn: &C, user_id: &str) -> Result<(), CoreError> {
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// What a used, expired or unknown reset link answers.
fn reset_link_refused() -> CoreError {
    CoreError::Conflict("This link has expired or was already used. Ask for a new one.".into())
}

fn audit_entry<'a>(caller: &'a Caller, action: AuditAction, detail: Option<String>) -> AuditEntry<'a> {
    // Account events belong to the person, not to a team: the audit page shows them to the
    // admins of every team the person is in, like sign-ins.
    AuditEntry { team_id: None, actor_user_id: Some(&caller.user.id), actor_email: Some(&caller.user.email), action, object: None, detail, by_provider: false }
}

impl Services {
    /// The caller's account and their live sessions (this one first, then newest first); `current` is the session
    /// token of this request.
    pub async fn account(&self, caller: &Caller, current: &str) -> Result<AccountView, CoreError> {
        let Some(u) = user::Entity::find_by_id(caller.user.id.clone()).one(&self.db).await? else {
            return Err(CoreError::Unauthenticated);
        };
        let current_hash = sha256_hex(current);
        let mut sessions = session::Entity::find()
            .filter(session::Column::UserId.eq(&caller.user.id))
            .filter(session::Column::ExpiresAt.gt(self.now()))
            .order_by_desc(session::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| SessionView {
                current: s.token_hash == current_hash,
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at.unwrap_or(s.created_at),
                expires_at: s.expires_at,
                user_agent: s.user_agent.unwrap_or_default(),
                ip: s.ip.unwrap_or_default(),
            })
            .collect::<Vec<_>>();
        // This browser first, then the others newest first.
        sessions.sort_by_key(|s| !s.current);
        let totp_enabled = self.totp_enabled(&u.id).await?;
        let recovery_codes_left = if totp_enabled { self.recovery_codes_left(&u.id).await? as i64 } else { 0 };
        let has_password = crate::services::sso::has_password(&u.password_hash);
        let identities = self.identities(&caller.user.id, has_password).await?;
        Ok(AccountView {
            email: u.email,
            created_at: u.created_at,
            sessions,
            managed: u.managed,
            totp_enabled,
            recovery_codes_left,
            has_password,
            identities,
            name: u.name,
            notify_quota: u.notify_quota,
            notify_expiry: u.notify_expiry,
            notify_news: u.notify_news,
            pending_email: self.pending_email_change(&u.id).await?,
        })
    }

    /// Changes the caller's password after checking the current one. Every session of the
    /// account ends, this one included, and a new session is returned for this browser: a
    /// stolen cookie dies with the old password. The owner of the address gets an email, so a
    /// change they did not make does not go unnoticed.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn change_password(&self, caller: &Caller, current: &str, new: &str, meta: &RequestMeta) -> Result<SessionToken, CoreError> {
        if current.is_empty() {
            return Err(CoreError::Invalid(FieldError::new("current_password", "Enter your current password.")));
        }
        let new_password = Password::parse(new).map_err(|e| CoreError::Invalid(FieldError::new("new_password", e.message)))?;
        if new == current {
            return Err(CoreError::Invalid(FieldError::new("new_password", "Choose a password different from your current one.")));
        }
        let now = self.now().timestamp();
        let d = self.login_limiter.check(&format!("password:{}", caller.user.id), PASSWORD_CHANGES_PER_MINUTE, 60, now);
        if !d.allowed {
            return Err(CoreError::TooManyAttempts { retry_after: (d.reset - now).max(1) as u64 });
        }
        let Some(u) = user::Entity::find_by_id(caller.user.id.clone()).one(&self.db).await? else {
            return Err(CoreError::Unauthenticated);
        };
        let current_ok = match Password::for_login(current) {
            Ok(p) => self.passwords.verify(&p, Some(u.password_hash.clone())).await?,
            Err(_) => false,
        };
        if !current_ok {
            return Err(CoreError::Invalid(FieldError::new("current_password", "Your current password is not correct.")));
        }
        let hash = self.passwords.hash(&new_password).await?;
        let txn = self.begin_write().await?;
        let mut active: user::ActiveModel = u.into();
        active.password_hash = Set(hash);
        active.update(&txn).await?;
        end_every_session(&txn, &caller.user.id).await?;
        let token = self.insert_session(&txn, &caller.user.id, meta).await?;
        self.audit(&txn, meta, audit_entry(caller, AuditAction::PasswordChanged, None)).await?;
        let changed = PasswordChanged {
            email: caller.user.email.clone(),
            when: self.now().format("%-d %b %Y at %H:%M UTC").to_string(),
            ip: meta.ip.to_string(),
            forgot_url: format!("{}/portal/forgot", self.settings().base_url),
        };
        let email = NewEmail { team_id: None, to: &caller.user.email, content: EmailContent::PasswordChanged(changed) };
        self.enqueue_email(&txn, email).await?;
        txn.commit().await?;
        self.wake_outbox();
        tracing::info!("password changed; other sessions ended");
        Ok(token)
    }

    /// Signs out one of the caller's sessions (another device). The current session is
    /// refused (signing out is for that); another person's session is not found.
    pub async fn end_session(&self, caller: &Caller, current: &str, session_id: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        let Some(s) = session::Entity::find_by_id(session_id.to_owned())
            .filter(session::Column::UserId.eq(&caller.user.id))
            .one(&self.db)
            .await?
        else {
            return Err(CoreError::NotFound);
        };
        if s.token_hash == sha256_hex(current) {
            return Err(CoreError::Invalid(FieldError::new("session", "This is the session you are using: sign out instead.")));
        }
        let txn = self.begin_write().await?;
        session::Entity::delete_by_id(s.id).exec(&txn).await?;
        let detail = format!("1 session ({})", crate::dto::device_label(s.user_agent.as_deref().unwrap_or("")));
        self.audit(&txn, meta, audit_entry(caller, AuditAction::SessionsEnded, Some(detail))).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Signs out every session of the caller but the current one. Returns how many ended.
    pub async fn end_other_sessions(&self, caller: &Caller, current: &str, meta: &RequestMeta) -> Result<u64, CoreError> {
        let txn = self.begin_write().await?;
        let ended = session::Entity::delete_many()
            .filter(session::Column::UserId.eq(&caller.user.id))
            .filter(session::Column::TokenHash.ne(sha256_hex(current)))
            .exec(&txn)
            .await?
            .rows_affected;
        // Whoever else was signed in may also have asked for a reset link.
        void_reset_links(&txn, &caller.user.id).await?;
        if ended > 0 {
            let detail = format!("{ended} session{}", if ended == 1 { "" } else { "s" });
            self.audit(&txn, meta, audit_entry(caller, AuditAction::SessionsEnded, Some(detail))).await?;
        }
        txn.commit().await?;
        Ok(ended)
    }

    /// Sends a one-time link to set a new password, if the address has an account. The answer
    /// is the same either way (nobody learns who has an account here), and so is the work
    /// visible from outside: the email goes through the outbox.
    #[instrument(skip_all)]
    pub async fn request_password_reset(&self, email: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        let email = Email::parse(email)?;
        let now = self.now();
        // The sign-in limiter's one-minute windows (it is pruned by the minute).
        for (id, limit) in [(format!("reset:{}", email.as_str()), RESETS_PER_MINUTE), (format!("reset-addr:{}", meta.ip), RESETS_PER_ADDRESS_PER_MINUTE)] {
            let d = self.login_limiter.check(&id, limit, 60, now.timestamp());
            if !d.allowed {
                return Err(CoreError::TooManyAttempts { retry_after: (d.reset - now.timestamp()).max(1) as u64 });
            }
        }
        let Some(u) = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&self.db).await? else {
            tracing::info!("password reset asked for an address without an account");
            return Ok(());
        };
        if u.managed {
            // Its way in is the provider's site (embed sessions); a password would be a second one.
            tracing::info!(user_id = %u.id, "password reset asked for an account managed by the provider's site; nothing sent");
            return Ok(());
        }
        let txn = self.begin_write().await?;
        // Only the newest link works.
        void_reset_links(&txn, &u.id).await?;
        let reset = PasswordReset { email: u.email.clone(), ip: meta.ip.to_string(), minutes: RESET_TTL_MINUTES };
        let queued = self.enqueue_email(&txn, NewEmail { team_id: None, to: &u.email, content: EmailContent::PasswordReset(reset) }).await?;
        let token = queued.token.ok_or_else(|| CoreError::Internal("a reset email without its link".into()))?;
        password_reset::ActiveModel {
            id: Set(new_id("pwr")),
            user_id: Set(u.id.clone()),
            token_hash: Set(sha256_hex(token.expose())),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::minutes(RESET_TTL_MINUTES)),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(())
    }

    /// Whether a reset link can still be used (for the page that asks for the new password).
    pub async fn check_reset_link(&self, token: &str) -> Result<String, CoreError> {
        let (_, u) = self.live_reset(&self.db, token).await?;
        Ok(u.email)
    }

    async fn live_reset<C: sea_orm::ConnectionTrait>(&self, db: &C, token: &str) -> Result<(password_reset::Model, user::Model), CoreError> {
        if token.is_empty() || token.len() > 128 {
            return Err(reset_link_refused());
        }
        let Some(r) = password_reset::Entity::find().filter(password_reset::Column::TokenHash.eq(sha256_hex(token))).one(db).await? else {
            return Err(reset_link_refused());
        };
        if r.used_at.is_some() || r.expires_at <= self.now() {
            return Err(reset_link_refused());
        }
        let Some(u) = user::Entity::find_by_id(r.user_id.clone()).one(db).await? else {
            return Err(reset_link_refused());
        };
        Ok((r, u))
    }

    /// Sets a new password through a reset link: the link is used up, every session of the
    /// account ends, and this browser is signed in with a new one.
    #[instrument(skip_all)]
    pub async fn reset_password(&self, token: &str, new: &str, meta: &RequestMeta) -> Result<crate::services::mfa::SignInStep, CoreError> {
        self.live_reset(&self.db, token).await?;
        let new_password = Password::parse(new)?;
        let hash = self.passwords.hash(&new_password).await?;
        let txn = self.begin_write().await?;
        // Checked again inside the transaction, and used up with a compare-and-set, so two
        // tabs submitting the same link set one password.
        let (r, u) = self.live_reset(&txn, token).await?;
        let used = password_reset::Entity::update_many()
            .col_expr(password_reset::Column::UsedAt, Expr::value(self.now()))
            .filter(password_reset::Column::Id.eq(&r.id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(reset_link_refused());
        }
        let mut active: user::ActiveModel = u.clone().into();
        active.password_hash = Set(hash);
        active.update(&txn).await?;
        end_every_session(&txn, &u.id).await?;
        let entry = AuditEntry { team_id: None, actor_user_id: Some(&u.id), actor_email: Some(&u.email), action: AuditAction::PasswordReset, object: None, detail: None, by_provider: false };
        self.audit(&txn, meta, entry).await?;
        // An emailed link proves the address, not the second factor: with one, the code is
        // still asked for before a session opens.
        let second_factor = self.totp_enabled(&u.id).await?;
        if second_factor {
            let challenge = self.insert_challenge(&txn, &u.id).await?;
            txn.commit().await?;
            tracing::info!(user_id = %u.id, "password reset; every session ended; second factor asked for");
            return Ok(crate::services::mfa::SignInStep::SecondFactor(challenge));
        }
        let token = self.insert_session(&txn, &u.id, meta).await?;
        txn.commit().await?;
        tracing::info!(user_id = %u.id, "password reset; every session ended");
        let caller = self.caller_of_user(&u).await?.ok_or(CoreError::Unauthenticated)?;
        Ok(crate::services::mfa::SignInStep::Session(caller, token))
    }

    /// Deletes sessions past their end (they already let nobody in). Returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64, CoreError> {
        let gone = session::Entity::delete_many().filter(session::Column::ExpiresAt.lte(self.now())).exec(&self.db).await?;
        Ok(gone.rows_affected)
    }

    /// Notes that a session was used, at most every few minutes per session.
    pub(crate) async fn touch_session(&self, s: &session::Model) -> Result<(), CoreError> {
        let now = self.now();
        let resolution = chrono::Duration::minutes(crate::services::auth::LAST_ACTIVE_RESOLUTION_MINUTES);
        if s.last_seen_at.unwrap_or(s.created_at) + resolution < now {
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAt, Expr::value(now))
                .filter(session::Column::Id.eq(&s.id))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }
}

/// The longest display name, in characters.
pub const MAX_NAME: usize = 80;

/// Which emails a person wants. Security notices (sign-ins, password and address changes,
/// leaked keys, one-time links) always go out and are not listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotifyPrefs {
    /// Quota warnings at 80 % and 100 % (to owners and admins).
    pub quota: bool,
    /// Key expiry reminders (to the key's creator).
    pub expiry: bool,
    /// Product news from the provider.
    pub news: bool,
}

impl Services {
    /// Saves the caller's display name (empty for none) and email choices. A name that is too
    /// long or not one line of text is a field error, and nothing changes.
    pub async fn update_profile(&self, caller: &Caller, name: &str, prefs: NotifyPrefs, meta: &RequestMeta) -> Result<(), CoreError> {
        let name = name.trim();
        if name.chars().count() > MAX_NAME {
            return Err(CoreError::Invalid(FieldError::new("name", format!("a name has at most {MAX_NAME} characters"))));
        }
        if name.chars().any(char::is_control) {
            return Err(CoreError::Invalid(FieldError::new("name", "a name is one line of text")));
        }
        let txn = self.begin_write().await?;
        let Some(u) = user::Entity::find_by_id(caller.user.id.clone()).one(&txn).await? else {
            return Err(CoreError::Unauthenticated);
        };
        let before = (u.name.clone(), u.notify_quota, u.notify_expiry, u.notify_news);
        let mut am: user::ActiveModel = u.into();
        am.name = Set((!name.is_empty()).then(|| name.to_owned()));
        am.notify_quota = Set(prefs.quota);
        am.notify_expiry = Set(prefs.expiry);
        am.notify_news = Set(prefs.news);
        let after = am.update(&txn).await?;
        if before != (after.name.clone(), after.notify_quota, after.notify_expiry, after.notify_news) {
            let on = |b: bool| if b { "on" } else { "off" };
            let detail = format!("quota warnings {}, expiry reminders {}, product news {}", on(prefs.quota), on(prefs.expiry), on(prefs.news));
            let entry = AuditEntry {
                team_id: None,
                actor_user_id: Some(&caller.user.id),
                actor_email: Some(&caller.user.email),
                action: AuditAction::ProfileChanged,
                object: Some(("user", &caller.user.id)),
                detail: Some(detail),
                by_provider: false,
            };
            self.audit(&txn, meta, entry).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
