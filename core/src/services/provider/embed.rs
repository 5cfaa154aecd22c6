//! Embed sessions: the provider's backend asks for a one-time link that signs one of its
//! users in to the portal inside an iframe on the provider's site. The account and team are
//! found by the provider's ids (then by email) or created when the link is made; the link
//! (256 bits, stored hashed) works once, within five minutes.

use crate::crypto::{new_id, random_token, sha256_hex};
use crate::entity::{embed_link, membership, session, team, user};
use crate::error::CoreError;
use crate::roles::Role;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::SessionToken;
use crate::services::Services;
use crate::validate::{Email, FieldError, TeamName};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

/// How long an embed link may wait to be opened.
pub const EMBED_LINK_MINUTES: i64 = 5;

/// What the provider's backend sends to `POST /v1/embed/sessions`, unparsed.
#[derive(Clone, Debug, Default)]
pub struct EmbedRequest<'a> {
    /// The developer's email.
    pub email: &'a str,
    /// The provider's id for the developer.
    pub external_id: Option<&'a str>,
    /// The team to open: the provider's id for it and its name.
    pub team: Option<(&'a str, &'a str)>,
    /// The developer's role in that team.
    pub role: Option<&'a str>,
    /// The portal path to land on.
    pub return_to: Option<&'a str>,
}

/// A link made for an embed session.
pub struct EmbedLink {
    /// The URL to put in the iframe's `src`. `Debug` hides it.
    pub url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for EmbedLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmbedLink(<redacted>, {})", self.expires_at)
    }
}

/// A provider's id: 1–200 printable characters.
fn external_id(field: &'static str, v: &str) -> Result<String, CoreError> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
        return Err(FieldError::new(field, "An id is 1 to 200 printable characters.").into());
    }
    Ok(v.to_owned())
}

/// A portal path to land on: `/portal…`, no scheme, host or `//`.
pub fn landing_path(v: Option<&str>) -> Result<String, CoreError> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else { return Ok("/portal".into()) };
    let ok = (v == "/portal" || v.starts_with("/portal/") || v.starts_with("/portal?"))
        && v.len() <= 500
        && !v.contains("//")
        && !v.contains('\\')
        && v.chars().all(|c| c.is_ascii_graphic());
    if ok { Ok(v.to_owned()) } else { Err(FieldError::new("return_to", "return_to is a portal path, like /portal/keys.").into()) }
}

/// The password hash of an account the provider manages: no password matches it.
pub const NO_PASSWORD: &str = "!managed-by-provider";

impl Services {
    /// Makes a one-time link that opens the portal for `req`'s developer, creating their
    /// account (managed by the provider: no password) and team when needed.
    pub async fn create_embed_link(&self, req: EmbedRequest<'_>, meta: &RequestMeta) -> Result<EmbedLink, CoreError> {
        let email = Email::parse(req.email)?;
        let ext = req.external_id.map(|v| external_id("external_id", v)).transpose()?;
        let team_req = match req.team {
            Some((id, name)) => Some((external_id("team.external_id", id)?, TeamName::parse(name).map_err(|e| FieldError::new("team.name", &e.message))?)),
            None => None,
        };
        let role = match req.role.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => Some(Role::parse(r).ok_or_else(|| FieldError::new("role", "role is owner, admin, member or viewer."))?),
            None => None,
        };
        if role.is_some() && team_req.is_none() {
            return Err(FieldError::new("role", "A role needs a team.").into());
        }
        let return_to = landing_path(req.return_to)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        // The account: by the provider's id, then by email, else a new one.
        let by_ext = match &ext {
            Some(e) => user::Entity::find().filter(user::Column::ExternalId.eq(e)).one(&txn).await?,
            None => None,
        };
        let account = match by_ext {
            Some(u) => u,
            None => match user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&txn).await? {
                Some(u) => match (&u.external_id, &ext) {
                    (Some(theirs), Some(ours)) if theirs != ours => {
                        return Err(CoreError::Conflict("This email belongs to an account with another external_id.".into()));
                    }
                    (None, Some(ours)) => {
                        let mut am = u.into_active_model();
                        am.external_id = Set(Some(ours.clone()));
                        am.update(&txn).await?
                    }
                    _ => u,
                },
                None => {
                    let caller = self.create_account(&txn, &email, NO_PASSWORD.to_owned(), None, true).await?;
                    let u = user::Entity::find_by_id(caller.user.id).one(&txn).await?.ok_or(CoreError::NotFound)?;
                    let mut am = u.into_active_model();
                    am.managed = Set(true);
                    am.external_id = Set(ext.clone());
                    am.update(&txn).await?
                }
            },
        };
        if account.suspended_at.is_some() {
            return Err(CoreError::Conflict(self.suspended_message(account.suspended_reason.as_deref())));
        }
        // The team: the provider's, found by its id or made now; else the personal team.
        let team_id = match &team_req {
            Some((tid, name)) => {
                let found = team::Entity::find().filter(team::Column::ExternalId.eq(tid)).one(&txn).await?;
                match found {
                    Some(t) => {
                        let member = membership::Entity::find_by_id((t.id.clone(), account.id.clone())).one(&txn).await?;
                        match (member, role) {
                            (None, r) => {
                                membership::ActiveModel {
                                    team_id: Set(t.id.clone()),
                                    user_id: Set(account.id.clone()),
                                    role: Set(r.unwrap_or(Role::Member).as_str().to_owned()),
                                    created_at: Set(now),
                                    last_active_at: Set(None),
                                }
                                .insert(&txn)
                                .await?;
                            }
                            (Some(m), Some(r)) if m.role != r.as_str() && m.role != Role::Owner.as_str() => {
                                let mut am = m.into_active_model();
                                am.role = Set(r.as_str().to_owned());
                                am.update(&txn).await?;
                            }
                            _ => {}
                        }
                        t.id
                    }
                    None => {
                        let id = new_id("team");
                        crate::services::teams::insert_team_with_owner(&txn, &id, name.as_str(), false, None, &account.id, now).await?;
                        team::Entity::update_many()
                            .col_expr(team::Column::ExternalId, Expr::value(tid.clone()))
                            .filter(team::Column::Id.eq(&id))
                            .exec(&txn)
                            .await?;
                        id
                    }
                }
            }
            None => membership::Entity::find()
                .filter(membership::Column::UserId.eq(&account.id))
                .all(&txn)
                .await?
                .into_iter()
                .min_by_key(|m| m.created_at)
                .map(|m| m.team_id)
                .ok_or(CoreError::NotFound)?,
        };
        let token = random_token(32);
        let expires_at = now + chrono::Duration::minutes(EMBED_LINK_MINUTES);
        embed_link::ActiveModel {
            id: Set(new_id("eml")),
            token_hash: Set(sha256_hex(&token)),
            user_id: Set(account.id.clone()),
            team_id: Set(team_id.clone()),
            return_to: Set(return_to),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let entry = AuditEntry {
            team_id: Some(&team_id),
            actor_user_id: Some(&account.id),
            actor_email: Some(&account.email),
            action: AuditAction::EmbedLinkCreated,
            object: Some(("user", &account.id)),
            detail: Some("a sign-in link for the portal in the provider's site".into()),
            by_provider: true,
        };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok(EmbedLink { url: format!("{}/portal/embed/{token}", self.settings().base_url), expires_at })
    }

    /// Opens an embed link, once: a new session in the link's team (marked as embedded) and
    /// where to land. A used, expired or unknown link is `NotFound`.
    pub async fn open_embed_link(&self, token: &str, meta: &RequestMeta) -> Result<(SessionToken, String), CoreError> {
        if token.is_empty() || token.len() > 128 {
            return Err(CoreError::NotFound);
        }
        let now = self.now();
        let hash = sha256_hex(token);
        let txn = self.begin_write().await?;
        // Used up by the update that claims it: two openings at once cannot both succeed.
        let claimed = embed_link::Entity::update_many()
            .col_expr(embed_link::Column::UsedAt, Expr::value(now))
            .filter(embed_link::Column::TokenHash.eq(&hash))
            .filter(embed_link::Column::UsedAt.is_null())
            .filter(embed_link::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await?
            .rows_affected;
        if claimed != 1 {
            return Err(CoreError::NotFound);
        }
        let link = embed_link::Entity::find().filter(embed_link::Column::TokenHash.eq(&hash)).one(&txn).await?.ok_or(CoreError::NotFound)?;
        let account = user::Entity::find_by_id(link.user_id.clone()).one(&txn).await?.ok_or(CoreError::NotFound)?;
        if account.suspended_at.is_some() {
            return Err(CoreError::NotFound);
        }
        let token = self.insert_session(&txn, &account.id, meta).await?;
        session::Entity::update_many()
            .col_expr(session::Column::ActiveTeamId, Expr::value(link.team_id.clone()))
            .col_expr(session::Column::Embedded, Expr::value(true))
            .filter(session::Column::TokenHash.eq(sha256_hex(&token.0)))
            .exec(&txn)
            .await?;
        let entry = AuditEntry {
            team_id: None,
            actor_user_id: Some(&account.id),
            actor_email: Some(&account.email),
            action: AuditAction::SignIn,
            object: None,
            detail: Some("in the provider's site (embedded)".into()),
            by_provider: false,
        };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok((token, link.return_to))
    }

    /// Deletes embed links a day past their expiry.
    pub async fn prune_embed_links(&self) -> Result<u64, CoreError> {
        let cutoff = self.now() - chrono::Duration::days(1);
        Ok(embed_link::Entity::delete_many().filter(embed_link::Column::ExpiresAt.lt(cutoff)).exec(&self.db).await?.rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::landing_path;

    #[test]
    fn only_portal_paths_are_landing_places() {
        assert_eq!(landing_path(None).unwrap(), "/portal");
        assert_eq!(landing_path(Some("/portal/keys")).unwrap(), "/portal/keys");
        assert_eq!(landing_path(Some("/portal?tab=1")).unwrap(), "/portal?tab=1");
        for bad in ["https://evil.example/portal", "//evil.example", "/portal//evil", "/admin", "/portalx", "/portal/\\evil", "/portal/a b"] {
            assert!(landing_path(Some(bad)).is_err(), "{bad}");
        }
    }
}
