//! An API key: its HMAC, display parts and settings. The key itself is never stored in the
//! clear; when the operator makes keys retrievable (`keys.retrievable`), it is stored sealed.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub team_id: String,
    pub created_by: String,
    pub name: String,
    pub environment: String,
    #[sea_orm(unique)]
    pub key_hash: String,
    pub display_start: String,
    pub last4: String,
    pub ratelimit_per_minute: i64,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub description: Option<String>,
    /// Granted scopes, space-separated, sorted.
    pub scopes: String,
    pub monthly_quota: Option<i64>,
    pub disabled_at: Option<DateTimeUtc>,
    /// After a rotation: the old key stops working at this instant.
    pub grace_until: Option<DateTimeUtc>,
    /// After a rotation: the key that replaced this one.
    pub replaced_by: Option<String>,
    pub updated_at: Option<DateTimeUtc>,
    /// The first key of a rotation chain; its generations share one monthly quota.
    pub lineage_id: Option<String>,
    /// `pending` until an owner or admin decides, then `approved` or `denied`; `None` for
    /// keys that never needed approval.
    pub approval: Option<String>,
    /// The reason given with the decision.
    pub approval_note: Option<String>,
    /// Who decided (email, or `operator`).
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    /// An edit that needs approval: the scopes asked for (space-separated, sorted). Until it
    /// is approved the key keeps `scopes`, which hold only what was granted before.
    pub pending_scopes: Option<String>,
    /// Who asked for what waits for approval (the key's creator, or the editor of a pending
    /// change); they never decide on it themselves.
    pub requested_by: Option<String>,
    /// When its first accepted verification arrived (as of the usage flush that counted it).
    pub first_valid_at: Option<DateTimeUtc>,
    /// The last expiry reminder sent: `7` (a week before), then `1` (the day before).
    pub expiry_reminded: Option<i32>,
    /// A retrievable key, sealed (XChaCha20-Poly1305 under a key derived from the server
    /// secret, bound to the key's id); `None` for the default, shown-once keys.
    pub sealed_secret: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
