//! A signed-in browser session; only the token's hash is stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub user_id: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub active_team_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub last_seen_at: Option<DateTimeUtc>,
    /// Opened inside the provider's page (an embed link), with the partitioned cookie.
    pub embedded: bool,
    /// When its person last confirmed it is them (password or second factor), for actions
    /// that ask again, such as revealing a retrievable key.
    pub confirmed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
