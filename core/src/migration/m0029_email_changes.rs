//! Email change: a signed-in person asks to move their account to another address; the
//! change happens only when a one-time link sent to the new address is confirmed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmailChanges { Table, Id, UserId, NewEmail, TokenHash, CreatedAt, ExpiresAt, UsedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(EmailChanges::Table)
                .col(ColumnDef::new(EmailChanges::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(EmailChanges::UserId).string_len(64).not_null())
                .col(ColumnDef::new(EmailChanges::NewEmail).string_len(320).not_null())
                .col(ColumnDef::new(EmailChanges::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(EmailChanges::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(EmailChanges::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(EmailChanges::UsedAt).timestamp_with_time_zone().null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_email_changes_user").table(EmailChanges::Table).col(EmailChanges::UserId).to_owned()).await
    }
}
