//! A product of the API catalogue: an API developers may use, granting scopes to keys.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Where its documentation is, a path of the portal's docs (`/portal/docs#tag-payments`).
    pub docs_path: Option<String>,
    /// The scopes it grants, space-separated, sorted.
    pub scopes: String,
    /// The plans that include it, space-separated, sorted.
    pub plans: String,
    /// `public` (every team has it), `on_request` (asked for, then approved) or `hidden`
    /// (only through a plan or the operator).
    pub visibility: String,
    pub position: i64,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
