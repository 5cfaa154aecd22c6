//! Keys get a description, scopes, an optional monthly quota, a disabled state, and the
//! columns rotation needs (a grace end and the key that replaces them).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys { Table, Description, Scopes, MonthlyQuota, DisabledAt, GraceUntil, ReplacedBy, UpdatedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let cols = [
            ColumnDef::new(ApiKeys::Description).string_len(280).null().to_owned(),
            ColumnDef::new(ApiKeys::Scopes).string_len(2000).not_null().default("").to_owned(),
            ColumnDef::new(ApiKeys::MonthlyQuota).big_integer().null().to_owned(),
            ColumnDef::new(ApiKeys::DisabledAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(ApiKeys::GraceUntil).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(ApiKeys::ReplacedBy).string_len(64).null().to_owned(),
            ColumnDef::new(ApiKeys::UpdatedAt).timestamp_with_time_zone().null().to_owned(),
        ];
        for mut c in cols {
            m.alter_table(Table::alter().table(ApiKeys::Table).add_column(&mut c).to_owned()).await?;
        }
        Ok(())
    }
}
