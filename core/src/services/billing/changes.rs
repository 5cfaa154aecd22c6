//! A team changing its own plan: a dearer (or equally priced) plan applies at once with a
//! prorated charge for the rest of the period; a cheaper one, or cancelling, is scheduled for
//! the period's end and can be called off until then. Periods are calendar months (UTC), the
//! same months the quotas count.

use crate::dto::billing::{format_money, proration, PlanChangeView, PlanView, PlanVisibility};
use crate::entity::{invoice_item, subscription};
use crate::error::CoreError;
use crate::roles::Action;
use crate::services::audit::{AuditAction, RequestMeta};
use crate::services::auth::Caller;
use crate::services::quota::{next_month, period_of};
use crate::services::usage::month_start;
use crate::services::Services;
use crate::validate::FieldError;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use crate::services::mail::templates::{EmailContent, PlanChanged};
use crate::services::outbox::NewEmail;
use std::sync::Arc;

impl Services {
    /// Moves the caller's team to `plan_id`: at once when it costs at least as much as the
    /// current plan (the difference for the rest of the period is owed), else at the end of
    /// the period. Owners and admins only.
    pub async fn change_plan(&self, caller: &Caller, plan_id: &str, meta: &RequestMeta) -> Result<PlanChangeView, CoreError> {
        caller.require(Action::ManageBilling)?;
        let book = self.plan_book();
        let target = book
            .get(plan_id)
            .filter(|p| !p.archived && p.visibility == PlanVisibility::Public)
            .cloned()
            .ok_or_else(|| CoreError::from(FieldError::new("plan", "Choose one of the plans listed.")))?;
        let txn = self.begin_write().await?;
        // One change of a team's plan at a time: two tabs upgrading at once charge once.
        crate::services::members::lock_team(&txn, &caller.team.id).await?;
        let (sub, current) = self.team_plan(&txn, &caller.team.id).await?;
        if target.id == current.id {
            return Err(CoreError::Conflict(format!("Your team is already on {}.", current.name)));
        }
        if target.currency != current.currency {
            return Err(CoreError::Conflict(format!("{} is priced in {}, your plan in {}: ask the provider to move your team.", target.name, target.currency, current.currency)));
        }
        let now = self.now();
        let (start, end) = (month_start(now), next_month(now));
        let view = if target.price_minor >= current.price_minor {
            // A plan's trial, the team's first time on it: nothing is charged until it ends;
            // the month's invoice charges the rest of the month after it.
            let trial_end = (target.trial_days > 0 && !self.trials_used(&txn, &caller.team.id).await?.contains(&target.id)).then(|| now + chrono::Duration::days(target.trial_days));
            let charge = if trial_end.is_some() { 0 } else { proration(current.price_minor, target.price_minor, start, end, now) };
            self.put_on_plan(&txn, &caller.team.id, &target.id, trial_end).await?;
            let change = crate::entity::plan_change::Model {
                id: String::new(),
                team_id: caller.team.id.clone(),
                at: now,
                from_plan_id: current.id.clone(),
                to_plan_id: target.id.clone(),
                kind: if trial_end.is_some() { "trial" } else { "upgrade" }.into(),
                trial_ends_at: trial_end,
            };
            self.record_plan_change_with(&txn, change).await?;
            if charge > 0 {
                let days_left = (end - now).num_seconds() as f64 / 86_400.0;
                let item = invoice_item::Model {
                    id: crate::crypto::new_id("ii"),
                    team_id: caller.team.id.clone(),
                    period: period_of(now),
                    kind: "proration".into(),
                    description: format!("{} from {} (prorated: {:.1} of {} days, {} → {})", target.name, now.format("%d %b %Y"), days_left, (end - start).num_days(), current.name, target.name),
                    amount_minor: charge,
                    currency: target.currency.clone(),
                    created_at: now,
                    invoice_id: None,
                };
                invoice_item::Entity::insert(item.into_active_model()).exec(&txn).await?;
            }
            let detail = if let Some(t) = trial_end {
                format!("{} → {} (at once; a free trial until {})", current.name, target.name, t.format("%d %b %Y"))
            } else if charge > 0 {
                format!("{} → {} (at once; {} prorated)", current.name, target.name, format_money(charge, &target.currency))
            } else {
                format!("{} → {} (at once)", current.name, target.name)
            };
            self.audit(&txn, meta, caller.entry(AuditAction::PlanChanged, ("plan", &target.id)).with_detail(detail)).await?;
            let charged = (charge > 0).then(|| format_money(charge, &target.currency));
            self.notify_plan_change(&txn, &caller.team.id, &caller.team.name, &current.name, &target.name, None, charged, &format!("by {}", caller.user.email)).await?;
            let hashes = self.forget_team_keys(&txn, &caller.team.id).await?;
            txn.commit().await?;
            self.wake_outbox();
            for h in &hashes {
                self.verifier.invalidate(h);
            }
            PlanChangeView { plan: target.name.clone(), applied: true, effective_at: now, charge_minor: charge, currency: target.currency.clone() }
        } else {
            self.schedule(&txn, &caller.team.id, sub, &current, &target.id, false).await?;
            let detail = format!("{} → {} on {} (scheduled)", current.name, target.name, end.format("%d %b %Y"));
            self.audit(&txn, meta, caller.entry(AuditAction::PlanChanged, ("plan", &target.id)).with_detail(detail)).await?;
            self.notify_plan_change(&txn, &caller.team.id, &caller.team.name, &current.name, &target.name, Some(end), None, &format!("by {}", caller.user.email)).await?;
            txn.commit().await?;
            self.wake_outbox();
            PlanChangeView { plan: target.name.clone(), applied: false, effective_at: end, charge_minor: 0, currency: target.currency.clone() }
        };
        Ok(view)
    }

    /// Cancels the team's paid plan at the end of the period: it then goes to the default
    /// plan. Nothing is refunded; until then the plan keeps working.
    pub async fn cancel_plan(&self, caller: &Caller, meta: &RequestMeta) -> Result<PlanChangeView, CoreError> {
        caller.require(Action::ManageBilling)?;
        let txn = self.begin_write().await?;
        crate::services::members::lock_team(&txn, &caller.team.id).await?;
        let (sub, current) = self.team_plan(&txn, &caller.team.id).await?;
        let default = self.plan_book().default_plan().cloned().ok_or_else(|| CoreError::Internal("no default plan".into()))?;
        if current.id == default.id {
            return Err(CoreError::Conflict(format!("{} is the plan every team starts on: there is nothing to cancel.", current.name)));
        }
        let end = next_month(self.now());
        self.schedule(&txn, &caller.team.id, sub, &current, &default.id, true).await?;
        let detail = format!("{} cancelled: {} from {}", current.name, default.name, end.format("%d %b %Y"));
        self.audit(&txn, meta, caller.entry(AuditAction::PlanChanged, ("plan", &default.id)).with_detail(detail)).await?;
        self.notify_plan_change(&txn, &caller.team.id, &caller.team.name, &current.name, &default.name, Some(end), None, &format!("by {}", caller.user.email)).await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(PlanChangeView { plan: default.name.clone(), applied: false, effective_at: end, charge_minor: 0, currency: default.currency.clone() })
    }

    /// Calls off a scheduled downgrade or cancellation: the team stays on its plan.
    pub async fn keep_plan(&self, caller: &Caller, meta: &RequestMeta) -> Result<(), CoreError> {
        caller.require(Action::ManageBilling)?;
        let txn = self.begin_write().await?;
        crate::services::members::lock_team(&txn, &caller.team.id).await?;
        let (sub, current) = self.team_plan(&txn, &caller.team.id).await?;
        let Some(sub) = sub.filter(|s| s.scheduled_plan_id.is_some()) else {
            return Err(CoreError::Conflict("No plan change is scheduled.".into()));
        };
        let mut am = sub.into_active_model();
        am.scheduled_plan_id = Set(None);
        am.cancel_at_period_end = Set(false);
        am.updated_at = Set(self.now());
        am.update(&txn).await?;
        let detail = format!("staying on {} (the scheduled change was called off)", current.name);
        self.audit(&txn, meta, caller.entry(AuditAction::PlanChanged, ("plan", &current.id)).with_detail(detail)).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Emails a team's owners and admins that its plan changed or will.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn notify_plan_change<C: ConnectionTrait>(
        &self,
        db: &C,
        team_id: &str,
        team_name: &str,
        from: &str,
        to: &str,
        effective_at: Option<chrono::DateTime<chrono::Utc>>,
        charge: Option<String>,
        by: &str,
    ) -> Result<(), CoreError> {
        let base = self.settings().base_url.trim_end_matches('/').to_owned();
        let content = PlanChanged {
            team: team_name.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            applied: effective_at.is_none(),
            effective: effective_at.unwrap_or_else(|| self.now()).format("%d %b %Y").to_string(),
            charge,
            by: by.to_owned(),
            billing_url: format!("{base}/portal/billing"),
        };
        for to in self.billing_managers(db, team_id).await? {
            self.enqueue_email(db, NewEmail { team_id: Some(team_id), to: &to, content: EmailContent::PlanChanged(content.clone()) }).await?;
        }
        Ok(())
    }

    async fn schedule<C: ConnectionTrait>(&self, db: &C, team_id: &str, sub: Option<subscription::Model>, current: &Arc<PlanView>, to: &str, cancel: bool) -> Result<(), CoreError> {
        if sub.is_none() {
            self.put_on_plan(db, team_id, &current.id, None).await?;
        }
        subscription::Entity::update_many()
            .col_expr(subscription::Column::ScheduledPlanId, sea_orm::sea_query::Expr::value(to))
            .col_expr(subscription::Column::CancelAtPeriodEnd, sea_orm::sea_query::Expr::value(cancel))
            .col_expr(subscription::Column::UpdatedAt, sea_orm::sea_query::Expr::value(self.now()))
            .filter(subscription::Column::TeamId.eq(team_id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Applies the plan changes scheduled in an earlier period (run by a worker every
    /// minute; a change is claimed by a conditional update, so several nodes apply it once).
    /// Returns how many teams moved.
    pub async fn apply_scheduled_plan_changes(&self) -> Result<usize, CoreError> {
        let now = self.now();
        let due = subscription::Entity::find()
            .filter(subscription::Column::ScheduledPlanId.is_not_null())
            .filter(subscription::Column::UpdatedAt.lt(month_start(now)))
            .all(&self.db)
            .await?;
        let mut moved = 0;
        for sub in due {
            let Some(to) = sub.scheduled_plan_id.clone() else { continue };
            let txn = self.begin_write().await?;
            let claimed = subscription::Entity::update_many()
                .col_expr(subscription::Column::PlanId, sea_orm::sea_query::Expr::value(to.clone()))
                .col_expr(subscription::Column::StartedAt, sea_orm::sea_query::Expr::value(month_start(now)))
                .col_expr(subscription::Column::TrialEndsAt, sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
                .col_expr(subscription::Column::ScheduledPlanId, sea_orm::sea_query::Expr::value(Option::<String>::None))
                .col_expr(subscription::Column::CancelAtPeriodEnd, sea_orm::sea_query::Expr::value(false))
                .col_expr(subscription::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
                .filter(subscription::Column::TeamId.eq(&sub.team_id))
                .filter(subscription::Column::UpdatedAt.eq(sub.updated_at))
                .exec(&txn)
                .await?;
            if claimed.rows_affected != 1 {
                txn.rollback().await?;
                continue;
            }
            self.record_plan_change(&txn, &sub.team_id, month_start(now), &sub.plan_id, &to, "scheduled").await?;
            let book = self.plan_book();
            let name = |id: &str| book.get(id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_owned());
            let entry = crate::services::audit::AuditEntry::for_team(&sub.team_id, None, AuditAction::PlanChanged, ("plan", &to))
                .with_detail(format!("{} → {} (scheduled, at the start of the period)", name(&sub.plan_id), name(&to)));
            self.audit(&txn, &RequestMeta::default(), entry).await?;
            let team_name = crate::entity::team::Entity::find_by_id(&sub.team_id).one(&txn).await?.map(|t| t.name).unwrap_or_default();
            self.notify_plan_change(&txn, &sub.team_id, &team_name, &name(&sub.plan_id), &name(&to), None, None, "as scheduled").await?;
            let hashes = self.forget_team_keys(&txn, &sub.team_id).await?;
            txn.commit().await?;
            for h in &hashes {
                self.verifier.invalidate(h);
            }
            moved += 1;
        }
        if moved > 0 {
            self.wake_outbox();
        }
        Ok(moved)
    }

    /// What the team owes this period beyond its plan's price so far (prorated upgrades).
    pub(crate) async fn charges_this_period(&self, team_id: &str) -> Result<i64, CoreError> {
        let period = period_of(self.now());
        Ok(invoice_item::Entity::find()
            .filter(invoice_item::Column::TeamId.eq(team_id))
            .filter(invoice_item::Column::Period.eq(period))
            .all(&self.db)
            .await?
            .iter()
            .map(|i| i.amount_minor)
            .sum())
    }
}
