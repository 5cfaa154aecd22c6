//! Operator (root) tokens: what the operator's backend presents to `/v1`.

use super::Services;
use crate::crypto::{new_id, random_base62, sha256_hex};
use crate::entity::operator_token;
use crate::error::CoreError;
use dashmap::DashMap;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::time::{Duration, Instant};

/// The prefix of operator tokens, distinct from API keys so scanners tell them apart.
pub const TOKEN_PREFIX: &str = "kpr_";

/// How long a looked-up token answer is trusted without asking the database again.
const POSITIVE_TTL: Duration = Duration::from_secs(30);
const NEGATIVE_TTL: Duration = Duration::from_secs(1);

/// Recently checked token hashes.
#[derive(Default)]
pub struct TokenCache {
    seen: DashMap<String, (bool, Instant)>,
}

/// A freshly created token: shown once by the CLI.
pub struct NewToken {
    /// Token id.
    pub id: String,
    /// The token itself.
    pub token: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewToken({}, <redacted>)", self.id)
    }
}

impl Services {
    /// Creates an operator token named `name`.
    pub async fn create_operator_token(&self, name: &str) -> Result<NewToken, CoreError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(crate::validate::FieldError::new("name", "Name the token (1–64 characters).").into());
        }
        let token = format!("{TOKEN_PREFIX}{}", random_base62(40));
        let id = new_id("tok");
        operator_token::ActiveModel {
            id: Set(id.clone()),
            name: Set(name.to_owned()),
            token_hash: Set(sha256_hex(&token)),
            created_at: Set(self.now()),
            revoked_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(NewToken { id, token })
    }

    /// Whether a bearer token is a live operator token.
    pub async fn check_operator_token(&self, token: &str) -> Result<bool, CoreError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Ok(false);
        }
        let hash = sha256_hex(token);
        if let Some(e) = self.tokens.seen.get(&hash) {
            let (ok, at) = *e;
            if at.elapsed() < if ok { POSITIVE_TTL } else { NEGATIVE_TTL } {
                return Ok(ok);
            }
        }
        let ok = operator_token::Entity::find()
            .filter(operator_token::Column::TokenHash.eq(&hash))
            .filter(operator_token::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
            .is_some();
        self.tokens.seen.insert(hash, (ok, Instant::now()));
        Ok(ok)
    }
}
