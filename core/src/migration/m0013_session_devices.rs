//! Sessions remember the browser and address they were signed in from, and when they were
//! last used, so people can recognise their devices on the settings page and sign out the
//! ones they do not know.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions { Table, UserAgent, Ip, LastSeenAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for col in [
            ColumnDef::new(Sessions::UserAgent).string_len(256).null().to_owned(),
            ColumnDef::new(Sessions::Ip).string_len(64).null().to_owned(),
            ColumnDef::new(Sessions::LastSeenAt).timestamp_with_time_zone().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(Sessions::Table).add_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
