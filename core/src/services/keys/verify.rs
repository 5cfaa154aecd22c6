//! The hot path: is this key valid and within its limits?
//!
//! Order of checks: format (no I/O) → existence (cache, DB on a miss) → team suspended by the
//! provider → state (revoked,
//! rotation grace over or denied; pending approval; disabled; expired) → scopes → rate limit (by cost,
//! capped by the team's plan) → monthly quota (the key's, then its team's plan's on a hard-stop plan).
//! A refused check consumes nothing from the later ones (and a quota refusal gives back the
//! rate-limit units it took).

use crate::services::ratelimit::{FixedWindowLimiter, RateDecision};
use crate::services::Services;
use crate::crypto::constant_time_eq;
use crate::dto::VerifyCode;
use crate::entity::api_key;
use crate::error::CoreError;
use crate::key::{Environment, WellFormedKey};
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the cache knows of a key hash.
#[derive(Clone, Debug)]
pub struct CachedKey {
    /// Key id.
    pub id: Arc<str>,
    /// Owning team.
    pub team_id: Arc<str>,
    /// Name, for the response.
    pub name: String,
    /// Environment.
    pub environment: Environment,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether the key is switched off.
    pub disabled: bool,
    /// Whether the provider suspended the key's team.
    pub team_suspended: bool,
    /// `pending` or `denied` when an approval decides whether the key works.
    pub approval: Option<&'static str>,
    /// After a rotation: when the key stops working.
    pub grace_until: Option<DateTime<Utc>>,
    /// Granted scopes, sorted.
    pub scopes: Vec<String>,
    /// Requests per minute.
    pub ratelimit_per_minute: i64,
    /// Requests per calendar month, if limited.
    pub monthly_quota: Option<i64>,
    /// Whose quota counter this key spends (the first key of its rotation chain).
    pub quota_id: Arc<str>,
    /// The team's plan (`None`: the default plan).
    pub plan_id: Option<Arc<str>>,
    /// The team's plan quota counter (`team:<id>`).
    pub team_quota_id: Arc<str>,
    /// The key's slot in the rate limiter (its rotation chain's), computed once.
    limiter_slot: u64,
    key_hash: String,
}

#[derive(Clone, Debug)]
enum Entry {
    Missing,
    Found(Arc<CachedKey>),
}

/// Negative entries are not added beyond this many cached hashes, so a flood of random
/// well-formed keys cannot exhaust memory.
const MAX_CACHED: usize = 1_000_000;

/// The verification cache and the per-key rate limiter.
#[derive(Default)]
pub struct Verifier {
    /// Keyed by the key's HMAC as raw bytes.
    cache: DashMap<[u8; 32], Entry>,
    limiter: FixedWindowLimiter,
    db_lookups: AtomicU64,
    /// The last `key_changes` row this node has applied.
    synced_to: std::sync::atomic::AtomicI64,
}

/// The raw bytes of a stored (hex) key hash.
fn digest_of(key_hash: &str) -> Option<[u8; 32]> {
    let mut d = [0u8; 32];
    hex::decode_to_slice(key_hash, &mut d).ok()?;
    Some(d)
}

/// The result of a verification.
#[derive(Clone, Debug)]
pub struct Verification {
    /// The outcome.
    pub code: VerifyCode,
    /// The key, when it exists.
    pub key: Option<Arc<CachedKey>>,
    /// The rate-limit state, when the key got as far as the limiter.
    pub ratelimit: Option<RateDecision>,
    /// The quota state, when the key or its team's plan has a quota and the key got as far
    /// as it: the one with less left.
    pub quota: Option<crate::services::quota::QuotaState>,
}

impl Verification {
    /// Whether the key may be used.
    pub fn valid(&self) -> bool {
        self.code == VerifyCode::Valid
    }
}

impl Verifier {
    /// Forgets what is cached for a key hash; the next verify reads the database.
    pub fn invalidate(&self, key_hash: &str) {
        if let Some(d) = digest_of(key_hash) {
            self.cache.remove(&d);
        }
    }

    /// How many times a verify had to read the database (cache misses).
    pub fn db_lookups(&self) -> u64 {
        self.db_lookups.load(Ordering::Relaxed)
    }

    /// The last key change (from any node) this node has applied.
    pub fn synced_to(&self) -> i64 {
        self.synced_to.load(Ordering::Acquire)
    }

    /// Keys and negative entries cached.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// Drops finished rate-limit windows.
    pub fn prune(&self, now: i64) {
        self.limiter.prune(now, 60);
    }
}

/// What the operator asks about a key.
#[derive(Clone, Copy, Debug)]
pub struct VerifyInput<'a> {
    /// The key as presented.
    pub key: &'a str,
    /// Scopes the request needs; all must be granted.
    pub scopes: &'a [String],
    /// Units of rate limit the request uses (default 1; 0 checks without consuming).
    pub cost: u64,
    /// What was called (`GET /payments`), if the operator says.
    pub endpoint: Option<&'a str>,
    /// The client's address, if the operator says (for the key's request log).
    pub ip: Option<&'a str>,
}

impl<'a> VerifyInput<'a> {
    /// A plain check of `key`: no scopes, cost 1.
    pub fn key(key: &'a str) -> Self {
        Self { key, scopes: &[], cost: 1, endpoint: None, ip: None }
    }
}

impl Services {
    /// Every database statement verification has made on this node: key lookups on cache
    /// misses plus quota leases. A warm key without a quota adds nothing.
    pub fn verify_db_queries(&self) -> u64 {
        self.verifier.db_lookups() + self.quota.db_queries()
    }

    /// Verifies a plain key (no scopes, cost 1).
    pub async fn verify_key(&self, raw: &str) -> Result<Verification, CoreError> {
        self.verify(VerifyInput::key(raw)).await
    }

    /// Verifies a key and counts the attempt. Never writes to the database.
    pub async fn verify(&self, input: VerifyInput<'_>) -> Result<Verification, CoreError> {
        let raw = input.key;
        let refused = |code| Verification { code, key: None, ratelimit: None, quota: None };
        let Ok(parsed) = WellFormedKey::parse(raw) else {
            return Ok(refused(VerifyCode::InvalidFormat));
        };
        let digest = self.secret.hash_key_digest(parsed.expose());
        let Some(key) = self.lookup_digest(&digest).await? else {
            return Ok(refused(VerifyCode::NotFound));
        };
        let now = self.now();
        let minute = now.timestamp() - now.timestamp().rem_euclid(60);
        let state_refusal = if key.team_suspended {
            Some(VerifyCode::TeamSuspended)
        } else if key.revoked_at.is_some() || key.grace_until.is_some_and(|g| g <= now) || key.approval == Some("denied") {
            Some(VerifyCode::Revoked)
        } else if key.approval == Some("pending") {
            Some(VerifyCode::PendingApproval)
        } else if key.disabled {
            Some(VerifyCode::Disabled)
        } else if key.expires_at.is_some_and(|e| e <= now) {
            Some(VerifyCode::Expired)
        } else if !input.scopes.iter().all(|s| key.scopes.binary_search(s).is_ok()) {
            Some(VerifyCode::InsufficientScopes)
        } else {
            None
        };
        if let Some(code) = state_refusal {
            self.usage.record(&key, minute, code, input.cost, input.endpoint, now);
            self.request_log.verified(&key.id, &key.team_id, code, input.endpoint, input.ip, now);
            return Ok(Verification { code, key: Some(key), ratelimit: None, quota: None });
        }
        // The plan's terms as they are now: an edited plan or a downgrade applies at once.
        let book = self.plan_book();
        let plan = book.of(key.plan_id.as_deref());
        let cap = plan.and_then(|p| p.ratelimit_cap).unwrap_or(i64::MAX);
        let limit = u64::try_from(Ord::min(key.ratelimit_per_minute, cap)).unwrap_or(0);
        let mut decision = self.verifier.limiter.check_slot_cost(key.limiter_slot, limit, input.cost, 60, now.timestamp());
        if !decision.allowed {
            self.usage.record(&key, minute, VerifyCode::RateLimited, input.cost, input.endpoint, now);
            self.request_log.verified(&key.id, &key.team_id, VerifyCode::RateLimited, input.endpoint, input.ip, now);
            return Ok(Verification { code: VerifyCode::RateLimited, key: Some(key), ratelimit: Some(decision), quota: None });
        }
        let cost = i64::try_from(input.cost).unwrap_or(i64::MAX);
        let mut quota = None;
        let mut refused = None;
        if let Some(q) = key.monthly_quota {
            match self.spend_quota(&key.quota_id, q, cost, now).await? {
                Ok(state) => quota = Some(state),
                Err(state) => refused = Some(state),
            }
        }
        // A hard-stop plan: the team's included requests are a quota of their own, spent
        // after the key's (whose units are given back if the team's refuses).
        if let (None, Some(p)) = (refused, plan.filter(|p| p.overage_per_1000_minor.is_none())) {
            match self.spend_quota(&key.team_quota_id, p.included_requests, cost, now).await? {
                Ok(state) => quota = Some(quota.filter(|k: &crate::services::quota::QuotaState| k.remaining <= state.remaining).unwrap_or(state)),
                Err(state) => {
                    if quota.is_some() {
                        self.refund_quota(&key.quota_id, cost, now).await;
                    }
                    refused = Some(state);
                }
            }
        }
        if let Some(state) = refused {
            self.verifier.limiter.refund_slot(key.limiter_slot, input.cost, 60, now.timestamp());
            decision.remaining = (decision.remaining + input.cost).min(decision.limit);
            self.usage.record(&key, minute, VerifyCode::UsageExceeded, input.cost, input.endpoint, now);
            self.request_log.verified(&key.id, &key.team_id, VerifyCode::UsageExceeded, input.endpoint, input.ip, now);
            return Ok(Verification { code: VerifyCode::UsageExceeded, key: Some(key), ratelimit: Some(decision), quota: Some(state) });
        }
        self.usage.record(&key, minute, VerifyCode::Valid, input.cost, input.endpoint, now);
        self.request_log.verified(&key.id, &key.team_id, VerifyCode::Valid, input.endpoint, input.ip, now);
        Ok(Verification { code: VerifyCode::Valid, key: Some(key), ratelimit: Some(decision), quota })
    }

    pub(crate) async fn lookup(&self, hash: &str) -> Result<Option<Arc<CachedKey>>, CoreError> {
        match digest_of(hash) {
            Some(d) => self.lookup_digest(&d).await,
            None => Ok(None),
        }
    }

    async fn lookup_digest(&self, digest: &[u8; 32]) -> Result<Option<Arc<CachedKey>>, CoreError> {
        if let Some(e) = self.verifier.cache.get(digest) {
            return Ok(match e.value() {
                Entry::Missing => None,
                Entry::Found(k) => Some(k.clone()),
            });
        }
        // Known to be out of reach: say so at once rather than wait for the pool (the caller
        // answers UNAVAILABLE, never NOT_FOUND, for a key it could not read).
        if self.database.is_down() {
            return Err(CoreError::Internal("the database is out of reach: this key could not be read".into()));
        }
        self.verifier.db_lookups.fetch_add(1, Ordering::Relaxed);
        // If another node's change is applied while this read is in flight, the row read may
        // predate it and the sync found nothing to forget yet: then the entry is not kept.
        let synced_before = self.verifier.synced_to.load(Ordering::Acquire);
        let hash = hex::encode(digest);
        let found = api_key::Entity::find().filter(api_key::Column::KeyHash.eq(&hash)).one(&self.db).await?;
        let (team_suspended, plan_id) = match &found {
            Some(m) => (
                crate::entity::team::Entity::find_by_id(m.team_id.clone()).one(&self.db).await?.is_some_and(|t| t.suspended_at.is_some()),
                crate::entity::subscription::Entity::find_by_id(m.team_id.clone()).one(&self.db).await?.map(|s| Arc::<str>::from(s.plan_id)),
            ),
            None => (false, None),
        };
        let entry = match found {
            Some(m) if constant_time_eq(&m.key_hash, &hash) => Entry::Found(Arc::new(CachedKey {
                id: m.id.as_str().into(),
                team_id: m.team_id.as_str().into(),
                name: m.name,
                environment: Environment::parse(&m.environment).unwrap_or(Environment::Test),
                expires_at: m.expires_at,
                revoked_at: m.revoked_at,
                disabled: m.disabled_at.is_some(),
                team_suspended,
                approval: crate::services::keys::approval_state(m.approval.as_deref()),
                grace_until: m.grace_until,
                scopes: {
                    let mut s = crate::services::keys::scope_list(&m.scopes);
                    s.sort();
                    s
                },
                ratelimit_per_minute: m.ratelimit_per_minute,
                monthly_quota: m.monthly_quota,
                quota_id: m.lineage_id.as_deref().unwrap_or(&m.id).into(),
                plan_id,
                team_quota_id: format!("team:{}", m.team_id).into(),
                // One budget per rotation chain: a key and its replacements in grace share it,
                // so rotating never multiplies the rate limit.
                limiter_slot: self.verifier.limiter.slot(m.lineage_id.as_deref().unwrap_or(&m.id)),
                key_hash: m.key_hash,
            })),
            _ => Entry::Missing,
        };
        if matches!(entry, Entry::Found(_)) || self.verifier.cache.len() < MAX_CACHED {
            self.verifier.cache.insert(*digest, entry.clone());
            if self.verifier.synced_to.load(Ordering::Acquire) != synced_before {
                self.verifier.cache.remove(digest);
            }
        }
        Ok(match entry {
            Entry::Found(k) => Some(k),
            Entry::Missing => None,
        })
    }
}

impl CachedKey {
    /// The stored hash (for invalidation).
    pub fn key_hash(&self) -> &str {
        &self.key_hash
    }
}

impl Services {
    /// Forgets cached keys that changed on any node since the last call (polled by a worker,
    /// so a key revoked on another node sharing the database is refused here within the sync
    /// interval).
    pub async fn sync_key_cache(&self) -> Result<usize, CoreError> {
        use crate::entity::key_change;
        use sea_orm::{QueryOrder, QuerySelect};
        let from = self.verifier.synced_to.load(Ordering::Acquire);
        let changes = key_change::Entity::find()
            .filter(key_change::Column::Id.gt(from))
            .order_by_asc(key_change::Column::Id)
            .limit(5000)
            .all(&self.db)
            .await?;
        for c in &changes {
            self.verifier.invalidate(&c.key_hash);
        }
        if let Some(last) = changes.last() {
            self.verifier.synced_to.store(last.id, Ordering::Release);
        }
        Ok(changes.len())
    }

    /// Deletes change records older than a day (every node has long applied them).
    pub async fn prune_key_changes(&self) -> Result<u64, CoreError> {
        use crate::entity::key_change;
        let cutoff = self.now() - chrono::Duration::days(1);
        Ok(key_change::Entity::delete_many().filter(key_change::Column::CreatedAt.lt(cutoff)).exec(&self.db).await?.rows_affected)
    }
}
