//! The per-key request log: the latest requests reported for a key, through verify (its
//! answer) and `POST /v1/usage` (the status the backend served), with the endpoint, latency
//! and the client address when the operator sends one. Kept in memory on the request path
//! (bounded), flushed with the usage counts to `key_requests`, so every node shows the same
//! log; at most [`PER_KEY`] rows per key and [`KEEP_DAYS`] days are kept.

use crate::entity::key_request;
use crate::error::CoreError;
use crate::dto::LogFilter;
use crate::services::auth::Caller;
use crate::services::usage::ROWS_PER_STATEMENT;
use crate::services::Services;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement};
use dashmap::DashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Rows kept per key (the newest).
pub const PER_KEY: usize = crate::dto::REQUEST_LOG_PER_KEY;
/// Days a row is kept at most.
pub const KEEP_DAYS: i64 = crate::dto::REQUEST_LOG_DAYS;
/// Requests held in memory between flushes, for all keys together; past it the oldest are
/// dropped (and counted), so a database outage cannot grow memory without end.
pub const MAX_PENDING: usize = 50_000;
/// Rows the key's page shows at once.
pub const SHOWN: u64 = 100;

/// One request, as held until the flush.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    team_id: Arc<str>,
    at: DateTime<Utc>,
    /// The verify answer, or the HTTP status served (no allocation on the verify path).
    outcome: Outcome,
    endpoint: Option<Box<str>>,
    latency_ms: Option<f64>,
    ip: Option<Box<str>>,
}

#[derive(Clone, Copy, Debug)]
enum Outcome {
    Verified(crate::dto::VerifyCode),
    Served(u16),
}

impl Outcome {
    fn word(self) -> String {
        match self {
            Outcome::Verified(c) => c.as_str().to_owned(),
            Outcome::Served(s) => s.to_string(),
        }
    }

    fn ok(self) -> bool {
        match self {
            Outcome::Verified(c) => c == crate::dto::VerifyCode::Valid,
            Outcome::Served(s) => s < 400,
        }
    }

    fn status(self) -> Option<i32> {
        match self {
            Outcome::Verified(_) => None,
            Outcome::Served(s) => Some(i32::from(s)),
        }
    }
}

/// The log's requests not yet written: per key, the newest [`PER_KEY`] (older ones could
/// never be shown), so the verify path touches one key's ring (a sharded map and a small
/// lock, as the usage counts do) and a flush never writes more than the log keeps.
#[derive(Default)]
pub struct RequestLog {
    keys: DashMap<Arc<str>, Mutex<VecDeque<LoggedRequest>>>,
    /// Requests held over all keys (bounded by [`MAX_PENDING`]).
    held: AtomicUsize,
    dropped: AtomicU64,
}

impl RequestLog {
    fn push(&self, key_id: &Arc<str>, r: LoggedRequest) {
        let add = |q: &Mutex<VecDeque<LoggedRequest>>| {
            let mut q = q.lock().expect("request log lock");
            if q.len() >= PER_KEY {
                // The oldest of this key could never be shown: the newest replaces it.
                q.pop_front();
            } else if self.held.fetch_add(1, Ordering::Relaxed) >= MAX_PENDING {
                self.held.fetch_sub(1, Ordering::Relaxed);
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            q.push_back(r);
        };
        // A read lock on the map for a key seen since the last flush (the common case).
        if let Some(q) = self.keys.get(key_id) {
            return add(&q);
        }
        add(&self.keys.entry(key_id.clone()).or_default());
    }

    /// A verification's answer.
    pub(crate) fn verified(&self, key_id: &Arc<str>, team_id: &Arc<str>, code: crate::dto::VerifyCode, endpoint: Option<&str>, ip: Option<&str>, at: DateTime<Utc>) {
        let r = LoggedRequest { team_id: team_id.clone(), at, outcome: Outcome::Verified(code), endpoint: endpoint.map(Into::into), latency_ms: None, ip: ip.map(Into::into) };
        self.push(key_id, r);
    }

    /// A request the backend served and reported.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn served(&self, key_id: &Arc<str>, team_id: &Arc<str>, status: u16, endpoint: Option<&str>, latency_ms: f64, ip: Option<&str>, at: DateTime<Utc>) {
        let r = LoggedRequest {
            team_id: team_id.clone(),
            at,
            outcome: Outcome::Served(status),
            endpoint: endpoint.map(Into::into),
            latency_ms: Some(latency_ms),
            ip: ip.map(Into::into),
        };
        self.push(key_id, r);
    }

    /// Requests waiting for the flush.
    pub fn pending(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Requests dropped because the buffer was full (the database was unreachable long).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn take(&self) -> Vec<(Arc<str>, VecDeque<LoggedRequest>)> {
        let mut out = Vec::new();
        // Every ring leaves the map; a key's next request starts a new one.
        self.keys.retain(|k, q| {
            let q = std::mem::take(q.get_mut().expect("request log lock"));
            if !q.is_empty() {
                self.held.fetch_sub(q.len(), Ordering::Relaxed);
                out.push((k.clone(), q));
            }
            false
        });
        out
    }

    fn put_back(&self, batch: Vec<(Arc<str>, VecDeque<LoggedRequest>)>) {
        for (key_id, older) in batch {
            let entry = self.keys.entry(key_id).or_default();
            let mut q = entry.lock().expect("request log lock");
            // The older ones go in front of what arrived meanwhile, within the bounds.
            let newer = std::mem::take(&mut *q);
            let before = newer.len();
            let mut merged = older;
            merged.extend(newer);
            while merged.len() > PER_KEY {
                merged.pop_front();
            }
            let mut added = merged.len() - before;
            while added > 0 && self.held.load(Ordering::Relaxed) + added > MAX_PENDING {
                merged.pop_front();
                added -= 1;
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            self.held.fetch_add(added, Ordering::Relaxed);
            *q = merged;
        }
    }
}

/// The rows `filter` keeps.
fn condition(filter: LogFilter) -> Condition {
    use key_request::Column as C;
    match filter {
        LogFilter::All => Condition::all(),
        LogFilter::Ok => Condition::all().add(C::Ok.eq(true)),
        LogFilter::Refused => Condition::all().add(C::Status.is_null()).add(C::Ok.eq(false)),
        LogFilter::ClientErrors => Condition::all().add(C::Status.gte(400)).add(C::Status.lt(500)),
        LogFilter::ServerErrors => Condition::all().add(C::Status.gte(500)),
    }
}

impl Services {
    /// Writes the requests waiting in memory (at most [`PER_KEY`] per key) and trims each key
    /// written to its newest [`PER_KEY`] rows. On failure they go back for the next try.
    pub async fn flush_request_log(&self) -> Result<usize, CoreError> {
        let _writing = self.flush_lock.lock().await;
        let batch = self.request_log.take();
        if batch.is_empty() {
            return Ok(0);
        }
        match self.write_request_log(&batch).await {
            Ok(n) => Ok(n),
            Err(e) => {
                self.request_log.put_back(batch);
                Err(e)
            }
        }
    }

    async fn write_request_log(&self, batch: &[(Arc<str>, VecDeque<LoggedRequest>)]) -> Result<usize, CoreError> {
        let mut rows = Vec::new();
        for (key_id, requests) in batch {
            for r in requests {
                rows.push(key_request::ActiveModel {
                    id: sea_orm::NotSet,
                    key_id: Set(key_id.to_string()),
                    team_id: Set(r.team_id.to_string()),
                    at: Set(r.at),
                    outcome: Set(r.outcome.word()),
                    ok: Set(r.outcome.ok()),
                    status: Set(r.outcome.status()),
                    endpoint: Set(r.endpoint.as_deref().map(str::to_owned)),
                    latency_ms: Set(r.latency_ms),
                    ip: Set(r.ip.as_deref().map(str::to_owned)),
                });
            }
        }
        // Each key's ring is oldest first, so ids follow time per key.
        let written = rows.len();
        let txn = self.begin_write().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            key_request::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        let keys: Vec<&str> = batch.iter().map(|(k, _)| &**k).collect();
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let list = chunk.iter().map(|k| format!("'{}'", k.replace('\'', "''"))).collect::<Vec<_>>().join(", ");
            // Each key keeps its newest rows; one statement for all the keys of the batch.
            let sql = format!(
                "DELETE FROM key_requests WHERE key_id IN ({list}) AND id NOT IN (\
                 SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY key_id ORDER BY id DESC) AS n \
                 FROM key_requests WHERE key_id IN ({list})) AS ranked WHERE n <= {PER_KEY})"
            );
            txn.execute_raw(Statement::from_string(txn.get_database_backend(), sql)).await?;
        }
        txn.commit().await?;
        Ok(written)
    }

    /// Deletes rows older than [`KEEP_DAYS`]. Returns how many.
    pub async fn prune_request_log(&self) -> Result<u64, CoreError> {
        let cutoff = self.now() - chrono::Duration::days(KEEP_DAYS);
        Ok(key_request::Entity::delete_many().filter(key_request::Column::At.lt(cutoff)).exec(&self.db).await?.rows_affected)
    }

    /// The newest requests of a key of the caller's team that pass `filter` (at most
    /// [`SHOWN`]), and how many the log holds for it in all.
    pub async fn request_log(&self, caller: &Caller, key_id: &str, filter: LogFilter) -> Result<crate::dto::RequestLogView, CoreError> {
        use sea_orm::PaginatorTrait;
        caller.require(crate::roles::Action::ViewUsage)?;
        let m = self.team_key(caller, key_id).await?;
        if let Err(plan) = self.plan_allows(&caller.team.id, crate::dto::billing::Feature::RequestLog).await? {
            return Ok(crate::dto::RequestLogView { filter: filter.as_str().to_owned(), entries: Vec::new(), kept: 0, locked: Some(plan) });
        }
        let since = self.now() - chrono::Duration::days(KEEP_DAYS);
        let kept = key_request::Entity::find()
            .filter(key_request::Column::KeyId.eq(&m.id))
            .filter(key_request::Column::At.gte(since))
            .count(&self.db)
            .await?;
        let rows = key_request::Entity::find()
            .filter(key_request::Column::KeyId.eq(&m.id))
            .filter(key_request::Column::At.gte(since))
            .filter(condition(filter))
            .order_by_desc(key_request::Column::Id)
            .limit(SHOWN)
            .all(&self.db)
            .await?;
        let entries = rows
            .into_iter()
            .map(|r| crate::dto::RequestLogEntry {
                at: r.at,
                outcome: r.outcome,
                ok: r.ok,
                served: r.status.is_some(),
                endpoint: r.endpoint,
                latency_ms: r.latency_ms,
                ip: r.ip,
            })
            .collect();
        Ok(crate::dto::RequestLogView { filter: filter.as_str().to_owned(), entries, kept: kept as i64, locked: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::VerifyCode;

    #[test]
    fn a_key_holds_its_newest_requests_and_all_keys_together_stay_bounded() {
        let log = RequestLog::default();
        let team: Arc<str> = "team_1".into();
        let hot: Arc<str> = "key_hot".into();
        let now = Utc::now();
        for i in 0..(PER_KEY + 100) {
            log.verified(&hot, &team, VerifyCode::Valid, Some(&format!("GET /{i}")), None, now);
        }
        assert_eq!(log.pending(), PER_KEY, "one key never holds more than it keeps");
        let taken = log.take();
        assert_eq!(taken[0].1.front().and_then(|r| r.endpoint.as_deref()), Some("GET /100"), "the oldest were let go");
        assert_eq!(log.pending(), 0);

        // Many keys: the whole buffer stops at its bound, and says how many it dropped.
        for k in 0..(MAX_PENDING / PER_KEY + 10) {
            let key: Arc<str> = format!("key_{k}").into();
            for _ in 0..PER_KEY {
                log.verified(&key, &team, VerifyCode::RateLimited, None, Some("203.0.113.7"), now);
            }
        }
        assert_eq!(log.pending(), MAX_PENDING);
        assert_eq!(log.dropped(), (10 * PER_KEY) as u64);
        // Put back after a failed write: still within the bounds.
        log.put_back(taken);
        assert!(log.pending() <= MAX_PENDING);
    }
}
