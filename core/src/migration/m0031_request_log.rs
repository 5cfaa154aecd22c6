//! The per-key request log: the newest requests reported for each key (verify answers and
//! served requests), with endpoint, outcome, latency and client address.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeyRequests { Table, Id, KeyId, TeamId, At, Outcome, Ok, Status, Endpoint, LatencyMs, Ip }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(KeyRequests::Table)
                .col(ColumnDef::new(KeyRequests::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(KeyRequests::KeyId).string_len(64).not_null())
                .col(ColumnDef::new(KeyRequests::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(KeyRequests::At).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(KeyRequests::Outcome).string_len(32).not_null())
                .col(ColumnDef::new(KeyRequests::Ok).boolean().not_null())
                .col(ColumnDef::new(KeyRequests::Status).integer().null())
                .col(ColumnDef::new(KeyRequests::Endpoint).string_len(256).null())
                .col(ColumnDef::new(KeyRequests::LatencyMs).double().null())
                .col(ColumnDef::new(KeyRequests::Ip).string_len(64).null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_key_requests_key").table(KeyRequests::Table).col(KeyRequests::KeyId).col(KeyRequests::Id).to_owned()).await?;
        m.create_index(Index::create().name("idx_key_requests_at").table(KeyRequests::Table).col(KeyRequests::At).to_owned()).await
    }
}
