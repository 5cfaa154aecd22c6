//! Single sign-on, the account side: what a sign-in provider vouched for (checked by the
//! server's protocol code) becomes a linked identity, an account and a session here. The
//! protocols themselves (OpenID Connect, GitHub's OAuth) live in the server, which talks HTTP.

use crate::crypto::{new_id, sha256_hex};
use crate::dto::IdentityView;
use crate::entity::{identity, sso_used_state, user};
use crate::error::CoreError;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::Caller;
use crate::services::mfa::SignInStep;
use crate::services::embed::NO_PASSWORD;
use crate::services::Services;
use crate::validate::Email;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use tracing::instrument;

/// Whether a stored password hash is a password (not the no-password marker of accounts made
/// by single sign-on or managed by the provider's site).
pub fn has_password(hash: &str) -> bool {
    hash.starts_with("$argon2") && hash != NO_PASSWORD
}

/// What a provider vouched for, after the server checked its answer (state, nonce, the ID
/// token's signature, issuer, audience and expiry; for GitHub, its API over TLS).
#[derive(Clone, Debug)]
pub struct VerifiedIdentity {
    /// `google`, `github` or `oidc`.
    pub provider: &'static str,
    /// What people call it ("Google"), for the audit trail.
    pub provider_label: String,
    /// The provider's stable id for the person.
    pub subject: String,
    /// The address the provider gave, if any.
    pub email: Option<String>,
    /// Whether the provider says it verified that address.
    pub email_verified: bool,
}

/// Why a single sign-on was refused, in words the sign-in page shows as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsoRefusal {
    /// No verified address: nothing can be linked or created.
    Unverified,
    /// The account is suspended.
    Suspended,
    /// No account has this address and sign-up does not let it make one.
    SignupRefused,
    /// Too many accounts from this address this hour.
    Throttled,
}

impl SsoRefusal {
    /// The code in the sign-in page's URL.
    pub fn code(&self) -> &'static str {
        match self {
            SsoRefusal::Unverified => "unverified",
            SsoRefusal::Suspended => "suspended",
            SsoRefusal::SignupRefused => "signup",
            SsoRefusal::Throttled => "throttled",
        }
    }
}

/// Most identities one account may link (a few providers, each once or twice).
pub const MAX_IDENTITIES_PER_ACCOUNT: u64 = 10;

impl Services {
    /// Marks a sign-in flow's state used; `false` when its callback already ran (a replay).
    /// Rows are kept until the state would have expired, then swept here, so the table stays
    /// as small as the flows of the last few minutes.
    pub async fn use_sso_state(&self, state: &str, expires_at: chrono::DateTime<chrono::Utc>) -> Result<bool, CoreError> {
        let now = self.now();
        sso_used_state::Entity::delete_many().filter(sso_used_state::Column::ExpiresAt.lt(now)).exec(&self.db).await?;
        let row = sso_used_state::ActiveModel { state_hash: Set(sha256_hex(state)), expires_at: Set(expires_at) };
        match row.insert(&self.db).await {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Signs in with an identity a provider vouched for: THE one place a single sign-on
    /// becomes a sign-in. It ends in [`Services::begin_sign_in_with`], as a password sign-in
    /// does: an account with a second factor gets a challenge (the code page), any other a
    /// session.
    ///
    /// An identity already linked signs its account in. Otherwise the provider must have
    /// verified the address: an account with that address gets the identity linked; with
    /// none, the first sign-in creates the account (no password) and its personal team, as
    /// `signup.mode` and the allowed domains permit. Suspended accounts are refused like a
    /// password sign-in. `previous` is the session being replaced, if any.
    #[instrument(skip_all, fields(provider = id.provider))]
    pub async fn sso_sign_in(&self, id: &VerifiedIdentity, meta: &RequestMeta, previous: Option<&str>) -> Result<Result<SignInStep, SsoRefusal>, CoreError> {
        let linked = identity::Entity::find()
            .filter(identity::Column::Provider.eq(id.provider))
            .filter(identity::Column::Subject.eq(&id.subject))
            .one(&self.db)
            .await?;
        let txn = self.begin_write().await?;
        let (user, created) = match linked {
            Some(l) => match user::Entity::find_by_id(l.user_id.clone()).one(&txn).await? {
                Some(u) => (u, false),
                None => return Err(CoreError::Internal("an identity's account is gone".into())),
            },
            None => {
                let Some(email) = id.email.as_deref().filter(|_| id.email_verified).and_then(|e| Email::parse(e).ok()) else {
                    tracing::info!("single sign-on refused: no verified address");
                    return Ok(Err(SsoRefusal::Unverified));
                };
                let existing = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&txn).await?;
                let (u, created) = match existing {
                    Some(u) => {
                        if u.suspended_at.is_some() {
                            return Ok(Err(SsoRefusal::Suspended));
                        }
                        let count = identity::Entity::find().filter(identity::Column::UserId.eq(&u.id)).count(&txn).await?;
                        if count >= MAX_IDENTITIES_PER_ACCOUNT {
                            return Err(CoreError::Conflict("This account has as many sign-in providers linked as it may.".into()));
                        }
                        // Linked through the address the provider verified: it is confirmed.
                        if u.email_verified_at.is_none() {
                            user::Entity::update_many()
                                .col_expr(user::Column::EmailVerifiedAt, sea_orm::sea_query::Expr::value(self.now()))
                                .filter(user::Column::Id.eq(&u.id))
                                .exec(&txn)
                                .await?;
                        }
                        (u, false)
                    }
                    None => {
                        if self.signup_allowed(&email).is_err() {
                            return Ok(Err(SsoRefusal::SignupRefused));
                        }
                        if self.throttle_signup(meta).is_err() {
                            return Ok(Err(SsoRefusal::Throttled));
                        }
                        // The provider verified the address: it counts as confirmed here.
                        let caller = self.create_account(&txn, &email, NO_PASSWORD.to_owned(), None, true).await?;
                        self.queue_welcome(&txn, &caller).await?;
                        let u = user::Entity::find_by_id(caller.user.id.clone()).one(&txn).await?.ok_or(CoreError::Unauthenticated)?;
                        (u, true)
                    }
                };
                let identity_id = new_id("idn");
                identity::ActiveModel {
                    id: Set(identity_id.clone()),
                    user_id: Set(u.id.clone()),
                    provider: Set(id.provider.to_owned()),
                    subject: Set(id.subject.chars().take(255).collect()),
                    email: Set(email.as_str().to_owned()),
                    created_at: Set(self.now()),
                }
                .insert(&txn)
                .await?;
                let entry = AuditEntry {
                    team_id: None,
                    actor_user_id: Some(&u.id),
                    actor_email: Some(&u.email),
                    action: AuditAction::IdentityLinked,
                    object: Some(("identity", &identity_id)),
                    detail: Some(format!("{} ({})", id.provider_label, email.as_str())),
                    by_provider: false,
                };
                self.audit(&txn, meta, entry).await?;
                (u, created)
            }
        };
        if user.suspended_at.is_some() {
            return Ok(Err(SsoRefusal::Suspended));
        }
        txn.commit().await?;
        if created {
            self.wake_outbox();
        }
        // As after a password: a second factor when the account has one, else the session,
        // audited with the provider.
        let step = self.begin_sign_in_with(&user, meta, previous, Some(format!("with {}", id.provider_label))).await?;
        tracing::info!(user_id = %user.id, created, second_factor = matches!(step, SignInStep::SecondFactor(_)), "single sign-on accepted");
        Ok(Ok(step))
    }

    /// The identities linked to an account, oldest first. `has_password`: whether the account
    /// has a password, which is another way in.
    pub async fn identities(&self, user_id: &str, has_password: bool) -> Result<Vec<IdentityView>, CoreError> {
        let rows = identity::Entity::find()
            .filter(identity::Column::UserId.eq(user_id))
            .order_by_asc(identity::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let live = self.settings();
        let last = !has_password && rows.len() == 1;
        Ok(rows
            .into_iter()
            .map(|r| IdentityView {
                provider_label: live.sso.label(&r.provider),
                id: r.id,
                provider: r.provider,
                email: r.email,
                linked_at: r.created_at,
                last_way_in: last,
            })
            .collect())
    }

    /// Removes one of the caller's identities, never the last way in: an account without a
    /// password keeps its only identity. Another account's identity is `NotFound`.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn unlink_identity(&self, caller: &Caller, identity_id: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        let txn = self.begin_write().await?;
        let Some(row) = identity::Entity::find_by_id(identity_id.to_owned()).one(&txn).await?.filter(|r| r.user_id == caller.user.id) else {
            return Err(CoreError::NotFound);
        };
        let u = user::Entity::find_by_id(caller.user.id.clone()).one(&txn).await?.ok_or(CoreError::Unauthenticated)?;
        let count = identity::Entity::find().filter(identity::Column::UserId.eq(&caller.user.id)).count(&txn).await?;
        if !has_password(&u.password_hash) && count <= 1 {
            return Err(CoreError::Conflict(
                "This is the only way into your account: it has no password. Set a password first (Forgot your password? on the sign-in page sends a link), or link another provider.".into(),
            ));
        }
        identity::Entity::delete_by_id(row.id.clone()).exec(&txn).await?;
        let entry = AuditEntry {
            team_id: None,
            actor_user_id: Some(&caller.user.id),
            actor_email: Some(&caller.user.email),
            action: AuditAction::IdentityUnlinked,
            object: Some(("identity", &row.id)),
            detail: Some(format!("{} ({})", self.settings().sso.label(&row.provider), row.email)),
            by_provider: false,
        };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok(())
    }
}
