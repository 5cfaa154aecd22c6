//! Hour and day rollups of the per-minute usage tables, and where each rollup has got to.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The per-minute tables and their extra key columns; hour and day tables copy their shape
/// with `minute` renamed to `at`.
pub const ROLLED: [(&str, &[&str], &[&str]); 4] = [
    ("usage_minutes", &[], &["valid", "refused", "cost"]),
    ("usage_minute_details", &["dimension", "name"], &["count"]),
    ("usage_minute_http", &["endpoint"], &["requests", "s2xx", "s3xx", "s4xx", "s5xx", "latency_ms_sum"]),
    ("usage_minute_latency", &["endpoint", "bucket"], &["count"]),
];

/// The table holding `table`'s rollup at `span` (`hour` or `day`).
pub fn rollup_table(table: &str, span: &str) -> String {
    table.replacen("minute", span, 1)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for span in ["hour", "day"] {
            for (table, keys, counts) in ROLLED {
                let name = rollup_table(table, span);
                let mut t = Table::create();
                t.table(Alias::new(&name))
                    .col(ColumnDef::new(Alias::new("key_id")).string_len(64).not_null())
                    .col(ColumnDef::new(Alias::new("at")).big_integer().not_null());
                for k in keys {
                    let mut c = ColumnDef::new(Alias::new(*k));
                    if *k == "bucket" { c.small_integer() } else { c.string_len(256) };
                    t.col(c.not_null());
                }
                t.col(ColumnDef::new(Alias::new("team_id")).string_len(64).not_null());
                for c in counts {
                    t.col(ColumnDef::new(Alias::new(*c)).big_integer().not_null().default(0));
                }
                let mut pk = Index::create();
                pk.col(Alias::new("key_id")).col(Alias::new("at"));
                for k in keys {
                    pk.col(Alias::new(*k));
                }
                t.primary_key(&mut pk);
                m.create_table(t.to_owned()).await?;
                m.create_index(
                    Index::create().name(format!("idx_{name}_team_bucket")).table(Alias::new(&name))
                        .col(Alias::new("team_id")).col(Alias::new("at")).to_owned(),
                ).await?;
            }
        }
        m.create_table(
            Table::create().table(Alias::new("rollup_state"))
                .col(ColumnDef::new(Alias::new("span")).string_len(8).not_null().primary_key())
                .col(ColumnDef::new(Alias::new("done_until")).big_integer().not_null())
                .to_owned(),
        ).await?;
        Ok(())
    }
}
