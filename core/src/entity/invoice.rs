//! An invoice: a team's charges for one billing period. Drafts have no number; finalizing
//! gives one from the installation's sequence; a correction voids it and issues a new
//! revision. Nothing is deleted.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub team_id: String,
    /// The team's name when it was drafted.
    pub team_name: String,
    /// `YYYY-MM`.
    pub period: String,
    /// 0 for the period's first invoice, one more for each reissue.
    pub revision: i32,
    /// `draft`, `open`, `paid`, `void`.
    pub status: String,
    pub number: Option<i64>,
    pub currency: String,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// The billing contact when drafted (JSON of [`crate::dto::billing::BillTo`]).
    pub bill_to: String,
    pub created_at: DateTimeUtc,
    pub finalized_at: Option<DateTimeUtc>,
    pub due_at: Option<DateTimeUtc>,
    pub paid_at: Option<DateTimeUtc>,
    pub paid_note: Option<String>,
    pub voided_at: Option<DateTimeUtc>,
    pub void_reason: Option<String>,
    /// The voided invoice this one corrects.
    pub replaces_id: Option<String>,
    pub replaced_by_id: Option<String>,
    /// The payment provider that collects it (`manual`, `stripe`).
    pub provider: String,
    pub provider_ref: Option<String>,
    /// When the provider's last event applied to it happened (Unix seconds).
    pub provider_event_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
