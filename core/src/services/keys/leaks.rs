//! Leaked-key reports: a scanner (GitHub secret scanning, a partner, the operator) reports
//! keys found in public; the ones that exist are revoked at once, the trail records it and the
//! team's owners are told by email. The reporter learns nothing about which keys were real.

use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailContent, KeyLeaked};
use crate::services::Services;
use crate::entity::{api_key, membership, team, user};
use crate::error::CoreError;
use crate::key::{mask, WellFormedKey};
use crate::roles::Role;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use tracing::instrument;

/// The most keys one report may carry.
pub const MAX_LEAK_REPORT: usize = 1000;

/// One reported key: the secret and, if known, where it was found.
#[derive(Clone, Debug, Default)]
pub struct LeakReport {
    /// The key as found.
    pub token: String,
    /// Where it was found (a URL).
    pub url: Option<String>,
    /// What kind of place (`content`, `commit`, …).
    pub source: Option<String>,
}

impl Services {
    /// Revokes every reported key that exists and is not revoked yet. Returns how many were
    /// revoked (for the operator's log only; the HTTP answer does not say).
    #[instrument(skip_all, fields(reported = reports.len()))]
    pub async fn report_leaked_keys(&self, reports: &[LeakReport], meta: &RequestMeta) -> Result<usize, CoreError> {
        let mut revoked = 0;
        for r in reports {
            let Ok(parsed) = WellFormedKey::parse(r.token.trim()) else { continue };
            let hash = self.secret.hash_key(parsed.expose());
            let Some(k) = api_key::Entity::find().filter(api_key::Column::KeyHash.eq(&hash)).one(&self.db).await? else {
                continue;
            };
            if k.revoked_at.is_some() {
                continue;
            }
            let now = self.now();
            let where_found = r.url.as_deref().map(|u| u.chars().take(300).collect::<String>()).unwrap_or_else(|| "an undisclosed place".into());
            let source = r.source.as_deref().map(|s| s.chars().take(40).collect::<String>());
            let team_name = team::Entity::find_by_id(k.team_id.clone()).one(&self.db).await?.map(|t| t.name).unwrap_or_default();
            let owners: Vec<String> = {
                let ids: Vec<String> = membership::Entity::find()
                    .filter(membership::Column::TeamId.eq(&k.team_id))
                    .filter(membership::Column::Role.eq(Role::Owner.as_str()))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|m| m.user_id)
                    .collect();
                user::Entity::find().filter(user::Column::Id.is_in(ids)).all(&self.db).await?.into_iter().map(|u| u.email).collect()
            };
            let masked = mask(&k.display_start, &k.last4);
            let (key_id, team_id, name) = (k.id.clone(), k.team_id.clone(), k.name.clone());
            let mut am = k.into_active_model();
            am.revoked_at = Set(Some(now));
            am.updated_at = Set(Some(now));
            let txn = self.begin_write().await?;
            am.update(&txn).await?;
            self.note_key_change(&txn, &hash).await?;
            let detail = match &source {
                Some(s) => format!("found in public ({s}): {where_found}"),
                None => format!("found in public: {where_found}"),
            };
            let entry = AuditEntry {
                team_id: Some(&team_id),
                actor_user_id: None,
                actor_email: Some("leak report"),
                action: AuditAction::KeyLeakRevoked,
                object: Some(("key", &key_id)),
                detail: Some(detail),
                by_provider: false,
            };
            self.audit(&txn, meta, entry).await?;
            let leaked = KeyLeaked {
                name: name.clone(),
                masked: masked.clone(),
                team: team_name.clone(),
                where_found: where_found.clone(),
                revoked_at: now.format("%d %b %Y %H:%M").to_string(),
                keys_url: format!("{}/portal/keys", self.settings().base_url),
            };
            for owner in &owners {
                let email = NewEmail { team_id: Some(&team_id), to: owner, content: EmailContent::KeyLeaked(leaked.clone()) };
                self.enqueue_email(&txn, email).await?;
            }
            txn.commit().await?;
            self.verifier.invalidate(&hash);
            revoked += 1;
            tracing::warn!(key_id = %key_id, team_id = %team_id, "leaked key revoked");
        }
        if revoked > 0 {
            self.wake_outbox();
        }
        Ok(revoked)
    }
}
