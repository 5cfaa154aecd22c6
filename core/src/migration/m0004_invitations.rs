//! Invitations, the email outbox, and when each member was last active.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Memberships { Table, LastActiveAt }

#[derive(DeriveIden)]
enum AuditEvents { Table, Detail }

#[derive(DeriveIden)]
enum Invitations {
    Table, Id, TeamId, Email, Role, Message, TokenHash, InvitedBy, CreatedAt, ExpiresAt, LastSentAt,
    AcceptedAt, AcceptedBy, RevokedAt,
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table, Id, TeamId, Kind, ToAddress, Subject, Body, Secret, CreatedAt, NextAttemptAt, ClaimedUntil,
    Attempts, SentAt, Transport, LastError, FailedAt,
}

fn ts(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).timestamp_with_time_zone().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Memberships::Table)
                .add_column(ColumnDef::new(Memberships::LastActiveAt).timestamp_with_time_zone().null())
                .to_owned(),
        ).await?;
        m.alter_table(
            Table::alter().table(AuditEvents::Table)
                .add_column(ColumnDef::new(AuditEvents::Detail).string_len(500).null())
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(Invitations::Table)
                .col(ColumnDef::new(Invitations::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Invitations::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(Invitations::Email).string_len(320).not_null())
                .col(ColumnDef::new(Invitations::Role).string_len(16).not_null())
                .col(ColumnDef::new(Invitations::Message).string_len(1000).null())
                .col(ColumnDef::new(Invitations::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(Invitations::InvitedBy).string_len(64).not_null())
                .col(ColumnDef::new(Invitations::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Invitations::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Invitations::LastSentAt).timestamp_with_time_zone().not_null())
                .col(ts(Invitations::AcceptedAt))
                .col(ColumnDef::new(Invitations::AcceptedBy).string_len(64).null())
                .col(ts(Invitations::RevokedAt))
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_invitations_team").table(Invitations::Table).col(Invitations::TeamId).col(Invitations::Email).to_owned()).await?;
        m.create_table(
            Table::create().table(OutboxEmails::Table)
                .col(ColumnDef::new(OutboxEmails::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(OutboxEmails::TeamId).string_len(64).null())
                .col(ColumnDef::new(OutboxEmails::Kind).string_len(32).not_null())
                .col(ColumnDef::new(OutboxEmails::ToAddress).string_len(320).not_null())
                .col(ColumnDef::new(OutboxEmails::Subject).string_len(300).not_null())
                .col(ColumnDef::new(OutboxEmails::Body).text().not_null())
                .col(ColumnDef::new(OutboxEmails::Secret).string_len(128).null())
                .col(ColumnDef::new(OutboxEmails::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(OutboxEmails::NextAttemptAt).timestamp_with_time_zone().not_null())
                .col(ts(OutboxEmails::ClaimedUntil))
                .col(ColumnDef::new(OutboxEmails::Attempts).integer().not_null().default(0))
                .col(ts(OutboxEmails::SentAt))
                .col(ColumnDef::new(OutboxEmails::Transport).string_len(16).null())
                .col(ColumnDef::new(OutboxEmails::LastError).string_len(500).null())
                .col(ts(OutboxEmails::FailedAt))
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_outbox_due").table(OutboxEmails::Table).col(OutboxEmails::SentAt).col(OutboxEmails::NextAttemptAt).to_owned()).await?;
        m.create_index(Index::create().name("idx_outbox_team").table(OutboxEmails::Table).col(OutboxEmails::TeamId).col(OutboxEmails::CreatedAt).to_owned()).await?;
        Ok(())
    }
}
