//! Managing a team's members: roles, removal, leaving, and the team's own settings.
//!
//! Every change that could leave a team without an owner runs in a transaction that first
//! takes the team's row lock, so two owners acting at the same moment are serialised and the
//! second sees the first's result (SQLite: the write lock; PostgreSQL: the row lock).

use crate::services::audit::{AuditAction, RequestMeta};
use crate::services::auth::Caller;
use crate::services::Services;
use crate::entity::{membership, team, user};
use crate::error::CoreError;
use crate::roles::{may_change_member, Action, Role};
use crate::validate::{parse_description, FieldError, TeamName};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use tracing::instrument;

/// The message when a change would leave the team without an owner.
pub const LAST_OWNER: &str =
    "A team always keeps at least one owner. Make someone else an owner first.";

/// Takes the team's row lock (PostgreSQL; on SQLite the write transaction already excludes
/// other writers), so changes to one team's memberships happen one after another.
pub(crate) async fn lock_team<C: ConnectionTrait>(db: &C, team_id: &str) -> Result<(), CoreError> {
    let res = team::Entity::update_many()
        .col_expr(team::Column::Name, Expr::col(team::Column::Name))
        .filter(team::Column::Id.eq(team_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(CoreError::NotFound);
    }
    Ok(())
}

async fn membership_in(txn: &DatabaseTransaction, team_id: &str, user_id: &str) -> Result<Option<(membership::Model, Role)>, CoreError> {
    Ok(membership::Entity::find_by_id((team_id.to_owned(), user_id.to_owned()))
        .one(txn)
        .await?
        .map(|m| {
            let role = Role::parse(&m.role).unwrap_or(Role::Viewer);
            (m, role)
        }))
}

async fn owner_count(txn: &DatabaseTransaction, team_id: &str) -> Result<u64, CoreError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::TeamId.eq(team_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(txn)
        .await?)
}

async fn email_of(txn: &DatabaseTransaction, user_id: &str) -> Result<String, CoreError> {
    Ok(user::Entity::find_by_id(user_id.to_owned()).one(txn).await?.map(|u| u.email).unwrap_or_default())
}

impl Services {
    /// The caller's current role, read inside the transaction: a role changed a moment ago by
    /// someone else counts, not the one seen when the request was authenticated.
    async fn current_role(&self, txn: &DatabaseTransaction, caller: &Caller) -> Result<Role, CoreError> {
        membership_in(txn, &caller.team.id, &caller.user.id).await?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    }

    /// Gives a member of the active team another role.
    #[instrument(skip_all, fields(team_id = %caller.team.id, user_id = %user_id))]
    pub async fn change_role(&self, caller: &Caller, user_id: &str, role: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        caller.require(Action::ManageMembers)?;
        let new_role = Role::parse(role).ok_or_else(|| FieldError::new("role", "Choose a role."))?;
        let txn = self.begin_write().await?;
        lock_team(&txn, &caller.team.id).await?;
        let actor = self.current_role(&txn, caller).await?;
        let (_, old_role) = membership_in(&txn, &caller.team.id, user_id).await?.ok_or(CoreError::NotFound)?;
        if !may_change_member(actor, old_role, Some(new_role)) {
            return Err(CoreError::Forbidden);
        }
        if old_role == new_role {
            return Ok(());
        }
        if old_role == Role::Owner && owner_count(&txn, &caller.team.id).await? <= 1 {
            return Err(CoreError::Conflict(LAST_OWNER.into()));
        }
        membership::Entity::update_many()
            .col_expr(membership::Column::Role, Expr::value(new_role.as_str()))
            .filter(membership::Column::TeamId.eq(&caller.team.id))
            .filter(membership::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        let email = email_of(&txn, user_id).await?;
        let entry = caller
            .entry(AuditAction::RoleChanged, ("user", user_id))
            .with_detail(format!("{email}: {} → {}", old_role.as_str(), new_role.as_str()));
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        tracing::info!(from = old_role.as_str(), to = new_role.as_str(), "role changed");
        Ok(())
    }

    /// Removes a member from the active team. Their next request no longer reaches it.
    #[instrument(skip_all, fields(team_id = %caller.team.id, user_id = %user_id))]
    pub async fn remove_member(&self, caller: &Caller, user_id: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        caller.require(Action::ManageMembers)?;
        if user_id == caller.user.id {
            return Err(CoreError::Conflict("To leave the team yourself, use “Leave team”.".into()));
        }
        let txn = self.begin_write().await?;
        lock_team(&txn, &caller.team.id).await?;
        let actor = self.current_role(&txn, caller).await?;
        let (_, role) = membership_in(&txn, &caller.team.id, user_id).await?.ok_or(CoreError::NotFound)?;
        if !may_change_member(actor, role, None) {
            return Err(CoreError::Forbidden);
        }
        if role == Role::Owner && owner_count(&txn, &caller.team.id).await? <= 1 {
            return Err(CoreError::Conflict(LAST_OWNER.into()));
        }
        membership::Entity::delete_by_id((caller.team.id.clone(), user_id.to_owned())).exec(&txn).await?;
        let email = email_of(&txn, user_id).await?;
        let entry = caller.entry(AuditAction::MemberRemoved, ("user", user_id)).with_detail(format!("{email} ({})", role.as_str()));
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        tracing::info!("member removed");
        Ok(())
    }

    /// The caller leaves the active team. The last owner cannot, and nobody leaves their only
    /// team (they would have nowhere to sign in to).
    #[instrument(skip_all, fields(team_id = %caller.team.id, user_id = %caller.user.id))]
    pub async fn leave_team(&self, caller: &Caller, meta: &RequestMeta) -> Result<(), CoreError> {
        let txn = self.begin_write().await?;
        lock_team(&txn, &caller.team.id).await?;
        let role = self.current_role(&txn, caller).await?;
        if role == Role::Owner && owner_count(&txn, &caller.team.id).await? <= 1 {
            return Err(CoreError::Conflict(
                "You are the last owner of this team. Make someone else an owner before you leave.".into(),
            ));
        }
        let teams = membership::Entity::find().filter(membership::Column::UserId.eq(&caller.user.id)).count(&txn).await?;
        if teams <= 1 {
            return Err(CoreError::Conflict("This is your only team, so you cannot leave it.".into()));
        }
        membership::Entity::delete_by_id((caller.team.id.clone(), caller.user.id.clone())).exec(&txn).await?;
        let entry = caller.entry(AuditAction::MemberLeft, ("user", &caller.user.id)).with_detail(format!("as {}", role.as_str()));
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        tracing::info!("member left");
        Ok(())
    }

    /// Renames the active team and sets its description.
    #[instrument(skip_all, fields(team_id = %caller.team.id))]
    pub async fn update_team(&self, caller: &Caller, name: &str, description: &str, meta: &RequestMeta) -> Result<crate::dto::TeamDetails, CoreError> {
        caller.require(Action::EditTeam)?;
        let name = TeamName::parse(name)?;
        let description = parse_description(description)?;
        let txn = self.begin_write().await?;
        let current = team::Entity::find_by_id(caller.team.id.clone()).one(&txn).await?.ok_or(CoreError::NotFound)?;
        let mut changed = Vec::new();
        if current.name != name.as_str() {
            changed.push(format!("name “{}” → “{}”", current.name, name.as_str()));
        }
        if current.description != description {
            changed.push("description".to_owned());
        }
        let personal = current.personal;
        let require_mfa = current.require_mfa;
        if !changed.is_empty() {
            let mut am: team::ActiveModel = current.into();
            am.name = Set(name.as_str().to_owned());
            am.description = Set(description.clone());
            am.update(&txn).await?;
            let entry = caller.entry(AuditAction::TeamUpdated, ("team", &caller.team.id)).with_detail(changed.join(", "));
            self.audit(&txn, meta, entry).await?;
        }
        txn.commit().await?;
        Ok(crate::dto::TeamDetails { id: caller.team.id.clone(), name: name.as_str().to_owned(), description, personal, require_mfa })
    }

    /// Deletes the active team: every membership ends, every key is revoked (verification
    /// answers `REVOKED` from the next request), pending invitations are withdrawn. The team's
    /// row and its audit trail stay, for the record. Personal teams cannot be deleted, and the
    /// owner confirms by typing the team's name.
    #[instrument(skip_all, fields(team_id = %caller.team.id))]
    pub async fn delete_team(&self, caller: &Caller, confirm_name: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        use crate::entity::{api_key, invitation};
        caller.require(Action::DeleteTeam)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        lock_team(&txn, &caller.team.id).await?;
        if self.current_role(&txn, caller).await? != Role::Owner {
            return Err(CoreError::Forbidden);
        }
        let t = team::Entity::find_by_id(caller.team.id.clone()).one(&txn).await?.ok_or(CoreError::NotFound)?;
        if t.personal {
            return Err(CoreError::Conflict("A personal team cannot be deleted.".into()));
        }
        if confirm_name.trim() != t.name {
            return Err(FieldError::new("name", "Type the team's name exactly to confirm.").into());
        }
        let live_keys = api_key::Entity::find()
            .filter(api_key::Column::TeamId.eq(&t.id))
            .filter(api_key::Column::RevokedAt.is_null())
            .all(&txn)
            .await?;
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(Some(now)))
            .filter(api_key::Column::TeamId.eq(&t.id))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        invitation::Entity::update_many()
            .col_expr(invitation::Column::RevokedAt, Expr::value(Some(now)))
            .filter(invitation::Column::TeamId.eq(&t.id))
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        for k in &live_keys {
            self.note_key_change(&txn, &k.key_hash).await?;
        }
        let members = membership::Entity::delete_many().filter(membership::Column::TeamId.eq(&t.id)).exec(&txn).await?;
        let plural = |n: u64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
        let detail = format!("“{}”: {} removed, {} revoked", t.name, plural(members.rows_affected, "member"), plural(live_keys.len() as u64, "key"));
        self.audit(&txn, meta, caller.entry(AuditAction::TeamDeleted, ("team", &t.id)).with_detail(detail)).await?;
        txn.commit().await?;
        for k in &live_keys {
            self.verifier.invalidate(&k.key_hash);
        }
        tracing::info!(keys = live_keys.len(), "team deleted");
        Ok(())
    }

    /// The team page's data in one answer.
    pub async fn team_overview(&self, caller: &Caller) -> Result<crate::dto::TeamOverview, CoreError> {
        let members = self.list_members(caller).await?;
        let invitations = if crate::roles::allowed(caller.role, Action::ManageInvitations) {
            Some(self.list_invitations(caller).await?)
        } else {
            None
        };
        Ok(crate::dto::TeamOverview {
            me: caller.user.clone(),
            role: caller.role,
            team: self.team_details(caller).await?,
            members,
            invitations,
        })
    }

    /// The active team's name, description and kind.
    pub async fn team_details(&self, caller: &Caller) -> Result<crate::dto::TeamDetails, CoreError> {
        caller.require_team()?;
        let t = team::Entity::find_by_id(caller.team.id.clone()).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        Ok(crate::dto::TeamDetails { id: t.id, name: t.name, description: t.description, personal: t.personal, require_mfa: t.require_mfa })
    }
}
