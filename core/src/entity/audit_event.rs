//! One security-relevant action: who, what, on which object, from where, when.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub team_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub created_at: DateTimeUtc,
    /// A short, secret-free description (`member → admin`, `to a@b.c as viewer`).
    pub detail: Option<String>,
    /// Done by the provider's admin on the team's behalf (shown as such in the team's trail).
    pub by_provider: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
