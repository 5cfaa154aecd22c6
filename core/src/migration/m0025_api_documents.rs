//! The operator's OpenAPI documents: every imported version kept (a history to roll back
//! along), one of them in effect, the same on every node because it lives in the database.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiDocuments { Table, Id, Version, Title, ApiVersion, Openapi, Format, Operations, Sha256, SourceBytes, Body, CreatedAt, CreatedBy, Active }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(ApiDocuments::Table)
                .col(ColumnDef::new(ApiDocuments::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(ApiDocuments::Version).big_integer().not_null().unique_key())
                .col(ColumnDef::new(ApiDocuments::Title).string_len(500).not_null())
                .col(ColumnDef::new(ApiDocuments::ApiVersion).string_len(200).not_null())
                .col(ColumnDef::new(ApiDocuments::Openapi).string_len(20).not_null())
                .col(ColumnDef::new(ApiDocuments::Format).string_len(8).not_null())
                .col(ColumnDef::new(ApiDocuments::Operations).big_integer().not_null())
                .col(ColumnDef::new(ApiDocuments::Sha256).string_len(64).not_null())
                .col(ColumnDef::new(ApiDocuments::SourceBytes).big_integer().not_null())
                .col(ColumnDef::new(ApiDocuments::Body).text().not_null())
                .col(ColumnDef::new(ApiDocuments::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(ApiDocuments::CreatedBy).string_len(320).not_null())
                .col(ColumnDef::new(ApiDocuments::Active).boolean().not_null().default(false))
                .to_owned(),
        ).await?;
        Ok(())
    }
}
