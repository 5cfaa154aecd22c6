//! What the provider's admin console shows: every developer, team and key, across tenants.

use super::{AuditEventView, KeyView, SessionView};
use crate::roles::Role;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A developer (a portal account) in the console's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeveloperRow {
    /// User id.
    pub id: String,
    /// Email address.
    pub email: String,
    /// When they signed up.
    pub created_at: DateTime<Utc>,
    /// When they last used the portal, in any team (to within a few minutes).
    pub last_active_at: Option<DateTime<Utc>>,
    /// Teams they belong to.
    pub teams: i64,
    /// Suspended by the provider since then.
    pub suspended_at: Option<DateTime<Utc>>,
    /// An operator admin.
    pub site_admin: bool,
}

/// One of a developer's teams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeveloperTeam {
    /// Team id.
    pub team_id: String,
    /// Team name.
    pub name: String,
    /// Their role in it.
    pub role: Role,
    /// Whether it is their personal team.
    pub personal: bool,
}

/// Everything the console shows of one developer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeveloperDetail {
    /// The list row.
    pub row: DeveloperRow,
    /// Why they were suspended, if they are.
    pub suspended_reason: Option<String>,
    /// Their answers to the sign-up questions: (label, answer).
    pub signup_answers: Vec<(String, String)>,
    /// Their teams.
    pub teams: Vec<DeveloperTeam>,
    /// Keys they created, masked, with the team's name.
    pub keys: Vec<AdminKey>,
    /// Their signed-in browsers.
    pub sessions: Vec<SessionView>,
    /// Their latest actions.
    pub audit: Vec<AuditEventView>,
}

/// A team in the console's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRow {
    /// Team id.
    pub id: String,
    /// Name.
    pub name: String,
    /// A person's own team.
    pub personal: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Members.
    pub members: i64,
    /// Keys that still work.
    pub live_keys: i64,
    /// Suspended by the provider since then.
    pub suspended_at: Option<DateTime<Utc>>,
}

/// A member, as the console's team page lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMemberRow {
    /// User id.
    pub user_id: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Last active in this team.
    pub last_active_at: Option<DateTime<Utc>>,
}

/// Everything the console shows of one team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDetail {
    /// The list row.
    pub row: TeamRow,
    /// Its description.
    pub description: Option<String>,
    /// Why it was suspended, if it is.
    pub suspended_reason: Option<String>,
    /// Members.
    pub members: Vec<TeamMemberRow>,
    /// Keys, masked, newest first.
    pub keys: Vec<KeyView>,
    /// Valid verifications this calendar month.
    pub month_requests: i64,
    /// The monthly quota.
    pub month_quota: i64,
    /// The scopes a key may be given (for the create form).
    pub scopes: Vec<String>,
    /// The provider's API, for the snippets shown with a key created here.
    pub api_base_url: String,
    /// The plan it is on: id and name.
    pub plan: (String, String),
    /// The plans it can be moved to (not archived), hidden ones too: id and name.
    pub plans: Vec<(String, String)>,
}

/// A key with its team, for lists across teams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminKey {
    /// The key, masked.
    pub key: KeyView,
    /// Its team's id.
    pub team_id: String,
    /// Its team's name.
    pub team_name: String,
}

/// A setting as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingRow {
    /// The setting (`portal.app_name`).
    pub key: String,
    /// The value in effect (`<encrypted>` for an encrypted one).
    pub value: String,
    /// `default` or `stored`.
    pub source: String,
    /// What it changes.
    pub about: String,
}

/// An operator token as the console lists it (never the token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its scopes, comma-separated.
    pub scopes: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token made in the console, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    /// Its id.
    pub id: String,
    /// The token (empty once it went to the next page sealed).
    pub token: String,
}

/// The API document's versions and the operator's guides, for the console's docs page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminDocs {
    /// Every imported version, newest first.
    pub versions: Vec<DocVersionRow>,
    /// The guides, in their order.
    pub guides: Vec<GuideRow>,
}

/// One imported version of the API document (never its body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocVersionRow {
    /// 1, 2, 3… in import order.
    pub version: i64,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub api_version: String,
    /// `3.0.3`, `3.1.0`, …
    pub openapi: String,
    /// How many operations it describes.
    pub operations: i64,
    /// `yaml` or `json`.
    pub format: String,
    /// Its size as imported, in bytes.
    pub bytes: i64,
    /// When it was imported.
    pub created_at: DateTime<Utc>,
    /// Who imported it.
    pub created_by: String,
    /// The one the docs show.
    pub active: bool,
}

/// One of the operator's guides (never its body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideRow {
    /// Its anchor's slug.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Its place, lowest first.
    pub position: i64,
    /// Its size in bytes of Markdown.
    pub bytes: i64,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}
