//! A second factor: TOTP secrets (sealed under the server secret), single-use recovery codes,
//! short-lived sign-in challenges between the password and the code, and teams that require
//! a second factor of their members. New tables rather than columns on `users`, which other
//! work changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserTotp { Table, UserId, SecretSealed, PendingSealed, PendingCreatedAt, EnabledAt, LastStep }

#[derive(DeriveIden)]
enum RecoveryCodes { Table, Id, UserId, CodeHash, CreatedAt, UsedAt }

#[derive(DeriveIden)]
enum SigninChallenges { Table, Id, TokenHash, UserId, CreatedAt, ExpiresAt, Attempts, UsedAt }

#[derive(DeriveIden)]
enum Teams { Table, RequireMfa }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(UserTotp::Table)
                .col(ColumnDef::new(UserTotp::UserId).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(UserTotp::SecretSealed).string_len(200).null())
                .col(ColumnDef::new(UserTotp::PendingSealed).string_len(200).null())
                .col(ColumnDef::new(UserTotp::PendingCreatedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(UserTotp::EnabledAt).timestamp_with_time_zone().null())
                // The last time step whose code was accepted: a step is never accepted twice.
                .col(ColumnDef::new(UserTotp::LastStep).big_integer().not_null().default(0))
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(RecoveryCodes::Table)
                .col(ColumnDef::new(RecoveryCodes::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(RecoveryCodes::UserId).string_len(64).not_null())
                .col(ColumnDef::new(RecoveryCodes::CodeHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(RecoveryCodes::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(RecoveryCodes::UsedAt).timestamp_with_time_zone().null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_recovery_codes_user").table(RecoveryCodes::Table).col(RecoveryCodes::UserId).to_owned()).await?;
        m.create_table(
            Table::create().table(SigninChallenges::Table)
                .col(ColumnDef::new(SigninChallenges::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(SigninChallenges::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(SigninChallenges::UserId).string_len(64).not_null())
                .col(ColumnDef::new(SigninChallenges::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(SigninChallenges::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(SigninChallenges::Attempts).integer().not_null().default(0))
                .col(ColumnDef::new(SigninChallenges::UsedAt).timestamp_with_time_zone().null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_signin_challenges_expires").table(SigninChallenges::Table).col(SigninChallenges::ExpiresAt).to_owned()).await?;
        m.alter_table(Table::alter().table(Teams::Table)
            .add_column(ColumnDef::new(Teams::RequireMfa).boolean().not_null().default(false)).to_owned()).await?;
        Ok(())
    }
}
