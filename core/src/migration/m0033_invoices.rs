//! Invoices: one per team and billing period (a reissue is a new revision), their lines, the
//! installation's one gapless sequence of invoice numbers, the PDF rendered at finalization,
//! the team's billing contact, and the log of plan changes the invoices are priced from.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invoices {
    Table, Id, TeamId, TeamName, Period, Revision, Status, Number, Currency, SubtotalMinor, TaxMinor, TotalMinor, BillTo,
    CreatedAt, FinalizedAt, DueAt, PaidAt, PaidNote, VoidedAt, VoidReason, ReplacesId, ReplacedById, Provider, ProviderRef,
}

#[derive(DeriveIden)]
enum InvoiceLines { Table, Id, InvoiceId, Position, Kind, Description, Quantity, AmountMinor, TaxRateBp, TaxMinor }

#[derive(DeriveIden)]
enum InvoiceCounter { Table, Id, LastNumber }

#[derive(DeriveIden)]
enum InvoicePdfs { Table, InvoiceId, Pdf }

#[derive(DeriveIden)]
enum BillingProfiles { Table, TeamId, Email, Company, Address, TaxId, CardBrand, CardLast4, CardExpMonth, CardExpYear, ProviderCustomerId, UpdatedAt }

#[derive(DeriveIden)]
enum PlanChanges { Table, Id, TeamId, At, FromPlanId, ToPlanId, Kind }

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table(Invoices::Table)
                .col(ColumnDef::new(Invoices::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Invoices::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(Invoices::TeamName).string_len(200).not_null())
                .col(ColumnDef::new(Invoices::Period).string_len(7).not_null())
                .col(ColumnDef::new(Invoices::Revision).integer().not_null())
                .col(ColumnDef::new(Invoices::Status).string_len(16).not_null())
                .col(ColumnDef::new(Invoices::Number).big_integer().null())
                .col(ColumnDef::new(Invoices::Currency).string_len(3).not_null())
                .col(ColumnDef::new(Invoices::SubtotalMinor).big_integer().not_null())
                .col(ColumnDef::new(Invoices::TaxMinor).big_integer().not_null())
                .col(ColumnDef::new(Invoices::TotalMinor).big_integer().not_null())
                .col(ColumnDef::new(Invoices::BillTo).text().not_null())
                .col(ColumnDef::new(Invoices::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Invoices::FinalizedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Invoices::DueAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Invoices::PaidAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Invoices::PaidNote).string_len(200).null())
                .col(ColumnDef::new(Invoices::VoidedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Invoices::VoidReason).string_len(300).null())
                .col(ColumnDef::new(Invoices::ReplacesId).string_len(64).null())
                .col(ColumnDef::new(Invoices::ReplacedById).string_len(64).null())
                .col(ColumnDef::new(Invoices::Provider).string_len(16).not_null())
                .col(ColumnDef::new(Invoices::ProviderRef).string_len(120).null())
                .to_owned(),
        ).await?;
        // One invoice per team, period and revision: two nodes closing a month make one.
        m.create_index(Index::create().name("idx_invoices_team_period").table(Invoices::Table).col(Invoices::TeamId).col(Invoices::Period).col(Invoices::Revision).unique().to_owned()).await?;
        // Numbers are unique (drafts have none yet).
        m.create_index(Index::create().name("idx_invoices_number").table(Invoices::Table).col(Invoices::Number).unique().to_owned()).await?;
        m.create_index(Index::create().name("idx_invoices_status").table(Invoices::Table).col(Invoices::Status).to_owned()).await?;
        m.create_table(
            Table::create().table(InvoiceLines::Table)
                .col(ColumnDef::new(InvoiceLines::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(InvoiceLines::InvoiceId).string_len(64).not_null())
                .col(ColumnDef::new(InvoiceLines::Position).integer().not_null())
                .col(ColumnDef::new(InvoiceLines::Kind).string_len(32).not_null())
                .col(ColumnDef::new(InvoiceLines::Description).string_len(300).not_null())
                .col(ColumnDef::new(InvoiceLines::Quantity).big_integer().not_null())
                .col(ColumnDef::new(InvoiceLines::AmountMinor).big_integer().not_null())
                .col(ColumnDef::new(InvoiceLines::TaxRateBp).integer().not_null())
                .col(ColumnDef::new(InvoiceLines::TaxMinor).big_integer().not_null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_invoice_lines_invoice").table(InvoiceLines::Table).col(InvoiceLines::InvoiceId).col(InvoiceLines::Position).to_owned()).await?;
        // The one sequence of invoice numbers: taken inside the finalizing transaction, so a
        // failed finalization gives its number back and numbers have no gaps.
        m.create_table(
            Table::create().table(InvoiceCounter::Table)
                .col(ColumnDef::new(InvoiceCounter::Id).integer().not_null().primary_key())
                .col(ColumnDef::new(InvoiceCounter::LastNumber).big_integer().not_null())
                .to_owned(),
        ).await?;
        m.exec_stmt(Query::insert().into_table(InvoiceCounter::Table).columns([InvoiceCounter::Id, InvoiceCounter::LastNumber]).values_panic([1.into(), 0.into()]).to_owned()).await?;
        m.create_table(
            Table::create().table(InvoicePdfs::Table)
                .col(ColumnDef::new(InvoicePdfs::InvoiceId).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(InvoicePdfs::Pdf).blob().not_null())
                .to_owned(),
        ).await?;
        m.create_table(
            Table::create().table(BillingProfiles::Table)
                .col(ColumnDef::new(BillingProfiles::TeamId).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(BillingProfiles::Email).string_len(254).null())
                .col(ColumnDef::new(BillingProfiles::Company).string_len(200).null())
                .col(ColumnDef::new(BillingProfiles::Address).string_len(500).null())
                .col(ColumnDef::new(BillingProfiles::TaxId).string_len(40).null())
                .col(ColumnDef::new(BillingProfiles::CardBrand).string_len(20).null())
                .col(ColumnDef::new(BillingProfiles::CardLast4).string_len(4).null())
                .col(ColumnDef::new(BillingProfiles::CardExpMonth).integer().null())
                .col(ColumnDef::new(BillingProfiles::CardExpYear).integer().null())
                .col(ColumnDef::new(BillingProfiles::ProviderCustomerId).string_len(120).null())
                .col(ColumnDef::new(BillingProfiles::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        ).await?;
        // Every change of a team's plan, for pricing a period by the plans held in it.
        m.create_table(
            Table::create().table(PlanChanges::Table)
                .col(ColumnDef::new(PlanChanges::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(PlanChanges::TeamId).string_len(64).not_null())
                .col(ColumnDef::new(PlanChanges::At).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(PlanChanges::FromPlanId).string_len(40).not_null())
                .col(ColumnDef::new(PlanChanges::ToPlanId).string_len(40).not_null())
                .col(ColumnDef::new(PlanChanges::Kind).string_len(16).not_null())
                .to_owned(),
        ).await?;
        m.create_index(Index::create().name("idx_plan_changes_team").table(PlanChanges::Table).col(PlanChanges::TeamId).col(PlanChanges::At).to_owned()).await
    }
}
