//! The plan a team is on, and the change it has scheduled for the end of the period.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: String,
    pub plan_id: String,
    /// When the team went on this plan.
    pub started_at: DateTimeUtc,
    /// The end of a trial the plan began with.
    pub trial_ends_at: Option<DateTimeUtc>,
    /// A plan to move to when the period ends (a downgrade, or the default on cancel).
    pub scheduled_plan_id: Option<String>,
    /// Cancelled: at the period's end the team goes to the default plan.
    pub cancel_at_period_end: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
