//! The operator's own docs guides: Markdown pages shown beside the API reference, ordered,
//! each with a stable slug to link to; in the database so every node shows the same.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DocPages { Table, Id, Slug, Title, Body, Position, CreatedAt, UpdatedAt, UpdatedBy }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(DocPages::Table)
                .col(ColumnDef::new(DocPages::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(DocPages::Slug).string_len(80).not_null().unique_key())
                .col(ColumnDef::new(DocPages::Title).string_len(200).not_null())
                .col(ColumnDef::new(DocPages::Body).text().not_null())
                .col(ColumnDef::new(DocPages::Position).big_integer().not_null())
                .col(ColumnDef::new(DocPages::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(DocPages::UpdatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(DocPages::UpdatedBy).string_len(320).not_null())
                .to_owned(),
        ).await?;
        Ok(())
    }
}
