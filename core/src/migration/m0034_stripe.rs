//! Stripe as a payment provider: every webhook event recorded by id (a duplicate changes
//! nothing), and on invoices and billing profiles the time of the last event applied (an
//! older event arriving later is ignored).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StripeEvents { Table, Id, Kind, Created, ReceivedAt }

#[derive(DeriveIden)]
enum Invoices { Table, ProviderEventAt }

#[derive(DeriveIden)]
enum BillingProfiles { Table, ProviderEventAt }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(StripeEvents::Table)
                .col(ColumnDef::new(StripeEvents::Id).string_len(100).not_null().primary_key())
                .col(ColumnDef::new(StripeEvents::Kind).string_len(100).not_null())
                .col(ColumnDef::new(StripeEvents::Created).big_integer().not_null())
                .col(ColumnDef::new(StripeEvents::ReceivedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        m.alter_table(Table::alter().table(Invoices::Table).add_column(ColumnDef::new(Invoices::ProviderEventAt).big_integer().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(BillingProfiles::Table).add_column(ColumnDef::new(BillingProfiles::ProviderEventAt).big_integer().null()).to_owned()).await
    }
}
