//! Emails get an HTML part beside their text. Emails queued before have none and are sent as
//! text only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEmails { Table, HtmlBody }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(OutboxEmails::Table)
            .add_column(ColumnDef::new(OutboxEmails::HtmlBody).text().null()).to_owned()).await
    }
}
