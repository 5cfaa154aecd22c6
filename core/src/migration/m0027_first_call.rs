//! When each key's first accepted verification arrived: the dashboard's quickstart turns its
//! waiting line into "first call received" from it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys { Table, FirstValidAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(ApiKeys::Table)
            .add_column(ColumnDef::new(ApiKeys::FirstValidAt).timestamp_with_time_zone().null()).to_owned()).await
    }
}
