//! One line of an invoice, in integer minor units, rounded once, with its own tax rate.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub invoice_id: String,
    pub position: i32,
    /// `base`, `proration`, `overage`, `credit`, `trial`.
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub amount_minor: i64,
    /// Tax rate in basis points (2000 = 20%).
    pub tax_rate_bp: i32,
    pub tax_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
