//! Monthly quota warnings: when a team's valid verifications this month cross 80 % and then
//! 100 % of its quota, its owners and admins get one email each (through the outbox). A row
//! per team, month and level, inserted in the same transaction as the emails, makes each
//! warning go out once, also with several nodes checking.

use crate::services::outbox::NewEmail;
use crate::services::templates::{EmailContent, QuotaAlert};
use crate::services::usage::month_start;
use crate::services::Services;
use crate::dto::thousands;
use crate::entity::{membership, team, user};
use crate::error::CoreError;
use crate::roles::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use std::collections::HashSet;

impl Services {
    /// Sends the quota warnings due. Returns how many (team, level) warnings went out.
    pub async fn check_quota_alerts(&self) -> Result<usize, CoreError> {
        let now = self.now();
        let book = self.plan_book();
        let plans: std::collections::HashMap<String, String> = crate::entity::subscription::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.team_id, s.plan_id))
            .collect();
        let month = month_start(now);
        let period = month.format("%Y-%m").to_string();
        let backend = self.db.get_database_backend();
        let sent: HashSet<(String, i32)> = self
            .db
            .query_all_raw(Statement::from_string(backend, format!("SELECT team_id, level FROM quota_alerts WHERE period = '{period}'")))
            .await?
            .into_iter()
            .filter_map(|r| Some((r.try_get::<String>("", "team_id").ok()?, r.try_get::<i32>("", "level").ok()?)))
            .collect();
        let mut fired = 0;
        for (team_id, used) in self.valid_since(None, month.timestamp()).await? {
            let Some(quota) = book.of(plans.get(&team_id).map(String::as_str)).map(|p| p.included_requests).filter(|q| *q > 0) else { continue };
            // Only the highest level reached is sent; crossing both at once sends one email.
            let level = if used >= quota { 100 } else if used * 100 >= quota * 80 { 80 } else { continue };
            if sent.contains(&(team_id.clone(), level)) || (level == 80 && sent.contains(&(team_id.clone(), 100))) {
                continue;
            }
            let txn = self.begin_write().await?;
            let inserted = txn
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    match backend {
                        sea_orm::DatabaseBackend::Postgres => {
                            "INSERT INTO quota_alerts (team_id, period, level, used, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
                        }
                        _ => "INSERT INTO quota_alerts (team_id, period, level, used, sent_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    },
                    [team_id.clone().into(), period.clone().into(), level.into(), used.into(), now.into()],
                ))
                .await?;
            if inserted.rows_affected() != 1 {
                txn.rollback().await?;
                continue;
            }
            let team_name = team::Entity::find_by_id(team_id.clone()).one(&txn).await?.map(|t| t.name).unwrap_or_default();
            let managers: Vec<String> = membership::Entity::find()
                .filter(membership::Column::TeamId.eq(&team_id))
                .filter(membership::Column::Role.is_in([Role::Owner.as_str(), Role::Admin.as_str()]))
                .all(&txn)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            // Only those who want quota warnings (a setting of their own).
            let addresses: Vec<String> = user::Entity::find()
                .filter(user::Column::Id.is_in(managers))
                .filter(user::Column::NotifyQuota.eq(true))
                .all(&txn)
                .await?
                .into_iter()
                .map(|u| u.email)
                .collect();
            let resets = month_start(month + chrono::Duration::days(32)).format("%d %b %Y");
            let alert = QuotaAlert {
                team: team_name,
                level: level.into(),
                percent: used * 100 / quota,
                used: thousands(used),
                quota: thousands(quota),
                resets: resets.to_string(),
                usage_url: format!("{}/portal/usage?range=month", self.settings().base_url.trim_end_matches('/')),
            };
            for to in &addresses {
                let email = NewEmail { team_id: Some(&team_id), to, content: EmailContent::QuotaAlert(alert.clone()) };
                self.enqueue_email(&txn, email).await?;
            }
            txn.commit().await?;
            tracing::info!(team_id = %team_id, level, "quota warning sent");
            fired += 1;
        }
        if fired > 0 {
            self.wake_outbox();
        }
        Ok(fired)
    }
}
