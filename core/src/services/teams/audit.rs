//! The audit trail: one row per security-relevant action, written in the same transaction as
//! the change it records, never holding a secret.

use crate::services::auth::Caller;
use crate::services::Services;
use crate::crypto::new_id;
use crate::dto::AuditEventView;
use crate::entity::{audit_event, membership};
use crate::error::CoreError;
use crate::roles::Action;
use crate::validate::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// The most rows the audit page and its export return.
pub const AUDIT_PAGE_LIMIT: u64 = 500;

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
    /// A key's settings changed.
    KeyEdited,
    /// A key was switched off.
    KeyDisabled,
    /// A key was switched on again.
    KeyEnabled,
    /// A key got a new secret.
    KeyRegenerated,
    /// A key was replaced by a new one, with a grace period for the old.
    KeyRotated,
    /// A key reported as leaked (found in public) was revoked.
    KeyLeakRevoked,
    /// A key waiting for approval was approved.
    KeyApproved,
    /// A key waiting for approval was denied.
    KeyDenied,
    /// A team was created.
    TeamCreated,
    /// A team's name or description changed.
    TeamUpdated,
    /// A team was deleted by an owner.
    TeamDeleted,
    /// An invitation was sent (or sent again with a new link).
    InvitationSent,
    /// An invitation was accepted; the invitee joined.
    InvitationAccepted,
    /// An invitation was withdrawn.
    InvitationRevoked,
    /// A member's role changed.
    RoleChanged,
    /// A member was removed by an owner or admin.
    MemberRemoved,
    /// A member left the team.
    MemberLeft,
    /// A person changed their password (every other session ended).
    PasswordChanged,
    /// A person signed out other devices.
    SessionsEnded,
    /// A person set a new password through an emailed reset link.
    PasswordReset,
    /// The provider changed a setting (site-wide: no team).
    SettingChanged,
    /// A person was made an operator admin (site-wide).
    AdminGranted,
    /// A person's operator admin role was taken away (site-wide).
    AdminRevoked,
    /// The provider suspended a developer's account.
    DeveloperSuspended,
    /// The provider reactivated a suspended account.
    DeveloperReactivated,
    /// The provider suspended a team (its keys stop working).
    TeamSuspended,
    /// The provider reactivated a suspended team.
    TeamReactivated,
    /// The provider's site asked for a link that signs a developer in to the embedded portal.
    EmbedLinkCreated,
    /// A person proved they receive mail at their account's address.
    EmailVerified,
    /// The operator imported a version of the API's OpenAPI document (site-wide).
    DocsImported,
    /// The operator put an earlier version of the document back in effect (site-wide).
    DocsRolledBack,
    /// The operator added or changed one of the docs guides (site-wide).
    DocsPageSaved,
    /// The operator removed one of the docs guides (site-wide).
    DocsPageRemoved,
    /// A person changed their name or which emails they want.
    ProfileChanged,
    /// A person asked to move their account to another address (a link went to it).
    EmailChangeRequested,
    /// A person confirmed the link sent to their new address: the account moved to it.
    EmailChanged,
    /// A retrievable key was shown again on its page.
    KeyRevealed,
    /// A retrievable key was copied from its page (without being shown).
    KeyCopied,
    /// A person turned on two-factor authentication (TOTP, with new recovery codes).
    MfaEnabled,
    /// A person turned two-factor authentication off.
    MfaDisabled,
    /// A recovery code was used in place of a TOTP code (each works once).
    RecoveryCodeUsed,
    /// A wrong or reused second-factor code was entered.
    SecondFactorFailed,
    /// An owner changed whether the team requires two-factor authentication.
    TeamMfaRequirement,
    /// A sign-in provider's identity was linked to an account (single sign-on).
    IdentityLinked,
    /// A person removed a sign-in provider's identity from their account.
    IdentityUnlinked,
    /// The operator created or changed a plan (site-wide).
    PlanSaved,
    /// The operator archived a plan (site-wide).
    PlanArchived,
    /// A team moved to another plan.
    PlanChanged,
    /// An invoice was finalized and sent.
    InvoiceIssued,
    /// An invoice was marked paid.
    InvoicePaid,
    /// An invoice was voided (and perhaps reissued).
    InvoiceVoided,
    /// The team's billing contact changed.
    BillingContactChanged,
    /// The provider could not charge an invoice.
    InvoicePaymentFailed,
    /// The operator created, changed or archived a product of the catalogue (site-wide).
    ProductSaved,
    /// A team asked for a product offered on request.
    ProductRequested,
    /// The operator approved a team's request for a product.
    ProductApproved,
    /// The operator denied a team's request for a product.
    ProductDenied,
}

impl AuditAction {
    /// Every action, for filters.
    pub const ALL: [AuditAction; 61] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::KeyCreated,
        AuditAction::KeyRevoked,
        AuditAction::KeyEdited,
        AuditAction::KeyDisabled,
        AuditAction::KeyEnabled,
        AuditAction::KeyRegenerated,
        AuditAction::KeyRotated,
        AuditAction::KeyLeakRevoked,
        AuditAction::KeyApproved,
        AuditAction::KeyDenied,
        AuditAction::TeamCreated,
        AuditAction::TeamUpdated,
        AuditAction::TeamDeleted,
        AuditAction::InvitationSent,
        AuditAction::InvitationAccepted,
        AuditAction::InvitationRevoked,
        AuditAction::RoleChanged,
        AuditAction::MemberRemoved,
        AuditAction::MemberLeft,
        AuditAction::PasswordChanged,
        AuditAction::SessionsEnded,
        AuditAction::PasswordReset,
        AuditAction::SettingChanged,
        AuditAction::AdminGranted,
        AuditAction::AdminRevoked,
        AuditAction::DeveloperSuspended,
        AuditAction::DeveloperReactivated,
        AuditAction::TeamSuspended,
        AuditAction::TeamReactivated,
        AuditAction::EmbedLinkCreated,
        AuditAction::EmailVerified,
        AuditAction::DocsImported,
        AuditAction::DocsRolledBack,
        AuditAction::DocsPageSaved,
        AuditAction::DocsPageRemoved,
        AuditAction::ProfileChanged,
        AuditAction::EmailChangeRequested,
        AuditAction::EmailChanged,
        AuditAction::KeyRevealed,
        AuditAction::KeyCopied,
        AuditAction::MfaEnabled,
        AuditAction::MfaDisabled,
        AuditAction::RecoveryCodeUsed,
        AuditAction::SecondFactorFailed,
        AuditAction::TeamMfaRequirement,
        AuditAction::IdentityLinked,
        AuditAction::IdentityUnlinked,
        AuditAction::PlanSaved,
        AuditAction::PlanArchived,
        AuditAction::PlanChanged,
        AuditAction::InvoiceIssued,
        AuditAction::InvoicePaid,
        AuditAction::InvoiceVoided,
        AuditAction::BillingContactChanged,
        AuditAction::InvoicePaymentFailed,
        AuditAction::ProductSaved,
        AuditAction::ProductRequested,
        AuditAction::ProductApproved,
        AuditAction::ProductDenied,
    ];

    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::KeyCreated => "key.created",
            AuditAction::KeyRevoked => "key.revoked",
            AuditAction::KeyEdited => "key.edited",
            AuditAction::KeyDisabled => "key.disabled",
            AuditAction::KeyEnabled => "key.enabled",
            AuditAction::KeyRegenerated => "key.regenerated",
            AuditAction::KeyRotated => "key.rotated",
            AuditAction::KeyLeakRevoked => "key.leak_revoked",
            AuditAction::KeyApproved => "key.approved",
            AuditAction::KeyDenied => "key.denied",
            AuditAction::TeamCreated => "team.created",
            AuditAction::TeamUpdated => "team.updated",
            AuditAction::TeamDeleted => "team.deleted",
            AuditAction::InvitationSent => "invitation.sent",
            AuditAction::InvitationAccepted => "invitation.accepted",
            AuditAction::InvitationRevoked => "invitation.revoked",
            AuditAction::RoleChanged => "member.role_changed",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::MemberLeft => "member.left",
            AuditAction::PasswordChanged => "password.changed",
            AuditAction::SessionsEnded => "sessions.ended",
            AuditAction::PasswordReset => "password.reset",
            AuditAction::SettingChanged => "setting.changed",
            AuditAction::AdminGranted => "admin.granted",
            AuditAction::AdminRevoked => "admin.revoked",
            AuditAction::DeveloperSuspended => "developer.suspended",
            AuditAction::DeveloperReactivated => "developer.reactivated",
            AuditAction::TeamSuspended => "team.suspended",
            AuditAction::TeamReactivated => "team.reactivated",
            AuditAction::EmbedLinkCreated => "embed.link_created",
            AuditAction::EmailVerified => "email.verified",
            AuditAction::DocsImported => "docs.imported",
            AuditAction::DocsRolledBack => "docs.rolled_back",
            AuditAction::DocsPageSaved => "docs.page_saved",
            AuditAction::DocsPageRemoved => "docs.page_removed",
            AuditAction::ProfileChanged => "profile.changed",
            AuditAction::EmailChangeRequested => "email.change_requested",
            AuditAction::EmailChanged => "email.changed",
            AuditAction::KeyRevealed => "key.revealed",
            AuditAction::KeyCopied => "key.copied",
            AuditAction::MfaEnabled => "mfa.enabled",
            AuditAction::MfaDisabled => "mfa.disabled",
            AuditAction::RecoveryCodeUsed => "mfa.recovery_code_used",
            AuditAction::SecondFactorFailed => "mfa.failed",
            AuditAction::TeamMfaRequirement => "team.mfa_requirement",
            AuditAction::IdentityLinked => "identity.linked",
            AuditAction::IdentityUnlinked => "identity.unlinked",
            AuditAction::PlanSaved => "plan.saved",
            AuditAction::PlanArchived => "plan.archived",
            AuditAction::PlanChanged => "plan.changed",
            AuditAction::InvoiceIssued => "invoice.issued",
            AuditAction::InvoicePaid => "invoice.paid",
            AuditAction::InvoiceVoided => "invoice.voided",
            AuditAction::BillingContactChanged => "billing.contact_changed",
            AuditAction::InvoicePaymentFailed => "invoice.payment_failed",
            AuditAction::ProductSaved => "product.saved",
            AuditAction::ProductRequested => "product.requested",
            AuditAction::ProductApproved => "product.approved",
            AuditAction::ProductDenied => "product.denied",
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
    /// A short description for people (never a secret).
    pub detail: Option<String>,
    /// Done by the provider's admin on the team's behalf.
    pub by_provider: bool,
}

impl<'a> AuditEntry<'a> {
    /// A site-wide change by the provider (`actor`: `cli` or an admin's email) to `setting`.
    pub fn site(actor: &'a str, action: AuditAction, setting: &'a str) -> Self {
        Self { team_id: None, actor_user_id: None, actor_email: Some(actor), action, object: Some(("setting", setting)), detail: None, by_provider: false }
    }

    /// An entry in a team's trail made by the provider (`actor`, the operator) or, with
    /// `None`, by Keyport itself (a scheduled change, an invoice at the month's end).
    pub fn for_team(team_id: &'a str, actor: Option<&'a str>, action: AuditAction, object: (&'static str, &'a str)) -> Self {
        Self { team_id: Some(team_id), actor_user_id: None, actor_email: actor, action, object: Some(object), detail: None, by_provider: actor.is_some() }
    }

    /// The same entry with a description.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// What the audit page filters by; empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// An action name (`key.created`).
    pub action: String,
    /// Part of the actor's email address.
    pub actor: String,
    /// First day included (`YYYY-MM-DD`, UTC).
    pub from: String,
    /// Last day included (`YYYY-MM-DD`, UTC).
    pub to: String,
}

impl AuditFilter {
    fn day(field: &str, value: &str) -> Result<Option<chrono::NaiveDate>, CoreError> {
        let v = value.trim();
        if v.is_empty() {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| FieldError::new(field, "Use a date like 2026-11-23.").into())
    }
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
            detail: Set(e.detail.map(|d| d.chars().take(500).collect())),
            by_provider: Set(e.by_provider),
        }
        .insert(db)
        .await?;
        Ok(())
    }
}

impl Services {
    /// The active team's audit trail, newest first: the team's own events and the account
    /// events (sign-ins) of its current members, narrowed by `filter`.
    pub async fn list_audit(&self, caller: &Caller, filter: &AuditFilter) -> Result<Vec<AuditEventView>, CoreError> {
        caller.require(Action::ViewAudit)?;
        // A member's account events (sign-ins, password changes) belong to this team's trail
        // only from the moment they joined it: what they did before is not the team's business.
        let member_then = Query::select()
            .expr(Expr::val(1))
            .from(membership::Entity)
            .and_where(Expr::col((membership::Entity, membership::Column::TeamId)).eq(&caller.team.id))
            .and_where(
                Expr::col((membership::Entity, membership::Column::UserId))
                    .equals((audit_event::Entity, audit_event::Column::ActorUserId)),
            )
            .and_where(
                Expr::col((membership::Entity, membership::Column::CreatedAt))
                    .lte(Expr::col((audit_event::Entity, audit_event::Column::CreatedAt))),
            )
            .to_owned();
        let q = audit_event::Entity::find().filter(
            Condition::any().add(audit_event::Column::TeamId.eq(&caller.team.id)).add(
                Condition::all().add(audit_event::Column::TeamId.is_null()).add(Expr::exists(member_then)),
            ),
        );
        self.audit_rows(q, filter).await
    }

    /// The rows of `q` that pass `filter` (checked first: a bad filter is a field error),
    /// newest first, at most a page.
    pub(crate) async fn audit_rows(&self, q: sea_orm::Select<audit_event::Entity>, filter: &AuditFilter) -> Result<Vec<AuditEventView>, CoreError> {
        let from = AuditFilter::day("from", &filter.from)?;
        let to = AuditFilter::day("to", &filter.to)?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(FieldError::new("to", "The end date is before the start date.").into());
            }
        }
        let action = filter.action.trim();
        if !action.is_empty() && !AuditAction::ALL.iter().any(|a| a.as_str() == action) {
            return Err(FieldError::new("action", "Choose an action from the list.").into());
        }
        let actor = filter.actor.trim().to_lowercase();
        if actor.chars().count() > 320 {
            return Err(FieldError::new("actor", "That is longer than any email address.").into());
        }
        let mut q = q;
        if !action.is_empty() {
            q = q.filter(audit_event::Column::Action.eq(action));
        }
        if !actor.is_empty() {
            q = q.filter(audit_event::Column::ActorEmail.contains(&actor));
        }
        if let Some(f) = from {
            q = q.filter(audit_event::Column::CreatedAt.gte(f.and_hms_opt(0, 0, 0).expect("midnight").and_utc()));
        }
        if let Some(t) = to {
            let end = t.succ_opt().unwrap_or(t).and_hms_opt(0, 0, 0).expect("midnight").and_utc();
            q = q.filter(audit_event::Column::CreatedAt.lt(end));
        }
        let rows = q
            .order_by_desc(audit_event::Column::CreatedAt)
            .order_by_desc(audit_event::Column::Id)
            .limit(AUDIT_PAGE_LIMIT)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(event_view).collect())
    }
}

/// An audit row as pages show it.
pub(crate) fn event_view(r: audit_event::Model) -> AuditEventView {
    AuditEventView {
        id: r.id,
        at: r.created_at,
        actor: r.actor_email,
        action: r.action,
        object: match (r.object_type, r.object_id) {
            (Some(t), Some(id)) => Some(format!("{t} {id}")),
            _ => None,
        },
        detail: r.detail,
        ip: r.ip,
        user_agent: r.user_agent,
        by_provider: r.by_provider,
    }
}

/// One CSV field, quoted (RFC 4180). A leading formula character (`=`, `+`, `-`, `@`, tab or
/// carriage return) is neutralised with a `'` so spreadsheets do not evaluate it.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// One CSV line of quoted fields, ended by CRLF.
pub fn csv_line(cols: &[String]) -> String {
    let mut line = cols.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// Renders audit rows as CSV (RFC 4180 quoting).
pub fn to_csv(rows: &[AuditEventView]) -> String {
    let mut out = String::from("time_utc,actor,action,object,detail,ip,user_agent\r\n");
    for r in rows {
        let cols = [
            r.at.to_rfc3339(),
            match (&r.actor, r.by_provider) {
                (Some(a), true) => format!("{a} (provider)"),
                (a, _) => a.clone().unwrap_or_default(),
            },
            r.action.clone(),
            r.object.clone().unwrap_or_default(),
            r.detail.clone().unwrap_or_default(),
            r.ip.clone(),
            r.user_agent.clone(),
        ];
        out.push_str(&csv_line(&cols));
    }
    out
}
