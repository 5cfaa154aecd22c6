//! One imported version of the operator's OpenAPI document (checked, stored as JSON).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// 1, 2, 3… in the order they were imported.
    #[sea_orm(unique)]
    pub version: i64,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub api_version: String,
    /// `3.0.3`, `3.1.0`, …
    pub openapi: String,
    /// `yaml` or `json`, as imported.
    pub format: String,
    pub operations: i64,
    /// SHA-256 of the imported bytes.
    pub sha256: String,
    pub source_bytes: i64,
    /// The checked document as JSON.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: DateTimeUtc,
    /// Who imported it (`cli`, or an admin's address).
    pub created_by: String,
    /// The version the docs pages show (exactly one, once any was imported).
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
