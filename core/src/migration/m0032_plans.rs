//! Plans (price, included requests, overage, limits, features), each team's subscription
//! to one, and the charges owed before an invoice takes them. The default "Free" plan is created at start-up from `KEYPORT_MONTHLY_QUOTA`, so
//! an install keeps the quota it was configured with.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plans {
    Table, Id, Name, Description, PriceMinor, Currency, IncludedRequests,
    #[sea_orm(iden = "overage_per_1000_minor")]
    OveragePer1000Minor,
    RatelimitCap, MaxKeys,
    Features, TrialDays, Visibility, IsDefault, Position, ArchivedAt, CreatedAt, UpdatedAt,
}

#[derive(DeriveIden)]
enum Subscriptions { Table, TeamId, PlanId, StartedAt, TrialEndsAt, ScheduledPlanId, CancelAtPeriodEnd, UpdatedAt }

#[derive(DeriveIden)]
enum InvoiceItems { Table, Id, TeamId, Period, Kind, Description, AmountMinor, Currency, CreatedAt, InvoiceId }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(Plans::Table)
                .col(ColumnDef::new(Plans::Id).string_len(40).not_null().primary_key())
                .col(ColumnDef::new(Plans::Name).string_len(80).not_null())
                .col(ColumnDef::new(Plans::Description).text().null())
                .col(ColumnDef::new(Plans::PriceMinor).big_integer().not_null())
                .col(ColumnDef::new(Plans::Currency).string_len(3).not_null())
                .col(ColumnDef::new(Plans::IncludedRequests).big_integer().not_null())
                .col(ColumnDef::new(Plans::OveragePer1000Minor).big_integer().null())
                .col(ColumnDef::new(Plans::RatelimitCap).big_integer().null())
                .col(ColumnDef::new(Plans::MaxKeys).big_integer().null())
                .col(ColumnDef::new(Plans::Features).text().not_null())
                .col(ColumnDef::new(Plans::TrialDays).big_integer().not_null().default(0))
                .col(ColumnDef::new(Plans::Visibility).string_len(16).not_null())
                .col(ColumnDef::new(Plans::IsDefault).boolean().not_null().default(false))
                .col(ColumnDef::new(Plans::Position).big_integer().not_null().default(0))
                .col(ColumnDef::new(Plans::ArchivedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Plans::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Plans::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(Subscriptions::Table)
                .col(ColumnDef::new(Subscriptions::TeamId).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Subscriptions::PlanId).string_len(40).not_null())
                .col(ColumnDef::new(Subscriptions::StartedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Subscriptions::TrialEndsAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Subscriptions::ScheduledPlanId).string_len(40).null())
                .col(ColumnDef::new(Subscriptions::CancelAtPeriodEnd).boolean().not_null().default(false))
                .col(ColumnDef::new(Subscriptions::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_subscriptions_plan").table(Subscriptions::Table).col(Subscriptions::PlanId).to_owned()).await?;
        // Charges owed before an invoice takes them (a prorated upgrade, say).
        m.create_table(
            Table::create().table(InvoiceItems::Table)
                .col(ColumnDef::new(InvoiceItems::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(InvoiceItems::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(InvoiceItems::Period).string_len(7).not_null())
                .col(ColumnDef::new(InvoiceItems::Kind).string_len(32).not_null())
                .col(ColumnDef::new(InvoiceItems::Description).string_len(300).not_null())
                .col(ColumnDef::new(InvoiceItems::AmountMinor).big_integer().not_null())
                .col(ColumnDef::new(InvoiceItems::Currency).string_len(3).not_null())
                .col(ColumnDef::new(InvoiceItems::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(InvoiceItems::InvoiceId).string_len(64).null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_invoice_items_team").table(InvoiceItems::Table).col(InvoiceItems::TeamId).col(InvoiceItems::Period).to_owned()).await
    }
}
