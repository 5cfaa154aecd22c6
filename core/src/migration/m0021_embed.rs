//! The portal inside the provider's site: accounts and teams known by the provider's own ids,
//! accounts managed by the provider (no password), sessions opened in a frame, and the
//! one-time links that open them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users { Table, ExternalId, Managed }

#[derive(DeriveIden)]
enum Teams { Table, ExternalId }

#[derive(DeriveIden)]
enum Sessions { Table, Embedded }

#[derive(DeriveIden)]
enum EmbedLinks { Table, Id, TokenHash, UserId, TeamId, ReturnTo, CreatedAt, ExpiresAt, UsedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Users::Table)
            .add_column(ColumnDef::new(Users::ExternalId).string_len(200).null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table)
            .add_column(ColumnDef::new(Users::Managed).boolean().not_null().default(false)).to_owned()).await?;
        m.alter_table(Table::alter().table(Teams::Table)
            .add_column(ColumnDef::new(Teams::ExternalId).string_len(200).null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table)
            .add_column(ColumnDef::new(Sessions::Embedded).boolean().not_null().default(false)).to_owned()).await?;
        // Unique where set: several NULLs are allowed by both SQLite and PostgreSQL.
        m.create_index(Index::create().name("idx_users_external_id").table(Users::Table).col(Users::ExternalId).unique().to_owned()).await?;
        m.create_index(Index::create().name("idx_teams_external_id").table(Teams::Table).col(Teams::ExternalId).unique().to_owned()).await?;
        m.create_table(
            Table::create().table(EmbedLinks::Table)
                .col(ColumnDef::new(EmbedLinks::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(EmbedLinks::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(EmbedLinks::UserId).string_len(64).not_null())
                .col(ColumnDef::new(EmbedLinks::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(EmbedLinks::ReturnTo).string_len(500).not_null())
                .col(ColumnDef::new(EmbedLinks::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(EmbedLinks::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(EmbedLinks::UsedAt).timestamp_with_time_zone().null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_embed_links_expires").table(EmbedLinks::Table).col(EmbedLinks::ExpiresAt).to_owned()).await?;
        Ok(())
    }
}
