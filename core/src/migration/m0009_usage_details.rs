//! Usage per minute gains the units spent (cost) and counts per answer code and per endpoint.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageMinutes { Table, Cost }

#[derive(DeriveIden)]
enum UsageMinuteDetails { Table, KeyId, Minute, Dimension, Name, TeamId, Count }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(UsageMinutes::Table)
                .add_column(ColumnDef::new(UsageMinutes::Cost).big_integer().not_null().default(0))
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(UsageMinuteDetails::Table)
                .col(ColumnDef::new(UsageMinuteDetails::KeyId).string_len(64).not_null())
                .col(ColumnDef::new(UsageMinuteDetails::Minute).big_integer().not_null())
                .col(ColumnDef::new(UsageMinuteDetails::Dimension).string_len(8).not_null())
                .col(ColumnDef::new(UsageMinuteDetails::Name).string_len(256).not_null())
                .col(ColumnDef::new(UsageMinuteDetails::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(UsageMinuteDetails::Count).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(UsageMinuteDetails::KeyId)
                        .col(UsageMinuteDetails::Minute)
                        .col(UsageMinuteDetails::Dimension)
                        .col(UsageMinuteDetails::Name),
                )
                .to_owned(),
        ).await?;
        m.create_index(
            Index::create().name("idx_usage_details_team_minute").table(UsageMinuteDetails::Table)
                .col(UsageMinuteDetails::TeamId).col(UsageMinuteDetails::Minute).to_owned(),
        ).await?;
        Ok(())
    }
}
