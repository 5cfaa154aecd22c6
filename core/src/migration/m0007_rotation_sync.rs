//! Rotation keeps one quota across a key's generations (`lineage_id`); `key_changes` tells
//! other nodes which cached key hashes to forget.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys { Table, LineageId }

#[derive(DeriveIden)]
enum KeyChanges { Table, Id, KeyHash, CreatedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(ApiKeys::Table)
                .add_column(ColumnDef::new(ApiKeys::LineageId).string_len(64).null())
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(KeyChanges::Table)
                .col(ColumnDef::new(KeyChanges::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(KeyChanges::KeyHash).string_len(128).not_null())
                .col(ColumnDef::new(KeyChanges::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        Ok(())
    }
}
