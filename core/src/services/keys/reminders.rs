//! Key expiry reminders: a week before a key expires and again the day before, its creator
//! gets an email, once each. Claimed by a conditional update in the same transaction as the
//! email, so several nodes checking at once send each reminder once. A key made with less
//! time left than a reminder's lead (a key for a day, say) skips that reminder: its creator
//! chose the date moments ago.

use crate::entity::{api_key, team, user};
use crate::error::CoreError;
use crate::services::keys::lifecycle::key_view;
use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailContent, KeyExpiring};
use crate::services::Services;
use chrono::Duration;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The reminders, by how many days ahead of the expiry they go.
pub const REMINDER_DAYS: [i64; 2] = [7, 1];
/// The most keys one pass looks at (the next pass takes the rest).
const PER_PASS: u64 = 500;

impl Services {
    /// Sends the expiry reminders due now. Returns how many went out.
    pub async fn check_expiry_reminders(&self) -> Result<usize, CoreError> {
        let now = self.now();
        let due = api_key::Entity::find()
            .filter(api_key::Column::ExpiresAt.gt(now))
            .filter(api_key::Column::ExpiresAt.lte(now + Duration::days(REMINDER_DAYS[0])))
            .filter(api_key::Column::RevokedAt.is_null())
            .filter(Condition::any().add(api_key::Column::ExpiryReminded.is_null()).add(api_key::Column::ExpiryReminded.gt(1)))
            .order_by_asc(api_key::Column::ExpiresAt)
            .limit(PER_PASS)
            .all(&self.db)
            .await?;
        let mut sent = 0;
        for key in due {
            let Some(expires) = key.expires_at else { continue };
            // The nearest reminder whose time has come, and whether the key is old enough for it.
            let Some(days) = REMINDER_DAYS.iter().copied().filter(|d| expires - Duration::days(*d) <= now).min() else { continue };
            if key.expiry_reminded.is_some_and(|r| i64::from(r) <= days) {
                continue;
            }
            let view = key_view(&key, now);
            let worth = key.created_at <= expires - Duration::days(days) && view.status.is_usable();
            let txn = self.begin_write().await?;
            let claimed = api_key::Entity::update_many()
                .col_expr(api_key::Column::ExpiryReminded, Expr::value(days as i32))
                .filter(api_key::Column::Id.eq(&key.id))
                .filter(Condition::any().add(api_key::Column::ExpiryReminded.is_null()).add(api_key::Column::ExpiryReminded.gt(days as i32)))
                .exec(&txn)
                .await?;
            if claimed.rows_affected != 1 {
                txn.rollback().await?;
                continue;
            }
            // Claimed either way: a creator who does not want reminders is not asked again later.
            let creator = user::Entity::find_by_id(key.created_by.clone()).one(&txn).await?.filter(|u| u.suspended_at.is_none() && u.notify_expiry);
            if let (true, Some(creator)) = (worth, creator) {
                let team_name = team::Entity::find_by_id(key.team_id.clone()).one(&txn).await?.map(|t| t.name).unwrap_or_default();
                let content = EmailContent::KeyExpiring(KeyExpiring {
                    name: key.name.clone(),
                    masked: view.masked.clone(),
                    environment: key.environment.clone(),
                    team: team_name,
                    days,
                    expires: expires.format("%d %b %Y %H:%M").to_string(),
                    key_url: format!("{}/portal/keys/{}", self.settings().base_url.trim_end_matches('/'), key.id),
                });
                self.enqueue_email(&txn, NewEmail { team_id: Some(&key.team_id), to: &creator.email, content }).await?;
                sent += 1;
            }
            txn.commit().await?;
        }
        if sent > 0 {
            tracing::info!(sent, "key expiry reminders sent");
            self.wake_outbox();
        }
        Ok(sent)
    }
}
