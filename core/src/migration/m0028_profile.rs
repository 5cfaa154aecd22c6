//! The developer's own profile: a display name, and which emails they want (security notices
//! always go out and have no column).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users { Table, Name, NotifyQuota, NotifyExpiry, NotifyNews }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::Name).string_len(80).null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::NotifyQuota).boolean().not_null().default(true)).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::NotifyExpiry).boolean().not_null().default(true)).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::NotifyNews).boolean().not_null().default(false)).to_owned()).await
    }
}
