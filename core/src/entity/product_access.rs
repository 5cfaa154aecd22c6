//! A team's request for a product, and the operator's decision. The latest row of a team and
//! product is what holds; older ones stay as history.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_access")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub team_id: String,
    pub product_id: String,
    /// `requested`, `approved`, `denied`.
    pub status: String,
    /// Why the team asks.
    pub reason: String,
    /// Who asked (email).
    pub requested_by: String,
    pub requested_at: DateTimeUtc,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why it was denied (or a note with an approval).
    pub decision_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
