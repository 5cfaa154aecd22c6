//! Keys that need approval before they work: their state, the decision's reason, who and when.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys { Table, Approval, ApprovalNote, DecidedBy, DecidedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let cols = [
            ColumnDef::new(ApiKeys::Approval).string_len(16).null().to_owned(),
            ColumnDef::new(ApiKeys::ApprovalNote).string_len(500).null().to_owned(),
            ColumnDef::new(ApiKeys::DecidedBy).string_len(320).null().to_owned(),
            ColumnDef::new(ApiKeys::DecidedAt).timestamp_with_time_zone().null().to_owned(),
        ];
        for mut c in cols {
            m.alter_table(Table::alter().table(ApiKeys::Table).add_column(&mut c).to_owned()).await?;
        }
        Ok(())
    }
}
