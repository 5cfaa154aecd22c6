//! Email verification: when an account proved it receives mail at its address, and the
//! one-time links that prove it. Accounts that exist before this migration count as verified
//! (they signed up when nothing was asked of them).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users { Table, EmailVerifiedAt }

#[derive(DeriveIden)]
enum EmailVerifications { Table, Id, UserId, TokenHash, CreatedAt, ExpiresAt, UsedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Users::Table)
            .add_column(ColumnDef::new(Users::EmailVerifiedAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.get_connection().execute_unprepared("UPDATE users SET email_verified_at = created_at").await?;
        m.create_table(
            Table::create().table(EmailVerifications::Table)
                .col(ColumnDef::new(EmailVerifications::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(EmailVerifications::UserId).string_len(64).not_null())
                .col(ColumnDef::new(EmailVerifications::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(EmailVerifications::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(EmailVerifications::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(EmailVerifications::UsedAt).timestamp_with_time_zone().null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_email_verifications_user").table(EmailVerifications::Table).col(EmailVerifications::UserId).to_owned()).await?;
        Ok(())
    }
}
