//! Password-reset links: who asked, the token's hash, and when the link stops working or was used.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PasswordResets { Table, Id, UserId, TokenHash, CreatedAt, ExpiresAt, UsedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(PasswordResets::Table)
                .col(ColumnDef::new(PasswordResets::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(PasswordResets::UserId).string_len(64).not_null())
                .col(ColumnDef::new(PasswordResets::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(PasswordResets::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(PasswordResets::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(PasswordResets::UsedAt).timestamp_with_time_zone().null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_password_resets_user").table(PasswordResets::Table).col(PasswordResets::UserId).to_owned()).await?;
        Ok(())
    }
}
