//! What the operator's backend reports after serving a request: per key, minute and endpoint,
//! requests by status class and latency, the latency histogram as one additive row per bucket.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageMinuteHttp { Table, KeyId, Minute, Endpoint, TeamId, Requests, S2xx, S3xx, S4xx, S5xx, LatencyMsSum }

#[derive(DeriveIden)]
enum UsageMinuteLatency { Table, KeyId, Minute, Endpoint, Bucket, TeamId, Count }

fn count(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().default(0).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(UsageMinuteHttp::Table)
                .col(ColumnDef::new(UsageMinuteHttp::KeyId).string_len(64).not_null())
                .col(ColumnDef::new(UsageMinuteHttp::Minute).big_integer().not_null())
                .col(ColumnDef::new(UsageMinuteHttp::Endpoint).string_len(256).not_null())
                .col(ColumnDef::new(UsageMinuteHttp::TeamId).string_len(64).not_null())
                .col(count(UsageMinuteHttp::Requests))
                .col(count(UsageMinuteHttp::S2xx))
                .col(count(UsageMinuteHttp::S3xx))
                .col(count(UsageMinuteHttp::S4xx))
                .col(count(UsageMinuteHttp::S5xx))
                .col(count(UsageMinuteHttp::LatencyMsSum))
                .primary_key(Index::create().col(UsageMinuteHttp::KeyId).col(UsageMinuteHttp::Minute).col(UsageMinuteHttp::Endpoint))
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_usage_http_team_minute").table(UsageMinuteHttp::Table)
            .col(UsageMinuteHttp::TeamId).col(UsageMinuteHttp::Minute).to_owned()).await?;
        m.create_table(
            Table::create().table(UsageMinuteLatency::Table)
                .col(ColumnDef::new(UsageMinuteLatency::KeyId).string_len(64).not_null())
                .col(ColumnDef::new(UsageMinuteLatency::Minute).big_integer().not_null())
                .col(ColumnDef::new(UsageMinuteLatency::Endpoint).string_len(256).not_null())
                .col(ColumnDef::new(UsageMinuteLatency::Bucket).small_integer().not_null())
                .col(ColumnDef::new(UsageMinuteLatency::TeamId).string_len(64).not_null())
                .col(count(UsageMinuteLatency::Count))
                .primary_key(
                    Index::create().col(UsageMinuteLatency::KeyId).col(UsageMinuteLatency::Minute)
                        .col(UsageMinuteLatency::Endpoint).col(UsageMinuteLatency::Bucket),
                )
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_usage_latency_team_minute").table(UsageMinuteLatency::Table)
            .col(UsageMinuteLatency::TeamId).col(UsageMinuteLatency::Minute).to_owned()).await?;
        Ok(())
    }
}
