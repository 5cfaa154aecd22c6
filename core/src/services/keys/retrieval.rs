//! Retrievable keys, the operator's opt-in (`keys.retrievable`: `never`, the default, `test`
//! or `all`). Such a key is kept sealed beside its hash (XChaCha20-Poly1305 under a key
//! derived from the server secret, bound to the key's id, so a sealed value copied onto
//! another row opens nothing). Its owner reveals or copies it from its page after confirming
//! it is them (password, or an authenticator code for an account without one); the
//! confirmation holds for a few minutes on that session only. Every reveal and copy is
//! audited. Turning the setting down forgets the sealed keys it no longer covers.

use crate::entity::{api_key, session};
use crate::error::CoreError;
use crate::key::PlainKey;
use crate::services::audit::{AuditAction, RequestMeta};
use crate::services::auth::Caller;
use crate::services::Services;
use crate::validate::{FieldError, Password};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

/// How long a confirmation lets the session reveal and copy keys without asking again.
pub const CONFIRMED_FOR_MINUTES: i64 = 10;
/// Password checks for a reveal one account may make per minute (each costs an argon2 hash).
pub const CONFIRMATIONS_PER_MINUTE: u64 = 5;
/// What the sealing key is derived for: nothing sealed for another purpose opens as a key.
const SEALED_KEY: &str = "api-key";

/// What the developer does with a retrievable key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retrieval {
    /// Shows it on the page.
    Reveal,
    /// Puts it on the clipboard without showing it.
    Copy,
}

impl Retrieval {
    /// From the form's word.
    pub fn parse(v: &str) -> Result<Self, CoreError> {
        match v {
            "reveal" => Ok(Self::Reveal),
            "copy" => Ok(Self::Copy),
            _ => Err(FieldError::new("purpose", "Choose to reveal or to copy the key.").into()),
        }
    }
}

/// Refused until the person confirms it is them (the page then asks).
pub fn confirmation_needed() -> CoreError {
    FieldError::new("proof", "Confirm it is you first.").into()
}

impl Services {
    /// The sealed form of a new key, when the setting keeps keys of its environment.
    pub(crate) fn seal_key(&self, key_id: &str, environment: &str, full: &str) -> Option<String> {
        self.settings().retrievable.covers(environment).then(|| self.secret.seal(SEALED_KEY, key_id.as_bytes(), full.as_bytes()))
    }

    /// Whether the session with this token confirmed its person within the last minutes.
    pub async fn session_confirmed(&self, session_token: &str) -> Result<bool, CoreError> {
        let s = session::Entity::find().filter(session::Column::TokenHash.eq(crate::crypto::sha256_hex(session_token))).one(&self.db).await?;
        let since = self.now() - chrono::Duration::minutes(CONFIRMED_FOR_MINUTES);
        Ok(s.and_then(|s| s.confirmed_at).is_some_and(|at| at > since))
    }

    /// Checks that the caller is who the session says (their password, or an authenticator
    /// code when the account has no password) and remembers it on this session for a few
    /// minutes. A wrong answer is a field error (`proof`) and changes nothing.
    pub async fn confirm_presence(&self, caller: &Caller, session_token: &str, proof: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        let Some(u) = crate::entity::user::Entity::find_by_id(caller.user.id.clone()).one(&self.db).await? else {
            return Err(CoreError::Unauthenticated);
        };
        if crate::services::sso::has_password(&u.password_hash) {
            if proof.is_empty() {
                return Err(FieldError::new("proof", "Enter your password.").into());
            }
            let now = self.now().timestamp();
            let d = self.login_limiter.check(&format!("confirm:{}", u.id), CONFIRMATIONS_PER_MINUTE, 60, now);
            if !d.allowed {
                return Err(CoreError::TooManyAttempts { retry_after: (d.reset - now).max(1) as u64 });
            }
            let ok = match Password::for_login(proof) {
                Ok(p) => self.passwords.verify(&p, Some(u.password_hash.clone())).await?,
                Err(_) => false,
            };
            if !ok {
                return Err(FieldError::new("proof", "That password is not right.").into());
            }
        } else if self.totp_enabled(&u.id).await? {
            self.confirm_with_code(caller, proof, meta).await.map_err(|e| match e {
                CoreError::Invalid(f) => FieldError::new("proof", f.message).into(),
                other => other,
            })?;
        } else {
            return Err(FieldError::new(
                "proof",
                "Your account has neither a password nor a second factor to confirm with: turn on two-factor authentication in Settings first.",
            )
            .into());
        }
        session::Entity::update_many()
            .col_expr(session::Column::ConfirmedAt, Expr::value(self.now()))
            .filter(session::Column::TokenHash.eq(crate::crypto::sha256_hex(session_token)))
            .filter(session::Column::UserId.eq(&u.id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A retrievable key in full, for its page: the caller must manage the key (its creator,
    /// or an owner or admin of its team) and have confirmed it is them on this session
    /// recently, or now with `proof`. Audited as a reveal or a copy.
    pub async fn retrieve_key(&self, caller: &Caller, session_token: &str, key_id: &str, how: Retrieval, proof: &str, meta: &RequestMeta) -> Result<PlainKey, CoreError> {
        let m = self.managed_key(caller, key_id).await?;
        let now = self.now();
        let Some(sealed) = m.sealed_secret.as_deref().filter(|_| self.settings().retrievable.covers(&m.environment)) else {
            return Err(CoreError::Conflict("This key was shown once, when it was created; it cannot be shown again. Rotate it for a new one.".into()));
        };
        if m.revoked_at.is_some() || m.grace_until.is_some_and(|g| g <= now) || m.expires_at.is_some_and(|e| e <= now) {
            return Err(CoreError::Conflict("This key no longer works, so it is not shown any more.".into()));
        }
        if !self.session_confirmed(session_token).await? {
            if proof.is_empty() {
                return Err(confirmation_needed());
            }
            self.confirm_presence(caller, session_token, proof, meta).await?;
        }
        let plain = self.secret.open(SEALED_KEY, m.id.as_bytes(), sealed).and_then(|b| String::from_utf8(b).ok());
        let Some(plain) = plain else {
            // Sealed under another server secret (KEYPORT_SECRET changed), or altered.
            tracing::warn!(key_id = %m.id, "a sealed key did not open; was the server secret changed?");
            return Err(CoreError::Conflict("This key cannot be opened any more (the server's secret changed). Rotate it for a new one.".into()));
        };
        if self.secret.hash_key(&plain) != m.key_hash {
            return Err(CoreError::Internal("a sealed key does not match its hash".into()));
        }
        let action = match how {
            Retrieval::Reveal => AuditAction::KeyRevealed,
            Retrieval::Copy => AuditAction::KeyCopied,
        };
        self.audit(&self.db, meta, caller.entry(action, ("key", &m.id)).with_detail(m.name.clone())).await?;
        Ok(PlainKey::new(plain))
    }

    /// Forgets the sealed keys that will never be shown again: those the setting no longer
    /// covers (after `keys.retrievable` went down), and those of keys that stopped working
    /// (revoked, expired, past a rotation's grace). Returns how many were forgotten.
    pub async fn forget_unretrievable_keys(&self) -> Result<u64, CoreError> {
        use crate::services::settings::Retrievable;
        let now = self.now();
        let mut gone = Condition::any()
            .add(api_key::Column::RevokedAt.is_not_null())
            .add(api_key::Column::ExpiresAt.lte(now))
            .add(api_key::Column::GraceUntil.lte(now));
        gone = match self.settings().retrievable {
            Retrievable::All => gone,
            Retrievable::Test => gone.add(api_key::Column::Environment.ne("test")),
            Retrievable::Never => gone.add(api_key::Column::SealedSecret.is_not_null()),
        };
        let forgotten = api_key::Entity::update_many()
            .col_expr(api_key::Column::SealedSecret, Expr::value(Option::<String>::None))
            .filter(api_key::Column::SealedSecret.is_not_null())
            .filter(gone)
            .exec(&self.db)
            .await?;
        Ok(forgotten.rows_affected)
    }
}
