//! A charge owed by a team (a prorated upgrade, say), until an invoice takes it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub team_id: String,
    /// The billing period (`YYYY-MM`) it belongs to.
    pub period: String,
    /// `proration`, …
    pub kind: String,
    pub description: String,
    /// In minor units of `currency`, rounded once.
    pub amount_minor: i64,
    pub currency: String,
    pub created_at: DateTimeUtc,
    /// The invoice that took it, once one has.
    pub invoice_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
