//! Hour and day rollups of the per-minute usage, and retention: a worker sums whole hours of
//! minute rows into hour rows and whole days of hour rows into day rows, then deletes minute
//! rows older than the retention (default 7 days) and hour rows older than 90 days. Each pass
//! moves a watermark with a compare-and-set in the same transaction as its inserts, so a pass
//! that fails or races another node adds nothing twice.

use super::Services;
use crate::error::CoreError;
use crate::migration::m0011_rollups::{rollup_table, ROLLED};
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
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), format!("SELECT MIN({col}) AS t FROM {table}"))).await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>>("", "t")?,
            None => None,
        })
    }

    /// Sums whole periods of `span` (`hour` or `day`, `step` seconds) from the source tables
    /// up to `until`. Returns how many periods were rolled.
    async fn roll(&self, span: &str, step: i64, source_span: &str, until: i64) -> Result<i64, CoreError> {
        let src = |t: &str| if source_span == "minute" { t.to_owned() } else { rollup_table(t, source_span) };
        let time_col = if source_span == "minute" { "minute" } else { "at" };
        let txn = self.begin_write().await?;
        let done = match self.watermark(&txn, span).await? {
            Some(d) => d,
            None => {
                let first = self.earliest(&txn, &src(ROLLED[0].0), time_col).await?;
                let first_http = self.earliest(&txn, &src(ROLLED[2].0), time_col).await?;
                let start = [first, first_http].into_iter().flatten().min().map(|t| floor(t, step)).unwrap_or(until);
                txn.execute_unprepared(&format!("INSERT INTO rollup_state (span, done_until) VALUES ('{span}', {start})")).await?;
                start
            }
        };
        if done >= until {
            txn.commit().await?;
            return Ok(0);
        }
        for (table, keys, counts) in ROLLED {
            let dest = rollup_table(table, span);
            let key_cols: String = keys.iter().map(|k| format!(", {k}")).collect();
            let sums: String = counts.iter().map(|c| format!(", SUM({c})")).collect();
            let count_cols: String = counts.iter().map(|c| format!(", {c}")).collect();
            let updates: Vec<String> = counts.iter().map(|c| format!("{c} = {dest}.{c} + excluded.{c}")).collect();
            let period = format!("({time_col} - ({time_col} % {step}))");
            let sql = format!(
                "INSERT INTO {dest} (key_id, at{key_cols}, team_id{count_cols}) \
                 SELECT key_id, {period}{key_cols}, team_id{sums} FROM {src} \
                 WHERE {time_col} >= {done} AND {time_col} < {until} \
                 GROUP BY key_id, {period}{key_cols}, team_id \
                 ON CONFLICT (key_id, at{key_cols}) DO UPDATE SET {}",
                updates.join(", "),
                src = src(table),
            );
            txn.execute_unprepared(&sql).await?;
        }
        let moved = txn
            .execute_unprepared(&format!("UPDATE rollup_state SET done_until = {until} WHERE span = '{span}' AND done_until = {done}"))
            .await?;
        if moved.rows_affected() != 1 {
            // Another node rolled these periods meanwhile: drop ours.
            txn.rollback().await?;
            return Ok(0);
        }
        txn.commit().await?;
        Ok((until - done) / step)
    }

    /// Rolls finished hours and days, then applies retention. Safe to run on every node.
    pub async fn roll_up(&self, now: DateTime<Utc>) -> Result<RollupReport, CoreError> {
        let now = now.timestamp();
        let hours = self.roll("hour", 3600, "minute", floor(now - SETTLE_SECS, 3600)).await?;
        let hours_done = self.watermark(&self.db, "hour").await?.unwrap_or(0);
        let days = self.roll("day", 86_400, "hour", floor(hours_done, 86_400)).await?;
        let days_done = self.watermark(&self.db, "day").await?.unwrap_or(0);
        // Only rows already rolled up are deleted.
        let minute_cutoff = (now - self.config.minute_retention.num_seconds()).min(hours_done);
        let hour_cutoff = (now - self.config.hour_retention.num_seconds()).min(days_done);
        for (table, _, _) in ROLLED {
            self.db.execute_unprepared(&format!("DELETE FROM {table} WHERE minute < {minute_cutoff}")).await?;
            self.db.execute_unprepared(&format!("DELETE FROM {} WHERE at < {hour_cutoff}", rollup_table(table, "hour"))).await?;
        }
        Ok(RollupReport { hours, days })
    }
}
