//! An email waiting for (or past) delivery by the outbox worker.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_emails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub team_id: Option<String>,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    /// The plain-text part (what the outbox page shows).
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// The HTML part, with the same placeholder for a one-time link. `None` for an email
    /// queued before emails had one (it goes as text only).
    #[sea_orm(column_type = "Text", nullable)]
    pub html_body: Option<String>,
    /// For an email with a one-time link: the portal path the link starts with
    /// (`/portal/invite/`). The body holds [`LINK_PLACEHOLDER`](crate::services::outbox::LINK_PLACEHOLDER)
    /// where the link goes; the token is derived from the server secret and the email's id
    /// when it is sent, so no stored copy holds it.
    pub link_path: Option<String>,
    pub created_at: DateTimeUtc,
    pub next_attempt_at: DateTimeUtc,
    pub claimed_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub sent_at: Option<DateTimeUtc>,
    pub transport: Option<String>,
    pub last_error: Option<String>,
    pub failed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
