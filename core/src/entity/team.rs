//! A team owns keys; every user has a personal one.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "teams")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub personal: bool,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    /// When the provider suspended the team (its keys verify as `TEAM_SUSPENDED`).
    pub suspended_at: Option<DateTimeUtc>,
    /// The reason the provider gave.
    pub suspended_reason: Option<String>,
    /// The provider's id for this team (embed sessions).
    pub external_id: Option<String>,
    /// Members must have a second factor (TOTP) to see or change anything of the team.
    pub require_mfa: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
