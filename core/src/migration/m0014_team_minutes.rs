//! Per-minute rows per team and environment, written by the flush beside the per-key rows, so
//! a team's per-minute chart reads one row per minute (and a few per histogram bucket)
//! instead of summing every key's and endpoint's rows. Filled from the minute rows already
//! stored, so the last days' charts are whole at once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The team-minute tables (retention deletes from all three).
pub const TEAM_MINUTE_TABLES: [&str; 3] = ["usage_team_minutes", "usage_team_minute_codes", "usage_team_minute_latency"];

/// The counters of a team minute row.
pub const TEAM_MINUTE_COUNTS: [&str; 9] = ["valid", "refused", "cost", "requests", "s2xx", "s3xx", "s4xx", "s5xx", "latency_ms_sum"];

/// A team-minute table: `(team_id, environment, minute[, extra])` and its counters.
fn table(name: &str, extra: Option<(&str, ColumnDef)>, counts: &[&str]) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name))
        .col(ColumnDef::new(Alias::new("team_id")).string_len(64).not_null())
        .col(ColumnDef::new(Alias::new("environment")).string_len(16).not_null())
        .col(ColumnDef::new(Alias::new("minute")).big_integer().not_null());
    let mut pk = Index::create();
    pk.col(Alias::new("team_id")).col(Alias::new("environment")).col(Alias::new("minute"));
    if let Some((col, mut def)) = extra {
        t.col(&mut def);
        pk.col(Alias::new(col));
    }
    for c in counts {
        t.col(ColumnDef::new(Alias::new(*c)).big_integer().not_null().default(0));
    }
    t.primary_key(&mut pk);
    t.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table("usage_team_minutes", None, &TEAM_MINUTE_COUNTS)).await?;
        let code = ColumnDef::new(Alias::new("code")).string_len(32).not_null().to_owned();
        m.create_table(table("usage_team_minute_codes", Some(("code", code)), &["count"])).await?;
        let bucket = ColumnDef::new(Alias::new("bucket")).small_integer().not_null().to_owned();
        m.create_table(table("usage_team_minute_latency", Some(("bucket", bucket)), &["count"])).await?;

        backfill(m.get_connection()).await
    }
}

/// Fills the team-minute rows from the per-key minute rows (the migration's step; public for
/// the test that checks both give the same charts).
#[doc(hidden)]
pub async fn backfill<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    // `WHERE 1 = 1` lets SQLite parse the upsert after a SELECT.
    let env = "FROM {src} s JOIN api_keys k ON k.id = s.key_id WHERE 1 = 1";
    let add = |cols: &[&str]| cols.iter().map(|c| format!("{c} = usage_team_minutes.{c} + excluded.{c}")).collect::<Vec<_>>().join(", ");
    db.execute_unprepared(&format!(
        "INSERT INTO usage_team_minutes (team_id, environment, minute, valid, refused, cost) \
         SELECT s.team_id, k.environment, s.minute, SUM(s.valid), SUM(s.refused), SUM(s.cost) {} \
         GROUP BY s.team_id, k.environment, s.minute",
        env.replace("{src}", "usage_minutes")
    ))
    .await?;
    let http = ["requests", "s2xx", "s3xx", "s4xx", "s5xx", "latency_ms_sum"];
    db.execute_unprepared(&format!(
        "INSERT INTO usage_team_minutes (team_id, environment, minute, {cols}) \
         SELECT s.team_id, k.environment, s.minute, {sums} {from} \
         GROUP BY s.team_id, k.environment, s.minute \
         ON CONFLICT (team_id, environment, minute) DO UPDATE SET {set}",
        cols = http.join(", "),
        sums = http.iter().map(|c| format!("SUM(s.{c})")).collect::<Vec<_>>().join(", "),
        from = env.replace("{src}", "usage_minute_http"),
        set = add(&http),
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO usage_team_minute_codes (team_id, environment, minute, code, count) \
         SELECT s.team_id, k.environment, s.minute, s.name, SUM(s.count) {} AND s.dimension = 'code' \
         GROUP BY s.team_id, k.environment, s.minute, s.name",
        env.replace("{src}", "usage_minute_details")
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO usage_team_minute_latency (team_id, environment, minute, bucket, count) \
         SELECT s.team_id, k.environment, s.minute, s.bucket, SUM(s.count) {} \
         GROUP BY s.team_id, k.environment, s.minute, s.bucket",
        env.replace("{src}", "usage_minute_latency")
    ))
    .await?;
    Ok(())
}
