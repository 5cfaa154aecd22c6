//! A person's TOTP second factor: the confirmed secret and one being set up, each sealed under
//! the server secret (bound to the user), and the last time step whose code was accepted.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_totp")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    pub secret_sealed: Option<String>,
    pub pending_sealed: Option<String>,
    pub pending_created_at: Option<DateTimeUtc>,
    pub enabled_at: Option<DateTimeUtc>,
    pub last_step: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
