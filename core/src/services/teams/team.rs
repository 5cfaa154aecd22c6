//! Teams beyond the personal one: creating them and switching between them.

use crate::services::auth::Caller;
use crate::services::audit::{AuditAction, RequestMeta};
use crate::services::Services;
use crate::crypto::{new_id, sha256_hex};
use crate::dto::{MemberView, SessionInfo, TeamMembership, TeamView};
use crate::entity::{membership, session, team, user};
use crate::error::CoreError;
use crate::roles::{Action, Role};
use crate::validate::{parse_description, TeamName};
use sea_orm::sea_query::Expr;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use tracing::instrument;

/// Inserts a team and its owner's membership on `db` (the caller's transaction).
pub(crate) async fn insert_team_with_owner<C: ConnectionTrait>(
    db: &C,
    team_id: &str,
    name: &str,
    personal: bool,
    description: Option<String>,
    owner_id: &str,
    now: DateTime<Utc>,
) -> Result<(), CoreError> {
    team::ActiveModel {
        id: Set(team_id.to_owned()),
        name: Set(name.to_owned()),
        personal: Set(personal),
        description: Set(description),
        created_at: Set(now),
        suspended_at: Set(None),
        suspended_reason: Set(None),
        external_id: Set(None),
        require_mfa: Set(false),
    }
    .insert(db)
    .await?;
    membership::ActiveModel {
        team_id: Set(team_id.to_owned()),
        user_id: Set(owner_id.to_owned()),
        role: Set(Role::Owner.as_str().into()),
        created_at: Set(now),
        last_active_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

impl Services {
    /// Creates a team with the caller as its owner.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn create_team(&self, caller: &Caller, name: &str, description: &str, meta: &RequestMeta) -> Result<TeamView, CoreError> {
        let name = TeamName::parse(name)?;
        let description = parse_description(description)?;
        let now = self.now();
        let id = new_id("team");
        let txn = self.begin_write().await?;
        insert_team_with_owner(&txn, &id, name.as_str(), false, description, &caller.user.id, now).await?;
        let mut entry = caller.entry(AuditAction::TeamCreated, ("team", &id));
        entry.team_id = Some(&id);
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        tracing::info!(team_id = %id, "team created");
        Ok(TeamView { id, name: name.as_str().to_owned() })
    }

    /// Makes `team_id` the active team of the session `token`. A team the caller is not a
    /// member of is "not found".
    pub async fn switch_team(&self, token: &str, caller: &Caller, team_id: &str) -> Result<(), CoreError> {
        let member = membership::Entity::find()
            .filter(membership::Column::UserId.eq(&caller.user.id))
            .filter(membership::Column::TeamId.eq(team_id))
            .one(&self.db)
            .await?;
        if member.is_none() {
            return Err(CoreError::NotFound);
        }
        session::Entity::update_many()
            .col_expr(session::Column::ActiveTeamId, Expr::value(team_id))
            .filter(session::Column::TokenHash.eq(sha256_hex(token)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The teams the caller belongs to, personal first, then by age.
    pub async fn teams_of(&self, caller: &Caller) -> Result<Vec<TeamMembership>, CoreError> {
        let memberships = membership::Entity::find()
            .filter(membership::Column::UserId.eq(&caller.user.id))
            .order_by_asc(membership::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let ids: Vec<String> = memberships.iter().map(|m| m.team_id.clone()).collect();
        let teams = team::Entity::find().filter(team::Column::Id.is_in(ids)).all(&self.db).await?;
        let mut out: Vec<TeamMembership> = memberships
            .iter()
            .filter_map(|m| {
                let t = teams.iter().find(|t| t.id == m.team_id)?;
                Some(TeamMembership {
                    team: TeamView { id: t.id.clone(), name: t.name.clone() },
                    role: Role::parse(&m.role).unwrap_or(Role::Viewer),
                    personal: t.personal,
                })
            })
            .collect();
        out.sort_by_key(|t| !t.personal);
        Ok(out)
    }

    /// The members of the caller's active team, owners first, then by when they joined.
    pub async fn list_members(&self, caller: &Caller) -> Result<Vec<MemberView>, CoreError> {
        caller.require(Action::ViewMembers)?;
        let memberships = membership::Entity::find()
            .filter(membership::Column::TeamId.eq(&caller.team.id))
            .order_by_asc(membership::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let ids: Vec<String> = memberships.iter().map(|m| m.user_id.clone()).collect();
        let users = user::Entity::find().filter(user::Column::Id.is_in(ids)).all(&self.db).await?;
        let mut out: Vec<MemberView> = memberships
            .into_iter()
            .filter_map(|m| {
                let u = users.iter().find(|u| u.id == m.user_id)?;
                Some(MemberView {
                    user_id: u.id.clone(),
                    email: u.email.clone(),
                    role: Role::parse(&m.role).unwrap_or(Role::Viewer),
                    joined_at: m.created_at,
                    last_active_at: m.last_active_at,
                })
            })
            .collect();
        out.sort_by_key(|m| m.role);
        Ok(out)
    }

    /// Everything the portal's frame shows about the signed-in user.
    pub async fn session_info(&self, caller: &Caller) -> Result<SessionInfo, CoreError> {
        let u = crate::entity::user::Entity::find_by_id(caller.user.id.clone()).one(&self.db).await?;
        Ok(SessionInfo {
            user: caller.user.clone(),
            team: caller.team.clone(),
            role: caller.role,
            teams: self.teams_of(caller).await?,
            site_admin: self.is_admin(caller).await?,
            managed: u.as_ref().is_some_and(|u| u.managed),
            has_password: u.as_ref().is_some_and(|u| crate::services::sso::has_password(&u.password_hash)),
            embedded: false,
            unverified: self.verification_pending(&caller.user.id).await?,
            totp_enabled: self.totp_enabled(&caller.user.id).await?,
            second_factor_required: caller.needs_second_factor,
        })
    }
}
