//! After the security review: emails carry no one-time secret any more (the link token is
//! derived from the server secret when the email is sent), keys can have a change waiting for
//! approval, and invitations are throttled by counting sent invitation emails.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEmails { Table, LinkPath, ToAddress, Kind, TeamId, CreatedAt }

#[derive(DeriveIden)]
enum ApiKeys { Table, PendingScopes, RequestedBy }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(OutboxEmails::Table).add_column(ColumnDef::new(OutboxEmails::LinkPath).string_len(64).null()).to_owned(),
        )
        .await?;
        // Emails queued before this version held their token in the body (and in `secret`):
        // blank it there. Such an email, if still undelivered, arrives without a working link
        // and the invitation can be sent again.
        m.get_connection()
            .execute_unprepared(
                "UPDATE outbox_emails SET body = REPLACE(body, secret, '[link removed]'), secret = NULL WHERE secret IS NOT NULL",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_to_kind_created")
                .table(OutboxEmails::Table)
                .col(OutboxEmails::ToAddress)
                .col(OutboxEmails::Kind)
                .col(OutboxEmails::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_team_kind_created")
                .table(OutboxEmails::Table)
                .col(OutboxEmails::TeamId)
                .col(OutboxEmails::Kind)
                .col(OutboxEmails::CreatedAt)
                .to_owned(),
        )
        .await?;
        let cols = [
            ColumnDef::new(ApiKeys::PendingScopes).string_len(2000).null().to_owned(),
            ColumnDef::new(ApiKeys::RequestedBy).string_len(64).null().to_owned(),
        ];
        for mut c in cols {
            m.alter_table(Table::alter().table(ApiKeys::Table).add_column(&mut c).to_owned()).await?;
        }
        Ok(())
    }
}
