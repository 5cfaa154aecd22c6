//! Hour and day rollups become one row per key and period (and one per key, period and
//! endpoint), and the same again per team and environment, each holding every figure, the
//! latency histogram encoded in a text column. A team's 30-day chart then reads a row per hour
//! and environment instead of a row per key, endpoint and histogram bucket. The rollup is
//! the only writer of these tables (a period is rolled once, under a compare-and-set
//! watermark), so the histogram need not be additive in SQL.
//!
//! Also: `quota_alerts`, the monthly quota warnings already sent.
//!
//! The first-generation hour/day tables are dropped and the watermarks reset: the next pass
//! rolls again from the oldest minute still stored.

use super::m0011_rollups::{rollup_table, ROLLED};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counters of a key row (besides `codes` and `latency`).
pub const KEY_COUNTS: [&str; 9] = ["valid", "refused", "cost", "requests", "s2xx", "s3xx", "s4xx", "s5xx", "latency_ms_sum"];
/// The counters of an endpoint row.
pub const ENDPOINT_COUNTS: [&str; 7] = ["verifications", "requests", "s2xx", "s3xx", "s4xx", "s5xx", "latency_ms_sum"];

/// A rollup table: per key (`team_id` kept for the team's queries), or per team and
/// environment (the whole team's charts read one row per period and environment).
fn table(name: &str, endpoint: bool, counts: &[&str], texts: &[&str]) -> TableCreateStatement {
    let per_team = name.starts_with("usage_team");
    let owner = if per_team { ["team_id", "environment"] } else { ["key_id", "team_id"] };
    let mut t = Table::create();
    t.table(Alias::new(name))
        .col(ColumnDef::new(Alias::new(owner[0])).string_len(64).not_null())
        .col(ColumnDef::new(Alias::new("at")).big_integer().not_null());
    if endpoint {
        t.col(ColumnDef::new(Alias::new("endpoint")).string_len(256).not_null());
    }
    t.col(ColumnDef::new(Alias::new(owner[1])).string_len(64).not_null());
    for c in counts {
        t.col(ColumnDef::new(Alias::new(*c)).big_integer().not_null().default(0));
    }
    for c in texts {
        t.col(ColumnDef::new(Alias::new(*c)).text().not_null());
    }
    let mut pk = Index::create();
    if per_team {
        pk.col(Alias::new("team_id")).col(Alias::new("environment"));
    } else {
        pk.col(Alias::new("key_id"));
    }
    pk.col(Alias::new("at"));
    if endpoint {
        pk.col(Alias::new("endpoint"));
    }
    t.primary_key(&mut pk);
    t.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for span in ["hour", "day"] {
            for (t, _, _) in ROLLED {
                m.drop_table(Table::drop().table(Alias::new(rollup_table(t, span))).if_exists().to_owned()).await?;
            }
            let keys = format!("usage_key_{span}s");
            let endpoints = format!("usage_endpoint_{span}s");
            m.create_table(table(&keys, false, &KEY_COUNTS, &["codes", "latency"])).await?;
            m.create_table(table(&endpoints, true, &ENDPOINT_COUNTS, &["latency"])).await?;
            let team = format!("usage_team_{span}s");
            let team_endpoints = format!("usage_team_endpoint_{span}s");
            m.create_table(table(&team, false, &KEY_COUNTS, &["codes", "latency"])).await?;
            m.create_table(table(&team_endpoints, true, &ENDPOINT_COUNTS, &["latency"])).await?;
            for name in [keys, endpoints] {
                m.create_index(
                    Index::create().name(format!("idx_{name}_team_at")).table(Alias::new(&name))
                        .col(Alias::new("team_id")).col(Alias::new("at")).to_owned(),
                ).await?;
            }
        }
        m.get_connection().execute_unprepared("DELETE FROM rollup_state").await?;
        // Quota warnings sent: one row per team, month and level, so each is sent once.
        m.create_table(
            Table::create().table(Alias::new("quota_alerts"))
                .col(ColumnDef::new(Alias::new("team_id")).string_len(64).not_null())
                .col(ColumnDef::new(Alias::new("period")).string_len(7).not_null())
                .col(ColumnDef::new(Alias::new("level")).integer().not_null())
                .col(ColumnDef::new(Alias::new("used")).big_integer().not_null())
                .col(ColumnDef::new(Alias::new("sent_at")).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(Alias::new("team_id")).col(Alias::new("period")).col(Alias::new("level")))
                .to_owned(),
        ).await?;
        Ok(())
    }
}
