//! Trials: a plan change that began a trial records when it ends, so the month's invoice
//! charges the rest of the month after it, and a team has one trial of each plan.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlanChanges { Table, TrialEndsAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(PlanChanges::Table).add_column(ColumnDef::new(PlanChanges::TrialEndsAt).timestamp_with_time_zone().null()).to_owned()).await
    }
}
