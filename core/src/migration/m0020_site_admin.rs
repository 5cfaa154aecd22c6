//! The provider's side: site-wide admins, suspended developers and teams, sign-up answers,
//! and audit rows marked as done by the provider.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users { Table, SiteAdmin, SuspendedAt, SuspendedReason, SignupAnswers }

#[derive(DeriveIden)]
enum Teams { Table, SuspendedAt, SuspendedReason }

#[derive(DeriveIden)]
enum AuditEvents { Table, ByProvider }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        m.alter_table(Table::alter().table(Users::Table)
            .add_column(ColumnDef::new(Users::SiteAdmin).boolean().not_null().default(false)).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table)
            .add_column(ColumnDef::new(Users::SuspendedAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table)
            .add_column(ColumnDef::new(Users::SuspendedReason).string_len(500).null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table)
            .add_column(ColumnDef::new(Users::SignupAnswers).text().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Teams::Table)
            .add_column(ColumnDef::new(Teams::SuspendedAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Teams::Table)
            .add_column(ColumnDef::new(Teams::SuspendedReason).string_len(500).null()).to_owned()).await?;
        m.alter_table(Table::alter().table(AuditEvents::Table)
            .add_column(ColumnDef::new(AuditEvents::ByProvider).boolean().not_null().default(false)).to_owned()).await
    }
}
