//! Monthly quota counters per key: units handed out (leased) per calendar month.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeyQuotaUsage { Table, KeyId, Period, Used }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(KeyQuotaUsage::Table)
                .col(ColumnDef::new(KeyQuotaUsage::KeyId).string_len(64).not_null())
                .col(ColumnDef::new(KeyQuotaUsage::Period).string_len(7).not_null())
                .col(ColumnDef::new(KeyQuotaUsage::Used).big_integer().not_null().default(0))
                .primary_key(Index::create().col(KeyQuotaUsage::KeyId).col(KeyQuotaUsage::Period))
                .to_owned(),
        ).await
    }
}
