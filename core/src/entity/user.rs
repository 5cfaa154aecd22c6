//! A person who signs in to the portal.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    /// An operator admin: may open the admin console (`keyport admin grant`).
    pub site_admin: bool,
    /// When the provider suspended the account (it cannot sign in while set).
    pub suspended_at: Option<DateTimeUtc>,
    /// The reason the provider gave, shown when sign-in is refused.
    pub suspended_reason: Option<String>,
    /// Answers to the operator's extra sign-up questions, as a JSON object.
    pub signup_answers: Option<String>,
    /// The provider's id for this developer (embed sessions).
    pub external_id: Option<String>,
    /// Created by the provider's site (embed sessions): no password; signing out and the
    /// password belong to the provider's site.
    pub managed: bool,
    /// When the account proved it receives mail at its address (`None`: not yet).
    pub email_verified_at: Option<DateTimeUtc>,
    /// The name they go by (shown in the portal), if they gave one.
    pub name: Option<String>,
    /// They want quota warnings (owners and admins get them).
    pub notify_quota: bool,
    /// They want key expiry reminders.
    pub notify_expiry: bool,
    /// They want the provider's product news.
    pub notify_news: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
