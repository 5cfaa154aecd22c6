//! Two-factor authentication: TOTP (RFC 6238) set up from account settings, single-use
//! recovery codes, the sign-in challenge between a right password and the code, and teams that
//! require a second factor of their members.
//!
//! Every sign-in method ends in [`Services::begin_sign_in`] once it knows who the person is:
//! it opens a session, or, when the account has a second factor, a short-lived challenge that
//! [`Services::complete_sign_in`] turns into a session once the code is right.

use crate::crypto::{new_id, os_rng, sha256_hex, random_token};
use crate::dto::TotpEnrolment;
use crate::entity::{recovery_code, signin_challenge, team, user, user_totp};
use crate::error::CoreError;
use crate::roles::{Action, Role};
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::{Caller, SessionToken};
use crate::services::Services;
use crate::validate::FieldError;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use tracing::instrument;

/// Seconds per TOTP time step (what every authenticator app uses).
pub const TOTP_STEP_SECONDS: u64 = 30;
/// Digits of a TOTP code.
pub const TOTP_DIGITS: usize = 6;
/// Steps before and after the current one that are accepted (clock drift, slow typing).
pub const TOTP_SKEW_STEPS: u8 = 1;
/// Bytes of a TOTP secret: 160 bits, as RFC 4226 recommends.
pub const TOTP_SECRET_BYTES: usize = 20;
/// How long a sign-in challenge (password right, code to come) lives.
pub const CHALLENGE_TTL_SECONDS: i64 = 300;
/// Codes one sign-in challenge accepts before it is used up.
pub const CHALLENGE_ATTEMPTS: i32 = 5;
/// Second-factor attempts per account per minute, over every challenge and the settings page.
pub const MFA_ATTEMPTS_PER_ACCOUNT: u64 = 10;
/// Recovery codes made at each set-up.
pub const RECOVERY_CODES: usize = 10;
/// How long a secret being set up waits for its first code.
pub const ENROLMENT_TTL_SECONDS: i64 = 3600;

const SECRET_PURPOSE: &str = "totp-secret";
const PENDING_PURPOSE: &str = "totp-pending";

/// The TOTP configuration Keyport uses (SHA-1, 30-second steps, ±1 step), with `digits`
/// digits: through totp-rs, never hand-written HMAC truncation.
pub fn totp(secret: Vec<u8>, digits: usize, issuer: Option<String>, account: String) -> totp_rs::TOTP {
    // Unchecked: the label parts are cleaned by the caller (no colon), and the secret is ours.
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, digits, TOTP_SKEW_STEPS, TOTP_STEP_SECONDS, secret, issuer, account)
}

/// The code an authenticator app shows for `secret` at `unix` seconds.
pub fn code_at(secret: &[u8], unix: u64) -> String {
    totp(secret.to_vec(), TOTP_DIGITS, None, String::new()).generate(unix)
}

/// The raw bytes of a base32 secret as an authenticator app is given it (tests and tools).
pub fn decode_secret(base32: &str) -> Option<Vec<u8>> {
    totp_rs::Secret::Encoded(base32.trim().to_uppercase()).to_bytes().ok()
}

/// The time step whose code `code` is, among the current one and its neighbours, if any.
/// Compared in constant time.
fn matching_step(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    let current = now / TOTP_STEP_SECONDS;
    let t = totp(secret.to_vec(), TOTP_DIGITS, None, String::new());
    let skew = u64::from(TOTP_SKEW_STEPS);
    // Newest first: a code that is both (it never is in practice) counts for the later step.
    (current.saturating_sub(skew)..=current + skew)
        .rev()
        .find(|step| crate::crypto::constant_time_eq(&t.generate(step * TOTP_STEP_SECONDS), code))
}

/// An inline SVG QR code of `data`, with an accessible name.
pub fn qr_svg(data: &str, label: &str) -> Result<String, CoreError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| CoreError::Internal(format!("qr code: {e}")))?;
    let svg = code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    // The XML declaration has no place inside HTML; the label is escaped by us.
    let body = svg.split_once("?>").map(|(_, rest)| rest).unwrap_or(&svg);
    Ok(body.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{}\" ", crate::html::escape_html(label)), 1))
}

/// A code as typed: a TOTP code (digits) or a recovery code.
#[derive(Debug, PartialEq, Eq)]
enum Code {
    Totp(String),
    Recovery(String),
}

const CODE_FIELD: &str = "code";

fn code_error(message: &str) -> CoreError {
    FieldError::new(CODE_FIELD, message).into()
}

/// Parses what was typed into a code field. Spaces and dashes are ignored.
fn parse_code(input: &str, recovery_allowed: bool) -> Result<Code, CoreError> {
    let cleaned: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase();
    if cleaned.is_empty() {
        return Err(code_error(if recovery_allowed {
            "Enter the 6-digit code from your authenticator app, or a recovery code."
        } else {
            "Enter the 6-digit code from your authenticator app."
        }));
    }
    if cleaned.bytes().all(|b| b.is_ascii_digit()) {
        if cleaned.len() != TOTP_DIGITS {
            return Err(code_error("A code from the app has 6 digits."));
        }
        return Ok(Code::Totp(cleaned));
    }
    if recovery_allowed && cleaned.len() == RECOVERY_CODE_CHARS && cleaned.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(Code::Recovery(cleaned));
    }
    Err(code_error(if recovery_allowed {
        "That is neither a 6-digit code nor a recovery code."
    } else {
        "A code from the app has 6 digits."
    }))
}

/// Characters of a recovery code without its dashes: 16 of base32 (80 bits).
const RECOVERY_CODE_CHARS: usize = 16;

/// A new recovery code, shown as `abcd-efgh-ijkm-nopq`.
fn new_recovery_code() -> String {
    let mut raw = [0u8; 10];
    os_rng().fill_bytes(&mut raw);
    let plain = totp_rs::Secret::Raw(raw.to_vec()).to_encoded().to_string().to_lowercase();
    let plain: String = plain.chars().take(RECOVERY_CODE_CHARS).collect();
    plain.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join("-")
}

fn recovery_hash(code: &str) -> String {
    let cleaned: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
    sha256_hex(&cleaned)
}

/// The token of a sign-in challenge: the value of its HttpOnly cookie. `Debug` hides it.
pub struct ChallengeToken(pub String);

impl std::fmt::Debug for ChallengeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChallengeToken(<redacted>)")
    }
}

/// Where a sign-in stands once the person is identified (password, SSO, …).
#[derive(Debug)]
pub enum SignInStep {
    /// Signed in: the caller and the new session's token.
    Session(Caller, SessionToken),
    /// The account has a second factor: the code is asked for under this challenge, which
    /// lives [`CHALLENGE_TTL_SECONDS`].
    SecondFactor(ChallengeToken),
}

fn audit_for<'a>(user_id: &'a str, email: &'a str, action: AuditAction, detail: Option<String>) -> AuditEntry<'a> {
    // Account events belong to the person (like sign-ins), not to a team.
    AuditEntry { team_id: None, actor_user_id: Some(user_id), actor_email: Some(email), action, object: None, detail, by_provider: false }
}

impl Services {
    /// Whether `user_id` has a confirmed second factor.
    pub async fn totp_enabled(&self, user_id: &str) -> Result<bool, CoreError> {
        Ok(self.totp_enabled_on(&self.db, user_id).await?)
    }

    async fn totp_enabled_on<C: ConnectionTrait>(&self, db: &C, user_id: &str) -> Result<bool, sea_orm::DbErr> {
        Ok(user_totp::Entity::find_by_id(user_id.to_owned()).one(db).await?.is_some_and(|t| t.enabled_at.is_some() && t.secret_sealed.is_some()))
    }

    /// Recovery codes of `user_id` not used yet.
    pub async fn recovery_codes_left(&self, user_id: &str) -> Result<u64, CoreError> {
        Ok(recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(user_id))
            .filter(recovery_code::Column::UsedAt.is_null())
            .count(&self.db)
            .await?)
    }

    /// Continues a sign-in once the person is known — by password, or by any other method
    /// (SSO calls this after it has matched the account). A suspended account is refused
    /// (told only to someone who proved who they are); an account with a second factor gets a
    /// challenge instead of a session; any other gets a session, audited as a sign-in, and
    /// `previous` (the session this browser had) ends.
    #[instrument(skip_all, fields(user_id = %user.id))]
    pub async fn begin_sign_in(&self, user: &user::Model, meta: &RequestMeta, previous: Option<&str>) -> Result<SignInStep, CoreError> {
        self.begin_sign_in_with(user, meta, previous, None).await
    }

    /// [`Services::begin_sign_in`], with how the person proved who they are for the audit
    /// row of the session (`with Google`).
    pub async fn begin_sign_in_with(&self, user: &user::Model, meta: &RequestMeta, previous: Option<&str>, how: Option<String>) -> Result<SignInStep, CoreError> {
        if user.suspended_at.is_some() {
            return Err(CoreError::Conflict(self.suspended_message(user.suspended_reason.as_deref())));
        }
        if self.totp_enabled(&user.id).await? {
            let token = self.insert_challenge(&self.db, &user.id).await?;
            tracing::info!("password accepted; second factor asked for");
            return Ok(SignInStep::SecondFactor(token));
        }
        let (caller, token) = self.open_session(user, meta, previous, how).await?;
        Ok(SignInStep::Session(caller, token))
    }

    /// A new challenge for `user_id` on `db`.
    pub(crate) async fn insert_challenge<C: ConnectionTrait>(&self, db: &C, user_id: &str) -> Result<ChallengeToken, CoreError> {
        let token = random_token(32);
        let now = self.now();
        signin_challenge::ActiveModel {
            id: Set(new_id("chl")),
            token_hash: Set(sha256_hex(&token)),
            user_id: Set(user_id.to_owned()),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::seconds(CHALLENGE_TTL_SECONDS)),
            attempts: Set(0),
            used_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(ChallengeToken(token))
    }

    /// The session at the end of every sign-in: `previous` ends, the new one is audited.
    async fn open_session(&self, user: &user::Model, meta: &RequestMeta, previous: Option<&str>, how: Option<String>) -> Result<(Caller, SessionToken), CoreError> {
        if let Some(prev) = previous {
            self.logout(prev).await?;
        }
        let txn = self.begin_write().await?;
        let token = self.insert_session(&txn, &user.id, meta).await?;
        self.audit(&txn, meta, audit_for(&user.id, &user.email, AuditAction::SignIn, how)).await?;
        txn.commit().await?;
        let caller = self.caller_of_user(user).await?.ok_or(CoreError::Unauthenticated)?;
        tracing::info!(user_id = %user.id, "signed in");
        Ok((caller, token))
    }

    /// Finishes a sign-in whose challenge cookie is `challenge` with a TOTP or recovery code.
    /// A missing, used or expired challenge is `Unauthenticated` (sign in again); a bad code a
    /// field error on `code`. A challenge takes [`CHALLENGE_ATTEMPTS`] codes, an account
    /// [`MFA_ATTEMPTS_PER_ACCOUNT`] a minute.
    #[instrument(skip_all)]
    pub async fn complete_sign_in(&self, challenge: &str, code: &str, meta: &RequestMeta, previous: Option<&str>) -> Result<(Caller, SessionToken), CoreError> {
        if challenge.is_empty() || challenge.len() > 128 {
            return Err(CoreError::Unauthenticated);
        }
        let parsed = parse_code(code, true)?;
        let now = self.now();
        let Some(c) = signin_challenge::Entity::find()
            .filter(signin_challenge::Column::TokenHash.eq(sha256_hex(challenge)))
            .one(&self.db)
            .await?
            .filter(|c| c.used_at.is_none() && c.expires_at > now)
        else {
            return Err(CoreError::Unauthenticated);
        };
        self.throttle_second_factor(&c.user_id)?;
        // Counted before the code is checked, with a compare-and-set, so parallel guesses
        // cannot take more than the challenge allows.
        let counted = signin_challenge::Entity::update_many()
            .col_expr(signin_challenge::Column::Attempts, sea_orm::sea_query::ExprTrait::add(Expr::col(signin_challenge::Column::Attempts), 1))
            .filter(signin_challenge::Column::Id.eq(&c.id))
            .filter(signin_challenge::Column::Attempts.lt(CHALLENGE_ATTEMPTS))
            .filter(signin_challenge::Column::UsedAt.is_null())
            .exec(&self.db)
            .await?;
        if counted.rows_affected != 1 {
            return Err(CoreError::TooManyAttempts { retry_after: 60 });
        }
        let Some(u) = user::Entity::find_by_id(c.user_id.clone()).one(&self.db).await? else {
            return Err(CoreError::Unauthenticated);
        };
        let how = self.check_second_factor(&u.id, &u.email, parsed, meta).await?;
        let used = signin_challenge::Entity::update_many()
            .col_expr(signin_challenge::Column::UsedAt, Expr::value(self.now()))
            .filter(signin_challenge::Column::Id.eq(&c.id))
            .filter(signin_challenge::Column::UsedAt.is_null())
            .exec(&self.db)
            .await?;
        if used.rows_affected != 1 {
            return Err(CoreError::Unauthenticated);
        }
        if u.suspended_at.is_some() {
            return Err(CoreError::Conflict(self.suspended_message(u.suspended_reason.as_deref())));
        }
        self.open_session(&u, meta, previous, Some(how.to_owned())).await
    }

    fn throttle_second_factor(&self, user_id: &str) -> Result<(), CoreError> {
        let now = self.now().timestamp();
        let d = self.login_limiter.check(&format!("mfa:{user_id}"), MFA_ATTEMPTS_PER_ACCOUNT, 60, now);
        if !d.allowed {
            return Err(CoreError::TooManyAttempts { retry_after: (d.reset - now).max(1) as u64 });
        }
        Ok(())
    }

    /// Checks a current authenticator code of the caller (not a recovery code: those are for
    /// getting in), for an action that asks the person to confirm it is them.
    pub(crate) async fn confirm_with_code(&self, caller: &Caller, code: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        let parsed = parse_code(code, false)?;
        self.throttle_second_factor(&caller.user.id)?;
        self.check_second_factor(&caller.user.id, &caller.user.email, parsed, meta).await.map(|_| ())
    }

    /// Checks a code against the account's second factor, using it up: a TOTP step is
    /// accepted once (a conditional update of `last_step`), a recovery code once (of
    /// `used_at`). Wrong codes are audited. Returns how the person proved it.
    async fn check_second_factor(&self, user_id: &str, email: &str, code: Code, meta: &RequestMeta) -> Result<&'static str, CoreError> {
        let refused = |message: &'static str| async move {
            self.audit(&self.db, meta, audit_for(user_id, email, AuditAction::SecondFactorFailed, None)).await?;
            Err::<&'static str, CoreError>(code_error(message))
        };
        match code {
            Code::Totp(code) => {
                let Some(secret) = self.confirmed_secret(user_id).await? else { return refused("That code is not right.").await };
                let Some(step) = matching_step(&secret, &code, self.now().timestamp().max(0) as u64) else {
                    return refused("That code is not right. Check the time on your device and try the newest code.").await;
                };
                let won = user_totp::Entity::update_many()
                    .col_expr(user_totp::Column::LastStep, Expr::value(step as i64))
                    .filter(user_totp::Column::UserId.eq(user_id))
                    .filter(user_totp::Column::LastStep.lt(step as i64))
                    .filter(user_totp::Column::EnabledAt.is_not_null())
                    .exec(&self.db)
                    .await?;
                if won.rows_affected != 1 {
                    return refused("That code was used already. Wait for the next one.").await;
                }
                Ok("authenticator code")
            }
            Code::Recovery(code) => {
                let used = recovery_code::Entity::update_many()
                    .col_expr(recovery_code::Column::UsedAt, Expr::value(self.now()))
                    .filter(recovery_code::Column::UserId.eq(user_id))
                    .filter(recovery_code::Column::CodeHash.eq(recovery_hash(&code)))
                    .filter(recovery_code::Column::UsedAt.is_null())
                    .exec(&self.db)
                    .await?;
                if used.rows_affected != 1 {
                    return refused("That recovery code is not right, or was used already.").await;
                }
                self.audit(&self.db, meta, audit_for(user_id, email, AuditAction::RecoveryCodeUsed, None)).await?;
                Ok("recovery code")
            }
        }
    }

    async fn confirmed_secret(&self, user_id: &str) -> Result<Option<Vec<u8>>, CoreError> {
        let Some(row) = user_totp::Entity::find_by_id(user_id.to_owned()).one(&self.db).await? else { return Ok(None) };
        let (Some(sealed), Some(_)) = (row.secret_sealed, row.enabled_at) else { return Ok(None) };
        Ok(self.secret.open(SECRET_PURPOSE, user_id.as_bytes(), &sealed))
    }

    /// Starts setting up TOTP: a new secret, kept sealed on the server until a code from it
    /// confirms it. Refused while a second factor is on (turn it off first).
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn start_totp_enrolment(&self, caller: &Caller) -> Result<TotpEnrolment, CoreError> {
        if self.totp_enabled(&caller.user.id).await? {
            return Err(CoreError::Conflict("Two-factor authentication is already on. Turn it off first to set it up again.".into()));
        }
        let mut raw = vec![0u8; TOTP_SECRET_BYTES];
        os_rng().fill_bytes(&mut raw);
        let sealed = self.secret.seal(PENDING_PURPOSE, caller.user.id.as_bytes(), &raw);
        let now = self.now();
        let txn = self.begin_write().await?;
        match user_totp::Entity::find_by_id(caller.user.id.clone()).one(&txn).await? {
            Some(row) => {
                let mut active: user_totp::ActiveModel = row.into();
                active.pending_sealed = Set(Some(sealed));
                active.pending_created_at = Set(Some(now));
                active.update(&txn).await?;
            }
            None => {
                user_totp::ActiveModel {
                    user_id: Set(caller.user.id.clone()),
                    secret_sealed: Set(None),
                    pending_sealed: Set(Some(sealed)),
                    pending_created_at: Set(Some(now)),
                    enabled_at: Set(None),
                    last_step: Set(0),
                }
                .insert(&txn)
                .await?;
            }
        }
        txn.commit().await?;
        self.enrolment_view(&caller.user.email, raw)
    }

    /// The set-up in progress (its secret opened from the server's copy), if any.
    pub async fn totp_enrolment(&self, caller: &Caller) -> Result<Option<TotpEnrolment>, CoreError> {
        let Some(raw) = self.pending_secret(&caller.user.id).await? else { return Ok(None) };
        self.enrolment_view(&caller.user.email, raw).map(Some)
    }

    async fn pending_secret(&self, user_id: &str) -> Result<Option<Vec<u8>>, CoreError> {
        let Some(row) = user_totp::Entity::find_by_id(user_id.to_owned()).one(&self.db).await? else { return Ok(None) };
        if row.enabled_at.is_some() {
            return Ok(None);
        }
        let fresh = row.pending_created_at.is_some_and(|at| self.now() - at < chrono::Duration::seconds(ENROLMENT_TTL_SECONDS));
        let (Some(sealed), true) = (row.pending_sealed, fresh) else { return Ok(None) };
        Ok(self.secret.open(PENDING_PURPOSE, user_id.as_bytes(), &sealed))
    }

    fn enrolment_view(&self, email: &str, raw: Vec<u8>) -> Result<TotpEnrolment, CoreError> {
        // A colon separates issuer and account in the label: neither may hold one.
        let issuer = self.settings().app_name.replace(':', " ").trim().to_owned();
        let issuer = if issuer.is_empty() { "Keyport".to_owned() } else { issuer };
        let t = totp(raw, TOTP_DIGITS, Some(issuer.clone()), email.replace(':', ""));
        let uri = t.get_url();
        Ok(TotpEnrolment {
            secret: t.get_secret_base32(),
            qr_svg: qr_svg(&uri, &format!("QR code to add {issuer} to an authenticator app"))?,
            otpauth_uri: uri,
        })
    }

    /// Confirms the set-up with a current code from the new secret: TOTP is on from now, the
    /// secret is stored sealed, and ten new recovery codes (replacing any older ones) are
    /// returned, to be shown once.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn confirm_totp(&self, caller: &Caller, code: &str, meta: &RequestMeta) -> Result<Vec<String>, CoreError> {
        let Code::Totp(code) = parse_code(code, false)? else { return Err(code_error("A code from the app has 6 digits.")) };
        self.throttle_second_factor(&caller.user.id)?;
        let Some(raw) = self.pending_secret(&caller.user.id).await? else {
            return Err(code_error("This set-up has expired. Start again with “Set up two-factor authentication”."));
        };
        let Some(step) = matching_step(&raw, &code, self.now().timestamp().max(0) as u64) else {
            return Err(code_error("That code is not right. Scan the QR code again, or check the time on your device."));
        };
        let sealed = self.secret.seal(SECRET_PURPOSE, caller.user.id.as_bytes(), &raw);
        let now = self.now();
        let txn = self.begin_write().await?;
        let done = user_totp::Entity::update_many()
            .col_expr(user_totp::Column::SecretSealed, Expr::value(sealed))
            .col_expr(user_totp::Column::PendingSealed, Expr::value(Option::<String>::None))
            .col_expr(user_totp::Column::PendingCreatedAt, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
            .col_expr(user_totp::Column::EnabledAt, Expr::value(now))
            .col_expr(user_totp::Column::LastStep, Expr::value(step as i64))
            .filter(user_totp::Column::UserId.eq(&caller.user.id))
            .filter(user_totp::Column::EnabledAt.is_null())
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(CoreError::Conflict("Two-factor authentication is already on.".into()));
        }
        recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(&caller.user.id)).exec(&txn).await?;
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let code = new_recovery_code();
            recovery_code::ActiveModel {
                id: Set(new_id("rec")),
                user_id: Set(caller.user.id.clone()),
                code_hash: Set(recovery_hash(&code)),
                created_at: Set(now),
                used_at: Set(None),
            }
            .insert(&txn)
            .await?;
            codes.push(code);
        }
        self.audit(&txn, meta, audit_for(&caller.user.id, &caller.user.email, AuditAction::MfaEnabled, None)).await?;
        txn.commit().await?;
        tracing::info!("two-factor authentication turned on");
        Ok(codes)
    }

    /// Turns TOTP off, given a current code or a recovery code; the recovery codes go too.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn disable_totp(&self, caller: &Caller, code: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        let parsed = parse_code(code, true)?;
        if !self.totp_enabled(&caller.user.id).await? {
            return Err(CoreError::Conflict("Two-factor authentication is not on.".into()));
        }
        self.throttle_second_factor(&caller.user.id)?;
        self.check_second_factor(&caller.user.id, &caller.user.email, parsed, meta).await?;
        let txn = self.begin_write().await?;
        user_totp::Entity::delete_by_id(caller.user.id.clone()).exec(&txn).await?;
        recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(&caller.user.id)).exec(&txn).await?;
        signin_challenge::Entity::delete_many().filter(signin_challenge::Column::UserId.eq(&caller.user.id)).exec(&txn).await?;
        self.audit(&txn, meta, audit_for(&caller.user.id, &caller.user.email, AuditAction::MfaDisabled, None)).await?;
        txn.commit().await?;
        tracing::info!("two-factor authentication turned off");
        Ok(())
    }

    /// Makes the active team require (or stop requiring) a second factor of its members.
    /// Owners only, and only with a second factor of their own.
    #[instrument(skip_all, fields(team_id = %caller.team.id))]
    pub async fn set_team_requires_mfa(&self, caller: &Caller, required: bool, meta: &RequestMeta) -> Result<(), CoreError> {
        caller.require(Action::EditTeam)?;
        if caller.role != Role::Owner {
            return Err(CoreError::Forbidden);
        }
        if required && !self.totp_enabled(&caller.user.id).await? {
            return Err(FieldError::new("require_mfa", "Turn on two-factor authentication for your own account first (in Settings).").into());
        }
        let txn = self.begin_write().await?;
        team::Entity::update_many()
            .col_expr(team::Column::RequireMfa, Expr::value(required))
            .filter(team::Column::Id.eq(&caller.team.id))
            .exec(&txn)
            .await?;
        let detail = if required { "two-factor authentication required" } else { "two-factor authentication no longer required" };
        self.audit(&txn, meta, caller.entry(AuditAction::TeamMfaRequirement, ("team", &caller.team.id)).with_detail(detail)).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes sign-in challenges past their end. Returns how many.
    pub async fn purge_expired_challenges(&self) -> Result<u64, CoreError> {
        let gone = signin_challenge::Entity::delete_many().filter(signin_challenge::Column::ExpiresAt.lte(self.now())).exec(&self.db).await?;
        Ok(gone.rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_the_rfc_6238_appendix_b_vectors_for_sha1() {
        let secret = b"12345678901234567890".to_vec();
        let t = totp(secret, 8, None, String::new());
        for (time, expected) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(t.generate(time), expected, "T = {time}");
        }
        // The 6-digit codes Keyport asks for are the same values' last six digits.
        assert_eq!(code_at(b"12345678901234567890", 59), "287082");
    }

    #[test]
    fn totp_accepts_one_step_either_side_and_no_more() {
        let secret = b"12345678901234567890";
        let now = 1_700_000_015u64;
        let step = now / TOTP_STEP_SECONDS;
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let at = ((step as i64 + offset) as u64) * TOTP_STEP_SECONDS;
            let code = code_at(secret, at);
            assert_eq!(matching_step(secret, &code, now).is_some(), accepted, "offset {offset}");
            if accepted {
                assert_eq!(matching_step(secret, &code, now), Some((step as i64 + offset) as u64));
            }
        }
        assert_eq!(matching_step(secret, "000000x", now), None);
    }

    #[test]
    fn totp_codes_are_parsed_at_the_boundary() {
        assert_eq!(parse_code(" 123 456 ", false).unwrap(), Code::Totp("123456".into()));
        assert!(parse_code("", true).is_err());
        assert!(parse_code("12345", true).is_err());
        assert!(parse_code("abcd-efgh-ijkm-nopq", false).is_err());
        assert_eq!(parse_code("ABCD-efgh-ijkm-nopq", true).unwrap(), Code::Recovery("abcdefghijkmnopq".into()));
        let r = new_recovery_code();
        assert_eq!(r.len(), 19, "{r}");
        assert!(matches!(parse_code(&r, true), Ok(Code::Recovery(_))));
        assert_eq!(recovery_hash(&r), recovery_hash(&r.to_uppercase().replace('-', " ")));
    }

    #[test]
    fn totp_enrolment_qr_is_inline_svg_with_a_name() {
        let svg = qr_svg("otpauth://totp/Keyport:a%40b.c?secret=ABC&issuer=Keyport", "QR <code>").unwrap();
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"QR &lt;code&gt;\""), "{}", &svg[..80]);
        assert!(!svg.contains("<?xml"));
        let t = totp(b"12345678901234567890".to_vec(), 6, Some("Acme Portal".into()), "dev@example.com".into());
        assert_eq!(t.get_url(), "otpauth://totp/Acme%20Portal:dev%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Portal");
        assert_eq!(decode_secret("gezdgnbvgy3tqojqgezdgnbvgy3tqojq").unwrap(), b"12345678901234567890");
    }
}
