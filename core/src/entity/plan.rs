//! A plan teams may be on: price, included requests, limits and features.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    /// The operator's identifier (`free`, `pro`), fixed once created.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Per monthly period, in minor units of `currency`.
    pub price_minor: i64,
    pub currency: String,
    pub included_requests: i64,
    /// `None`: requests past the included ones are refused.
    pub overage_per_1000_minor: Option<i64>,
    pub ratelimit_cap: Option<i64>,
    pub max_keys: Option<i64>,
    /// Feature names, space-separated and sorted.
    pub features: String,
    pub trial_days: i64,
    /// `public` or `hidden`.
    pub visibility: String,
    pub is_default: bool,
    /// Listing order, lowest first.
    pub position: i64,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
