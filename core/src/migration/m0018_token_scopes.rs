//! Operator tokens get scopes (existing ones keep every scope they had in effect), an
//! optional expiry and the time they were last used.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OperatorTokens { Table, Scopes, ExpiresAt, LastUsedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        m.alter_table(Table::alter().table(OperatorTokens::Table)
            .add_column(ColumnDef::new(OperatorTokens::Scopes).string_len(200).not_null().default("verify,usage,leaks,admin")).to_owned()).await?;
        m.alter_table(Table::alter().table(OperatorTokens::Table)
            .add_column(ColumnDef::new(OperatorTokens::ExpiresAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(OperatorTokens::Table)
            .add_column(ColumnDef::new(OperatorTokens::LastUsedAt).timestamp_with_time_zone().null()).to_owned()).await
    }
}
