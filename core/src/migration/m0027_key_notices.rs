//! What a key has been told about: when its first accepted verification arrived (the
//! dashboard's quickstart turns its waiting line into "first call received" from it), and
//! which expiry reminder went out (7 days before, then 1 day), so each goes once.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys { Table, FirstValidAt, ExpiryReminded }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(ApiKeys::Table)
            .add_column(ColumnDef::new(ApiKeys::FirstValidAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(ApiKeys::Table)
            .add_column(ColumnDef::new(ApiKeys::ExpiryReminded).integer().null()).to_owned()).await
    }
}
