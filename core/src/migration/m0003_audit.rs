//! The audit trail.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents { Table, Id, TeamId, ActorUserId, ActorEmail, Action, ObjectType, ObjectId, Ip, UserAgent, CreatedAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let opt = |c: AuditEvents| ColumnDef::new(c).string_len(320).null().to_owned();
        m.create_table(
            Table::create().table(AuditEvents::Table)
                .col(ColumnDef::new(AuditEvents::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(AuditEvents::TeamId).string_len(64).null())
                .col(ColumnDef::new(AuditEvents::ActorUserId).string_len(64).null())
                .col(opt(AuditEvents::ActorEmail))
                .col(ColumnDef::new(AuditEvents::Action).string_len(64).not_null())
                .col(ColumnDef::new(AuditEvents::ObjectType).string_len(32).null())
                .col(opt(AuditEvents::ObjectId))
                .col(ColumnDef::new(AuditEvents::Ip).string_len(64).not_null())
                .col(ColumnDef::new(AuditEvents::UserAgent).string_len(256).not_null())
                .col(ColumnDef::new(AuditEvents::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_audit_team_time").table(AuditEvents::Table).col(AuditEvents::TeamId).col(AuditEvents::CreatedAt).to_owned()).await?;
        m.create_index(Index::create().name("idx_audit_actor_time").table(AuditEvents::Table).col(AuditEvents::ActorUserId).col(AuditEvents::CreatedAt).to_owned()).await?;
        Ok(())
    }
}
