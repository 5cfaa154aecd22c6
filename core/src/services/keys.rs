//! Creating, listing and revoking API keys. Every query is scoped by the caller's team.

use super::auth::Caller;
use super::Services;
use crate::crypto::{new_id, random_base62};
use crate::dto::{CreatedKey, KeyStatus, KeyView};
use crate::entity::api_key;
use crate::error::CoreError;
use crate::roles::Action;
use crate::key::{assemble, mask, Environment, PlainKey, WellFormedKey, RANDOM_LEN};
use crate::validate::{parse_environment, Expiry, KeyName};
use chrono::{DateTime, Utc};
use super::audit::{AuditAction, RequestMeta};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};
use tracing::instrument;

/// The list view of a stored key.
pub fn key_view(m: &api_key::Model, now: DateTime<Utc>) -> KeyView {
    KeyView {
        id: m.id.clone(),
        name: m.name.clone(),
        environment: Environment::parse(&m.environment).unwrap_or(Environment::Test),
        masked: mask(&m.display_start, &m.last4),
        created_by: m.created_by.clone(),
        ratelimit_per_minute: m.ratelimit_per_minute,
        created_at: m.created_at,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
        revoked_at: m.revoked_at,
        status: KeyStatus::derive(m.revoked_at, m.expires_at, now),
    }
}

impl Services {
    /// Creates a key in the caller's team and returns it in full, once.
    #[instrument(skip_all, fields(team_id = %caller.team.id))]
    pub async fn create_key(
        &self,
        caller: &Caller,
        name: &str,
        environment: &str,
        expiry: &str,
        meta: &RequestMeta,
    ) -> Result<CreatedKey, CoreError> {
        caller.require(Action::CreateKey)?;
        let name = KeyName::parse(name)?;
        let env = parse_environment(environment)?;
        let expiry = Expiry::parse(expiry)?;
        let now = self.now();
        let full = assemble(env, &random_base62(RANDOM_LEN));
        let parsed = WellFormedKey::parse(&full).map_err(|_| CoreError::Internal("generated key does not parse".into()))?;
        let hash = self.secret.hash_key(&full);
        let txn = self.begin_write().await?;
        let model = api_key::ActiveModel {
            id: Set(new_id("key")),
            team_id: Set(caller.team.id.clone()),
            created_by: Set(caller.user.id.clone()),
            name: Set(name.as_str().to_owned()),
            environment: Set(env.as_str().to_owned()),
            key_hash: Set(hash.clone()),
            display_start: Set(parsed.display_start().to_owned()),
            last4: Set(parsed.last4().to_owned()),
            ratelimit_per_minute: Set(self.config.default_ratelimit_per_minute),
            created_at: Set(now),
            expires_at: Set(expiry.at(now)),
            revoked_at: Set(None),
            last_used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        self.audit(&txn, meta, caller.entry(AuditAction::KeyCreated, ("key", &model.id))).await?;
        txn.commit().await?;
        // A lookup of this hash before it existed may have cached "not found".
        self.verifier.invalidate(&hash);
        tracing::info!(key_id = %model.id, "key created");
        Ok(CreatedKey { key: key_view(&model, now), secret: PlainKey::new(full) })
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

    /// Revokes a key of the caller's team at once. Another team's key is "not found".
    #[instrument(skip_all, fields(team_id = %caller.team.id, key_id = %key_id))]
    pub async fn revoke_key(&self, caller: &Caller, key_id: &str, meta: &RequestMeta) -> Result<KeyView, CoreError> {
        let now = self.now();
        let Some(m) = api_key::Entity::find_by_id(key_id.to_owned())
            .filter(api_key::Column::TeamId.eq(&caller.team.id))
            .one(&self.db)
            .await?
        else {
            return Err(CoreError::NotFound);
        };
        let own = m.created_by == caller.user.id;
        caller.require(if own { Action::ManageOwnKey } else { Action::ManageAnyKey })?;
        if m.revoked_at.is_some() {
            return Ok(key_view(&m, now));
        }
        let hash = m.key_hash.clone();
        let mut am = m.into_active_model();
        am.revoked_at = Set(Some(now));
        let txn = self.begin_write().await?;
        let m = am.update(&txn).await?;
        self.audit(&txn, meta, caller.entry(AuditAction::KeyRevoked, ("key", &m.id))).await?;
        txn.commit().await?;
        self.verifier.invalidate(&hash);
        tracing::info!("key revoked");
        Ok(key_view(&m, now))
    }
}
