//! Users, sessions, teams, memberships, API keys, operator tokens, per-minute usage.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users { Table, Id, Email, PasswordHash, CreatedAt }
#[derive(DeriveIden)]
enum Sessions { Table, Id, TokenHash, UserId, CreatedAt, ExpiresAt }
#[derive(DeriveIden)]
enum Teams { Table, Id, Name, Personal, CreatedAt }
#[derive(DeriveIden)]
enum Memberships { Table, TeamId, UserId, Role, CreatedAt }
#[derive(DeriveIden)]
enum ApiKeys {
    Table, Id, TeamId, CreatedBy, Name, Environment, KeyHash, DisplayStart, Last4,
    RatelimitPerMinute, CreatedAt, ExpiresAt, RevokedAt, LastUsedAt,
}
#[derive(DeriveIden)]
enum OperatorTokens { Table, Id, Name, TokenHash, CreatedAt, RevokedAt }
#[derive(DeriveIden)]
enum UsageMinutes { Table, KeyId, Minute, TeamId, Valid, Refused }

fn id<T: IntoIden>(c: T) -> ColumnDef {
    ColumnDef::new(c).string_len(64).not_null().primary_key().to_owned()
}
fn text<T: IntoIden>(c: T) -> ColumnDef {
    ColumnDef::new(c).string().not_null().to_owned()
}
fn ts<T: IntoIden>(c: T) -> ColumnDef {
    ColumnDef::new(c).timestamp_with_time_zone().not_null().to_owned()
}
fn ts_null<T: IntoIden>(c: T) -> ColumnDef {
    ColumnDef::new(c).timestamp_with_time_zone().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(Users::Table)
                .col(id(Users::Id))
                .col(text(Users::Email).unique_key().to_owned())
                .col(text(Users::PasswordHash))
                .col(ts(Users::CreatedAt))
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(Sessions::Table)
                .col(id(Sessions::Id))
                .col(text(Sessions::TokenHash).unique_key().to_owned())
                .col(text(Sessions::UserId))
                .col(ts(Sessions::CreatedAt))
                .col(ts(Sessions::ExpiresAt))
                .foreign_key(ForeignKey::create().from(Sessions::Table, Sessions::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned()).await?;
        m.create_table(
            Table::create().table(Teams::Table)
                .col(id(Teams::Id))
                .col(text(Teams::Name))
                .col(ColumnDef::new(Teams::Personal).boolean().not_null().default(false))
                .col(ts(Teams::CreatedAt))
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(Memberships::Table)
                .col(ColumnDef::new(Memberships::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(Memberships::UserId).string_len(64).not_null())
                .col(text(Memberships::Role))
                .col(ts(Memberships::CreatedAt))
                .primary_key(Index::create().col(Memberships::TeamId).col(Memberships::UserId))
                .foreign_key(ForeignKey::create().from(Memberships::Table, Memberships::TeamId).to(Teams::Table, Teams::Id).on_delete(ForeignKeyAction::Cascade))
                .foreign_key(ForeignKey::create().from(Memberships::Table, Memberships::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_memberships_user").table(Memberships::Table).col(Memberships::UserId).to_owned()).await?;
        m.create_table(
            Table::create().table(ApiKeys::Table)
                .col(id(ApiKeys::Id))
                .col(ColumnDef::new(ApiKeys::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(ApiKeys::CreatedBy).string_len(64).not_null())
                .col(text(ApiKeys::Name))
                .col(ColumnDef::new(ApiKeys::Environment).string_len(8).not_null())
                .col(ColumnDef::new(ApiKeys::KeyHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(ApiKeys::DisplayStart).string_len(16).not_null())
                .col(ColumnDef::new(ApiKeys::Last4).string_len(4).not_null())
                .col(ColumnDef::new(ApiKeys::RatelimitPerMinute).big_integer().not_null())
                .col(ts(ApiKeys::CreatedAt))
                .col(ts_null(ApiKeys::ExpiresAt))
                .col(ts_null(ApiKeys::RevokedAt))
                .col(ts_null(ApiKeys::LastUsedAt))
                .foreign_key(ForeignKey::create().from(ApiKeys::Table, ApiKeys::TeamId).to(Teams::Table, Teams::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_api_keys_team").table(ApiKeys::Table).col(ApiKeys::TeamId).to_owned()).await?;
        m.create_table(
            Table::create().table(OperatorTokens::Table)
                .col(id(OperatorTokens::Id))
                .col(text(OperatorTokens::Name))
                .col(ColumnDef::new(OperatorTokens::TokenHash).string_len(64).not_null().unique_key())
                .col(ts(OperatorTokens::CreatedAt))
                .col(ts_null(OperatorTokens::RevokedAt))
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(UsageMinutes::Table)
                .col(ColumnDef::new(UsageMinutes::KeyId).string_len(64).not_null())
                .col(ColumnDef::new(UsageMinutes::Minute).big_integer().not_null())
                .col(ColumnDef::new(UsageMinutes::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(UsageMinutes::Valid).big_integer().not_null().default(0))
                .col(ColumnDef::new(UsageMinutes::Refused).big_integer().not_null().default(0))
                .primary_key(Index::create().col(UsageMinutes::KeyId).col(UsageMinutes::Minute))
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_usage_minutes_team_minute").table(UsageMinutes::Table).col(UsageMinutes::TeamId).col(UsageMinutes::Minute).to_owned()).await?;
        Ok(())
    }
}
