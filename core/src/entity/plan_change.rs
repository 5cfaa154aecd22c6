//! A change of a team's plan, at the moment it took effect: invoices price each period by
//! the plans held in it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub team_id: String,
    pub at: DateTimeUtc,
    pub from_plan_id: String,
    pub to_plan_id: String,
    /// `upgrade`, `trial`, `scheduled`, `assigned`.
    pub kind: String,
    /// For a change that began a trial: when it ends.
    pub trial_ends_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
