//! A team's billing contact and the payment method its provider holds (brand, last four
//! digits and expiry only: card numbers never reach Keyport).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: String,
    pub email: Option<String>,
    pub company: Option<String>,
    pub address: Option<String>,
    pub tax_id: Option<String>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub card_exp_month: Option<i32>,
    pub card_exp_year: Option<i32>,
    pub provider_customer_id: Option<String>,
    pub updated_at: DateTimeUtc,
    /// When the provider's last event applied to it happened (Unix seconds).
    pub provider_event_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// A team's profile with nothing set yet.
    pub fn empty(team_id: &str, now: DateTimeUtc) -> Self {
        Self {
            team_id: team_id.to_owned(),
            email: None,
            company: None,
            address: None,
            tax_id: None,
            card_brand: None,
            card_last4: None,
            card_exp_month: None,
            card_exp_year: None,
            provider_customer_id: None,
            updated_at: now,
            provider_event_at: None,
        }
    }
}
