//! Operator tokens: what the operator's backend presents to `/v1`, each with the scopes it
//! may use. Every node holds the live tokens (a handful) in memory and reads them again every
//! half second, so a token revoked on one node is refused on every node within a second, and
//! checking a token costs one SHA-256 and a map lookup: an unknown token costs no memory and,
//! at most ten times a second for the whole node, one read of the tokens table.

use crate::crypto::{new_id, random_base62, sha256, sha256_hex};
use crate::entity::operator_token;
use crate::error::CoreError;
use crate::services::Services;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The prefix of operator tokens, distinct from API keys so scanners tell them apart.
pub const TOKEN_PREFIX: &str = "kpr_";

/// Random base62 characters after the prefix.
const TOKEN_RANDOM_LEN: usize = 40;

/// An unknown token makes this node read the tokens table again at most this often (a token
/// created a moment ago works at once; a flood of random ones costs nothing more).
const MISS_RELOAD: Duration = Duration::from_millis(100);

/// What a token may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    /// `POST /v1/keys/verify`.
    Verify,
    /// `POST /v1/usage`.
    Usage,
    /// `POST /v1/keys/leaked`.
    Leaks,
    /// Embedding sessions (the embedding work).
    Embed,
    /// `GET /v1/metrics` and the provider's administration.
    Admin,
}

impl TokenScope {
    /// Every scope, in the order lists show them.
    pub const ALL: [TokenScope; 5] = [TokenScope::Verify, TokenScope::Usage, TokenScope::Leaks, TokenScope::Embed, TokenScope::Admin];

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Verify => "verify",
            TokenScope::Usage => "usage",
            TokenScope::Leaks => "leaks",
            TokenScope::Embed => "embed",
            TokenScope::Admin => "admin",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Parses `verify,usage` (commas or spaces) into a set; an unknown name is refused.
    pub fn parse_list(s: &str) -> Result<u8, String> {
        let mut set = 0u8;
        for name in s.split([',', ' ']).map(str::trim).filter(|n| !n.is_empty()) {
            let scope = Self::ALL.into_iter().find(|x| x.as_str() == name).ok_or_else(|| {
                format!("unknown scope {name:?} (known: {})", Self::ALL.map(|s| s.as_str()).join(", "))
            })?;
            set |= scope.bit();
        }
        if set == 0 {
            return Err("give the token at least one scope".into());
        }
        Ok(set)
    }

    fn names(set: u8) -> String {
        Self::ALL.into_iter().filter(|s| set & s.bit() != 0).map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// The answer for a presented token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenCheck {
    /// No live token (unknown, malformed, revoked or expired).
    Refused,
    /// A live token without the scope asked for.
    MissingScope,
    /// A live token with it.
    Allowed,
}

struct LiveToken {
    id: String,
    scopes: u8,
    expires_at: Option<DateTime<Utc>>,
    /// Unix seconds of the last use seen here, and of the last one written.
    used: AtomicI64,
    written: AtomicI64,
}

/// The live tokens of this node, by the SHA-256 of the token.
pub struct TokenCache {
    live: RwLock<Arc<HashMap<[u8; 32], Arc<LiveToken>>>>,
    /// Held while the tokens are read again, by the worker or for a miss.
    reload: tokio::sync::Mutex<()>,
    /// When an unknown token last made this node read the table (the worker's reads do not
    /// count: a token made just after one must still work at once).
    last_miss_reload: tokio::sync::Mutex<Instant>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self {
            live: RwLock::new(Arc::new(HashMap::new())),
            reload: tokio::sync::Mutex::new(()),
            last_miss_reload: tokio::sync::Mutex::new(Instant::now() - MISS_RELOAD * 2),
        }
    }
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

/// A token as `keyport tokens list` shows it (never the token).
#[derive(Clone, Debug)]
pub struct TokenView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its scopes, comma-separated.
    pub scopes: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Services {
    /// Creates an operator token named `name` with `scopes` (e.g. `verify,usage`), working
    /// for `lifetime` if given.
    pub async fn create_operator_token_with(&self, name: &str, scopes: &str, lifetime: Option<chrono::Duration>) -> Result<NewToken, CoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(crate::validate::FieldError::new("name", "Name the token (1–64 characters, one line).").into());
        }
        let set = TokenScope::parse_list(scopes).map_err(|m| crate::validate::FieldError::new("scopes", m))?;
        if lifetime.is_some_and(|l| l <= chrono::Duration::zero() || l > chrono::Duration::days(3650)) {
            return Err(crate::validate::FieldError::new("expires", "A token lives from 1 day to 10 years.").into());
        }
        let token = format!("{TOKEN_PREFIX}{}", random_base62(TOKEN_RANDOM_LEN));
        let id = new_id("tok");
        let now = self.now();
        operator_token::ActiveModel {
            id: Set(id.clone()),
            name: Set(name.to_owned()),
            token_hash: Set(sha256_hex(&token)),
            created_at: Set(now),
            revoked_at: Set(None),
            scopes: Set(TokenScope::names(set)),
            expires_at: Set(lifetime.map(|l| now + l)),
            last_used_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        self.reload_operator_tokens().await?;
        Ok(NewToken { id, token })
    }

    /// Creates a token with the scopes a backend needs for keys (`verify,usage,leaks,admin`).
    pub async fn create_operator_token(&self, name: &str) -> Result<NewToken, CoreError> {
        self.create_operator_token_with(name, "verify,usage,leaks,admin", None).await
    }

    /// Every token, newest first, without the tokens themselves.
    pub async fn list_operator_tokens(&self) -> Result<Vec<TokenView>, CoreError> {
        self.write_token_use().await?;
        Ok(operator_token::Entity::find()
            .order_by_desc(operator_token::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                scopes: t.scopes,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
            })
            .collect())
    }

    /// Revokes a token: refused here at once, on every other node within a second.
    pub async fn revoke_operator_token(&self, id: &str) -> Result<(), CoreError> {
        let Some(t) = operator_token::Entity::find_by_id(id).one(&self.db).await? else { return Err(CoreError::NotFound) };
        if t.revoked_at.is_none() {
            let mut am: operator_token::ActiveModel = t.into();
            am.revoked_at = Set(Some(self.now()));
            am.update(&self.db).await?;
        }
        self.reload_operator_tokens().await
    }

    /// Whether a bearer token is live and holds `scope`. No database work per call.
    pub async fn check_operator_token(&self, token: &str, scope: TokenScope) -> Result<TokenCheck, CoreError> {
        // Only the exact shape tokens are made in is looked up at all.
        let well_formed = token.strip_prefix(TOKEN_PREFIX).is_some_and(|r| r.len() == TOKEN_RANDOM_LEN && r.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !well_formed {
            return Ok(TokenCheck::Refused);
        }
        let digest = sha256(token);
        let mut found = self.live_token(&digest);
        if found.is_none() {
            // Perhaps made a moment ago on another node: look again, at most every 100 ms.
            let mut last = self.tokens.last_miss_reload.lock().await;
            if last.elapsed() >= MISS_RELOAD {
                *last = Instant::now();
                let _one_at_a_time = self.tokens.reload.lock().await;
                self.load_operator_tokens().await?;
            }
            drop(last);
            found = self.live_token(&digest);
        }
        let Some(t) = found else { return Ok(TokenCheck::Refused) };
        let now = self.now();
        if t.expires_at.is_some_and(|e| e <= now) {
            return Ok(TokenCheck::Refused);
        }
        t.used.store(now.timestamp(), Ordering::Relaxed);
        Ok(if t.scopes & scope.bit() != 0 { TokenCheck::Allowed } else { TokenCheck::MissingScope })
    }

    fn live_token(&self, digest: &[u8; 32]) -> Option<Arc<LiveToken>> {
        self.tokens.live.read().ok()?.get(digest).cloned()
    }

    /// Reads the live tokens again (and writes when they were last used). Run by a worker
    /// every half second.
    pub async fn reload_operator_tokens(&self) -> Result<(), CoreError> {
        self.write_token_use().await?;
        let _one_at_a_time = self.tokens.reload.lock().await;
        self.load_operator_tokens().await
    }

    async fn load_operator_tokens(&self) -> Result<(), CoreError> {
        let rows = operator_token::Entity::find().filter(operator_token::Column::RevokedAt.is_null()).all(&self.db).await?;
        let old = self.tokens.live.read().map(|m| m.clone()).unwrap_or_default();
        let mut map = HashMap::with_capacity(rows.len());
        for r in rows {
            let Ok(bytes) = hex::decode(&r.token_hash) else { continue };
            let Ok(digest) = <[u8; 32]>::try_from(bytes.as_slice()) else { continue };
            let used = r.last_used_at.map(|t| t.timestamp()).unwrap_or(0);
            // Keep the uses seen since the last write.
            let seen = old.get(&digest).map(|t| t.used.load(Ordering::Relaxed)).unwrap_or(0).max(used);
            let written = old.get(&digest).map(|t| t.written.load(Ordering::Relaxed)).unwrap_or(0).max(used);
            let scopes = TokenScope::parse_list(&r.scopes).unwrap_or(0);
            map.insert(digest, Arc::new(LiveToken { id: r.id, scopes, expires_at: r.expires_at, used: AtomicI64::new(seen), written: AtomicI64::new(written) }));
        }
        if let Ok(mut live) = self.tokens.live.write() {
            *live = Arc::new(map);
        }
        Ok(())
    }

    /// Writes each token's last use, at most once a minute per token.
    async fn write_token_use(&self) -> Result<(), CoreError> {
        let live = self.tokens.live.read().map(|m| m.clone()).unwrap_or_default();
        for t in live.values() {
            let (used, written) = (t.used.load(Ordering::Relaxed), t.written.load(Ordering::Relaxed));
            if used > written && (used - written >= 60 || written == 0) {
                let Some(at) = DateTime::<Utc>::from_timestamp(used, 0) else { continue };
                operator_token::Entity::update_many()
                    .col_expr(operator_token::Column::LastUsedAt, sea_orm::sea_query::Expr::value(at))
                    .filter(operator_token::Column::Id.eq(t.id.as_str()))
                    .exec(&self.db)
                    .await?;
                t.written.store(used, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Live tokens this node holds (for the metrics and the memory test).
    pub fn live_operator_tokens(&self) -> usize {
        self.tokens.live.read().map(|m| m.len()).unwrap_or(0)
    }
}
