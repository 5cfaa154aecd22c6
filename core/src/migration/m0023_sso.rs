//! Single sign-on: the identities (provider and subject) linked to accounts, and the states of
//! sign-in flows already completed, so a callback cannot be replayed. New tables only: the
//! users table keeps its shape (an SSO-only account has the no-password marker as its hash).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Identities { Table, Id, UserId, Provider, Subject, Email, CreatedAt }

#[derive(DeriveIden)]
enum SsoUsedStates { Table, StateHash, ExpiresAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(Identities::Table)
                .col(ColumnDef::new(Identities::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Identities::UserId).string_len(64).not_null())
                .col(ColumnDef::new(Identities::Provider).string_len(20).not_null())
                .col(ColumnDef::new(Identities::Subject).string_len(255).not_null())
                .col(ColumnDef::new(Identities::Email).string_len(320).not_null())
                .col(ColumnDef::new(Identities::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_identities_provider_subject").table(Identities::Table)
            .col(Identities::Provider).col(Identities::Subject).unique().to_owned()).await?;
        m.create_index(Index::create().name("idx_identities_user").table(Identities::Table).col(Identities::UserId).to_owned()).await?;
        m.create_table(
            Table::create().table(SsoUsedStates::Table)
                .col(ColumnDef::new(SsoUsedStates::StateHash).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(SsoUsedStates::ExpiresAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_sso_used_states_expires").table(SsoUsedStates::Table).col(SsoUsedStates::ExpiresAt).to_owned()).await?;
        Ok(())
    }
}
