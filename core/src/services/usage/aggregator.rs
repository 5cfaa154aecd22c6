//! Usage counted in memory on the verify path and flushed to per-minute rows by a worker.

use crate::services::auth::Caller;
use crate::services::verify::CachedKey;
use crate::services::analytics::{add_team_minutes, quote, TeamMinuteAdd};
use crate::services::Services;
use crate::dto::UsageSummary;
use crate::dto::VerifyCode;
use crate::entity::{api_key, usage_minute, usage_minute_detail};
use crate::error::CoreError;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Rows per multi-row insert (well under every driver's parameter limit).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// In a multi-row upsert, `table.col + excluded.col`: the stored count plus the added one.
pub(crate) fn plus_excluded(table: &str, col: &str) -> Expr {
    Expr::cust(format!("{table}.{col} + excluded.{col}"))
}

/// Distinct endpoints counted per key and minute; the rest are counted as `(other)`, so an
/// operator naming endpoints with ids in them cannot blow up memory.
pub const MAX_ENDPOINTS_PER_MINUTE: usize = 50;

#[derive(Clone, Debug)]
struct Pending {
    team_id: Arc<str>,
    valid: i64,
    refused: i64,
    cost: i64,
    codes: [i64; VerifyCode::COUNT],
    endpoints: HashMap<Box<str>, i64>,
    last_used: DateTime<Utc>,
    /// The first accepted verification counted here.
    first_valid: Option<DateTime<Utc>>,
}

impl Pending {
    fn new(team_id: Arc<str>, now: DateTime<Utc>) -> Self {
        Self { team_id, valid: 0, refused: 0, cost: 0, codes: [0; VerifyCode::COUNT], endpoints: HashMap::new(), last_used: now, first_valid: None }
    }

    fn add(&mut self, other: &Pending) {
        self.valid += other.valid;
        self.refused += other.refused;
        self.cost += other.cost;
        for (a, b) in self.codes.iter_mut().zip(other.codes) {
            *a += b;
        }
        for (e, n) in &other.endpoints {
            *self.endpoints.entry(e.clone()).or_default() += n;
        }
        self.last_used = Ord::max(self.last_used, other.last_used);
        self.first_valid = match (self.first_valid, other.first_valid) {
            (Some(a), Some(b)) => Some(Ord::min(a, b)),
            (a, b) => a.or(b),
        };
    }
}

/// Counts per (key, minute) not yet written.
#[derive(Default)]
pub struct UsageAggregator {
    pending: Mutex<HashMap<(Arc<str>, i64), Pending>>,
}

impl UsageAggregator {
    /// Counts one verification of `key` in the minute starting at `minute` (unix seconds),
    /// with its answer, the units it spent and the endpoint the operator named.
    pub fn record(&self, key: &CachedKey, minute: i64, code: VerifyCode, cost: u64, endpoint: Option<&str>, now: DateTime<Utc>) {
        self.record_for(&key.id, &key.team_id, minute, code, cost, endpoint, now);
    }

    /// [`Self::record`] by key and team id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_for(&self, key_id: &Arc<str>, team_id: &Arc<str>, minute: i64, code: VerifyCode, cost: u64, endpoint: Option<&str>, now: DateTime<Utc>) {
        let mut map = self.pending.lock().expect("usage lock");
        let p = map.entry((key_id.clone(), minute)).or_insert_with(|| Pending::new(team_id.clone(), now));
        if code == VerifyCode::Valid {
            p.valid += 1;
            p.cost += i64::try_from(cost).unwrap_or(i64::MAX);
            p.first_valid.get_or_insert(now);
        } else {
            p.refused += 1;
        }
        p.codes[code.index()] += 1;
        if let Some(e) = endpoint {
            if let Some(n) = p.endpoints.get_mut(e) {
                *n += 1;
            } else if p.endpoints.len() < MAX_ENDPOINTS_PER_MINUTE {
                p.endpoints.insert(e.into(), 1);
            } else {
                *p.endpoints.entry("(other)".into()).or_default() += 1;
            }
        }
        p.last_used = Ord::max(p.last_used, now);
    }

    fn take(&self) -> HashMap<(Arc<str>, i64), Pending> {
        std::mem::take(&mut *self.pending.lock().expect("usage lock"))
    }

    fn put_back(&self, batch: HashMap<(Arc<str>, i64), Pending>) {
        let mut map = self.pending.lock().expect("usage lock");
        for (k, p) in batch {
            map.entry(k).or_insert_with(|| Pending::new(p.team_id.clone(), p.last_used)).add(&p);
        }
        // While flushes keep failing (the database out of reach), a minute per key piles up:
        // past the bound, older counts fold into their hour, then their day. Totals stay
        // exact (quotas and invoices read them); only the outage's minute detail is lost.
        for span in [3_600, 86_400] {
            if map.len() <= MAX_PENDING {
                break;
            }
            let before = map.len();
            *map = fold(std::mem::take(&mut *map), span);
            tracing::warn!(before, after = map.len(), span, "usage waiting to be written folded to stay bounded");
        }
    }

    /// Entries waiting to be written (per key and minute).
    pub fn pending_entries(&self) -> usize {
        self.pending.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// At most this many (key, minute) counts wait in memory before older ones are folded.
pub const MAX_PENDING: usize = 50_000;

/// The same counts with each minute moved to the start of its `span` (seconds).
fn fold(map: HashMap<(Arc<str>, i64), Pending>, span: i64) -> HashMap<(Arc<str>, i64), Pending> {
    let mut out: HashMap<(Arc<str>, i64), Pending> = HashMap::with_capacity(map.len() / 4);
    for ((key, minute), p) in map {
        out.entry((key, minute - minute.rem_euclid(span))).or_insert_with(|| Pending::new(p.team_id.clone(), p.last_used)).add(&p);
    }
    out
}

/// Start of the calendar month (UTC) containing `t`.
pub fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0).single().unwrap_or(t)
}

impl Services {
    /// Writes pending usage to the database in one transaction. On failure the counts go back
    /// into memory for the next attempt, so nothing is lost or counted twice.
    pub async fn flush_usage(&self) -> Result<usize, CoreError> {
        let _writing = self.flush_lock.lock().await;
        self.flush_usage_locked().await
    }

    /// [`Self::flush_usage`] with the flush lock already held.
    pub(crate) async fn flush_usage_locked(&self) -> Result<usize, CoreError> {
        let batch = self.usage.take();
        if batch.is_empty() {
            return Ok(0);
        }
        match self.write_usage(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                self.usage.put_back(batch);
                Err(e)
            }
        }
    }

    async fn write_usage(&self, batch: &HashMap<(Arc<str>, i64), Pending>) -> Result<(), CoreError> {
        let added = plus_excluded;
        let mut minutes = Vec::with_capacity(batch.len());
        let mut details = Vec::new();
        let mut last_used: HashMap<&str, DateTime<Utc>> = HashMap::new();
        let mut first_valid: HashMap<&str, DateTime<Utc>> = HashMap::new();
        for ((key_id, minute), p) in batch {
            minutes.push(usage_minute::ActiveModel {
                key_id: Set(key_id.to_string()),
                minute: Set(*minute),
                team_id: Set(p.team_id.to_string()),
                valid: Set(p.valid),
                refused: Set(p.refused),
                cost: Set(p.cost),
            });
            let codes = VerifyCode::ALL.iter().zip(p.codes).filter(|(_, n)| *n > 0).map(|(c, n)| ("code", c.as_str(), n));
            let endpoints = p.endpoints.iter().map(|(e, n)| ("endpoint", e.as_ref(), *n));
            for (dimension, name, count) in codes.chain(endpoints) {
                details.push(usage_minute_detail::ActiveModel {
                    key_id: Set(key_id.to_string()),
                    minute: Set(*minute),
                    dimension: Set(dimension.to_owned()),
                    name: Set(name.to_owned()),
                    team_id: Set(p.team_id.to_string()),
                    count: Set(count),
                });
            }
            let e = last_used.entry(key_id).or_insert(p.last_used);
            *e = Ord::max(*e, p.last_used);
            if let Some(at) = p.first_valid {
                let f = first_valid.entry(key_id).or_insert(at);
                *f = Ord::min(*f, at);
            }
        }
        let txn = self.begin_write().await?;
        for rows in minutes.chunks(ROWS_PER_STATEMENT) {
            usage_minute::Entity::insert_many(rows.to_vec())
                .on_conflict(
                    OnConflict::columns([usage_minute::Column::KeyId, usage_minute::Column::Minute])
                        .value(usage_minute::Column::Valid, added("usage_minutes", "valid"))
                        .value(usage_minute::Column::Refused, added("usage_minutes", "refused"))
                        .value(usage_minute::Column::Cost, added("usage_minutes", "cost"))
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        for rows in details.chunks(ROWS_PER_STATEMENT) {
            usage_minute_detail::Entity::insert_many(rows.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        usage_minute_detail::Column::KeyId,
                        usage_minute_detail::Column::Minute,
                        usage_minute_detail::Column::Dimension,
                        usage_minute_detail::Column::Name,
                    ])
                    .value(usage_minute_detail::Column::Count, added("usage_minute_details", "count"))
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        for (key_id, at) in last_used {
            let mut update = api_key::Entity::update_many().col_expr(api_key::Column::LastUsedAt, Expr::value(at));
            // The first accepted call, once: a later flush (or another node's) never moves it.
            if let Some(first) = first_valid.get(key_id) {
                let kept = sea_orm::sea_query::Func::coalesce([Expr::col(api_key::Column::FirstValidAt).into(), Expr::value(*first)]);
                update = update.col_expr(api_key::Column::FirstValidAt, kept.into());
            }
            update.filter(api_key::Column::Id.eq(key_id)).exec(&txn).await?;
        }
        let team_adds: Vec<TeamMinuteAdd> = batch
            .iter()
            .map(|((key_id, minute), p)| TeamMinuteAdd {
                key_id,
                team_id: &p.team_id,
                minute: *minute,
                counts: [p.valid, p.refused, p.cost, 0, 0, 0, 0, 0, 0],
                codes: VerifyCode::ALL.iter().zip(p.codes).filter(|(_, n)| *n > 0).map(|(c, n)| (c.as_str(), n)).collect(),
                latency: Vec::new(),
            })
            .collect();
        add_team_minutes(&txn, &team_adds).await?;
        if let Some(earliest) = batch.keys().map(|k| k.1).min() {
            self.reopen_rollups(&txn, earliest).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The dashboard's usage card for the caller's team.
    pub async fn usage_summary(&self, caller: &Caller) -> Result<UsageSummary, CoreError> {
        caller.require(crate::roles::Action::ViewUsage)?;
        let now = self.now();
        let team = caller.team.id.as_str();
        let month = month_start(now);
        let next_month = month_start(month + chrono::Duration::days(32));
        let this_minute = now.timestamp() - now.timestamp().rem_euclid(60);
        let month_requests = self.valid_since(Some(team), month.timestamp()).await?.remove(team).unwrap_or(0);
        let recent = self.recent_minutes(team, this_minute - 29 * 60).await?;
        let (current, previous) = (recent[29].0, recent[28].0);
        // Sliding-window estimate of the last 60 s from two fixed minutes.
        let elapsed = (now.timestamp() - this_minute) as f64 / 60.0;
        let rate = current as f64 + previous as f64 * (1.0 - elapsed);
        let active_keys = api_key::Entity::find()
            .filter(crate::services::keys::live_keys_of(team, now))
            .filter(api_key::Column::DisabledAt.is_null())
            .count(&self.db)
            .await? as i64;
        // This month's pace, once an hour has passed (earlier it says little).
        let quota = self.team_plan(&self.db, team).await?.1.included_requests;
        let elapsed_secs = Ord::max((now - month).num_seconds(), 3600) as f64;
        let per_sec = month_requests as f64 / elapsed_secs;
        let left_secs = (next_month - now).num_seconds().max(0) as f64;
        let forecast = (per_sec > 0.0 && month_requests < quota)
            .then(|| now + chrono::Duration::seconds(((quota - month_requests) as f64 / per_sec).ceil() as i64))
            .filter(|t| *t < next_month);
        Ok(UsageSummary {
            month_requests,
            month_quota: quota,
            rate_per_minute: rate.round() as i64,
            rate_limit: self.config.default_ratelimit_per_minute,
            active_keys,
            as_of: now,
            forecast,
            projected: month_requests + (per_sec * left_secs).round() as i64,
            resets_at: next_month,
            recent_valid: recent.iter().map(|r| r.0).collect(),
            recent_refused: recent.iter().map(|r| r.1).collect(),
        })
    }

    /// Valid and refused verifications per minute of `team` for the 30 minutes from `from`.
    async fn recent_minutes(&self, team: &str, from: i64) -> Result<Vec<(i64, i64)>, CoreError> {
        let rows = usage_minute::Entity::find()
            .filter(usage_minute::Column::TeamId.eq(team))
            .filter(usage_minute::Column::Minute.gte(from))
            .all(&self.db)
            .await?;
        let mut out = vec![(0, 0); 30];
        for r in rows {
            if let Some(slot) = usize::try_from((r.minute - from) / 60).ok().and_then(|i| out.get_mut(i)) {
                slot.0 += r.valid;
                slot.1 += r.refused;
            }
        }
        Ok(out)
    }

    /// Valid verifications per team since `from` (day-aligned), of one team or all, read from
    /// day rows, then hour rows, then minute rows, split at the rollup watermarks, so
    /// retention (which only deletes rows already rolled up) never loses a count and nothing
    /// is counted twice.
    pub(crate) async fn valid_since(&self, team: Option<&str>, from: i64) -> Result<HashMap<String, i64>, CoreError> {
        self.valid_between(team, from, i64::MAX).await
    }

    /// Valid requests per team from `from` up to `to` (Unix seconds), as [`Self::valid_since`].
    pub(crate) async fn valid_between(&self, team: Option<&str>, from: i64, to: i64) -> Result<HashMap<String, i64>, CoreError> {
        use sea_orm::{ConnectionTrait, Statement};
        let hours_done = Ord::max(self.rollup_watermark("hour").await?.unwrap_or(i64::MIN), from);
        let days_done = Ord::min(Ord::max(self.rollup_watermark("day").await?.unwrap_or(i64::MIN), from), hours_done);
        let backend = self.db.get_database_backend();
        let only = team.map(|t| format!(" AND team_id = {}", quote(t))).unwrap_or_default();
        let mut totals = HashMap::new();
        for (table, col, lo, hi) in
            [("usage_team_days", "at", from, days_done), ("usage_team_hours", "at", days_done, hours_done), ("usage_minutes", "minute", hours_done, i64::MAX)]
        {
            let hi = Ord::min(hi, to);
            if lo >= hi {
                continue;
            }
            let upper = if hi == i64::MAX { String::new() } else { format!(" AND {col} < {hi}") };
            let sql = format!(
                "SELECT team_id, CAST(SUM(valid) AS BIGINT) AS s FROM {table} WHERE {col} >= {lo}{upper}{only} GROUP BY team_id"
            );
            for r in self.db.query_all_raw(Statement::from_string(backend, sql)).await? {
                *totals.entry(r.try_get::<String>("", "team_id")?).or_default() += r.try_get::<i64>("", "s")?;
            }
        }
        Ok(totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_piling_up_while_flushes_fail_folds_into_hours_with_exact_totals() {
        let agg = UsageAggregator::default();
        let team: Arc<str> = "team".into();
        let now = Utc::now();
        let keys: Vec<Arc<str>> = (0..20).map(|i| Arc::from(format!("key{i}"))).collect();
        // 20 keys × 3,000 minutes (two days of a failing flush).
        for k in &keys {
            for m in 0..3_000i64 {
                agg.record_for(k, &team, m * 60, VerifyCode::Valid, 2, None, now);
            }
        }
        let batch = agg.take();
        assert_eq!(batch.len(), 60_000);
        agg.put_back(batch);
        assert!(agg.pending_entries() <= MAX_PENDING, "{}", agg.pending_entries());
        let kept = agg.take();
        assert_eq!(kept.values().map(|p| p.valid).sum::<i64>(), 60_000, "every verification still counted");
        assert_eq!(kept.values().map(|p| p.cost).sum::<i64>(), 120_000);
        assert!(kept.keys().all(|(_, m)| m % 3_600 == 0), "folded into hours");
        // Under the bound nothing moves.
        agg.record_for(&keys[0], &team, 61, VerifyCode::Valid, 1, None, now);
        let small = agg.take();
        agg.put_back(small);
        assert_eq!(agg.take().keys().map(|(_, m)| *m).collect::<Vec<_>>(), [61]);
    }
}
