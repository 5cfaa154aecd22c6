//! The key lifecycle: create, list, edit, disable and enable, regenerate, revoke. Every query
//! is scoped by the caller's team; members manage the keys they created, admins any.

use crate::services::audit::{AuditAction, RequestMeta};
use crate::services::auth::Caller;
use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailContent, KeyApproval, KeyCreated, KeyDecision};
use crate::services::Services;
use crate::crypto::{new_id, random_base62};
use crate::dto::billing::{Feature, PlanView};
use crate::dto::{CreatedKey, KeyDates, KeyOptions, KeyStatus, KeyView};
use crate::entity::api_key;
use crate::error::CoreError;
use crate::key::{assemble, mask, Environment, PlainKey, WellFormedKey, RANDOM_LEN};
use crate::roles::Action;
use crate::validate::{GRACE_CHOICES, parse_environment, parse_key_description, parse_quota, parse_ratelimit, parse_scopes, Expiry, KeyName};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use tracing::instrument;

/// The status of a stored key at `now`.
pub fn key_status(m: &api_key::Model, now: DateTime<Utc>) -> KeyStatus {
    KeyStatus::derive(
        KeyDates {
            revoked_at: m.revoked_at,
            disabled_at: m.disabled_at,
            grace_until: m.grace_until,
            expires_at: m.expires_at,
            approval: approval_state(m.approval.as_deref()),
        },
        now,
    )
}

/// The stored approval state as one of the three known names.
pub fn approval_state(stored: Option<&str>) -> Option<&'static str> {
    match stored {
        None => None,
        Some("pending") => Some("pending"),
        Some("denied") => Some("denied"),
        Some(_) => Some("approved"),
    }
}

/// The scopes column as a list.
pub fn scope_list(stored: &str) -> Vec<String> {
    stored.split_whitespace().map(str::to_owned).collect()
}

/// The list view of a stored key.
pub fn key_view(m: &api_key::Model, now: DateTime<Utc>) -> KeyView {
    KeyView {
        id: m.id.clone(),
        name: m.name.clone(),
        description: m.description.clone(),
        environment: Environment::parse(&m.environment).unwrap_or(Environment::Test),
        scopes: scope_list(&m.scopes),
        monthly_quota: m.monthly_quota,
        masked: mask(&m.display_start, &m.last4),
        created_by: m.created_by.clone(),
        created_by_email: None,
        ratelimit_per_minute: m.ratelimit_per_minute,
        created_at: m.created_at,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
        first_valid_at: m.first_valid_at,
        revoked_at: m.revoked_at,
        disabled_at: m.disabled_at,
        grace_until: m.grace_until,
        replaced_by: m.replaced_by.clone(),
        approval_note: m.approval_note.clone(),
        pending_scopes: m.pending_scopes.as_deref().map(scope_list).unwrap_or_default(),
        retrievable: m.sealed_secret.is_some() && !matches!(key_status(m, now), KeyStatus::Revoked | KeyStatus::Denied | KeyStatus::Expired),
        status: key_status(m, now),
    }
}

/// Keys of `team` that are neither revoked, nor expired, nor past a rotation grace (disabled
/// ones count: they can be switched on again). The per-team key limit counts these. A key
/// rotated and still in its grace counts once with its replacement (they also share one
/// rate-limit budget and one quota): it is the same key changing secrets.
pub fn live_keys_of(team: &str, now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(api_key::Column::TeamId.eq(team))
        .add(api_key::Column::ReplacedBy.is_null())
        .add(api_key::Column::RevokedAt.is_null())
        .add(api_key::Column::ExpiresAt.is_null().or(api_key::Column::ExpiresAt.gt(now)))
        .add(api_key::Column::GraceUntil.is_null().or(api_key::Column::GraceUntil.gt(now)))
        .add(api_key::Column::Approval.is_null().or(api_key::Column::Approval.ne("denied")))
}

/// Members manage the keys they created, admins and owners any.
fn may_manage(caller: &Caller, m: &api_key::Model) -> Result<(), CoreError> {
    caller.require(if m.created_by == caller.user.id { Action::ManageOwnKey } else { Action::ManageAnyKey })
}

/// Keys (or changes to keys) that wait for a decision.
pub(crate) fn waiting_for_approval() -> Condition {
    Condition::all()
        .add(api_key::Column::RevokedAt.is_null())
        .add(api_key::Column::ReplacedBy.is_null())
        .add(Condition::any().add(api_key::Column::Approval.eq("pending")).add(api_key::Column::PendingScopes.is_not_null()))
}

/// What a key is created with, as submitted by a form (every field is parsed here).
#[derive(Clone, Debug, Default)]
pub struct KeyInput<'a> {
    /// Name.
    pub name: &'a str,
    /// Optional description.
    pub description: &'a str,
    /// `live` or `test`.
    pub environment: &'a str,
    /// Scopes, separated by spaces or commas.
    pub scopes: &'a str,
    /// `never`, `30`, `90`, `180` or a date.
    pub expiry: &'a str,
    /// Requests per minute; empty for the operator's default.
    pub ratelimit: &'a str,
    /// Requests per month; empty for none.
    pub quota: &'a str,
}

/// The editable settings of a key.
#[derive(Clone, Debug, Default)]
pub struct KeyEdit<'a> {
    /// Name.
    pub name: &'a str,
    /// Optional description.
    pub description: &'a str,
    /// Scopes, separated by spaces or commas.
    pub scopes: &'a str,
    /// Requests per minute.
    pub ratelimit: &'a str,
    /// Requests per month; empty for none.
    pub quota: &'a str,
}

/// A fresh secret for a key: the full key and what is stored of it.
struct Secret {
    full: String,
    hash: String,
    display_start: String,
    last4: String,
}

impl Services {
    /// Records, in the change's transaction, that cached data for `hash` is stale, so other
    /// nodes sharing the database forget it within their sync interval.
    pub(crate) async fn note_key_change<C: sea_orm::ConnectionTrait>(&self, db: &C, hash: &str) -> Result<(), CoreError> {
        use crate::entity::key_change;
        key_change::ActiveModel { id: sea_orm::NotSet, key_hash: Set(hash.to_owned()), created_at: Set(self.now()) }
            .insert(db)
            .await?;
        Ok(())
    }

    /// Rotates a key: a new key with the same settings is created (and returned, once); the
    /// old one keeps working for the chosen grace (`now`, `1h`, `24h`, `7d`) and is then
    /// refused. Both generations share one monthly quota.
    #[instrument(skip_all, fields(team_id = %caller.team.id, key_id = %key_id))]
    pub async fn rotate_key(&self, caller: &Caller, key_id: &str, grace: &str, meta: &RequestMeta) -> Result<CreatedKey, CoreError> {
        let old = self.managed_key(caller, key_id).await?;
        let now = self.now();
        Self::refuse_if_revoked(&old, now)?;
        if old.approval.as_deref() == Some("pending") {
            return Err(CoreError::Conflict("This key is waiting for approval; it can be rotated once approved.".into()));
        }
        if old.replaced_by.is_some() {
            return Err(CoreError::Conflict("This key was already rotated; rotate its replacement instead.".into()));
        }
        let Some((_, label, secs)) = GRACE_CHOICES.iter().find(|(v, _, _)| *v == grace) else {
            return Err(crate::validate::FieldError::new("grace", "Choose how long the old key keeps working.").into());
        };
        let env = Environment::parse(&old.environment).unwrap_or(Environment::Test);
        let secret = self.new_secret(env)?;
        let new_id = new_id("key");
        let txn = self.begin_write().await?;
        // Only one rotation of a key wins: the old key is marked replaced only if nobody
        // replaced (or revoked) it since it was read. On PostgreSQL the update takes the row
        // lock, so a concurrent rotation waits here and then matches nothing.
        let mut mark = api_key::Entity::update_many()
            .col_expr(api_key::Column::ReplacedBy, Expr::value(Some(new_id.clone())))
            .col_expr(api_key::Column::UpdatedAt, Expr::value(Some(now)));
        mark = if *secs == 0 {
            // Refused from now on, so never shown again either.
            mark.col_expr(api_key::Column::RevokedAt, Expr::value(Some(now))).col_expr(api_key::Column::SealedSecret, Expr::value(Option::<String>::None))
        } else {
            mark.col_expr(api_key::Column::GraceUntil, Expr::value(Some(now + chrono::Duration::seconds(*secs))))
        };
        let marked = mark
            .filter(api_key::Column::Id.eq(&old.id))
            .filter(api_key::Column::ReplacedBy.is_null())
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected != 1 {
            return Err(CoreError::Conflict("This key was just rotated or revoked; reload to see its replacement.".into()));
        }
        let new = api_key::ActiveModel {
            id: Set(new_id.clone()),
            team_id: Set(old.team_id.clone()),
            created_by: Set(old.created_by.clone()),
            name: Set(old.name.clone()),
            environment: Set(old.environment.clone()),
            key_hash: Set(secret.hash.clone()),
            display_start: Set(secret.display_start),
            last4: Set(secret.last4),
            ratelimit_per_minute: Set(old.ratelimit_per_minute),
            created_at: Set(now),
            expires_at: Set(old.expires_at),
            revoked_at: Set(None),
            last_used_at: Set(None),
            first_valid_at: Set(None),
            expiry_reminded: Set(None),
            description: Set(old.description.clone()),
            scopes: Set(old.scopes.clone()),
            monthly_quota: Set(old.monthly_quota),
            disabled_at: Set(old.disabled_at),
            grace_until: Set(None),
            replaced_by: Set(None),
            updated_at: Set(None),
            lineage_id: Set(Some(old.lineage_id.clone().unwrap_or_else(|| old.id.clone()))),
            approval: Set(old.approval.clone()),
            approval_note: Set(old.approval_note.clone()),
            decided_by: Set(old.decided_by.clone()),
            decided_at: Set(old.decided_at),
            // A change waiting for approval moves to the new generation; the old key keeps
            // only what was granted, like the new one.
            pending_scopes: Set(old.pending_scopes.clone()),
            requested_by: Set(old.requested_by.clone()),
            sealed_secret: Set(self.seal_key(&new_id, &old.environment, &secret.full)),
        }
        .insert(&txn)
        .await?;
        let old_hash = old.key_hash.clone();
        let old_id = old.id.clone();
        if old.pending_scopes.is_some() {
            api_key::Entity::update_many()
                .col_expr(api_key::Column::PendingScopes, Expr::value(Option::<String>::None))
                .filter(api_key::Column::Id.eq(&old_id))
                .exec(&txn)
                .await?;
        }
        self.note_key_change(&txn, &old_hash).await?;
        self.note_key_change(&txn, &secret.hash).await?;
        let detail = format!("replaced by {new_id}; grace: {}", if *secs == 0 { "none" } else { label });
        self.audit(&txn, meta, caller.entry(AuditAction::KeyRotated, ("key", &old_id)).with_detail(detail)).await?;
        txn.commit().await?;
        self.verifier.invalidate(&old_hash);
        self.verifier.invalidate(&secret.hash);
        tracing::info!(new_key_id = %new_id, "key rotated");
        Ok(CreatedKey { key: key_view(&new, now), secret: PlainKey::new(secret.full) })
    }

    fn new_secret(&self, env: Environment) -> Result<Secret, CoreError> {
        let full = assemble(env, &random_base62(RANDOM_LEN));
        let parsed = WellFormedKey::parse(&full).map_err(|_| CoreError::Internal("generated key does not parse".into()))?;
        let (display_start, last4) = (parsed.display_start().to_owned(), parsed.last4().to_owned());
        Ok(Secret { hash: self.secret.hash_key(&full), full, display_start, last4 })
    }

    /// The approval policy, the one place every path that changes what a key may do asks:
    /// whether a key in `env` holding `wanted` needs an approval beyond what it was already
    /// granted (`granted`: its scopes, for a key that already works in `env`; `None` for a
    /// new key).
    pub fn approval_needed(&self, env: Environment, granted: Option<&[String]>, wanted: &[String]) -> bool {
        let live = env == Environment::Live && self.settings().approval_live && granted.is_none();
        live || wanted.iter().any(|s| self.settings().approval_scopes.contains(s) && !granted.is_some_and(|g| g.contains(s)))
    }

    /// Refuses an expiry past the provider's longest key lifetime (`keys.max_lifetime_days`).
    fn within_lifetime(&self, expires_at: Option<chrono::DateTime<chrono::Utc>>, now: chrono::DateTime<chrono::Utc>) -> Result<(), CoreError> {
        let Some(days) = self.settings().max_lifetime_days else { return Ok(()) };
        // A date choice lasts to the end of its day: one day of slack.
        match expires_at {
            Some(t) if t <= now + chrono::Duration::days(days + 1) => Ok(()),
            _ => Err(crate::validate::FieldError::new("expiry", format!("Keys may live at most {days} days here: choose an expiry within that.")).into()),
        }
    }

    fn ratelimit_or_default(&self, input: &str, max: i64) -> Result<i64, CoreError> {
        if input.trim().is_empty() {
            return Ok(Ord::min(self.config.default_ratelimit_per_minute, max));
        }
        Ok(parse_ratelimit(input, max)?)
    }

    /// What a team's plan allows its keys, with the portal's own limits: the highest rate
    /// limit and the most working keys.
    pub(crate) fn key_limits(&self, plan: &PlanView) -> (i64, u64) {
        let s = self.settings();
        let rate = Ord::min(s.max_ratelimit_per_minute, plan.ratelimit_cap.unwrap_or(i64::MAX));
        let keys = plan.max_keys.and_then(|k| u64::try_from(k).ok()).unwrap_or(s.max_active_keys);
        (rate, keys)
    }

    /// The plan's refusal of a live key when it lacks the feature (test keys are always fine).
    fn live_keys_allowed(plan: &PlanView, live: bool) -> Result<(), CoreError> {
        if live && !plan.has(Feature::LiveKeys) {
            return Err(CoreError::Conflict(format!(
                "Live keys are not part of the {} plan. Create a test key, or upgrade on the Billing page.",
                plan.name
            )));
        }
        Ok(())
    }

    /// What the create form offers: the scope catalogue, defaults and limits.
    pub async fn key_options(&self, caller: &Caller) -> Result<KeyOptions, CoreError> {
        caller.require(Action::ViewKeys)?;
        let live = api_key::Entity::find().filter(live_keys_of(&caller.team.id, self.now())).count(&self.db).await?;
        let (_, plan) = self.team_plan(&self.db, &caller.team.id).await?;
        let (max_ratelimit, max_keys) = self.key_limits(&plan);
        // Only the scopes the team's products allow (all of them without a catalogue).
        let scopes = match self.allowed_scopes(&self.db, &caller.team.id).await? {
            Some((allowed, _)) => allowed,
            None => self.settings().scopes.clone(),
        };
        Ok(KeyOptions {
            default_scopes: self.settings().default_scopes.iter().filter(|s| scopes.contains(s)).cloned().collect(),
            scopes,
            default_ratelimit: Ord::min(self.config.default_ratelimit_per_minute, max_ratelimit),
            max_ratelimit,
            max_keys,
            plan_name: plan.name.clone(),
            live_keys: plan.has(Feature::LiveKeys),
            keys: live,
            api_base_url: self.config.api_base_url.clone(),
            approval_live: self.settings().approval_live,
            approval_scopes: self.settings().approval_scopes.clone(),
            approval_by_operator: self.config.approval_by == crate::services::ApprovalBy::Operator,
        })
    }

    /// Creates a key in the caller's team and returns it in full, once.
    #[instrument(skip_all, fields(team_id = %caller.team.id))]
    pub async fn create_key(&self, caller: &Caller, input: KeyInput<'_>, meta: &RequestMeta) -> Result<CreatedKey, CoreError> {
        caller.require(Action::CreateKey)?;
        let name = KeyName::parse(input.name)?;
        let description = parse_key_description(input.description)?;
        let env = parse_environment(input.environment)?;
        self.require_verified_for_live(caller, env.as_str() == "live").await?;
        let scopes = parse_scopes(input.scopes, &self.settings().scopes)?;
        let now = self.now();
        let expires_at = Expiry::parse(input.expiry)?.at(now)?;
        self.within_lifetime(expires_at, now)?;
        let quota = parse_quota(input.quota)?;
        let needs_approval = self.approval_needed(env, None, &scopes);
        let secret = self.new_secret(env)?;
        let txn = self.begin_write().await?;
        // Serializes key creation per team, so two creates at once cannot both pass the
        // count below (on PostgreSQL the count alone would not see the other's insert).
        crate::services::members::lock_team(&txn, &caller.team.id).await?;
        // The plan as it is inside this transaction: a plan change landing meanwhile waits.
        let (_, plan) = self.team_plan(&txn, &caller.team.id).await?;
        Self::live_keys_allowed(&plan, env.as_str() == "live")?;
        // Scopes of products the team does not have are not for its keys.
        self.check_team_scopes(&txn, &caller.team.id, &scopes).await?;
        let (max_ratelimit, max_keys) = self.key_limits(&plan);
        let ratelimit = self.ratelimit_or_default(input.ratelimit, max_ratelimit)?;
        let live = api_key::Entity::find().filter(live_keys_of(&caller.team.id, now)).count(&txn).await?;
        if live >= max_keys {
            return Err(CoreError::Conflict(format!(
                "This team already has {live} keys, the most allowed. Revoke a key you no longer need, then create the new one."
            )));
        }
        let key_id = new_id("key");
        let model = api_key::ActiveModel {
            sealed_secret: Set(self.seal_key(&key_id, env.as_str(), &secret.full)),
            id: Set(key_id),
            team_id: Set(caller.team.id.clone()),
            created_by: Set(caller.user.id.clone()),
            name: Set(name.as_str().to_owned()),
            environment: Set(env.as_str().to_owned()),
            key_hash: Set(secret.hash.clone()),
            display_start: Set(secret.display_start),
            last4: Set(secret.last4),
            ratelimit_per_minute: Set(ratelimit),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            last_used_at: Set(None),
            first_valid_at: Set(None),
            expiry_reminded: Set(None),
            description: Set(description),
            scopes: Set(scopes.join(" ")),
            monthly_quota: Set(quota),
            disabled_at: Set(None),
            grace_until: Set(None),
            replaced_by: Set(None),
            updated_at: Set(None),
            lineage_id: Set(None),
            approval: Set(needs_approval.then(|| "pending".to_owned())),
            approval_note: Set(None),
            decided_by: Set(None),
            decided_at: Set(None),
            pending_scopes: Set(None),
            requested_by: Set(needs_approval.then(|| caller.user.id.clone())),
        }
        .insert(&txn)
        .await?;
        self.note_key_change(&txn, &secret.hash).await?;
        if needs_approval {
            self.ask_for_approval(&txn, caller, &model, &model.scopes).await?;
        }
        self.audit(&txn, meta, caller.entry(AuditAction::KeyCreated, ("key", &model.id)).with_detail(model.name.clone())).await?;
        // To its creator, so a key made with a stolen session does not go unnoticed. What
        // the key is, never the key: no part of the secret is in the email.
        let created = KeyCreated {
            name: model.name.clone(),
            environment: model.environment.clone(),
            scopes: scopes.clone(),
            team: caller.team.name.clone(),
            expires: model.expires_at.map(|t| t.format("%d %b %Y %H:%M").to_string()),
            pending_approval: needs_approval,
            key_url: format!("{}/portal/keys/{}", self.settings().base_url, model.id),
        };
        let email = NewEmail { team_id: Some(&caller.team.id), to: &caller.user.email, content: EmailContent::KeyCreated(created) };
        self.enqueue_email(&txn, email).await?;
        txn.commit().await?;
        self.wake_outbox();
        // A lookup of this hash before it existed may have cached "not found".
        self.verifier.invalidate(&secret.hash);
        tracing::info!(key_id = %model.id, "key created");
        Ok(CreatedKey { key: key_view(&model, now), secret: PlainKey::new(secret.full) })
    }

    /// The caller's team's keys, newest first.
    pub async fn list_keys(&self, caller: &Caller) -> Result<Vec<KeyView>, CoreError> {
        caller.require(Action::ViewKeys)?;
        let now = self.now();
        Ok(api_key::Entity::find()
            .filter(api_key::Column::TeamId.eq(&caller.team.id))
            .order_by_desc(api_key::Column::CreatedAt)
            .order_by_desc(api_key::Column::Id)
            .all(&self.db)
            .await?
            .iter()
            .map(|m| key_view(m, now))
            .collect())
    }

    /// One key of the caller's team.
    pub async fn get_key(&self, caller: &Caller, key_id: &str) -> Result<KeyView, CoreError> {
        caller.require(Action::ViewKeys)?;
        let m = self.team_key(caller, key_id).await?;
        let mut view = key_view(&m, self.now());
        view.created_by_email = crate::entity::user::Entity::find_by_id(m.created_by.clone()).one(&self.db).await?.map(|u| u.email);
        Ok(view)
    }

    pub(crate) async fn team_key(&self, caller: &Caller, key_id: &str) -> Result<api_key::Model, CoreError> {
        api_key::Entity::find_by_id(key_id.to_owned())
            .filter(api_key::Column::TeamId.eq(&caller.team.id))
            .one(&self.db)
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// A key of the caller's team that the caller may manage (their own as a member, any as
    /// an admin). Another team's key is "not found"; a revoked key cannot change any more.
    pub(crate) async fn managed_key(&self, caller: &Caller, key_id: &str) -> Result<api_key::Model, CoreError> {
        let m = self.team_key(caller, key_id).await?;
        may_manage(caller, &m)?;
        Ok(m)
    }

    fn refuse_if_revoked(m: &api_key::Model, now: DateTime<Utc>) -> Result<(), CoreError> {
        if matches!(key_status(m, now), KeyStatus::Revoked | KeyStatus::Denied) {
            return Err(CoreError::Conflict("This key is revoked; it cannot be changed any more.".into()));
        }
        Ok(())
    }

    /// Saves a key's edited settings; the next verification sees them.
    #[instrument(skip_all, fields(team_id = %caller.team.id, key_id = %key_id))]
    pub async fn update_key(&self, caller: &Caller, key_id: &str, edit: KeyEdit<'_>, meta: &RequestMeta) -> Result<KeyView, CoreError> {
        let name = KeyName::parse(edit.name)?;
        let description = parse_key_description(edit.description)?;
        let wanted = parse_scopes(edit.scopes, &self.settings().scopes)?;
        let quota = parse_quota(edit.quota)?;
        // The policy is applied to the key as it is inside the transaction that changes it, so
        // a decision, a rotation or another edit landing meanwhile cannot be overtaken.
        let txn = self.begin_write().await?;
        let (_, plan) = self.team_plan(&txn, &caller.team.id).await?;
        let ratelimit = parse_ratelimit(edit.ratelimit, self.key_limits(&plan).0)?;
        let m = api_key::Entity::find_by_id(key_id.to_owned())
            .filter(api_key::Column::TeamId.eq(&caller.team.id))
            .one(&txn)
            .await?
            .ok_or(CoreError::NotFound)?;
        may_manage(caller, &m)?;
        let now = self.now();
        Self::refuse_if_revoked(&m, now)?;
        if m.replaced_by.is_some() {
            return Err(CoreError::Conflict("This key was rotated; edit its replacement instead.".into()));
        }
        let env = Environment::parse(&m.environment).unwrap_or(Environment::Test);
        // The approval policy, as at creation. A key still waiting for its first decision
        // just changes what is being asked for. A working key keeps only what was granted
        // (what it asked for and already had); the rest waits for approval.
        let granted = scope_list(&m.scopes);
        // Scopes it holds stay; any it adds must come with a product the team has.
        let added: Vec<String> = wanted.iter().filter(|s| !granted.contains(s)).cloned().collect();
        self.check_team_scopes(&txn, &caller.team.id, &added).await?;
        let (scopes, pending_scopes) = if m.approval.as_deref() == Some("pending") {
            (wanted.join(" "), None)
        } else if self.approval_needed(env, Some(&granted), &wanted) {
            let kept: Vec<&str> = wanted.iter().filter(|s| granted.contains(s)).map(String::as_str).collect();
            (kept.join(" "), Some(wanted.join(" ")))
        } else {
            (wanted.join(" "), None)
        };
        let mut changed = Vec::new();
        if m.name != name.as_str() {
            changed.push("name");
        }
        if m.description != description {
            changed.push("description");
        }
        if m.scopes != scopes {
            changed.push("scopes");
        }
        if m.pending_scopes != pending_scopes {
            changed.push(if pending_scopes.is_some() { "scopes (waiting for approval)" } else { "scopes asked for" });
        }
        if m.ratelimit_per_minute != ratelimit {
            changed.push("rate limit");
        }
        if m.monthly_quota != quota {
            changed.push("quota");
        }
        if changed.is_empty() {
            return Ok(key_view(&m, now));
        }
        let hash = m.key_hash.clone();
        let asks = pending_scopes.is_some() && m.pending_scopes != pending_scopes;
        let mut am = m.into_active_model();
        am.name = Set(name.as_str().to_owned());
        am.description = Set(description);
        am.scopes = Set(scopes);
        am.ratelimit_per_minute = Set(ratelimit);
        am.monthly_quota = Set(quota);
        am.updated_at = Set(Some(now));
        am.pending_scopes = Set(pending_scopes.clone());
        if asks {
            am.requested_by = Set(Some(caller.user.id.clone()));
            am.approval_note = Set(None);
        }
        let m = am.update(&txn).await?;
        self.note_key_change(&txn, &hash).await?;
        // The generations still in their rotation grace share this key's limits: they take
        // its new rate limit and quota with it (never more than the key now has).
        let mut graced = Vec::new();
        if changed.contains(&"rate limit") || changed.contains(&"quota") {
            let lineage = m.lineage_id.clone().unwrap_or_else(|| m.id.clone());
            let older = api_key::Entity::find()
                .filter(api_key::Column::TeamId.eq(&m.team_id))
                .filter(api_key::Column::Id.ne(&m.id))
                .filter(api_key::Column::Id.eq(&lineage).or(api_key::Column::LineageId.eq(&lineage)))
                .filter(api_key::Column::RevokedAt.is_null())
                .all(&txn)
                .await?;
            for k in older {
                api_key::Entity::update_many()
                    .col_expr(api_key::Column::RatelimitPerMinute, Expr::value(m.ratelimit_per_minute))
                    .col_expr(api_key::Column::MonthlyQuota, Expr::value(m.monthly_quota))
                    .filter(api_key::Column::Id.eq(&k.id))
                    .exec(&txn)
                    .await?;
                self.note_key_change(&txn, &k.key_hash).await?;
                graced.push(k.key_hash);
            }
        }
        self.audit(&txn, meta, caller.entry(AuditAction::KeyEdited, ("key", &m.id)).with_detail(changed.join(", "))).await?;
        if let (true, Some(asked)) = (asks, &pending_scopes) {
            self.ask_for_approval(&txn, caller, &m, asked).await?;
        }
        txn.commit().await?;
        self.verifier.invalidate(&hash);
        for h in &graced {
            self.verifier.invalidate(h);
        }
        if asks {
            self.wake_outbox();
        }
        if changed.contains(&"quota") {
            // Leases are held per rotation chain (its generations share one quota).
            self.release_quota_lease(m.lineage_id.as_deref().unwrap_or(&m.id)).await?;
        }
        Ok(key_view(&m, now))
    }

    /// Switches a key off (`disabled`) or on again; verification follows from the next request.
    #[instrument(skip_all, fields(team_id = %caller.team.id, key_id = %key_id))]
    pub async fn set_key_disabled(&self, caller: &Caller, key_id: &str, disabled: bool, meta: &RequestMeta) -> Result<KeyView, CoreError> {
        let m = self.managed_key(caller, key_id).await?;
        let now = self.now();
        Self::refuse_if_revoked(&m, now)?;
        if m.disabled_at.is_some() == disabled {
            return Ok(key_view(&m, now));
        }
        let hash = m.key_hash.clone();
        let mut am = m.into_active_model();
        am.disabled_at = Set(disabled.then_some(now));
        am.updated_at = Set(Some(now));
        let txn = self.begin_write().await?;
        let m = am.update(&txn).await?;
        self.note_key_change(&txn, &hash).await?;
        let action = if disabled { AuditAction::KeyDisabled } else { AuditAction::KeyEnabled };
        self.audit(&txn, meta, caller.entry(action, ("key", &m.id))).await?;
        txn.commit().await?;
        self.verifier.invalidate(&hash);
        Ok(key_view(&m, now))
    }

    /// Gives a key a new secret with the same settings; the old secret stops working at once.
    #[instrument(skip_all, fields(team_id = %caller.team.id, key_id = %key_id))]
    pub async fn regenerate_key(&self, caller: &Caller, key_id: &str, meta: &RequestMeta) -> Result<CreatedKey, CoreError> {
        let m = self.managed_key(caller, key_id).await?;
        let now = self.now();
        Self::refuse_if_revoked(&m, now)?;
        let env = Environment::parse(&m.environment).unwrap_or(Environment::Test);
        let secret = self.new_secret(env)?;
        let old_hash = m.key_hash.clone();
        let sealed = self.seal_key(&m.id, &m.environment, &secret.full);
        let mut am = m.into_active_model();
        am.key_hash = Set(secret.hash.clone());
        am.display_start = Set(secret.display_start);
        am.last4 = Set(secret.last4);
        am.sealed_secret = Set(sealed);
        am.updated_at = Set(Some(now));
        let txn = self.begin_write().await?;
        let m = am.update(&txn).await?;
        self.note_key_change(&txn, &old_hash).await?;
        self.note_key_change(&txn, &secret.hash).await?;
        self.audit(&txn, meta, caller.entry(AuditAction::KeyRegenerated, ("key", &m.id))).await?;
        txn.commit().await?;
        self.verifier.invalidate(&old_hash);
        self.verifier.invalidate(&secret.hash);
        tracing::info!("key regenerated");
        Ok(CreatedKey { key: key_view(&m, now), secret: PlainKey::new(secret.full) })
    }

    /// Revokes a key of the active team at once. Another team's key is "not found".
    #[instrument(skip_all, fields(team_id = %caller.team.id, key_id = %key_id))]
    pub async fn revoke_key(&self, caller: &Caller, key_id: &str, meta: &RequestMeta) -> Result<KeyView, CoreError> {
        let m = self.managed_key(caller, key_id).await?;
        let now = self.now();
        if m.revoked_at.is_some() {
            return Ok(key_view(&m, now));
        }
        let hash = m.key_hash.clone();
        let mut am = m.into_active_model();
        am.revoked_at = Set(Some(now));
        am.updated_at = Set(Some(now));
        // A revoked key is never shown again: its sealed copy goes with it.
        am.sealed_secret = Set(None);
        let txn = self.begin_write().await?;
        let m = am.update(&txn).await?;
        self.note_key_change(&txn, &hash).await?;
        self.audit(&txn, meta, caller.entry(AuditAction::KeyRevoked, ("key", &m.id))).await?;
        txn.commit().await?;
        self.verifier.invalidate(&hash);
        tracing::info!("key revoked");
        Ok(key_view(&m, now))
    }
}

impl Services {
    /// Emails the team's owners and admins that a key waits for them (inside `db`).
    async fn ask_for_approval<C: sea_orm::ConnectionTrait>(&self, db: &C, caller: &Caller, key: &api_key::Model, asked: &str) -> Result<(), CoreError> {
        use crate::entity::{membership, user};
        if self.config.approval_by == crate::services::ApprovalBy::Operator {
            // The provider decides (`keyport keys pending`); nobody in the team can.
            tracing::info!(key_id = %key.id, "a key waits for the operator's approval");
            return Ok(());
        }
        let ids: Vec<String> = membership::Entity::find()
            .filter(membership::Column::TeamId.eq(&caller.team.id))
            .filter(membership::Column::Role.is_in([crate::roles::Role::Owner.as_str(), crate::roles::Role::Admin.as_str()]))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .filter(|id| *id != caller.user.id)
            .collect();
        let deciders = user::Entity::find().filter(user::Column::Id.is_in(ids)).all(db).await?;
        let approval = KeyApproval {
            requester: caller.user.email.clone(),
            name: key.name.clone(),
            environment: key.environment.clone(),
            scopes: asked.split_whitespace().map(str::to_owned).collect(),
            team: caller.team.name.clone(),
            review_url: format!("{}/portal/keys", self.settings().base_url),
        };
        for d in deciders {
            let email = NewEmail { team_id: Some(&caller.team.id), to: &d.email, content: EmailContent::KeyApproval(approval.clone()) };
            self.enqueue_email(db, email).await?;
        }
        Ok(())
    }

    /// The active team's keys waiting for approval, oldest first (owners and admins).
    /// When the provider decides, the team has no queue: the list is empty.
    pub async fn pending_keys(&self, caller: &Caller) -> Result<Vec<KeyView>, CoreError> {
        caller.require(Action::ApproveKeys)?;
        if self.config.approval_by == crate::services::ApprovalBy::Operator {
            return Ok(Vec::new());
        }
        let now = self.now();
        Ok(api_key::Entity::find()
            .filter(api_key::Column::TeamId.eq(&caller.team.id))
            .filter(waiting_for_approval())
            .order_by_asc(api_key::Column::CreatedAt)
            .all(&self.db)
            .await?
            .iter()
            .map(|m| key_view(m, now))
            .collect())
    }

    /// Approves or denies a key of the active team that waits for approval. A denial needs a
    /// reason; the requester is told by email either way.
    #[instrument(skip_all, fields(team_id = %caller.team.id, key_id = %key_id))]
    pub async fn decide_key(&self, caller: &Caller, key_id: &str, approve: bool, reason: &str, meta: &RequestMeta) -> Result<KeyView, CoreError> {
        caller.require(Action::ApproveKeys)?;
        let m = self.team_key(caller, key_id).await?;
        if self.config.approval_by == crate::services::ApprovalBy::Operator {
            return Err(CoreError::Conflict("Keys here are approved by the provider, not by the team.".into()));
        }
        let reason = reason.trim();
        if !approve && reason.is_empty() {
            return Err(crate::validate::FieldError::new("reason", "Say why, so the requester knows what to change.").into());
        }
        if reason.chars().count() > 500 {
            return Err(crate::validate::FieldError::new("reason", "Keep the reason under 500 characters.").into());
        }
        self.decide(m, approve, reason, &caller.user.email, Some(caller), meta).await
    }

    /// Records a decision on a pending key (by a member, or by the operator when `caller` is
    /// `None`) and tells the requester.
    pub(crate) async fn decide(
        &self,
        m: api_key::Model,
        approve: bool,
        reason: &str,
        decided_by: &str,
        caller: Option<&Caller>,
        meta: &RequestMeta,
    ) -> Result<KeyView, CoreError> {
        use crate::entity::user;
        let now = self.now();
        let txn = self.begin_write().await?;
        // Decided on what the key is now, inside the transaction: two decisions at once
        // cannot both apply.
        let m = api_key::Entity::find_by_id(m.id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        let new_key = m.approval.as_deref() == Some("pending");
        let change = !new_key && m.pending_scopes.is_some();
        if !(new_key || change) || m.revoked_at.is_some() || m.replaced_by.is_some() {
            return Err(CoreError::Conflict("This key is not waiting for approval.".into()));
        }
        if let Some(c) = caller {
            if m.created_by == c.user.id || m.requested_by.as_deref() == Some(c.user.id.as_str()) {
                return Err(CoreError::Conflict(
                    "You asked for this key, so someone else decides: another owner or admin of the team, or the provider.".into(),
                ));
            }
        }
        let requester_id = m.requested_by.clone().unwrap_or_else(|| m.created_by.clone());
        let requester = user::Entity::find_by_id(requester_id).one(&txn).await?;
        let hash = m.key_hash.clone();
        let (team_id, name) = (m.team_id.clone(), m.name.clone());
        let asked = m.pending_scopes.clone();
        let mut am = m.into_active_model();
        if change {
            if approve {
                am.scopes = Set(asked.clone().unwrap_or_default());
            }
            am.pending_scopes = Set(None);
        } else {
            am.approval = Set(Some(if approve { "approved" } else { "denied" }.to_owned()));
        }
        am.approval_note = Set((!reason.is_empty()).then(|| reason.to_owned()));
        am.decided_by = Set(Some(decided_by.to_owned()));
        am.decided_at = Set(Some(now));
        am.updated_at = Set(Some(now));
        let m = am.update(&txn).await?;
        self.note_key_change(&txn, &hash).await?;
        let action = if approve { AuditAction::KeyApproved } else { AuditAction::KeyDenied };
        let entry = match caller {
            Some(c) => c.entry(action, ("key", &m.id)),
            None => crate::services::audit::AuditEntry {
                team_id: Some(&team_id),
                actor_user_id: None,
                actor_email: Some("operator"),
                action,
                object: Some(("key", &m.id)),
                detail: None,
                by_provider: true,
            },
        };
        let what = match (&asked, change) {
            (Some(a), true) => format!("{name} (scopes: {a})"),
            _ => name.clone(),
        };
        self.audit(&txn, meta, entry.with_detail(if reason.is_empty() { what.clone() } else { format!("{what}: {reason}") })).await?;
        if let Some(r) = &requester {
            let decision = KeyDecision {
                name: name.clone(),
                approved: approve,
                change,
                scopes: asked.as_deref().unwrap_or("").split_whitespace().map(str::to_owned).collect(),
                reason: (!reason.is_empty()).then(|| reason.to_owned()),
                decided_by: decided_by.to_owned(),
                key_url: format!("{}/portal/keys/{}", self.settings().base_url, m.id),
            };
            let email = NewEmail { team_id: Some(&team_id), to: &r.email, content: EmailContent::KeyDecision(decision) };
            self.enqueue_email(&txn, email).await?;
        }
        txn.commit().await?;
        self.verifier.invalidate(&hash);
        self.wake_outbox();
        Ok(key_view(&m, now))
    }
}

impl Services {
    /// Every key waiting for approval, in every team, oldest first (for the operator's CLI):
    /// (key, team name).
    pub async fn operator_pending_keys(&self) -> Result<Vec<(KeyView, String)>, CoreError> {
        use crate::entity::team;
        let now = self.now();
        let rows = api_key::Entity::find()
            .filter(waiting_for_approval())
            .order_by_asc(api_key::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let mut out = Vec::new();
        for m in rows {
            let team = team::Entity::find_by_id(m.team_id.clone()).one(&self.db).await?.map(|t| t.name).unwrap_or_default();
            out.push((key_view(&m, now), team));
        }
        Ok(out)
    }

    /// The operator approves or denies a pending key of any team.
    pub async fn operator_decide_key(&self, key_id: &str, approve: bool, reason: &str) -> Result<KeyView, CoreError> {
        let m = api_key::Entity::find_by_id(key_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        if !approve && reason.trim().is_empty() {
            return Err(crate::validate::FieldError::new("reason", "Give a reason with --reason.").into());
        }
        let meta = RequestMeta::new("cli", "keyport cli");
        self.decide(m, approve, reason.trim(), "operator", None, &meta).await
    }
}

impl Services {
    /// A key's traffic over the last hour (per minute, from the flushed rollups) and the latest
    /// answers this server gave for it.
    pub async fn key_activity(&self, caller: &Caller, key_id: &str) -> Result<crate::dto::KeyActivity, CoreError> {
        use crate::entity::usage_minute;
        caller.require(Action::ViewUsage)?;
        let m = self.team_key(caller, key_id).await?;
        let now = self.now().timestamp();
        let this_minute = now - now.rem_euclid(60);
        let from = this_minute - 59 * 60;
        let rows = usage_minute::Entity::find()
            .filter(usage_minute::Column::KeyId.eq(&m.id))
            .filter(usage_minute::Column::Minute.gte(from))
            .all(&self.db)
            .await?;
        let mut valid = vec![0i64; 60];
        let mut refused = vec![0i64; 60];
        for r in rows {
            let i = ((r.minute - from) / 60) as usize;
            if i < 60 {
                valid[i] += r.valid;
                refused[i] += r.refused;
            }
        }
        Ok(crate::dto::KeyActivity { from_minute: from, valid, refused })
    }
}
