//! The operator's OpenAPI document: imported (checked first: a refused document changes
//! nothing), kept in the database with every earlier version, one version in effect on every
//! node, and rolled back along the history.

use crate::crypto::new_id;
use crate::entity::{api_document, doc_page};
use crate::error::CoreError;
use crate::openapi::check_document;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::Services;
use crate::validate::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

/// One version of the document, as `keyport docs list` and the console show it (never its
/// body).
pub use crate::dto::admin::DocVersionRow as DocumentVersion;

impl From<api_document::Model> for DocumentVersion {
    fn from(m: api_document::Model) -> Self {
        Self {
            version: m.version,
            title: m.title,
            api_version: m.api_version,
            openapi: m.openapi,
            operations: m.operations,
            format: m.format,
            bytes: m.source_bytes,
            created_at: m.created_at,
            created_by: m.created_by,
            active: m.active,
        }
    }
}

fn site_entry<'a>(actor: &'a str, action: AuditAction, id: &'a str, detail: String) -> AuditEntry<'a> {
    AuditEntry { team_id: None, actor_user_id: None, actor_email: Some(actor), action, object: Some(("api_document", id)), detail: Some(detail), by_provider: true }
}

impl Services {
    /// Checks `bytes` as an OpenAPI 3.0/3.1 document and stores it as the next version, in
    /// effect at once. A refusal is a field error on `document` naming the location and the
    /// reason of the first problem, and nothing changes; a document identical to the one in
    /// effect is a `Conflict` (nothing to do).
    pub async fn import_document(&self, bytes: &[u8], actor: &str, meta: &RequestMeta) -> Result<DocumentVersion, CoreError> {
        let checked = check_document(bytes).map_err(|e| CoreError::Invalid(FieldError::new("document", e.to_string())))?;
        let body = serde_json::to_string(&checked.json).map_err(|e| CoreError::Internal(e.to_string()))?;
        let digest = sha256_hex_bytes(bytes);
        let txn = self.begin_write().await?;
        let latest = api_document::Entity::find().order_by_desc(api_document::Column::Version).one(&txn).await?;
        let active = api_document::Entity::find().filter(api_document::Column::Active.eq(true)).one(&txn).await?;
        if let Some(a) = &active {
            if a.sha256 == digest {
                return Err(CoreError::Conflict(format!("This document is version {}, already in effect: nothing changed.", a.version)));
            }
        }
        let version = latest.map_or(1, |l| l.version + 1);
        api_document::Entity::update_many().col_expr(api_document::Column::Active, Expr::value(false)).exec(&txn).await?;
        let id = new_id("doc");
        let model = api_document::ActiveModel {
            id: Set(id.clone()),
            version: Set(version),
            title: Set(checked.title.chars().take(500).collect()),
            api_version: Set(checked.version.chars().take(200).collect()),
            openapi: Set(checked.openapi.clone()),
            format: Set(checked.format.to_owned()),
            operations: Set(checked.operations as i64),
            sha256: Set(digest),
            source_bytes: Set(bytes.len() as i64),
            body: Set(body),
            created_at: Set(self.now()),
            created_by: Set(actor.chars().take(320).collect()),
            active: Set(true),
        }
        // Two imports at once: the second finds the version taken and is told to retry.
        .insert(&txn)
        .await
        .map_err(|e| crate::error::unique_violation_as(e, "document", "Another import finished at the same moment; run it again."))?;
        let detail = format!("version {version}: {} {} ({} operations)", checked.title, checked.version, checked.operations);
        self.audit(&txn, meta, site_entry(actor, AuditAction::DocsImported, &id, detail)).await?;
        txn.commit().await?;
        tracing::info!(version, operations = checked.operations, "API document imported");
        Ok(model.into())
    }

    /// Every version, newest first.
    pub async fn document_versions(&self) -> Result<Vec<DocumentVersion>, CoreError> {
        let rows = api_document::Entity::find().order_by_desc(api_document::Column::Version).all(&self.db).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The version in effect and its document, if one was imported.
    pub async fn active_document(&self) -> Result<Option<(DocumentVersion, serde_json::Value)>, CoreError> {
        let Some(row) = api_document::Entity::find().filter(api_document::Column::Active.eq(true)).one(&self.db).await? else {
            return Ok(None);
        };
        let json = serde_json::from_str(&row.body).map_err(|e| CoreError::Internal(format!("stored API document: {e}")))?;
        Ok(Some((row.into(), json)))
    }

    /// Puts `to` (or, without it, the version before the one in effect) back in effect. The
    /// history stays as it is; importing again makes a new version.
    pub async fn rollback_document(&self, to: Option<i64>, actor: &str, meta: &RequestMeta) -> Result<DocumentVersion, CoreError> {
        let txn = self.begin_write().await?;
        let active = api_document::Entity::find().filter(api_document::Column::Active.eq(true)).one(&txn).await?;
        let target = match to {
            Some(v) => api_document::Entity::find()
                .filter(api_document::Column::Version.eq(v))
                .one(&txn)
                .await?
                .ok_or_else(|| CoreError::Invalid(FieldError::new("to", format!("there is no version {v} (see keyport docs list)"))))?,
            None => {
                let Some(a) = &active else { return Err(CoreError::Conflict("No document was imported yet: there is nothing to roll back.".into())) };
                api_document::Entity::find()
                    .filter(api_document::Column::Version.lt(a.version))
                    .order_by_desc(api_document::Column::Version)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| CoreError::Conflict(format!("Version {} is the first: there is no earlier one to roll back to.", a.version)))?
            }
        };
        if active.as_ref().is_some_and(|a| a.id == target.id) {
            return Err(CoreError::Conflict(format!("Version {} is already in effect: nothing changed.", target.version)));
        }
        api_document::Entity::update_many().col_expr(api_document::Column::Active, Expr::value(false)).exec(&txn).await?;
        let mut am: api_document::ActiveModel = target.into();
        am.active = Set(true);
        let target = am.update(&txn).await?;
        let from = active.map_or_else(|| "none".to_owned(), |a| a.version.to_string());
        let detail = format!("version {} in effect again (was {from})", target.version);
        self.audit(&txn, meta, site_entry(actor, AuditAction::DocsRolledBack, &target.id, detail)).await?;
        txn.commit().await?;
        tracing::info!(version = target.version, "API document rolled back");
        Ok(target.into())
    }
}

fn sha256_hex_bytes(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// The most guides an installation keeps.
pub const MAX_GUIDES: u64 = 100;
/// The largest guide accepted, in bytes of Markdown.
pub const MAX_GUIDE_BYTES: usize = 256 * 1024;
/// The longest guide title, in characters.
pub const MAX_GUIDE_TITLE: usize = 120;

/// One of the operator's docs guides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocPage {
    /// Its anchor on the docs page (`#guide-<slug>`), made from the title.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Its Markdown source.
    pub body: String,
    /// Guides are shown by position, lowest first.
    pub position: i64,
    /// When it was last saved.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Who last saved it.
    pub updated_by: String,
}

impl From<DocPage> for crate::dto::admin::GuideRow {
    fn from(p: DocPage) -> Self {
        Self { slug: p.slug, title: p.title, position: p.position, bytes: p.body.len() as i64, updated_at: p.updated_at }
    }
}

impl From<doc_page::Model> for DocPage {
    fn from(m: doc_page::Model) -> Self {
        Self { slug: m.slug, title: m.title, body: m.body, position: m.position, updated_at: m.updated_at, updated_by: m.updated_by }
    }
}

/// `Getting started, quickly!` → `getting-started-quickly`; `guide` when nothing is left.
pub fn guide_slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() { "guide".into() } else { slug.to_owned() }
}

fn check_guide(title: &str, body: &str) -> Result<String, CoreError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(CoreError::Invalid(FieldError::new("title", "a guide needs a title")));
    }
    if title.chars().count() > MAX_GUIDE_TITLE {
        return Err(CoreError::Invalid(FieldError::new("title", format!("a title has at most {MAX_GUIDE_TITLE} characters"))));
    }
    if title.chars().any(char::is_control) {
        return Err(CoreError::Invalid(FieldError::new("title", "a title is one line of text")));
    }
    if body.trim().is_empty() {
        return Err(CoreError::Invalid(FieldError::new("file", "the guide is empty")));
    }
    if body.len() > MAX_GUIDE_BYTES {
        return Err(CoreError::Invalid(FieldError::new("file", format!("{} bytes; a guide has at most {} KB of Markdown", body.len(), MAX_GUIDE_BYTES / 1024))));
    }
    if body.contains('\0') {
        return Err(CoreError::Invalid(FieldError::new("file", "the guide is not text (it holds NUL bytes)")));
    }
    Ok(title.to_owned())
}

impl Services {
    /// The operator's guides, by position then title.
    pub async fn doc_pages(&self) -> Result<Vec<DocPage>, CoreError> {
        let rows = doc_page::Entity::find().order_by_asc(doc_page::Column::Position).order_by_asc(doc_page::Column::Title).all(&self.db).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Adds a guide, or replaces the one whose title makes the same slug (its position kept
    /// unless `position` is given). A new guide goes last unless `position` says otherwise.
    /// Returns the guide and whether it is new. Bad input is a field error and changes nothing.
    pub async fn save_doc_page(&self, title: &str, body: &str, position: Option<i64>, actor: &str, meta: &RequestMeta) -> Result<(DocPage, bool), CoreError> {
        let title = check_guide(title, body)?;
        if position.is_some_and(|p| !(0..=1_000_000).contains(&p)) {
            return Err(CoreError::Invalid(FieldError::new("position", "a position is a whole number from 0 to 1000000")));
        }
        let slug = guide_slug(&title);
        let now = self.now();
        let txn = self.begin_write().await?;
        let existing = doc_page::Entity::find().filter(doc_page::Column::Slug.eq(slug.as_str())).one(&txn).await?;
        let created = existing.is_none();
        let saved = match existing {
            Some(row) => {
                let mut am: doc_page::ActiveModel = row.into();
                am.title = Set(title.clone());
                am.body = Set(body.to_owned());
                if let Some(p) = position {
                    am.position = Set(p);
                }
                am.updated_at = Set(now);
                am.updated_by = Set(actor.chars().take(320).collect());
                am.update(&txn).await?
            }
            None => {
                if doc_page::Entity::find().count(&txn).await? >= MAX_GUIDES {
                    return Err(CoreError::Conflict(format!("There are {MAX_GUIDES} guides already, the most kept: remove one first.")));
                }
                let last = doc_page::Entity::find().order_by_desc(doc_page::Column::Position).one(&txn).await?;
                doc_page::ActiveModel {
                    id: Set(new_id("gde")),
                    slug: Set(slug.clone()),
                    title: Set(title.clone()),
                    body: Set(body.to_owned()),
                    position: Set(position.unwrap_or_else(|| last.map_or(0, |l| l.position + 1))),
                    created_at: Set(now),
                    updated_at: Set(now),
                    updated_by: Set(actor.chars().take(320).collect()),
                }
                .insert(&txn)
                .await
                .map_err(|e| crate::error::unique_violation_as(e, "title", "Another save of this guide finished at the same moment; run it again."))?
            }
        };
        let detail = format!("{} “{title}” ({} bytes, position {})", if created { "added" } else { "changed" }, body.len(), saved.position);
        let entry = AuditEntry { object: Some(("doc_page", &saved.slug)), ..site_entry(actor, AuditAction::DocsPageSaved, "", detail) };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok((saved.into(), created))
    }

    /// Removes the guide with this slug; `NotFound` when there is none.
    pub async fn remove_doc_page(&self, slug: &str, actor: &str, meta: &RequestMeta) -> Result<DocPage, CoreError> {
        let txn = self.begin_write().await?;
        let row = doc_page::Entity::find().filter(doc_page::Column::Slug.eq(slug)).one(&txn).await?.ok_or(CoreError::NotFound)?;
        doc_page::Entity::delete_by_id(row.id.clone()).exec(&txn).await?;
        let detail = format!("removed “{}”", row.title);
        let entry = AuditEntry { object: Some(("doc_page", &row.slug)), ..site_entry(actor, AuditAction::DocsPageRemoved, "", detail) };
        self.audit(&txn, meta, entry).await?;
        txn.commit().await?;
        Ok(row.into())
    }
}

#[cfg(test)]
mod tests {
    use super::guide_slug;

    #[test]
    fn slugs_are_short_readable_anchors() {
        assert_eq!(guide_slug("Getting started, quickly!"), "getting-started-quickly");
        assert_eq!(guide_slug("  Ünïcode & Webhooks  "), "n-code-webhooks");
        assert_eq!(guide_slug("!!!"), "guide");
        assert!(guide_slug(&"long title ".repeat(20)).len() <= 60);
        assert!(!guide_slug(&"ab ".repeat(40)).ends_with('-'));
    }
}
