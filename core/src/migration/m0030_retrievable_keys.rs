//! Retrievable keys (the operator's opt-in `keys.retrievable`): the key sealed under a key
//! derived from the server secret beside its hash; and when a session last confirmed it is
//! its person (password or second factor), so a reveal or copy right after needs no second
//! confirmation.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys { Table, SealedSecret }

#[derive(DeriveIden)]
enum Sessions { Table, ConfirmedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(ApiKeys::Table).add_column(ColumnDef::new(ApiKeys::SealedSecret).string_len(200).null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table).add_column(ColumnDef::new(Sessions::ConfirmedAt).timestamp_with_time_zone().null()).to_owned()).await
    }
}
