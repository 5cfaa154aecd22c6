//! Hour and day rollups of the per-minute usage, and retention: a worker sums whole hours of
//! minute rows into hour rows and whole days of hour rows into day rows, then deletes minute
//! rows older than the retention (default 7 days) and hour rows older than 90 days. Each pass
//! moves a watermark with a compare-and-set in the same transaction as its inserts, so a pass
//! that fails or races another node adds nothing twice.

use crate::services::Services;
use crate::error::CoreError;
use crate::services::analytics::{insert_rolled, read_minutes, read_rolled, Level, Period, Rows, Scope};
use crate::migration::m0011_rollups::ROLLED;
use crate::migration::m0014_team_minutes::TEAM_MINUTE_TABLES;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};


/// How long after its end a minute is considered flushed (the flush runs every second).
const SETTLE_SECS: i64 = 120;

/// What a rollup pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RollupReport {
    /// Whole hours summed.
    pub hours: i64,
    /// Whole days summed.
    pub days: i64,
}

/// The rollup tables of `span` (`hour` or `day`).
fn rolled_tables(span: &str) -> [String; 4] {
    ["key", "endpoint", "team", "team_endpoint"].map(|t| format!("usage_{t}_{span}s"))
}

fn floor(t: i64, step: i64) -> i64 {
    t - t.rem_euclid(step)
}

impl Services {
    /// Where the `hour` or `day` rollup has got to (unix seconds), if it ran yet.
    pub async fn rollup_watermark(&self, span: &str) -> Result<Option<i64>, CoreError> {
        self.watermark(&self.db, span).await
    }

    async fn watermark<C: ConnectionTrait>(&self, db: &C, span: &str) -> Result<Option<i64>, CoreError> {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                match db.get_database_backend() {
                    DatabaseBackend::Postgres => "SELECT done_until FROM rollup_state WHERE span = $1",
                    _ => "SELECT done_until FROM rollup_state WHERE span = ?",
                },
                [span.into()],
            ))
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get::<i64>("", "done_until")?),
            None => None,
        })
    }

    /// The earliest time in a source table, for the first pass.
    async fn earliest<C: ConnectionTrait>(&self, db: &C, table: &str, col: &str) -> Result<Option<i64>, CoreError> {
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), format!("SELECT CAST(MIN({col}) AS BIGINT) AS t FROM {table}"))).await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>>("", "t")?,
            None => None,
        })
    }

    /// Sums whole periods of `span` (`hour` or `day`, `step` seconds) from the finer rows up
    /// to `until`, at most `chunk` seconds per transaction. Returns how many periods were rolled.
    async fn roll(&self, span: &str, step: i64, until: i64, chunk: i64) -> Result<i64, CoreError> {
        let mut rolled = 0;
        loop {
            let txn = self.begin_write().await?;
            let done = match self.watermark(&txn, span).await? {
                Some(d) => d,
                None => {
                    let first = if span == "hour" {
                        let a = self.earliest(&txn, "usage_minutes", "minute").await?;
                        let b = self.earliest(&txn, "usage_minute_http", "minute").await?;
                        [a, b].into_iter().flatten().min()
                    } else {
                        self.earliest(&txn, "usage_key_hours", "at").await?
                    };
                    // Nothing to roll yet: the watermark starts with the first data.
                    let Some(first) = first else {
                        txn.rollback().await?;
                        return Ok(rolled);
                    };
                    let start = floor(first, step);
                    txn.execute_unprepared(&format!("INSERT INTO rollup_state (span, done_until) VALUES ('{span}', {start})")).await?;
                    start
                }
            };
            if done >= until {
                txn.commit().await?;
                return Ok(rolled);
            }
            let hi = Ord::min(until, done + chunk);
            let mut rows = Rows::default();
            let by = Some(Period::Step(step));
            if span == "hour" {
                read_minutes(&txn, &Scope::All, (done, hi), by, by, &mut rows).await?;
            } else {
                read_rolled(&txn, "hour", Level::Key, &Scope::All, (done, hi), by, by, &mut rows).await?;
            }
            insert_rolled(&txn, span, &rows).await?;
            let moved = txn
                .execute_unprepared(&format!("UPDATE rollup_state SET done_until = {hi} WHERE span = '{span}' AND done_until = {done}"))
                .await?;
            if moved.rows_affected() != 1 {
                // Another node rolled these periods meanwhile: drop ours.
                txn.rollback().await?;
                return Ok(rolled);
            }
            txn.commit().await?;
            rolled += (hi - done) / step;
        }
    }

    /// Called by a flush, in its transaction, with the earliest minute it wrote. Minutes below
    /// the hour watermark (a flush retried after a database outage of over two minutes) would
    /// stay out of the hour and day rows, so the watermarks wind back to the start of that hour
    /// (and day) and the rows from there on are deleted, for the next pass to sum again — as
    /// long as the finer rows it needs are still within their retention.
    pub(crate) async fn reopen_rollups<C: ConnectionTrait>(&self, txn: &C, earliest: i64) -> Result<(), CoreError> {
        let Some(hours_done) = self.watermark(txn, "hour").await? else { return Ok(()) };
        if earliest >= hours_done {
            return Ok(());
        }
        let now = self.now().timestamp();
        let hour = floor(earliest, 3600);
        if hour < now - self.config.minute_retention.num_seconds() {
            tracing::warn!(minute = earliest, "usage flushed after its minutes were rolled up and expired: it stays out of the hour and day charts");
            return Ok(());
        }
        // The watermark first: its row lock orders this against a pass running on another node.
        txn.execute_unprepared(&format!("UPDATE rollup_state SET done_until = {hour} WHERE span = 'hour' AND done_until > {hour}")).await?;
        for table in rolled_tables("hour") {
            txn.execute_unprepared(&format!("DELETE FROM {table} WHERE at >= {hour}")).await?;
        }
        let day = floor(hour, 86_400);
        let days_done = self.watermark(txn, "day").await?.unwrap_or(i64::MIN);
        if day < days_done && day >= now - self.config.hour_retention.num_seconds() {
            txn.execute_unprepared(&format!("UPDATE rollup_state SET done_until = {day} WHERE span = 'day' AND done_until > {day}")).await?;
            for table in rolled_tables("day") {
                txn.execute_unprepared(&format!("DELETE FROM {table} WHERE at >= {day}")).await?;
            }
        }
        Ok(())
    }

    /// Rolls finished hours and days, then applies retention. Safe to run on every node.
    pub async fn roll_up(&self, now: DateTime<Utc>) -> Result<RollupReport, CoreError> {
        let _no_flush_in_flight = self.flush_lock.lock().await;
        self.roll_up_locked(now).await
    }

    /// [`Self::roll_up`] with the flush lock already held.
    pub(crate) async fn roll_up_locked(&self, now: DateTime<Utc>) -> Result<RollupReport, CoreError> {
        let now = now.timestamp();
        let hours = self.roll("hour", 3600, floor(now - SETTLE_SECS, 3600), 86_400).await?;
        let hours_done = self.watermark(&self.db, "hour").await?.unwrap_or(0);
        let days = self.roll("day", 86_400, floor(hours_done, 86_400), 31 * 86_400).await?;
        let days_done = self.watermark(&self.db, "day").await?.unwrap_or(0);
        // Only rows already rolled up are deleted.
        let minute_cutoff = (now - self.config.minute_retention.num_seconds()).min(hours_done);
        let hour_cutoff = (now - self.config.hour_retention.num_seconds()).min(days_done);
        for table in ROLLED.iter().map(|(t, _, _)| *t).chain(TEAM_MINUTE_TABLES) {
            self.db.execute_unprepared(&format!("DELETE FROM {table} WHERE minute < {minute_cutoff}")).await?;
        }
        for table in rolled_tables("hour") {
            self.db.execute_unprepared(&format!("DELETE FROM {table} WHERE at < {hour_cutoff}")).await?;
        }
        Ok(RollupReport { hours, days })
    }
}
