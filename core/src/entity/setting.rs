//! A setting that differs from the environment's default.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The checked value; when `encrypted`, sealed under the server secret.
    pub value: String,
    pub encrypted: bool,
    pub updated_at: DateTimeUtc,
    /// Who set it (`cli`, or an admin's email).
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
