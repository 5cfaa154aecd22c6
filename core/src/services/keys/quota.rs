//! Monthly quotas that are never exceeded, with (almost) no database work per request.
//!
//! The database holds, per key and month, how many units have been handed out. A node takes
//! units in blocks ("leases") with a compare-and-set update, so two nodes or two concurrent
//! requests can never take the same unit, and then spends them from memory. A graceful
//! shutdown hands unspent units back; a crash loses at most one block per key (the quota is
//! then under-used, never exceeded). Within a block a verify makes no database query.

use crate::services::Services;
use crate::entity::key_quota_usage;
use crate::error::CoreError;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use dashmap::DashMap;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The quota state in a verify answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaState {
    /// Units per month.
    pub limit: i64,
    /// Units used this month (as far as this node knows: its own spending is exact).
    pub used: i64,
    /// Units left.
    pub remaining: i64,
    /// When the month ends.
    pub resets_at: DateTime<Utc>,
}

#[derive(Default)]
struct Lease {
    /// `YYYY-MM` the lease belongs to.
    period: String,
    /// Units taken from the database and not yet spent.
    unspent: i64,
    /// The database's `used` after our last update (includes our unspent units).
    db_used: i64,
}

/// Per-key leases on this node.
#[derive(Default)]
pub struct QuotaLeases {
    leases: DashMap<Arc<str>, Arc<Mutex<Lease>>>,
    db_queries: AtomicU64,
}

impl QuotaLeases {
    /// Database statements made for quotas (a verify within a lease makes none).
    pub fn db_queries(&self) -> u64 {
        self.db_queries.load(Ordering::Relaxed)
    }

}

/// The month a time falls in, `YYYY-MM`.
pub fn period_of(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// The first instant of the next month.
pub fn next_month(t: DateTime<Utc>) -> DateTime<Utc> {
    let (y, m) = if t.month() == 12 { (t.year() + 1, 1) } else { (t.year(), t.month() + 1) };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(t)
}

/// How many units a node takes at once: a twentieth of the quota, at least 1, at most
/// 10,000 (at 15,000 verifies a second on one key, about one database update a second; a
/// crash leaves at most this many units of the month unused).
fn block(limit: i64) -> i64 {
    (limit / 20).clamp(1, 10_000)
}

impl Services {
    /// Spends `cost` units of `key_id`'s monthly `limit`. `Ok(Err(state))` means the quota
    /// would be exceeded: nothing was spent.
    pub async fn spend_quota(&self, key_id: &Arc<str>, limit: i64, cost: i64, now: DateTime<Utc>) -> Result<Result<QuotaState, QuotaState>, CoreError> {
        let period = period_of(now);
        let resets_at = next_month(now);
        // A shared read on the hot path; the shard's write lock only for a key's first lease.
        let lease = match self.quota.leases.get(key_id) {
            Some(l) => l.value().clone(),
            None => self.quota.leases.entry(key_id.clone()).or_default().clone(),
        };
        let mut lease = lease.lock().await;
        if lease.period != period {
            *lease = Lease { period: period.clone(), unspent: 0, db_used: 0 };
            self.quota.db_queries.fetch_add(1, Ordering::Relaxed);
            lease.db_used = self.quota_row(key_id, &period).await?;
        }
        let state = |l: &Lease| {
            let used = (l.db_used - l.unspent).max(0);
            QuotaState { limit, used, remaining: (limit - used).max(0), resets_at }
        };
        // The limit may have been lowered (on any node) below what this lease took: units in
        // hand never allow more than the key's current limit.
        if state(&lease).used + cost > limit {
            return Ok(Err(state(&lease)));
        }
        if lease.unspent < cost {
            let need = cost - lease.unspent;
            loop {
                let available = limit - lease.db_used;
                if available < need {
                    return Ok(Err(state(&lease)));
                }
                let take = available.min(need.max(block(limit)));
                self.quota.db_queries.fetch_add(1, Ordering::Relaxed);
                let res = key_quota_usage::Entity::update_many()
                    .col_expr(key_quota_usage::Column::Used, Expr::value(lease.db_used + take))
                    .filter(key_quota_usage::Column::KeyId.eq(key_id.as_ref()))
                    .filter(key_quota_usage::Column::Period.eq(&period))
                    .filter(key_quota_usage::Column::Used.eq(lease.db_used))
                    .exec(&self.db)
                    .await?;
                if res.rows_affected == 1 {
                    lease.db_used += take;
                    lease.unspent += take;
                    break;
                }
                // Another node took units meanwhile: read the new count and try again.
                self.quota.db_queries.fetch_add(1, Ordering::Relaxed);
                lease.db_used = self.quota_row(key_id, &period).await?;
            }
        }
        lease.unspent -= cost;
        Ok(Ok(state(&lease)))
    }

    /// Gives back `cost` units spent in this period (a later check refused the request). They
    /// return to this node's lease, so no database work is done.
    pub async fn refund_quota(&self, key_id: &str, cost: i64, now: DateTime<Utc>) {
        let Some(lease) = self.quota.leases.get(key_id).map(|e| e.value().clone()) else { return };
        let mut lease = lease.lock().await;
        if lease.period == period_of(now) {
            lease.unspent += cost;
        }
    }

    /// The key's `used` for `period`, creating the row at 0 if needed.
    async fn quota_row(&self, key_id: &str, period: &str) -> Result<i64, CoreError> {
        key_quota_usage::Entity::insert(key_quota_usage::ActiveModel {
            key_id: Set(key_id.to_owned()),
            period: Set(period.to_owned()),
            used: Set(0),
        })
        .on_conflict_do_nothing_on([key_quota_usage::Column::KeyId, key_quota_usage::Column::Period])
        .exec(&self.db)
        .await?;
        Ok(key_quota_usage::Entity::find_by_id((key_id.to_owned(), period.to_owned()))
            .one(&self.db)
            .await?
            .map(|r| r.used)
            .unwrap_or(0))
    }

    /// Hands unspent leased units back to the database (on graceful shutdown).
    pub async fn release_quota_leases(&self) -> Result<(), CoreError> {
        let keys: Vec<Arc<str>> = self.quota.leases.iter().map(|e| e.key().clone()).collect();
        for key_id in keys {
            self.release_quota_lease(&key_id).await?;
        }
        Ok(())
    }

    /// Hands one key's unspent units back and forgets its lease (after its quota changed, the
    /// next request starts from the database).
    pub async fn release_quota_lease(&self, key_id: &str) -> Result<(), CoreError> {
        let Some(lease) = self.quota.leases.get(key_id).map(|e| e.value().clone()) else { return Ok(()) };
        let mut lease = lease.lock().await;
        if lease.unspent > 0 {
            key_quota_usage::Entity::update_many()
                .col_expr(
                    key_quota_usage::Column::Used,
                    sea_orm::sea_query::ExprTrait::sub(Expr::col(key_quota_usage::Column::Used), lease.unspent),
                )
                .filter(key_quota_usage::Column::KeyId.eq(key_id))
                .filter(key_quota_usage::Column::Period.eq(&lease.period))
                .exec(&self.db)
                .await?;
            lease.unspent = 0;
        }
        // A fresh lease re-reads the database before it spends anything.
        lease.period.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_blocks() {
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(period_of(t), "2026-12");
        assert_eq!(next_month(t), Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(block(500), 25);
        assert_eq!(block(5), 1);
        assert_eq!(block(1_000_000), 10_000);
        assert_eq!(block(100_000), 5000);
    }
}
