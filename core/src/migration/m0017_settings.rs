//! Settings the operator changes while Keyport runs: one row per setting that differs from
//! the environment's default (an encrypted value is sealed under the server secret).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Settings { Table, Key, Value, Encrypted, UpdatedAt, UpdatedBy }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(Settings::Table)
                .col(ColumnDef::new(Settings::Key).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Settings::Value).text().not_null())
                .col(ColumnDef::new(Settings::Encrypted).boolean().not_null().default(false))
                .col(ColumnDef::new(Settings::UpdatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Settings::UpdatedBy).string_len(320).not_null())
                .to_owned(),
        ).await
    }
}
