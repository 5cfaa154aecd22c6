//! The provider's admin console: operator admins see every developer, team and key, decide
//! on key requests, and act for customers (keys, suspensions). Everything here starts from
//! [`Services::require_admin`], which answers `NotFound` to anyone else, so the console does
//! not even admit it exists.

use crate::dto::admin::{AdminKey, DeveloperDetail, DeveloperRow, DeveloperTeam, TeamDetail, TeamMemberRow, TeamRow};
use crate::dto::{AuditEventView, CreatedKey, KeyView, OutboxEmailView, SessionView, TeamView, UserView};
use crate::entity::{api_key, audit_event, membership, session, team, user};
use crate::error::CoreError;
use crate::roles::Role;
use crate::services::audit::{AuditAction, AuditEntry, AuditFilter, RequestMeta};
use crate::services::auth::Caller;
use crate::services::keys::{key_view, live_keys_of, waiting_for_approval, KeyInput};
use crate::services::Services;
use crate::validate::{Email, FieldError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use std::collections::HashMap;

/// Rows a console list shows at most (narrow it with the filters).
pub const ADMIN_LIST_LIMIT: u64 = 200;
/// Rows a console export holds at most (narrow it with the filters).
pub const ADMIN_EXPORT_LIMIT: u64 = 100_000;

/// A signed-in operator admin: proof that [`Services::require_admin`] passed.
#[derive(Clone, Debug)]
pub struct Admin {
    /// Their user id.
    pub user_id: String,
    /// Their email (the actor in audit rows).
    pub email: String,
}

/// What the developers list is narrowed by; empty fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct DeveloperFilter {
    /// Part of the email address.
    pub query: String,
    /// `active`, `suspended` or `admin`.
    pub status: String,
    /// Signed up on or after this day (`YYYY-MM-DD`).
    pub since: String,
}

/// What the provider does to a key of a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAct {
    /// Switch it off (it verifies as `DISABLED`).
    Disable,
    /// Switch it on again.
    Enable,
    /// Revoke it for good.
    Revoke,
}

impl KeyAct {
    /// `disable`, `enable` or `revoke`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "disable" => Some(Self::Disable),
            "enable" => Some(Self::Enable),
            "revoke" => Some(Self::Revoke),
            _ => None,
        }
    }
}

/// A reason the provider gives (suspension, denial): one to 500 characters.
fn reason(field: &'static str, text: &str) -> Result<String, CoreError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "Give a reason: the customer is told it.").into());
    }
    if t.chars().count() > 500 || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(field, "Keep the reason under 500 characters of plain text.").into());
    }
    Ok(t.to_owned())
}

fn day(field: &'static str, v: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, CoreError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(|d| Some(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()))
        .map_err(|_| FieldError::new(field, "Use a date like 2026-11-23.").into())
}

fn search_text(field: &'static str, q: &str) -> Result<String, CoreError> {
    let q = q.trim().to_lowercase();
    if q.chars().count() > 320 || q.chars().any(char::is_control) {
        return Err(FieldError::new(field, "Search for part of an email address or name.").into());
    }
    Ok(q)
}

impl Services {
    /// The caller as an operator admin, or `NotFound` (read afresh: a revoked admin is refused
    /// at once, on every node).
    pub async fn require_admin(&self, caller: &Caller) -> Result<Admin, CoreError> {
        match user::Entity::find_by_id(caller.user.id.clone()).one(&self.db).await? {
            Some(u) if u.site_admin && u.suspended_at.is_none() => Ok(Admin { user_id: u.id, email: u.email }),
            _ => Err(CoreError::NotFound),
        }
    }

    /// Whether the signed-in caller is an operator admin (for the link to the console).
    pub async fn is_admin(&self, caller: &Caller) -> Result<bool, CoreError> {
        Ok(self.require_admin(caller).await.is_ok())
    }

    /// Grants or takes away the operator admin role of the account `email`. `actor` is `cli`
    /// or the admin's email. Returns whether anything changed.
    pub async fn set_site_admin(&self, actor: &str, email: &str, grant: bool, meta: &RequestMeta) -> Result<bool, CoreError> {
        let email = Email::parse(email)?;
        let Some(u) = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&self.db).await? else {
            return Err(FieldError::new("email", "No account has this email address: they sign up first.").into());
        };
        if u.site_admin == grant {
            return Ok(false);
        }
        let txn = self.begin_write().await?;
        let id = u.id.clone();
        let mut am = u.into_active_model();
        am.site_admin = Set(grant);
        am.update(&txn).await?;
        let action = if grant { AuditAction::AdminGranted } else { AuditAction::AdminRevoked };
        let entry = AuditEntry {
            team_id: None,
            actor_user_id: None,
            actor_email: Some(actor),
            action,
            object: Some(("user", &id)),
            detail: Some(email.as_str().to_owned()),
            by_provider: true,
        };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The console's version of [`Services::set_site_admin`]: an admin may not take their own
    /// role away (another admin or the CLI can).
    pub async fn admin_set_site_admin(&self, admin: &Admin, email: &str, grant: bool, meta: &RequestMeta) -> Result<bool, CoreError> {
        if !grant && email.trim().eq_ignore_ascii_case(&admin.email) {
            return Err(CoreError::Conflict("You cannot take away your own admin role; another admin can.".into()));
        }
        self.set_site_admin(&admin.email, email, grant, meta).await
    }

    /// The operator admins' email addresses.
    pub async fn site_admins(&self) -> Result<Vec<String>, CoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::SiteAdmin.eq(true))
            .order_by_asc(user::Column::Email)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| u.email)
            .collect())
    }

    /// Developers, newest first, narrowed by `filter`.
    pub async fn admin_developers(&self, _: &Admin, filter: &DeveloperFilter) -> Result<Vec<DeveloperRow>, CoreError> {
        let users = self.developers_matching(filter, ADMIN_LIST_LIMIT).await?;
        self.developer_rows(users).await
    }

    /// The developers `filter` matches, as CSV (newest first, at most [`ADMIN_EXPORT_LIMIT`]):
    /// email, sign-up and last-active times (UTC), teams, status, then one column per sign-up
    /// question asked now, headed by its label.
    pub async fn admin_developers_csv(&self, _: &Admin, filter: &DeveloperFilter) -> Result<String, CoreError> {
        use crate::services::audit::csv_line;
        let users = self.developers_matching(filter, ADMIN_EXPORT_LIMIT).await?;
        let answers: Vec<std::collections::BTreeMap<String, String>> = users.iter().map(|u| crate::signup::stored_answers(u.signup_answers.as_deref())).collect();
        let rows = self.developer_rows(users).await?;
        let fields = self.settings().signup_fields.clone();
        let mut header: Vec<String> = ["email", "signed_up_utc", "last_active_utc", "teams", "status"].map(str::to_owned).to_vec();
        header.extend(fields.iter().map(|f| f.label.clone()));
        let mut out = csv_line(&header);
        for (row, answers) in rows.iter().zip(&answers) {
            let status = if row.suspended_at.is_some() { "suspended" } else if row.site_admin { "admin" } else { "active" };
            let mut cols = vec![
                row.email.clone(),
                row.created_at.to_rfc3339(),
                row.last_active_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                row.teams.to_string(),
                status.to_owned(),
            ];
            cols.extend(fields.iter().map(|f| answers.get(&f.name).cloned().unwrap_or_default()));
            out.push_str(&csv_line(&cols));
        }
        Ok(out)
    }

    async fn developers_matching(&self, filter: &DeveloperFilter, limit: u64) -> Result<Vec<user::Model>, CoreError> {
        let query = search_text("q", &filter.query)?;
        let since = day("since", &filter.since)?;
        let mut q = user::Entity::find();
        if !query.is_empty() {
            q = q.filter(user::Column::Email.contains(&query));
        }
        q = match filter.status.trim() {
            "" => q,
            "active" => q.filter(user::Column::SuspendedAt.is_null()),
            "suspended" => q.filter(user::Column::SuspendedAt.is_not_null()),
            "admin" => q.filter(user::Column::SiteAdmin.eq(true)),
            _ => return Err(FieldError::new("status", "Choose a status from the list.").into()),
        };
        if let Some(s) = since {
            q = q.filter(user::Column::CreatedAt.gte(s));
        }
        Ok(q.order_by_desc(user::Column::CreatedAt).limit(limit).all(&self.db).await?)
    }

    async fn developer_rows(&self, users: Vec<user::Model>) -> Result<Vec<DeveloperRow>, CoreError> {
        // In slices: an export's thousands of ids would pass the databases' limits on bound
        // parameters in one `IN (…)`.
        let mut memberships = Vec::new();
        for ids in users.chunks(500) {
            let ids: Vec<String> = ids.iter().map(|u| u.id.clone()).collect();
            memberships.extend(membership::Entity::find().filter(membership::Column::UserId.is_in(ids)).all(&self.db).await?);
        }
        let mut per_user: HashMap<&str, (i64, Option<chrono::DateTime<chrono::Utc>>)> = HashMap::new();
        for m in &memberships {
            let e = per_user.entry(m.user_id.as_str()).or_default();
            e.0 += 1;
            e.1 = Ord::max(e.1, m.last_active_at);
        }
        Ok(users
            .into_iter()
            .map(|u| {
                let (teams, last_active_at) = per_user.get(u.id.as_str()).copied().unwrap_or_default();
                DeveloperRow {
                    id: u.id,
                    email: u.email,
                    created_at: u.created_at,
                    last_active_at,
                    teams,
                    suspended_at: u.suspended_at,
                    site_admin: u.site_admin,
                }
            })
            .collect())
    }

    /// One developer: teams, keys they created, devices, latest actions.
    pub async fn admin_developer(&self, _: &Admin, user_id: &str) -> Result<DeveloperDetail, CoreError> {
        let u = user::Entity::find_by_id(user_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let now = self.now();
        let memberships = membership::Entity::find().filter(membership::Column::UserId.eq(&u.id)).all(&self.db).await?;
        let team_ids: Vec<String> = memberships.iter().map(|m| m.team_id.clone()).collect();
        let teams: HashMap<String, team::Model> =
            team::Entity::find().filter(team::Column::Id.is_in(team_ids)).all(&self.db).await?.into_iter().map(|t| (t.id.clone(), t)).collect();
        let mut my_teams: Vec<DeveloperTeam> = memberships
            .iter()
            .filter_map(|m| {
                let t = teams.get(&m.team_id)?;
                Some(DeveloperTeam { team_id: t.id.clone(), name: t.name.clone(), role: Role::parse(&m.role).unwrap_or(Role::Viewer), personal: t.personal })
            })
            .collect();
        my_teams.sort_by_key(|t| (!t.personal, t.name.clone()));
        let keys = api_key::Entity::find()
            .filter(api_key::Column::CreatedBy.eq(&u.id))
            .order_by_desc(api_key::Column::CreatedAt)
            .limit(ADMIN_LIST_LIMIT)
            .all(&self.db)
            .await?;
        let keys = self.with_team_names(keys, now).await?;
        let sessions = session::Entity::find()
            .filter(session::Column::UserId.eq(&u.id))
            .filter(session::Column::ExpiresAt.gt(now))
            .order_by_desc(session::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| SessionView {
                current: false,
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at.unwrap_or(s.created_at),
                expires_at: s.expires_at,
                user_agent: s.user_agent.unwrap_or_default(),
                ip: s.ip.unwrap_or_default(),
            })
            .collect();
        let audit = self
            .audit_rows(audit_event::Entity::find().filter(audit_event::Column::ActorUserId.eq(&u.id)), &AuditFilter::default())
            .await?
            .into_iter()
            .take(50)
            .collect();
        let signup_answers = self.signup_answer_labels(u.signup_answers.as_deref());
        let suspended_reason = u.suspended_reason.clone();
        let row = self.developer_rows(vec![u]).await?.pop().ok_or(CoreError::NotFound)?;
        Ok(DeveloperDetail { row, suspended_reason, signup_answers, teams: my_teams, keys, sessions, audit })
    }

    /// Stored sign-up answers as (label, answer), labelled by the questions asked now (a
    /// question since removed keeps its field name).
    fn signup_answer_labels(&self, stored: Option<&str>) -> Vec<(String, String)> {
        crate::signup::labelled_answers(&self.settings().signup_fields, stored)
    }

    async fn with_team_names(&self, keys: Vec<api_key::Model>, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<AdminKey>, CoreError> {
        let ids: Vec<String> = keys.iter().map(|k| k.team_id.clone()).collect();
        let names: HashMap<String, String> =
            team::Entity::find().filter(team::Column::Id.is_in(ids)).all(&self.db).await?.into_iter().map(|t| (t.id, t.name)).collect();
        Ok(keys
            .into_iter()
            .map(|k| AdminKey { team_name: names.get(&k.team_id).cloned().unwrap_or_default(), team_id: k.team_id.clone(), key: key_view(&k, now) })
            .collect())
    }

    /// Teams, newest first, narrowed by part of their name and by status (`active`,
    /// `suspended`).
    pub async fn admin_teams(&self, _: &Admin, query: &str, status: &str) -> Result<Vec<TeamRow>, CoreError> {
        let query = search_text("q", query)?;
        let mut q = team::Entity::find();
        if !query.is_empty() {
            q = q.filter(Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(team::Column::Name))).like(format!("%{}%", query.replace(['%', '_'], ""))));
        }
        q = match status.trim() {
            "" => q,
            "active" => q.filter(team::Column::SuspendedAt.is_null()),
            "suspended" => q.filter(team::Column::SuspendedAt.is_not_null()),
            _ => return Err(FieldError::new("status", "Choose a status from the list.").into()),
        };
        let teams = q.order_by_desc(team::Column::CreatedAt).limit(ADMIN_LIST_LIMIT).all(&self.db).await?;
        self.team_rows(teams).await
    }

    async fn team_rows(&self, teams: Vec<team::Model>) -> Result<Vec<TeamRow>, CoreError> {
        let now = self.now();
        let mut out = Vec::with_capacity(teams.len());
        for t in teams {
            let members = membership::Entity::find().filter(membership::Column::TeamId.eq(&t.id)).count(&self.db).await? as i64;
            let live_keys = api_key::Entity::find().filter(live_keys_of(&t.id, now)).filter(api_key::Column::DisabledAt.is_null()).count(&self.db).await? as i64;
            out.push(TeamRow { id: t.id, name: t.name, personal: t.personal, created_at: t.created_at, members, live_keys, suspended_at: t.suspended_at });
        }
        Ok(out)
    }

    /// One team: members, keys, this month's usage against its quota.
    pub async fn admin_team(&self, admin: &Admin, team_id: &str) -> Result<TeamDetail, CoreError> {
        let t = team::Entity::find_by_id(team_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let now = self.now();
        let rows = membership::Entity::find().filter(membership::Column::TeamId.eq(&t.id)).all(&self.db).await?;
        let users: HashMap<String, String> = user::Entity::find()
            .filter(user::Column::Id.is_in(rows.iter().map(|m| m.user_id.clone())))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
        let mut members: Vec<TeamMemberRow> = rows
            .iter()
            .map(|m| TeamMemberRow {
                user_id: m.user_id.clone(),
                email: users.get(&m.user_id).cloned().unwrap_or_default(),
                role: Role::parse(&m.role).unwrap_or(Role::Viewer),
                last_active_at: m.last_active_at,
            })
            .collect();
        members.sort_by_key(|m| (m.role, m.email.clone()));
        let keys = api_key::Entity::find()
            .filter(api_key::Column::TeamId.eq(&t.id))
            .order_by_desc(api_key::Column::CreatedAt)
            .limit(ADMIN_LIST_LIMIT)
            .all(&self.db)
            .await?
            .iter()
            .map(|k| key_view(k, now))
            .collect();
        let usage = self.usage_summary(&self.provider_caller(admin, &t)).await?;
        let (_, on) = self.team_plan(&self.db, &t.id).await?;
        let plans = self.plan_book().all().iter().filter(|p| !p.archived).map(|p| (p.id.clone(), p.name.clone())).collect();
        let (description, suspended_reason) = (t.description.clone(), t.suspended_reason.clone());
        let row = self.team_rows(vec![t]).await?.pop().ok_or(CoreError::NotFound)?;
        Ok(TeamDetail {
            row,
            description,
            suspended_reason,
            members,
            keys,
            month_requests: usage.month_requests,
            month_quota: usage.month_quota,
            scopes: self.settings().scopes.clone(),
            api_base_url: self.config.api_base_url.clone(),
            plan: (on.id.clone(), on.name.clone()),
            plans,
        })
    }

    /// Keys of every team, newest first, by status: `live` (working), `pending`, `disabled`,
    /// `revoked`, or every key.
    pub async fn admin_keys(&self, _: &Admin, status: &str) -> Result<Vec<AdminKey>, CoreError> {
        let now = self.now();
        let live = Condition::all()
            .add(api_key::Column::ReplacedBy.is_null())
            .add(api_key::Column::RevokedAt.is_null())
            .add(api_key::Column::ExpiresAt.is_null().or(api_key::Column::ExpiresAt.gt(now)))
            .add(api_key::Column::GraceUntil.is_null().or(api_key::Column::GraceUntil.gt(now)));
        let q = api_key::Entity::find();
        let q = match status.trim() {
            "" => q,
            "live" => q
                .filter(live)
                .filter(api_key::Column::DisabledAt.is_null())
                .filter(api_key::Column::Approval.is_null().or(api_key::Column::Approval.eq("approved"))),
            "pending" => q.filter(waiting_for_approval()),
            "disabled" => q.filter(api_key::Column::DisabledAt.is_not_null()).filter(api_key::Column::RevokedAt.is_null()),
            "revoked" => q.filter(api_key::Column::RevokedAt.is_not_null()),
            _ => return Err(FieldError::new("status", "Choose a status from the list.").into()),
        };
        let keys = q.order_by_desc(api_key::Column::CreatedAt).limit(ADMIN_LIST_LIMIT).all(&self.db).await?;
        self.with_team_names(keys, now).await
    }

    /// Every email, newest first.
    pub async fn admin_outbox(&self, _: &Admin) -> Result<Vec<OutboxEmailView>, CoreError> {
        self.all_outbox(ADMIN_LIST_LIMIT).await
    }

    /// The whole audit trail, every team and the site-wide rows, narrowed by `filter` and,
    /// when `team_id` is not empty, to one team.
    pub async fn admin_audit(&self, _: &Admin, filter: &AuditFilter, team_id: &str) -> Result<Vec<AuditEventView>, CoreError> {
        let mut q = audit_event::Entity::find();
        let team_id = team_id.trim();
        if !team_id.is_empty() {
            q = q.filter(audit_event::Column::TeamId.eq(team_id));
        }
        self.audit_rows(q, filter).await
    }

    /// The admin acting inside `team` with an owner's rights, every row audited as done by
    /// the provider.
    fn provider_caller(&self, admin: &Admin, team: &team::Model) -> Caller {
        Caller {
            user: UserView { id: admin.user_id.clone(), email: admin.email.clone() },
            team: TeamView { id: team.id.clone(), name: team.name.clone() },
            role: Role::Owner,
            as_provider: true,
            // The provider's own console is not subject to a team's sign-in policy.
            needs_second_factor: false,
        }
    }

    async fn provider_caller_for(&self, admin: &Admin, team_id: &str) -> Result<Caller, CoreError> {
        let t = team::Entity::find_by_id(team_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        Ok(self.provider_caller(admin, &t))
    }

    /// Creates a key for `team_id` on the customer's behalf (shown once, to the admin), under
    /// the same policies as the team's own keys.
    pub async fn admin_create_key(&self, admin: &Admin, team_id: &str, input: KeyInput<'_>, meta: &RequestMeta) -> Result<CreatedKey, CoreError> {
        let caller = self.provider_caller_for(admin, team_id).await?;
        self.create_key(&caller, input, meta).await
    }

    /// Disables, enables or revokes a key of any team on the customer's behalf.
    pub async fn admin_key_act(&self, admin: &Admin, key_id: &str, act: KeyAct, meta: &RequestMeta) -> Result<KeyView, CoreError> {
        let k = api_key::Entity::find_by_id(key_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let caller = self.provider_caller_for(admin, &k.team_id).await?;
        match act {
            KeyAct::Disable => self.set_key_disabled(&caller, key_id, true, meta).await,
            KeyAct::Enable => self.set_key_disabled(&caller, key_id, false, meta).await,
            KeyAct::Revoke => self.revoke_key(&caller, key_id, meta).await,
        }
    }

    /// Approves or denies a waiting key (or scope change) of any team; a denial needs a reason.
    pub async fn admin_decide_key(&self, admin: &Admin, key_id: &str, approve: bool, why: &str, meta: &RequestMeta) -> Result<KeyView, CoreError> {
        let k = api_key::Entity::find_by_id(key_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let why = if approve && why.trim().is_empty() { String::new() } else { reason("reason", why)? };
        let caller = self.provider_caller_for(admin, &k.team_id).await?;
        self.decide(k, approve, &why, &admin.email, Some(&caller), meta).await
    }

    /// Suspends a developer: every session ends at once and sign-in is refused with the reason.
    pub async fn suspend_developer(&self, admin: &Admin, user_id: &str, why: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        let why = reason("reason", why)?;
        let u = user::Entity::find_by_id(user_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        if u.id == admin.user_id {
            return Err(CoreError::Conflict("You cannot suspend yourself.".into()));
        }
        if u.site_admin {
            return Err(CoreError::Conflict("This is an operator admin: take away their admin role first.".into()));
        }
        if u.suspended_at.is_some() {
            return Err(CoreError::Conflict("This account is already suspended.".into()));
        }
        let txn = self.begin_write().await?;
        let (id, email) = (u.id.clone(), u.email.clone());
        let mut am = u.into_active_model();
        am.suspended_at = Set(Some(self.now()));
        am.suspended_reason = Set(Some(why.clone()));
        am.update(&txn).await?;
        session::Entity::delete_many().filter(session::Column::UserId.eq(&id)).exec(&txn).await?;
        let entry = AuditEntry {
            team_id: None,
            actor_user_id: Some(&admin.user_id),
            actor_email: Some(&admin.email),
            action: AuditAction::DeveloperSuspended,
            object: Some(("user", &id)),
            detail: Some(format!("{email}: {why}")),
            by_provider: true,
        };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Lets a suspended developer sign in again.
    pub async fn reactivate_developer(&self, admin: &Admin, user_id: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        let u = user::Entity::find_by_id(user_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        if u.suspended_at.is_none() {
            return Err(CoreError::Conflict("This account is not suspended.".into()));
        }
        let txn = self.begin_write().await?;
        let (id, email) = (u.id.clone(), u.email.clone());
        let mut am = u.into_active_model();
        am.suspended_at = Set(None);
        am.suspended_reason = Set(None);
        am.update(&txn).await?;
        let entry = AuditEntry {
            team_id: None,
            actor_user_id: Some(&admin.user_id),
            actor_email: Some(&admin.email),
            action: AuditAction::DeveloperReactivated,
            object: Some(("user", &id)),
            detail: Some(email),
            by_provider: true,
        };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Suspends (`why` given) or reactivates (`None`) a team. While suspended, every key of
    /// the team verifies as `TEAM_SUSPENDED`, on every node within the key-sync interval.
    pub async fn set_team_suspended(&self, admin: &Admin, team_id: &str, why: Option<&str>, meta: &RequestMeta) -> Result<(), CoreError> {
        let why = why.map(|w| reason("reason", w)).transpose()?;
        let t = team::Entity::find_by_id(team_id.to_owned()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        match (&why, t.suspended_at.is_some()) {
            (Some(_), true) => return Err(CoreError::Conflict("This team is already suspended.".into())),
            (None, false) => return Err(CoreError::Conflict("This team is not suspended.".into())),
            _ => {}
        }
        let txn = self.begin_write().await?;
        let (id, name) = (t.id.clone(), t.name.clone());
        let mut am = t.into_active_model();
        am.suspended_at = Set(why.as_ref().map(|_| self.now()));
        am.suspended_reason = Set(why.clone());
        let t = am.update(&txn).await?;
        let hashes = self.forget_team_keys(&txn, &id).await?;
        let caller = self.provider_caller(admin, &t);
        let action = if why.is_some() { AuditAction::TeamSuspended } else { AuditAction::TeamReactivated };
        let detail = match &why {
            Some(w) => format!("{name}: {w}"),
            None => name,
        };
        self.audit(&txn, meta, caller.entry(action, ("team", &id)).with_detail(detail)).await?;
        txn.commit().await?;
        for h in &hashes {
            self.verifier.invalidate(h);
        }
        Ok(())
    }

    /// The refusal a suspended account's sign-in gets (after its password was right).
    pub(crate) fn suspended_message(&self, why: Option<&str>) -> String {
        let support = self.settings().support_email.clone();
        let mut m = format!("This account is suspended by {}", self.settings().app_name);
        match why {
            Some(w) => m.push_str(&format!(": {w}")),
            None => m.push('.'),
        }
        if let Some(s) = support.filter(|s| !s.is_empty()) {
            m.push_str(&format!(" Contact {s}."));
        }
        m
    }
}
