//! Teams get an optional description; a session remembers which team is active.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions { Table, ActiveTeamId }
#[derive(DeriveIden)]
enum Teams { Table, Description }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Sessions::Table)
                .add_column(ColumnDef::new(Sessions::ActiveTeamId).string_len(64).null())
                .to_owned(),
        ).await?;
        m.alter_table(
            Table::alter().table(Teams::Table)
                .add_column(ColumnDef::new(Teams::Description).string().null())
                .to_owned(),
        ).await?;
        Ok(())
    }
}
