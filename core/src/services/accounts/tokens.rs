//! Operator (root) tokens: what the operator's backend presents to `/v1`.

use crate::services::Services;
use crate::crypto::{new_id, random_base62, sha256_hex};
use crate::entity::operator_token;
use crate::error::CoreError;
use dashmap::DashMap;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::time::{Duration, Instant};

/// The prefix of operator tokens, distinct from API keys so scanners tell them apart.
pub const TOKEN_PREFIX: &str = "kpr_";

/// Random base62 characters after the prefix.
const TOKEN_RANDOM_LEN: usize = 40;

/// How long a looked-up token answer is trusted without asking the database again.
const POSITIVE_TTL: Duration = Duration::from_secs(30);
const NEGATIVE_TTL: Duration = Duration::from_secs(1);

/// Unknown tokens remembered at most: the cache is keyed by what callers send, so it is
/// bounded; past this, unknown tokens are simply looked up again.
const MAX_NEGATIVE: usize = 10_000;

/// Recently checked token hashes (SHA-256 digests, so the hot path formats no hex).
#[derive(Default)]
pub struct TokenCache {
    seen: DashMap<[u8; 32], (bool, Instant)>,
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
        let token = format!("{TOKEN_PREFIX}{}", random_base62(TOKEN_RANDOM_LEN));
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
        // Only the exact shape tokens are made in reaches the cache or the database.
        let well_formed = token.strip_prefix(TOKEN_PREFIX).is_some_and(|r| r.len() == TOKEN_RANDOM_LEN && r.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !well_formed {
            return Ok(false);
        }
        let digest = crate::crypto::sha256(token);
        if let Some(e) = self.tokens.seen.get(&digest) {
            let (ok, at) = *e;
            if at.elapsed() < if ok { POSITIVE_TTL } else { NEGATIVE_TTL } {
                return Ok(ok);
            }
        }
        let ok = operator_token::Entity::find()
            .filter(operator_token::Column::TokenHash.eq(hex::encode(digest)))
            .filter(operator_token::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
            .is_some();
        if ok || self.tokens.seen.len() < MAX_NEGATIVE {
            self.tokens.seen.insert(digest, (ok, Instant::now()));
        }
        Ok(ok)
    }
}
