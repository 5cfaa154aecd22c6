//! Sign-up, sign-in, sessions.

use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailContent, Welcome};
use crate::services::Services;
use crate::crypto::{new_id, random_token, sha256_hex};
use crate::dto::{TeamView, UserView};
use crate::entity::{membership, session, team, user};
use crate::error::{unique_violation_as, CoreError};
use crate::roles::{allowed, Action, Role};
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
pub use crate::services::mfa::{ChallengeToken, SignInStep};
use crate::validate::{Email, FieldError, Password};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::BTreeMap;
use tracing::instrument;

/// Sign-in attempts allowed per account, per minute.
pub const LOGIN_ATTEMPTS_PER_ACCOUNT: u64 = 10;
/// How stale a member's "last active" time may get before a request refreshes it.
pub const LAST_ACTIVE_RESOLUTION_MINUTES: i64 = 5;
/// Sign-in attempts allowed per client address, per minute (offices share addresses).
pub const LOGIN_ATTEMPTS_PER_ADDRESS: u64 = 30;

/// The window sign-ups per client address are counted in.
pub const SIGNUP_WINDOW_SECONDS: i64 = 3600;

/// The signed-in caller of a request: who, and in which team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The user.
    pub user: UserView,
    /// The active team.
    pub team: TeamView,
    /// The caller's role in the team.
    pub role: Role,
    /// The provider's admin acting in this team on its behalf (audited as such).
    pub as_provider: bool,
    /// The active team requires a second factor and the user has none: every team action
    /// ([`Caller::require`], [`Caller::require_team`]) is refused with
    /// `SecondFactorRequired` until they set one up.
    pub needs_second_factor: bool,
}

impl Caller {
    /// An audit row for an action of this caller on an object of the active team.
    pub fn entry<'a>(&'a self, action: AuditAction, object: (&'static str, &'a str)) -> AuditEntry<'a> {
        AuditEntry {
            team_id: Some(&self.team.id),
            actor_user_id: Some(&self.user.id),
            actor_email: Some(&self.user.email),
            action,
            object: Some(object),
            detail: None,
            by_provider: self.as_provider,
        }
    }

    /// Refuses with `Forbidden` unless the caller's role allows `action`, and with
    /// `SecondFactorRequired` while the team requires a second factor the caller lacks.
    pub fn require(&self, action: Action) -> Result<(), CoreError> {
        self.require_team()?;
        if allowed(self.role, action) {
            Ok(())
        } else {
            Err(CoreError::Forbidden)
        }
    }

    /// Refuses with `SecondFactorRequired` while the active team requires a second factor
    /// the caller lacks: for reads of the team that any member may make.
    pub fn require_team(&self) -> Result<(), CoreError> {
        if self.needs_second_factor {
            return Err(CoreError::SecondFactorRequired);
        }
        Ok(())
    }
}

/// What sign-up did.
#[derive(Debug)]
pub enum Registered {
    /// The account was created and this browser signed in (no address confirmation asked).
    SignedIn(Caller, SessionToken),
    /// The provider asks new accounts to confirm their address: an email went to it, either
    /// with the confirmation link (a new account) or saying someone tried to sign up (the
    /// address already has an account). The form says the same either way.
    CheckEmail,
}

/// A new session token; the cookie value. `Debug` hides it.
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

fn invalid_credentials() -> CoreError {
    CoreError::Unauthenticated
}

impl Services {
    /// Creates an account with a personal team. `answers` are the answers to the sign-up
    /// questions (`signup.fields`) by question name; a missing required one or a bad one is a
    /// field error on `signup_<name>`, and nothing is created.
    ///
    /// Without address confirmation (`signup.require_verification` off) the browser is signed
    /// in at once, and an address that has an account is a field error. With it, the answer
    /// is [`Registered::CheckEmail`] for every address after the same work, so the form tells
    /// nobody who has an account here: a new account gets its confirmation link, the owner
    /// of an existing one is told someone tried.
    #[instrument(skip_all)]
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        answers: &BTreeMap<String, String>,
        meta: &RequestMeta,
    ) -> Result<Registered, CoreError> {
        let email = Email::parse(email)?;
        self.signup_allowed(&email)?;
        let password = Password::parse(password)?;
        // After the password: refusals come in the order the form asks.
        let answers = self.signup_answers(answers)?;
        self.throttle_signup(meta)?;
        let hash = self.passwords.hash(&password).await?;
        if !self.settings().require_verification {
            let (caller, token) = self.create_signed_in(&email, hash, answers, meta, false).await?;
            return Ok(Registered::SignedIn(caller, token));
        }
        let txn = self.begin_write().await?;
        match self.create_account(&txn, &email, hash, answers, false).await {
            Ok(caller) => {
                self.queue_verification(&txn, &caller.user.id, &caller.user.email, meta).await?;
                txn.commit().await?;
                self.wake_outbox();
                tracing::info!(user_id = %caller.user.id, "account created; its address waits for confirmation");
            }
            Err(CoreError::Invalid(f)) if f.field == "email" => {
                drop(txn);
                self.notify_signup_attempt(&email, meta).await?;
            }
            Err(e) => return Err(e),
        }
        Ok(Registered::CheckEmail)
    }

    /// Creates an account whose address counts as confirmed and signs it in (the demo's).
    pub(crate) async fn register_confirmed(&self, email: &str, password: &str, meta: &RequestMeta) -> Result<(Caller, SessionToken), CoreError> {
        let email = Email::parse(email)?;
        let hash = self.passwords.hash(&Password::parse(password)?).await?;
        self.create_signed_in(&email, hash, None, meta, true).await
    }

    async fn create_signed_in(&self, email: &Email, hash: String, answers: Option<String>, meta: &RequestMeta, verified: bool) -> Result<(Caller, SessionToken), CoreError> {
        let txn = self.begin_write().await?;
        let caller = self.create_account(&txn, email, hash, answers, verified).await?;
        let token = self.insert_session(&txn, &caller.user.id, meta).await?;
        self.queue_welcome(&txn, &caller).await?;
        txn.commit().await?;
        self.wake_outbox();
        tracing::info!(user_id = %caller.user.id, "account created");
        Ok((caller, token))
    }

    /// Queues the welcome email to a new account, inside the transaction that creates it.
    pub(crate) async fn queue_welcome<C: sea_orm::ConnectionTrait>(&self, db: &C, account: &Caller) -> Result<(), CoreError> {
        let base = self.settings().base_url.trim_end_matches('/').to_owned();
        let welcome = Welcome {
            email: account.user.email.clone(),
            team: account.team.name.clone(),
            keys_url: format!("{base}/portal/keys"),
            docs_url: format!("{base}/portal/docs"),
        };
        self.enqueue_email(db, NewEmail { team_id: None, to: &account.user.email, content: EmailContent::Welcome(welcome) }).await?;
        Ok(())
    }

    /// Refuses an account creation from an address that made too many this hour, before any
    /// password is hashed (each hash costs 19 MiB and tens of milliseconds).
    pub(crate) fn throttle_signup(&self, meta: &RequestMeta) -> Result<(), CoreError> {
        let now = self.now().timestamp();
        let d = self.signup_limiter.check(&format!("signup:{}", meta.ip), self.config.signups_per_address_per_hour, SIGNUP_WINDOW_SECONDS, now);
        if !d.allowed {
            return Err(CoreError::Throttled {
                retry_after: (d.reset - now).max(1) as u64,
                message: "Too many accounts were created from your network in the last hour. Try again later.".into(),
            });
        }
        Ok(())
    }

    /// Checks answers to the sign-up questions asked now and returns them as the users table
    /// stores them (a JSON object of name to answer; nothing when there is none).
    pub(crate) fn signup_answers(&self, answers: &BTreeMap<String, String>) -> Result<Option<String>, CoreError> {
        let checked = crate::signup::check_answers(&self.settings().signup_fields, answers)?;
        if checked.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_json::to_string(&checked).map_err(|e| CoreError::Internal(e.to_string()))?))
    }

    /// Whether the provider lets this address sign up on its own (`signup.mode`,
    /// `signup.allowed_email_domains`); an invitation is the way in otherwise.
    pub(crate) fn signup_allowed(&self, email: &Email) -> Result<(), CoreError> {
        use crate::services::settings::SignupMode;
        let live = self.settings();
        let refuse = |m: String| Err(crate::validate::FieldError::new("email", m).into());
        match live.signup_mode {
            SignupMode::Open => {}
            SignupMode::InviteOnly => return refuse(format!("{} accounts are by invitation: ask a team that uses it to invite you.", live.app_name)),
            SignupMode::Closed => return refuse(format!("Sign-up for {} is closed.", live.app_name)),
        }
        let domain = email.as_str().rsplit('@').next().unwrap_or("");
        if !live.allowed_email_domains.is_empty() && !live.allowed_email_domains.iter().any(|d| d == domain) {
            return refuse(format!("Sign-up is open to addresses at {} only.", live.allowed_email_domains.join(", ")));
        }
        Ok(())
    }

    /// Inserts a user (with their checked sign-up answers) and their personal team on `db`
    /// (the caller's transaction); `verified`: the address is known to be theirs (an
    /// invitation link reached it, the provider's site vouches for it). An address that
    /// already has an account is a field error on `email`.
    pub(crate) async fn create_account<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        email: &Email,
        password_hash: String,
        signup_answers: Option<String>,
        verified: bool,
    ) -> Result<Caller, CoreError> {
        let now = self.now();
        let user_id = new_id("usr");
        let team_id = new_id("team");
        let team_name = format!("{}'s team", email.as_str().split('@').next().unwrap_or("My"));
        user::ActiveModel {
            id: Set(user_id.clone()),
            email: Set(email.as_str().to_owned()),
            password_hash: Set(password_hash),
            created_at: Set(now),
            site_admin: Set(false),
            suspended_at: Set(None),
            suspended_reason: Set(None),
            signup_answers: Set(signup_answers),
            external_id: Set(None),
            managed: Set(false),
            email_verified_at: Set(verified.then_some(now)),
            name: Set(None),
            notify_quota: Set(true),
            notify_expiry: Set(true),
            notify_news: Set(false),
        }
        .insert(db)
        .await
        .map_err(|e| {
            unique_violation_as(e, "email", "An account with this email already exists. Sign in instead.")
        })?;
        crate::services::teams::insert_team_with_owner(db, &team_id, &team_name, true, None, &user_id, now).await?;
        Ok(Caller {
            user: UserView { id: user_id, email: email.as_str().to_owned() },
            team: TeamView { id: team_id, name: team_name },
            role: Role::Owner,
            as_provider: false,
            needs_second_factor: false,
        })
    }

    /// Signs in with email and password. Unknown email and wrong password give the same
    /// error after the same work. `previous` is the session being replaced, if any. An
    /// account with a second factor gets a challenge rather than a session
    /// ([`Services::begin_sign_in`]).
    #[instrument(skip_all)]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        meta: &RequestMeta,
        previous: Option<&str>,
    ) -> Result<SignInStep, CoreError> {
        let email = Email::parse(email)?;
        let password = Password::for_login(password)?;
        let now = self.now().timestamp();
        for (id, limit) in [
            (format!("email:{}", email.as_str()), LOGIN_ATTEMPTS_PER_ACCOUNT),
            (format!("addr:{}", meta.ip), LOGIN_ATTEMPTS_PER_ADDRESS),
        ] {
            let d = self.login_limiter.check(&id, limit, 60, now);
            if !d.allowed {
                return Err(CoreError::TooManyAttempts { retry_after: (d.reset - now).max(1) as u64 });
            }
        }
        let found = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&self.db).await?;
        let ok = self.passwords.verify(&password, found.as_ref().map(|u| u.password_hash.clone())).await?;
        let Some(user) = found.filter(|_| ok) else {
            tracing::info!("sign-in refused");
            let entry = AuditEntry {
                team_id: None,
                actor_user_id: None,
                actor_email: Some(email.as_str()),
                action: AuditAction::SignInFailed,
                object: None,
                detail: None,
                by_provider: false,
            };
            self.audit(&self.db, meta, entry).await?;
            return Err(invalid_credentials());
        };
        // Suspension is said only to someone who knows the password (begin_sign_in checks it).
        self.begin_sign_in(&user, meta, previous).await
    }

    /// The caller for a user who just signed in: in their first team.
    pub(crate) async fn caller_of_user(&self, user: &user::Model) -> Result<Option<Caller>, CoreError> {
        self.caller_for(&user.id, &user.email, None).await
    }

    /// Ends a session server-side; the token is dead from now on.
    pub async fn logout(&self, token: &str) -> Result<(), CoreError> {
        session::Entity::delete_many()
            .filter(session::Column::TokenHash.eq(sha256_hex(token)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Resolves a session cookie to the caller, if the session is alive.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Caller>, CoreError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let Some(s) = session::Entity::find()
            .filter(session::Column::TokenHash.eq(sha256_hex(token)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if s.expires_at <= self.now() {
            return Ok(None);
        }
        let Some(u) = user::Entity::find_by_id(s.user_id.clone()).one(&self.db).await? else {
            return Ok(None);
        };
        if u.suspended_at.is_some() {
            return Ok(None);
        }
        self.touch_session(&s).await?;
        self.caller_for(&u.id, &u.email, s.active_team_id.as_deref()).await
    }

    /// The caller in their chosen team, or in their first team when they chose none or are no
    /// longer a member of the chosen one.
    pub(crate) async fn caller_for(&self, user_id: &str, email: &str, chosen: Option<&str>) -> Result<Option<Caller>, CoreError> {
        let mine = membership::Entity::find().filter(membership::Column::UserId.eq(user_id));
        let chosen_membership = match chosen {
            Some(team_id) => mine.clone().filter(membership::Column::TeamId.eq(team_id)).one(&self.db).await?,
            None => None,
        };
        let m = match chosen_membership {
            Some(m) => m,
            None => match mine.order_by_asc(membership::Column::CreatedAt).one(&self.db).await? {
                Some(m) => m,
                None => return Ok(None),
            },
        };
        let Some(t) = team::Entity::find_by_id(m.team_id.clone()).one(&self.db).await? else {
            return Ok(None);
        };
        // "Last active" on the members page; written at most every few minutes per member.
        let now = self.now();
        if m.last_active_at.is_none_or(|at| now - at > chrono::Duration::minutes(LAST_ACTIVE_RESOLUTION_MINUTES)) {
            membership::Entity::update_many()
                .col_expr(membership::Column::LastActiveAt, sea_orm::sea_query::Expr::value(now))
                .filter(membership::Column::TeamId.eq(&m.team_id))
                .filter(membership::Column::UserId.eq(user_id))
                .exec(&self.db)
                .await?;
        }
        // Looked up only for the teams that ask for it.
        let needs_second_factor = t.require_mfa && !self.totp_enabled(user_id).await?;
        Ok(Some(Caller {
            user: UserView { id: user_id.to_owned(), email: email.to_owned() },
            team: TeamView { id: t.id, name: t.name },
            // An unknown stored role grants the least, never the most.
            role: Role::parse(&m.role).unwrap_or(Role::Viewer),
            as_provider: false,
            needs_second_factor,
        }))
    }

    /// A new session for `user_id`, remembering the browser and address it came from.
    pub(crate) async fn insert_session<C: sea_orm::ConnectionTrait>(&self, db: &C, user_id: &str, meta: &RequestMeta) -> Result<SessionToken, CoreError> {
        let token = random_token(32);
        let now = self.now();
        session::ActiveModel {
            id: Set(new_id("ses")),
            token_hash: Set(sha256_hex(&token)),
            user_id: Set(user_id.to_owned()),
            created_at: Set(now),
            expires_at: Set(now + self.config.session_ttl),
            active_team_id: Set(None),
            user_agent: Set(Some(meta.user_agent.clone()).filter(|a| !a.is_empty())),
            ip: Set(Some(meta.ip.chars().take(64).collect())),
            last_seen_at: Set(Some(now)),
            embedded: Set(false),
            confirmed_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(SessionToken(token))
    }
}

/// The message shown for refused sign-ins, identical for unknown emails and wrong passwords.
pub fn invalid_credentials_error() -> FieldError {
    FieldError::new("password", "Email or password is incorrect.")
}
