//! What `/portal/billing` shows a team: its plan, this period's use of it, the other plans.

use crate::dto::billing::BillingView;
use crate::dto::billing::PlanVisibility;
use crate::entity::api_key;
use crate::error::CoreError;
use crate::roles::Action;
use crate::services::auth::Caller;
use crate::services::quota::next_month;
use crate::services::usage::month_start;
use crate::services::Services;
use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter};

impl Services {
    /// The caller's team's plan, limits and use this period (every member may see it).
    pub async fn billing_view(&self, caller: &Caller) -> Result<BillingView, CoreError> {
        caller.require(Action::ViewBilling)?;
        let now = self.now();
        let (sub, plan) = self.team_plan(&self.db, &caller.team.id).await?;
        let period_start = month_start(now);
        let used_requests = self.valid_since(Some(&caller.team.id), period_start.timestamp()).await?.remove(&caller.team.id).unwrap_or(0);
        let keys = api_key::Entity::find().filter(crate::services::keys::live_keys_of(&caller.team.id, now)).count(&self.db).await? as i64;
        let mut choices: Vec<_> = self
            .plan_book()
            .all()
            .iter()
            .filter(|p| p.id != plan.id && !p.archived && p.visibility == PlanVisibility::Public)
            .map(|p| (**p).clone())
            .collect();
        choices.sort_by_key(|p| (p.price_minor, p.included_requests));
        let book = self.plan_book();
        let scheduled = sub.as_ref().and_then(|s| s.scheduled_plan_id.as_deref()).map(|id| book.get(id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_owned()));
        let cancelling = sub.as_ref().is_some_and(|s| s.cancel_at_period_end && s.scheduled_plan_id.is_some());
        let settings = self.settings();
        Ok(BillingView {
            scheduled,
            cancelling,
            charges: self.charges_this_period(&caller.team.id).await?,
            can_manage: crate::roles::allowed(caller.role, Action::ManageBilling),
            as_of: now,
            portal_max_ratelimit: settings.max_ratelimit_per_minute,
            portal_max_keys: i64::try_from(settings.max_active_keys).unwrap_or(i64::MAX),
            plan: (*plan).clone(),
            period_start,
            period_end: next_month(now),
            used_requests,
            keys,
            trial_ends_at: sub.and_then(|s| s.trial_ends_at).filter(|t| *t > now),
            trials_used: self.trials_used(&self.db, &caller.team.id).await?,
            choices,
        })
    }
}
