//! The audit trail: one row per security-relevant action, written in the same transaction as
//! the change it records, never holding a secret.

use super::Services;
use crate::crypto::new_id;
use crate::entity::audit_event;
use crate::error::CoreError;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// Where a request came from, as recorded in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestMeta {
    /// Client address.
    pub ip: String,
    /// Browser or client, truncated to 256 characters.
    pub user_agent: String,
}

impl Default for RequestMeta {
    fn default() -> Self {
        Self { ip: "unknown".into(), user_agent: String::new() }
    }
}

impl RequestMeta {
    /// Builds request metadata, bounding the user agent's length.
    pub fn new(ip: impl Into<String>, user_agent: &str) -> Self {
        Self { ip: ip.into(), user_agent: user_agent.chars().take(256).collect() }
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    /// A successful sign-in.
    SignIn,
    /// A refused sign-in (wrong password or unknown email).
    SignInFailed,
    /// A key was created.
    KeyCreated,
    /// A key was revoked.
    KeyRevoked,
    /// A team was created.
    TeamCreated,
}

impl AuditAction {
    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::KeyCreated => "key.created",
            AuditAction::KeyRevoked => "key.revoked",
            AuditAction::TeamCreated => "team.created",
        }
    }
}

/// One row to write.
pub struct AuditEntry<'a> {
    /// The team concerned; `None` for account-level events such as sign-ins.
    pub team_id: Option<&'a str>,
    /// The acting user, when known.
    pub actor_user_id: Option<&'a str>,
    /// The acting email (also for failed sign-ins of unknown addresses).
    pub actor_email: Option<&'a str>,
    /// What happened.
    pub action: AuditAction,
    /// The object acted on: its type and id (never a secret).
    pub object: Option<(&'static str, &'a str)>,
}

impl Services {
    /// Writes an audit row on `db`, which should be the transaction of the change itself.
    pub async fn audit<C: ConnectionTrait>(&self, db: &C, meta: &RequestMeta, e: AuditEntry<'_>) -> Result<(), CoreError> {
        audit_event::ActiveModel {
            id: Set(new_id("evt")),
            team_id: Set(e.team_id.map(str::to_owned)),
            actor_user_id: Set(e.actor_user_id.map(str::to_owned)),
            actor_email: Set(e.actor_email.map(str::to_owned)),
            action: Set(e.action.as_str().to_owned()),
            object_type: Set(e.object.map(|(t, _)| t.to_owned())),
            object_id: Set(e.object.map(|(_, id)| id.to_owned())),
            ip: Set(meta.ip.clone()),
            user_agent: Set(meta.user_agent.clone()),
            created_at: Set(self.now()),
        }
        .insert(db)
        .await?;
        Ok(())
    }
}
