//! The API catalogue: products (the APIs developers may use, each granting scopes), which
//! plans include them, and teams' requests for the products offered on request.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products { Table, Id, Name, Description, DocsPath, Scopes, Plans, Visibility, Position, ArchivedAt, CreatedAt, UpdatedAt }

#[derive(DeriveIden)]
enum ProductAccess { Table, Id, TeamId, ProductId, Status, Reason, RequestedBy, RequestedAt, DecidedBy, DecidedAt, DecisionReason }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(Products::Table)
                .col(ColumnDef::new(Products::Id).string_len(40).not_null().primary_key())
                .col(ColumnDef::new(Products::Name).string_len(80).not_null())
                .col(ColumnDef::new(Products::Description).text().null())
                .col(ColumnDef::new(Products::DocsPath).string_len(300).null())
                .col(ColumnDef::new(Products::Scopes).text().not_null())
                .col(ColumnDef::new(Products::Plans).text().not_null())
                .col(ColumnDef::new(Products::Visibility).string_len(16).not_null())
                .col(ColumnDef::new(Products::Position).big_integer().not_null().default(0))
                .col(ColumnDef::new(Products::ArchivedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Products::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Products::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(ProductAccess::Table)
                .col(ColumnDef::new(ProductAccess::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(ProductAccess::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(ProductAccess::ProductId).string_len(40).not_null())
                .col(ColumnDef::new(ProductAccess::Status).string_len(16).not_null())
                .col(ColumnDef::new(ProductAccess::Reason).string_len(500).not_null())
                .col(ColumnDef::new(ProductAccess::RequestedBy).string_len(254).not_null())
                .col(ColumnDef::new(ProductAccess::RequestedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(ProductAccess::DecidedBy).string_len(254).null())
                .col(ColumnDef::new(ProductAccess::DecidedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ProductAccess::DecisionReason).string_len(500).null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_product_access_team").table(ProductAccess::Table).col(ProductAccess::TeamId).col(ProductAccess::ProductId).to_owned()).await?;
        m.create_index(Index::create().name("idx_product_access_status").table(ProductAccess::Table).col(ProductAccess::Status).to_owned()).await
    }
}
