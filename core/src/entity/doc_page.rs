//! One of the operator's docs guides (Markdown, rendered and sanitized when shown).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "doc_pages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// From the title (`getting-started`): the guide's anchor on the docs page.
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    /// The Markdown source, as the operator gave it.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Guides are shown by position, lowest first.
    pub position: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Who last saved it (`cli`, or an admin's address).
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
