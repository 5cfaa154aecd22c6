//! The operator's OpenAPI document: imported (checked first: a refused document changes
//! nothing), kept in the database with every earlier version, one version in effect on every
//! node, and rolled back along the history.

use crate::crypto::new_id;
use crate::entity::api_document;
use crate::error::CoreError;
use crate::openapi::check_document;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::Services;
use crate::validate::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// One version of the document, as `keyport docs list` shows it (never its body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentVersion {
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
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Who imported it.
    pub created_by: String,
    /// The one the docs pages show.
    pub active: bool,
}

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
