//! Wire types shared by the server functions and the UI. Entities never cross the wire.

use crate::key::{Environment, PlainKey};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub mod admin;
pub mod billing;
pub mod docs;

/// The signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    /// User id.
    pub id: String,
    /// Normalised email address.
    pub email: String,
}

/// A team as the UI sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    /// Team id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A team's settings, for the team page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDetails {
    /// Team id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Whether it is someone's personal team.
    pub personal: bool,
    /// Members need a second factor (TOTP) to see or change anything of the team.
    #[serde(default)]
    pub require_mfa: bool,
}

/// Everything the team page shows, in one answer: who is looking, the team, its members and,
/// for those who manage them, the pending invitations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamOverview {
    /// The signed-in user.
    pub me: UserView,
    /// Their role in the team.
    pub role: crate::roles::Role,
    /// The team's settings.
    pub team: TeamDetails,
    /// Members, owners first.
    pub members: Vec<MemberView>,
    /// Pending invitations, when the role may manage them.
    pub invitations: Option<Vec<InvitationView>>,
}

/// A team the signed-in user belongs to, for the team switcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMembership {
    /// The team.
    pub team: TeamView,
    /// The user's role in it.
    pub role: crate::roles::Role,
    /// Whether it is the user's personal team.
    pub personal: bool,
}

/// A member of the active team, as the members page lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// The member's user id.
    pub user_id: String,
    /// Their email address.
    pub email: String,
    /// Their role in the team.
    pub role: crate::roles::Role,
    /// When they joined the team.
    pub joined_at: DateTime<Utc>,
    /// When they last used the portal in this team (to within a few minutes).
    pub last_active_at: Option<DateTime<Utc>>,
}

/// One row of the audit trail as the audit page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    /// Event id.
    pub id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (email), if known.
    pub actor: Option<String>,
    /// What happened (`key.created`, `sign_in`, …).
    pub action: String,
    /// The object's type and id, if any.
    pub object: Option<String>,
    /// What changed, for people (`member → admin`).
    pub detail: Option<String>,
    /// Client address.
    pub ip: String,
    /// Client user agent.
    pub user_agent: String,
    /// Done by the provider's admin on the team's behalf.
    #[serde(default)]
    pub by_provider: bool,
}

/// Where an outgoing email stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for the worker.
    Queued,
    /// Failed at least once; will be tried again.
    Retrying,
    /// Handed to the SMTP server.
    Sent,
    /// No SMTP is configured: written to the server log (and readable on the outbox page).
    Logged,
    /// Given up on after repeated failures.
    Failed,
}

impl OutboxStatus {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "Queued",
            OutboxStatus::Retrying => "Retrying",
            OutboxStatus::Sent => "Sent",
            OutboxStatus::Logged => "Not sent (no SMTP)",
            OutboxStatus::Failed => "Failed",
        }
    }
}

/// An email of the active team, for the outbox page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmailView {
    /// Email id.
    pub id: String,
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (one-time links are removed once an email has been delivered by SMTP).
    pub body: String,
    /// Delivery state.
    pub status: OutboxStatus,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was sent or logged.
    pub sent_at: Option<DateTime<Utc>>,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// The last delivery error, if any.
    pub last_error: Option<String>,
}

/// A pending invitation, as owners and admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    /// Invitation id.
    pub id: String,
    /// The invited address.
    pub email: String,
    /// The role the invitee gets.
    pub role: crate::roles::Role,
    /// Who sent it (email).
    pub invited_by: String,
    /// When it was last sent.
    pub sent_at: DateTime<Utc>,
    /// When the current link stops working.
    pub expires_at: DateTime<Utc>,
    /// Whether the link has already expired.
    pub expired: bool,
}

/// Where an invitation link stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    /// Can be accepted.
    Pending,
    /// Already used.
    Accepted,
    /// Withdrawn by the team.
    Revoked,
    /// Past its expiry.
    Expired,
}

/// What the invitation page shows to whoever holds the link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    /// The team's name.
    pub team_name: String,
    /// Who invited (email).
    pub invited_by: String,
    /// The invited address; only an account with it can accept.
    pub email: String,
    /// The role on joining.
    pub role: crate::roles::Role,
    /// The inviter's personal message, if any.
    pub message: Option<String>,
    /// When the link expires.
    pub expires_at: DateTime<Utc>,
    /// Whether it can still be accepted.
    pub state: InvitationState,
    /// The signed-in user's email, if someone is signed in.
    pub signed_in_as: Option<String>,
}

/// Who is signed in and which team they are working in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The user.
    pub user: UserView,
    /// The active team.
    pub team: TeamView,
    /// The user's role in the active team.
    pub role: crate::roles::Role,
    /// Every team the user belongs to, personal first.
    pub teams: Vec<TeamMembership>,
    /// Whether the user is an operator admin (the header links to the console).
    #[serde(default)]
    pub site_admin: bool,
    /// Managed by the provider's site: signing out and the password belong to that site.
    #[serde(default)]
    pub managed: bool,
    /// This page is shown inside the provider's frame (an embed session).
    #[serde(default)]
    pub embedded: bool,
    /// The provider asks for a confirmed address and this account has not confirmed its
    /// yet: it cannot create live keys (the dashboard offers a new link).
    #[serde(default)]
    pub unverified: bool,
    /// The user has a second factor (TOTP) turned on.
    #[serde(default)]
    pub totp_enabled: bool,
    /// The active team requires a second factor and the user has none: its pages refuse
    /// until they set one up.
    #[serde(default)]
    pub second_factor_required: bool,
    /// The account has a password of its own (one made by single sign-on has none).
    #[serde(default)]
    pub has_password: bool,
}

/// The lifecycle state of a key, as shown in lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Usable, but expires within seven days.
    ExpiringSoon,
    /// Replaced by a rotation; usable until its grace period ends.
    InGrace,
    /// Past its expiry date.
    Expired,
    /// Switched off by a person; can be switched on again.
    Disabled,
    /// Revoked by a person, or its rotation grace ended; permanent.
    Revoked,
    /// Waiting for an owner or admin to approve it.
    PendingApproval,
    /// Refused by an owner or admin; permanent.
    Denied,
}

/// The dates a key's status follows.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyDates {
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was disabled (and not enabled since).
    pub disabled_at: Option<DateTime<Utc>>,
    /// When its rotation grace ends.
    pub grace_until: Option<DateTime<Utc>>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// `pending`, `approved` or `denied`, when the key needed approval.
    pub approval: Option<&'static str>,
}

impl KeyStatus {
    /// Derives the status from the key's dates: revoked, then disabled, then rotation grace,
    /// then expiry.
    pub fn derive(d: KeyDates, now: DateTime<Utc>) -> Self {
        if d.revoked_at.is_some() || d.grace_until.is_some_and(|g| g <= now) {
            return KeyStatus::Revoked;
        }
        match d.approval {
            Some("denied") => return KeyStatus::Denied,
            Some("pending") => return KeyStatus::PendingApproval,
            _ => {}
        }
        if d.disabled_at.is_some() {
            return KeyStatus::Disabled;
        }
        match d.expires_at {
            Some(e) if e <= now => KeyStatus::Expired,
            _ if d.grace_until.is_some() => KeyStatus::InGrace,
            Some(e) if e - now <= Duration::days(7) => KeyStatus::ExpiringSoon,
            _ => KeyStatus::Active,
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::ExpiringSoon => "Expiring soon",
            KeyStatus::InGrace => "In grace",
            KeyStatus::Expired => "Expired",
            KeyStatus::Disabled => "Disabled",
            KeyStatus::Revoked => "Revoked",
            KeyStatus::PendingApproval => "Pending approval",
            KeyStatus::Denied => "Denied",
        }
    }

    /// Whether the key still verifies.
    pub fn is_usable(self) -> bool {
        matches!(self, KeyStatus::Active | KeyStatus::ExpiringSoon | KeyStatus::InGrace)
    }
}

/// A key in a list: never the secret, only its masked display parts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// Key id (`key_…`), used in URLs instead of the secret.
    pub id: String,
    /// Human name.
    pub name: String,
    /// What the key is for, if said.
    pub description: Option<String>,
    /// Live or test.
    pub environment: Environment,
    /// Granted scopes, sorted.
    pub scopes: Vec<String>,
    /// Requests per month allowed, if limited.
    pub monthly_quota: Option<i64>,
    /// Masked form: `kp_live_AbCd…wxyz`.
    pub masked: String,
    /// The user who created the key.
    pub created_by: String,
    /// Their email, on the key's own page (lists leave it out).
    pub created_by_email: Option<String>,
    /// Requests per minute allowed.
    pub ratelimit_per_minute: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last successful or refused verification, as of the last usage flush.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Its first accepted verification, as of the usage flush that counted it.
    #[serde(default)]
    pub first_valid_at: Option<DateTime<Utc>>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was disabled, if it is.
    pub disabled_at: Option<DateTime<Utc>>,
    /// After a rotation: when this key stops working.
    pub grace_until: Option<DateTime<Utc>>,
    /// After a rotation: the key that replaced this one.
    pub replaced_by: Option<String>,
    /// The reason an owner or admin gave when approving or denying it.
    pub approval_note: Option<String>,
    /// Scopes asked for by an edit that waits for approval (the key keeps `scopes` until
    /// then); empty when nothing waits.
    #[serde(default)]
    pub pending_scopes: Vec<String>,
    /// Kept sealed (the operator's `keys.retrievable`): its page can show and copy it again.
    #[serde(default)]
    pub retrievable: bool,
    /// Derived status.
    pub status: KeyStatus,
}

impl KeyView {
    /// Whether a member with `role` and user id `me` may revoke (or later rotate, edit) this
    /// key: the same rule the server applies.
    pub fn manageable_by(&self, role: crate::roles::Role, me: &str) -> bool {
        use crate::roles::{allowed, Action};
        let action = if self.created_by == me { Action::ManageOwnKey } else { Action::ManageAnyKey };
        !matches!(self.status, KeyStatus::Revoked | KeyStatus::Denied) && allowed(role, action)
    }
}

/// What the create-key form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOptions {
    /// The operator's catalogue of scopes.
    pub scopes: Vec<String>,
    /// Pre-selected scopes.
    pub default_scopes: Vec<String>,
    /// Pre-filled rate limit (requests per minute).
    pub default_ratelimit: i64,
    /// Highest rate limit allowed.
    pub max_ratelimit: i64,
    /// Most keys a team may have that still work.
    pub max_keys: u64,
    /// How many the team has now.
    pub keys: u64,
    /// The team's plan.
    #[serde(default)]
    pub plan_name: String,
    /// Whether the plan allows live keys (else only test keys, with an upgrade prompt).
    #[serde(default = "yes")]
    pub live_keys: bool,
    /// Whether live keys need an owner's or admin's approval.
    pub approval_live: bool,
    /// Scopes that need approval.
    pub approval_scopes: Vec<String>,
    /// Whether the provider decides on approvals (else another owner or admin of the team).
    #[serde(default)]
    pub approval_by_operator: bool,
    /// The API's base URL, for the code snippets shown with a new key.
    pub api_base_url: String,
}

fn yes() -> bool {
    true
}

impl KeyOptions {
    /// Who approves keys that need it, for people.
    pub fn approver(&self) -> &'static str {
        if self.approval_by_operator {
            "the provider"
        } else {
            "another owner or admin"
        }
    }
}

/// Ready-to-paste calls of the operator's API with `key`: (language, code).
pub fn snippets(api_base_url: &str, key: &str) -> [(&'static str, String); 3] {
    let url = format!("{}/", api_base_url.trim_end_matches('/'));
    [
        ("curl", format!("curl {url} \\\n  -H \"Authorization: Bearer {key}\"")),
        (
            "JavaScript",
            format!("const res = await fetch(\"{url}\", {{\n  headers: {{ Authorization: \"Bearer {key}\" }},\n}});\nconsole.log(await res.json());"),
        ),
        (
            "Python",
            format!("import requests\n\nres = requests.get(\n    \"{url}\",\n    headers={{\"Authorization\": \"Bearer {key}\"}},\n)\nprint(res.json())"),
        ),
    ]
}

/// The answer to "create a key": the only time the full key exists outside the caller's hands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    /// The new key's list entry.
    pub key: KeyView,
    /// The full key, shown once.
    pub secret: PlainKey,
}

/// Requests a key's log keeps (the newest).
pub const REQUEST_LOG_PER_KEY: usize = 500;
/// Days a key's log keeps a request at most.
pub const REQUEST_LOG_DAYS: i64 = 7;

/// One request in a key's request log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestLogEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// `VALID`, a refusal code, or the HTTP status the backend served (`200`).
    pub outcome: String,
    /// Accepted, or served below 400.
    pub ok: bool,
    /// Reported through `/v1/usage` (a served request), not a verification.
    pub served: bool,
    /// The endpoint the operator named, if any.
    pub endpoint: Option<String>,
    /// Milliseconds the backend took (served requests).
    pub latency_ms: Option<f64>,
    /// The client's address, when the operator sent it.
    pub ip: Option<String>,
}

/// Which requests the key's page lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFilter {
    /// Every request.
    #[default]
    All,
    /// Accepted verifications and served requests below 400.
    Ok,
    /// Verifications Keyport refused.
    Refused,
    /// Served requests answered 4xx.
    ClientErrors,
    /// Served requests answered 5xx.
    ServerErrors,
}

impl LogFilter {
    /// Every filter, as the page offers them.
    pub const ALL: [LogFilter; 5] = [LogFilter::All, LogFilter::Ok, LogFilter::Refused, LogFilter::ClientErrors, LogFilter::ServerErrors];

    /// From the query string (anything unknown lists everything).
    pub fn parse(v: &str) -> Self {
        Self::ALL.into_iter().find(|f| f.as_str() == v).unwrap_or_default()
    }

    /// Its word in the query string.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFilter::All => "all",
            LogFilter::Ok => "ok",
            LogFilter::Refused => "refused",
            LogFilter::ClientErrors => "4xx",
            LogFilter::ServerErrors => "5xx",
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            LogFilter::All => "All requests",
            LogFilter::Ok => "Successful",
            LogFilter::Refused => "Refused by verify",
            LogFilter::ClientErrors => "Client errors (4xx)",
            LogFilter::ServerErrors => "Server errors (5xx)",
        }
    }
}

/// A key's request log as its page shows it: the newest entries passing the filter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestLogView {
    /// The filter applied (`all`, `ok`, `refused`, `4xx`, `5xx`).
    pub filter: String,
    /// Newest first.
    pub entries: Vec<RequestLogEntry>,
    /// Requests the log holds for the key in all.
    pub kept: i64,
    /// The team's plan lacks the request log: that plan's name (nothing else is shown).
    #[serde(default)]
    pub locked: Option<String>,
}

/// A key's recent traffic: per-minute counts for the last hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyActivity {
    /// Start of the first minute shown (unix seconds).
    pub from_minute: i64,
    /// Valid verifications per minute, oldest first (60 entries).
    pub valid: Vec<i64>,
    /// Refused verifications per minute, oldest first (60 entries).
    pub refused: Vec<i64>,
}

/// The dashboard's usage card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSummary {
    /// Requests (verifications) this calendar month (UTC), all keys of the team.
    pub month_requests: i64,
    /// The team's monthly quota.
    pub month_quota: i64,
    /// Requests over the last minute, all keys of the team.
    pub rate_per_minute: i64,
    /// The per-key rate limit (requests per minute).
    pub rate_limit: i64,
    /// Keys that still verify.
    pub active_keys: i64,
    /// When these figures were computed.
    pub as_of: DateTime<Utc>,
    /// When the month's requests reach the quota at this month's pace, if that is before the
    /// month ends and the quota is not reached yet.
    pub forecast: Option<DateTime<Utc>>,
    /// Requests by the end of the month at this month's pace.
    pub projected: i64,
    /// Start of the next month (UTC), when the count starts again.
    pub resets_at: DateTime<Utc>,
    /// Valid verifications per minute over the last 30 minutes, oldest first.
    pub recent_valid: Vec<i64>,
    /// Refused verifications per minute over the last 30 minutes, oldest first.
    pub recent_refused: Vec<i64>,
}

impl UsageSummary {
    /// The quota warning level reached: 100, 80 or none.
    pub fn alert_level(&self) -> Option<u8> {
        if self.month_quota <= 0 {
            return None;
        }
        if self.month_requests >= self.month_quota {
            Some(100)
        } else if self.month_requests * 100 >= self.month_quota * 80 {
            Some(80)
        } else {
            None
        }
    }

    /// Share of the monthly quota used, 0–100 (capped), for the progress bar.
    pub fn percent_used(&self) -> f64 {
        if self.month_quota <= 0 {
            return 0.0;
        }
        (self.month_requests as f64 * 100.0 / self.month_quota as f64).clamp(0.0, 100.0)
    }
}

/// The outcome codes of `POST /v1/keys/verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    /// The key is valid and within its limits.
    Valid,
    /// Not a Keyport key (shape or checksum); no lookup was made.
    InvalidFormat,
    /// Well-formed, but no such key.
    NotFound,
    /// The key was revoked.
    Revoked,
    /// The key is past its expiry date.
    Expired,
    /// The key is disabled.
    Disabled,
    /// The key waits for an owner or admin to approve it.
    PendingApproval,
    /// The key lacks a scope the request needs.
    InsufficientScopes,
    /// The key exceeded its per-minute rate limit.
    RateLimited,
    /// The key's monthly quota is used up.
    UsageExceeded,
    /// The provider suspended the key's team: none of its keys work until reactivated.
    TeamSuspended,
}

impl VerifyCode {
    /// Every code, in a fixed order (usage counts are kept per code in this order).
    pub const ALL: [VerifyCode; VerifyCode::COUNT] = [
        VerifyCode::Valid,
        VerifyCode::InvalidFormat,
        VerifyCode::NotFound,
        VerifyCode::Revoked,
        VerifyCode::Expired,
        VerifyCode::Disabled,
        VerifyCode::PendingApproval,
        VerifyCode::InsufficientScopes,
        VerifyCode::RateLimited,
        VerifyCode::UsageExceeded,
        VerifyCode::TeamSuspended,
    ];

    /// How many codes there are.
    pub const COUNT: usize = 11;

    /// The code's place in [`VerifyCode::ALL`].
    pub fn index(self) -> usize {
        VerifyCode::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyCode::Valid => "VALID",
            VerifyCode::InvalidFormat => "INVALID_FORMAT",
            VerifyCode::NotFound => "NOT_FOUND",
            VerifyCode::Revoked => "REVOKED",
            VerifyCode::Expired => "EXPIRED",
            VerifyCode::Disabled => "DISABLED",
            VerifyCode::PendingApproval => "PENDING_APPROVAL",
            VerifyCode::InsufficientScopes => "INSUFFICIENT_SCOPES",
            VerifyCode::RateLimited => "RATE_LIMITED",
            VerifyCode::UsageExceeded => "USAGE_EXCEEDED",
            VerifyCode::TeamSuspended => "TEAM_SUSPENDED",
        }
    }
}

/// Formats an integer with thousands separators (`8,234`).
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One signed-in browser of the caller, on the settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// Session id (not the token).
    pub id: String,
    /// When it signed in.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to within a few minutes).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends unless renewed by signing in again.
    pub expires_at: DateTime<Utc>,
    /// The browser's user agent, as sent ("" when unknown).
    pub user_agent: String,
    /// The address it signed in from.
    pub ip: String,
    /// Whether this is the session of the request asking.
    pub current: bool,
}

impl SessionView {
    /// "Firefox on Windows", from the user agent.
    pub fn device(&self) -> String {
        device_label(&self.user_agent)
    }
}

/// The signed-in person's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// Email address (the sign-in name).
    pub email: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// Live sessions: the asking one first, then newest first.
    pub sessions: Vec<SessionView>,
    /// Managed by the provider's site (embedded portal): no password here.
    #[serde(default)]
    pub managed: bool,
    /// Two-factor authentication (TOTP) is on.
    #[serde(default)]
    pub totp_enabled: bool,
    /// Recovery codes not used yet (when TOTP is on).
    #[serde(default)]
    pub recovery_codes_left: i64,
    /// The account has a password of its own (an account made by single sign-on has none).
    #[serde(default)]
    pub has_password: bool,
    /// Sign-in providers' identities linked to the account, oldest first.
    #[serde(default)]
    pub identities: Vec<IdentityView>,
    /// The name they go by, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// Quota warnings wanted.
    #[serde(default)]
    pub notify_quota: bool,
    /// Key expiry reminders wanted.
    #[serde(default)]
    pub notify_expiry: bool,
    /// Product news wanted.
    #[serde(default)]
    pub notify_news: bool,
    /// The address a change was asked to and not confirmed yet.
    #[serde(default)]
    pub pending_email: Option<String>,
}

/// A TOTP set-up in progress, as the settings page shows it: the secret for an authenticator
/// app, as text and as a QR code of its `otpauth://` URI. The secret stays on the server
/// (sealed); this is only ever shown to its owner.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The secret in base32, to type into an app.
    pub secret: String,
    /// `otpauth://totp/<issuer>:<email>?secret=…&issuer=…`.
    pub otpauth_uri: String,
    /// The URI as an inline SVG QR code.
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment(<redacted>)")
    }
}

/// An identity at a sign-in provider linked to the caller's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityView {
    /// Its id (to remove it).
    pub id: String,
    /// `google`, `github` or `oidc`.
    pub provider: String,
    /// What people call the provider ("Google").
    pub provider_label: String,
    /// The address the provider gave.
    pub email: String,
    /// When it was linked.
    pub linked_at: DateTime<Utc>,
    /// Whether removing it is refused because it is the account's last way in.
    pub last_way_in: bool,
}

/// A short name for the browser and system in a user agent ("Chrome on macOS"), so people
/// recognise their devices. Unknown parts are said plainly rather than guessed.
pub fn device_label(user_agent: &str) -> String {
    let ua = user_agent;
    if ua.trim().is_empty() {
        return "Unknown device".into();
    }
    let has = |s: &str| ua.contains(s);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("OPR/") {
        "Opera"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else if has("curl/") {
        return "curl".into();
    } else {
        "Unknown browser"
    };
    let system = if has("Windows") {
        "Windows"
    } else if has("Android") {
        "Android"
    } else if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") {
        "Linux"
    } else {
        return browser.into();
    };
    format!("{browser} on {system}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_manage_their_own_keys_and_admins_any() {
        use crate::key::Environment;
        use crate::roles::Role;
        let k = KeyView {
            id: "key_1".into(),
            name: "k".into(),
            description: None,
            environment: Environment::Live,
            scopes: vec![],
            monthly_quota: None,
            masked: "kp_live_abcd…wxyz".into(),
            created_by: "usr_a".into(),
            created_by_email: None,
            ratelimit_per_minute: 60,
            created_at: Utc::now(),
            expires_at: None,
            last_used_at: None,
            first_valid_at: None,
            revoked_at: None,
            disabled_at: None,
            grace_until: None,
            replaced_by: None,
            approval_note: None,
            pending_scopes: Vec::new(),
            retrievable: false,
            status: KeyStatus::Active,
        };
        assert!(k.manageable_by(Role::Member, "usr_a"));
        assert!(!k.manageable_by(Role::Member, "usr_b"));
        assert!(k.manageable_by(Role::Admin, "usr_b"));
        assert!(!k.manageable_by(Role::Viewer, "usr_a"));
        let revoked = KeyView { status: KeyStatus::Revoked, ..k };
        assert!(!revoked.manageable_by(Role::Owner, "usr_a"));
    }

    #[test]
    fn snippets_hold_the_key_and_the_api_url() {
        for (lang, code) in snippets("https://api.example.com/", "kp_test_abc") {
            assert!(code.contains("Bearer kp_test_abc"), "{lang}");
            assert!(code.contains("https://api.example.com/") && !code.contains(".com//"), "{lang}");
        }
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(8234), "8,234");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
    }

    #[test]
    fn status_follows_dates() {
        let now = Utc::now();
        let d = KeyDates::default();
        let s = |d: KeyDates| KeyStatus::derive(d, now);
        assert_eq!(s(d), KeyStatus::Active);
        assert_eq!(s(KeyDates { revoked_at: Some(now), ..d }), KeyStatus::Revoked);
        assert_eq!(s(KeyDates { expires_at: Some(now), ..d }), KeyStatus::Expired);
        assert_eq!(s(KeyDates { expires_at: Some(now + Duration::days(3)), ..d }), KeyStatus::ExpiringSoon);
        assert_eq!(s(KeyDates { expires_at: Some(now + Duration::days(30)), ..d }), KeyStatus::Active);
        assert_eq!(s(KeyDates { disabled_at: Some(now), ..d }), KeyStatus::Disabled);
        assert_eq!(s(KeyDates { disabled_at: Some(now), revoked_at: Some(now), ..d }), KeyStatus::Revoked);
        assert_eq!(s(KeyDates { grace_until: Some(now + Duration::hours(1)), ..d }), KeyStatus::InGrace);
        assert_eq!(s(KeyDates { grace_until: Some(now), ..d }), KeyStatus::Revoked, "grace over");
        assert!(KeyStatus::InGrace.is_usable() && !KeyStatus::Disabled.is_usable());
        assert_eq!(s(KeyDates { approval: Some("pending"), ..d }), KeyStatus::PendingApproval);
        assert_eq!(s(KeyDates { approval: Some("denied"), disabled_at: Some(now), ..d }), KeyStatus::Denied);
        assert_eq!(s(KeyDates { approval: Some("approved"), ..d }), KeyStatus::Active);
    }

    #[test]
    fn devices_are_named_from_user_agents() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome on Linux"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0", "Edge on Windows"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari on macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari on iOS"),
            ("Mozilla/5.0 (Android 14; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0", "Firefox on Android"),
            ("curl/8.4.0", "curl"),
            ("", "Unknown device"),
            ("SomeBot", "Unknown browser"),
        ];
        for (ua, want) in cases {
            assert_eq!(device_label(ua), want, "{ua}");
        }
    }
}
