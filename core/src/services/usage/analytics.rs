//! Reading usage back: the per-minute tables (summed in SQL), the hour and day rollups (one
//! row per key and period, histogram included) and the usage page's report built from them.
//! The rollup worker uses the same readers to build its rows.

use crate::services::auth::Caller;
use crate::services::usage::month_start;
use crate::services::Services;
use crate::dto::VerifyCode;
use crate::entity::api_key;
use crate::error::CoreError;
use crate::histogram::Histogram;
use crate::key::Environment;
use crate::migration::m0014_team_minutes::TEAM_MINUTE_COUNTS;
use crate::roles::Action;
use crate::usage_report::{EndpointUsage, UsagePoint, UsageQuery, UsageRange, UsageReport};
use crate::validate::FieldError;
use chrono::{TimeZone, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryResult, Statement, Value};
use std::collections::{BTreeMap, HashMap};

/// Every figure kept for a key (or a key and endpoint) over a period.
#[derive(Clone, Debug, Default)]
pub(crate) struct Figures {
    pub team_id: String,
    pub valid: i64,
    pub refused: i64,
    pub cost: i64,
    pub codes: [i64; VerifyCode::COUNT],
    /// Verifications naming the endpoint (endpoint rows only).
    pub verifications: i64,
    pub requests: i64,
    pub classes: [i64; 4],
    pub latency_ms_sum: i64,
    pub hist: Histogram,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        if self.team_id.is_empty() {
            self.team_id.clone_from(&o.team_id);
        }
        self.valid += o.valid;
        self.refused += o.refused;
        self.cost += o.cost;
        for (a, b) in self.codes.iter_mut().zip(o.codes) {
            *a += b;
        }
        self.verifications += o.verifications;
        self.requests += o.requests;
        for (a, b) in self.classes.iter_mut().zip(o.classes) {
            *a += b;
        }
        self.latency_ms_sum += o.latency_ms_sum;
        self.hist.add(&o.hist);
    }

    /// The values of a series row after its three identifying columns, in the order of
    /// `…, valid, refused, cost, requests, s2xx, s3xx, s4xx, s5xx, latency_ms_sum, codes, latency`.
    fn series_row(&self, head: [Value; 3]) -> Vec<Value> {
        let mut v = head.to_vec();
        v.extend([self.valid, self.refused, self.cost, self.requests].map(Value::from));
        v.extend(self.classes.map(Value::from));
        v.extend([self.latency_ms_sum.into(), encode_counts(&self.codes).into(), self.hist.encode().into()]);
        v
    }

    /// The values of an endpoint row after its four identifying columns, in the order of
    /// `…, verifications, requests, s2xx, s3xx, s4xx, s5xx, latency_ms_sum, latency`.
    fn endpoint_row(&self, head: [Value; 4]) -> Vec<Value> {
        let mut v = head.to_vec();
        v.extend([self.verifications, self.requests].map(Value::from));
        v.extend(self.classes.map(Value::from));
        v.extend([self.latency_ms_sum.into(), self.hist.encode().into()]);
        v
    }

    fn point(&self, at: i64) -> UsagePoint {
        UsagePoint {
            at: Utc.timestamp_opt(at, 0).single().unwrap_or_default(),
            codes: self.codes,
            requests: self.requests,
            s4xx: self.classes[2],
            s5xx: self.classes[3],
            p50: self.hist.quantile(0.50),
            p95: self.hist.quantile(0.95),
            p99: self.hist.quantile(0.99),
        }
    }
}

/// Figures per (key, period start).
pub(crate) type KeyRows = BTreeMap<(String, i64), Figures>;
/// Figures per (key, period start, endpoint).
pub(crate) type EndpointRows = BTreeMap<(String, i64, String), Figures>;

/// Figures read from storage.
#[derive(Default)]
pub(crate) struct Rows {
    pub keys: KeyRows,
    pub endpoints: EndpointRows,
}

/// Whose rows to read.
pub(crate) enum Scope<'a> {
    /// Everyone's (the rollup).
    All,
    /// One team's, optionally one key or one environment.
    Team { team: &'a str, key: Option<&'a str>, env: Option<Environment> },
}

/// Which rollup rows answer: per key, or per team and environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Key,
    Team,
}

impl Scope<'_> {
    /// The rollup level that answers this scope with the fewest rows.
    fn level(&self) -> Level {
        match self {
            Scope::Team { key: None, .. } => Level::Team,
            _ => Level::Key,
        }
    }

    /// The filter on team-level rollup rows.
    fn team_sql(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Team { team, env, .. } => {
                let mut s = format!(" AND team_id = {}", quote(team));
                if let Some(e) = env {
                    s.push_str(&format!(" AND environment = '{}'", e.as_str()));
                }
                s
            }
        }
    }

    fn sql(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Team { team, key, env } => {
                // By key alone when given (the caller checked it is the team's), so the
                // primary key (key_id, at, …) serves the range.
                let mut s = match key {
                    Some(k) => format!(" AND key_id = {}", quote(k)),
                    None => format!(" AND team_id = {}", quote(team)),
                };
                if let Some(e) = env {
                    s.push_str(&format!(
                        " AND key_id IN (SELECT id FROM api_keys WHERE team_id = {} AND environment = '{}')",
                        quote(team),
                        e.as_str()
                    ));
                }
                s
            }
        }
    }
}

/// How periods are grouped: by `step` seconds, or the whole read as one period.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Period {
    Step(i64),
    Whole(i64),
}

impl Period {
    fn of(self, t: i64) -> i64 {
        match self {
            Period::Step(s) => t - t.rem_euclid(s),
            Period::Whole(start) => start,
        }
    }

    /// The SQL expression for a row's period and the extra GROUP BY term it needs.
    fn sql(self, col: &str) -> (String, String) {
        match self {
            Period::Step(s) => (format!("({col} - {col} % {s})"), format!(", ({col} - {col} % {s})")),
            Period::Whole(start) => (format!("CAST({start} AS BIGINT)"), String::new()),
        }
    }
}

/// A string as an SQL literal.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Counts as stored: comma-separated, trailing zeros dropped.
fn encode_counts(c: &[i64]) -> String {
    let last = c.iter().rposition(|n| *n != 0).map(|i| i + 1).unwrap_or(0);
    c[..last].iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}


async fn query<C: ConnectionTrait>(db: &C, sql: String) -> Result<Vec<QueryResult>, CoreError> {
    Ok(db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?)
}

fn int(r: &QueryResult, col: &str) -> Result<i64, CoreError> {
    Ok(r.try_get::<i64>("", col)?)
}

fn text(r: &QueryResult, col: &str) -> Result<String, CoreError> {
    Ok(r.try_get::<String>("", col)?)
}

const SUM_HTTP: &str = "CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(s2xx) AS BIGINT) AS s2xx, \
    CAST(SUM(s3xx) AS BIGINT) AS s3xx, CAST(SUM(s4xx) AS BIGINT) AS s4xx, CAST(SUM(s5xx) AS BIGINT) AS s5xx, \
    CAST(SUM(latency_ms_sum) AS BIGINT) AS latency_ms_sum";

fn http_into(f: &mut Figures, r: &QueryResult) -> Result<(), CoreError> {
    f.requests += int(r, "requests")?;
    for (i, c) in ["s2xx", "s3xx", "s4xx", "s5xx"].iter().enumerate() {
        f.classes[i] += int(r, c)?;
    }
    f.latency_ms_sum += int(r, "latency_ms_sum")?;
    Ok(())
}

/// Sums the per-minute tables in `[lo, hi)`: key rows grouped by `keys`, endpoint rows by
/// `endpoints` (either may be skipped).
pub(crate) async fn read_minutes<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    (lo, hi): (i64, i64),
    keys: Option<Period>,
    endpoints: Option<Period>,
    out: &mut Rows,
) -> Result<(), CoreError> {
    if lo >= hi {
        return Ok(());
    }
    let w = format!("minute >= {lo} AND minute < {hi}{}", scope.sql());
    // The rollup needs rows per key; a team's report merges its keys, so SQL does it.
    let per_key = !matches!(scope, Scope::Team { key: None, .. });
    let who = if per_key { "key_id, team_id" } else { "'-' AS key_id, '-' AS team_id" };
    let group = |extra: &[&str], period: &str| -> String {
        let mut terms: Vec<&str> = if per_key { vec!["key_id", "team_id"] } else { vec![] };
        terms.extend_from_slice(extra);
        if !period.is_empty() {
            terms.push(period);
        }
        terms.join(", ")
    };
    if let (Some(period), false) = (keys, per_key) {
        read_team_minutes(db, scope, (lo, hi), period, out).await?;
    } else if let Some(period) = keys {
        let (p, gp) = period.sql("minute");
        let gp = gp.trim_start_matches(", ").to_owned();
        let key = |r: &QueryResult| -> Result<(String, i64), CoreError> { Ok((text(r, "key_id")?, int(r, "at")?)) };
        let team = |r: &QueryResult| text(r, "team_id");
        let sql = format!(
            "SELECT {who}, {p} AS at, CAST(SUM(valid) AS BIGINT) AS valid, CAST(SUM(refused) AS BIGINT) AS refused, \
             CAST(SUM(cost) AS BIGINT) AS cost FROM usage_minutes WHERE {w} GROUP BY {}", group(&[], &gp)
        );
        for r in query(db, sql).await? {
            let f = out.keys.entry(key(&r)?).or_default();
            f.team_id = team(&r)?;
            f.valid += int(&r, "valid")?;
            f.refused += int(&r, "refused")?;
            f.cost += int(&r, "cost")?;
        }
        let sql = format!(
            "SELECT {who}, {p} AS at, name, CAST(SUM(count) AS BIGINT) AS n FROM usage_minute_details \
             WHERE dimension = 'code' AND {w} GROUP BY {}", group(&["name"], &gp)
        );
        for r in query(db, sql).await? {
            let name = text(&r, "name")?;
            if let Some(c) = VerifyCode::ALL.iter().find(|c| c.as_str() == name) {
                let f = out.keys.entry(key(&r)?).or_default();
                f.team_id = team(&r)?;
                f.codes[c.index()] += int(&r, "n")?;
            }
        }
        let sql = format!("SELECT {who}, {p} AS at, {SUM_HTTP} FROM usage_minute_http WHERE {w} GROUP BY {}", group(&[], &gp));
        for r in query(db, sql).await? {
            let f = out.keys.entry(key(&r)?).or_default();
            f.team_id = team(&r)?;
            http_into(f, &r)?;
        }
        let sql = format!(
            "SELECT {who}, {p} AS at, CAST(bucket AS BIGINT) AS bucket, CAST(SUM(count) AS BIGINT) AS n \
             FROM usage_minute_latency WHERE {w} GROUP BY {}", group(&["bucket"], &gp)
        );
        for r in query(db, sql).await? {
            let f = out.keys.entry(key(&r)?).or_default();
            f.team_id = team(&r)?;
            add_bucket(&mut f.hist, int(&r, "bucket")?, int(&r, "n")?);
        }
    }
    if let Some(period) = endpoints {
        let (p, gp) = period.sql("minute");
        let gp = gp.trim_start_matches(", ").to_owned();
        let key = |r: &QueryResult, e: &str| -> Result<(String, i64, String), CoreError> {
            Ok((text(r, "key_id")?, int(r, "at")?, text(r, e)?))
        };
        let sql = format!(
            "SELECT {who}, {p} AS at, name, CAST(SUM(count) AS BIGINT) AS n FROM usage_minute_details \
             WHERE dimension = 'endpoint' AND {w} GROUP BY {}", group(&["name"], &gp)
        );
        for r in query(db, sql).await? {
            let f = out.endpoints.entry(key(&r, "name")?).or_default();
            f.team_id = text(&r, "team_id")?;
            f.verifications += int(&r, "n")?;
        }
        let sql = format!(
            "SELECT {who}, {p} AS at, endpoint, {SUM_HTTP} FROM usage_minute_http WHERE {w} GROUP BY {}", group(&["endpoint"], &gp)
        );
        for r in query(db, sql).await? {
            let f = out.endpoints.entry(key(&r, "endpoint")?).or_default();
            f.team_id = text(&r, "team_id")?;
            http_into(f, &r)?;
        }
        let sql = format!(
            "SELECT {who}, {p} AS at, endpoint, CAST(bucket AS BIGINT) AS bucket, CAST(SUM(count) AS BIGINT) AS n \
             FROM usage_minute_latency WHERE {w} GROUP BY {}", group(&["endpoint", "bucket"], &gp)
        );
        for r in query(db, sql).await? {
            let f = out.endpoints.entry(key(&r, "endpoint")?).or_default();
            f.team_id = text(&r, "team_id")?;
            add_bucket(&mut f.hist, int(&r, "bucket")?, int(&r, "n")?);
        }
    }
    Ok(())
}

/// A whole team's series from its per-minute team rows (see [`add_team_minutes`]).
async fn read_team_minutes<C: ConnectionTrait>(db: &C, scope: &Scope<'_>, (lo, hi): (i64, i64), period: Period, out: &mut Rows) -> Result<(), CoreError> {
    let w = format!("minute >= {lo} AND minute < {hi}{}", scope.team_sql());
    let (p, gp) = period.sql("minute");
    let gp = gp.trim_start_matches(", ");
    let at = |r: &QueryResult| -> Result<(String, i64), CoreError> { Ok(("-".to_owned(), int(r, "at")?)) };
    let sums: Vec<String> = TEAM_MINUTE_COUNTS.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}")).collect();
    let group = |extra: &str| [extra, gp].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(", ");
    // One period for the whole read still groups (by the constant), so no rows give no row.
    let grouped = |g: String| if g.is_empty() { " GROUP BY 1".to_owned() } else { format!(" GROUP BY {g}") };
    let sql = format!("SELECT {p} AS at, {} FROM usage_team_minutes WHERE {w}{}", sums.join(", "), grouped(group("")));
    for r in query(db, sql).await? {
        let f = out.keys.entry(at(&r)?).or_default();
        f.team_id = "-".into();
        f.valid += int(&r, "valid")?;
        f.refused += int(&r, "refused")?;
        f.cost += int(&r, "cost")?;
        http_into(f, &r)?;
    }
    let sql = format!("SELECT {p} AS at, code, CAST(SUM(count) AS BIGINT) AS n FROM usage_team_minute_codes WHERE {w}{}", grouped(group("code")));
    for r in query(db, sql).await? {
        let name = text(&r, "code")?;
        if let Some(c) = VerifyCode::ALL.iter().find(|c| c.as_str() == name) {
            out.keys.entry(at(&r)?).or_default().codes[c.index()] += int(&r, "n")?;
        }
    }
    let sql = format!(
        "SELECT {p} AS at, CAST(bucket AS BIGINT) AS bucket, CAST(SUM(count) AS BIGINT) AS n FROM usage_team_minute_latency WHERE {w}{}",
        grouped(group("bucket"))
    );
    for r in query(db, sql).await? {
        add_bucket(&mut out.keys.entry(at(&r)?).or_default().hist, int(&r, "bucket")?, int(&r, "n")?);
    }
    Ok(())
}

fn add_bucket(h: &mut Histogram, bucket: i64, n: i64) {
    if let Some(c) = usize::try_from(bucket).ok().and_then(|b| h.0.get_mut(b)) {
        *c += u64::try_from(n).unwrap_or(0);
    }
}

/// Reads `span`'s (`hour` or `day`) rolled rows in `[lo, hi)`, regrouped by the periods given.
/// Team-level rows are keyed by their environment: the report merges them all anyway.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn read_rolled<C: ConnectionTrait>(
    db: &C,
    span: &str,
    level: Level,
    scope: &Scope<'_>,
    (lo, hi): (i64, i64),
    keys: Option<Period>,
    endpoints: Option<Period>,
    out: &mut Rows,
) -> Result<(), CoreError> {
    if lo >= hi {
        return Ok(());
    }
    let (series_table, endpoint_table, owner, filter) = match level {
        Level::Key => (format!("usage_key_{span}s"), format!("usage_endpoint_{span}s"), "key_id", scope.sql()),
        Level::Team => (format!("usage_team_{span}s"), format!("usage_team_endpoint_{span}s"), "environment", scope.team_sql()),
    };
    let w = format!("at >= {lo} AND at < {hi}{filter}");
    let http = |r: &QueryResult, f: &mut Figures| -> Result<(), CoreError> {
        if f.team_id.is_empty() {
            f.team_id = text(r, "team_id")?;
        }
        http_into(f, r)?;
        add_encoded(&mut f.hist.0, &text(r, "latency")?);
        Ok(())
    };
    const HTTP: &str = "team_id, requests, s2xx, s3xx, s4xx, s5xx, latency_ms_sum, latency";
    if let Some(period) = keys {
        let sql = format!("SELECT {owner}, at, valid, refused, cost, codes, {HTTP} FROM {series_table} WHERE {w}");
        for r in query(db, sql).await? {
            let f = out.keys.entry((text(&r, owner)?, period.of(int(&r, "at")?))).or_default();
            f.valid += int(&r, "valid")?;
            f.refused += int(&r, "refused")?;
            f.cost += int(&r, "cost")?;
            add_encoded(&mut f.codes, &text(&r, "codes")?);
            http(&r, f)?;
        }
    }
    if let Some(period) = endpoints {
        let sql = format!("SELECT {owner}, at, endpoint, verifications, {HTTP} FROM {endpoint_table} WHERE {w}");
        for r in query(db, sql).await? {
            let k = (text(&r, owner)?, period.of(int(&r, "at")?), text(&r, "endpoint")?);
            let f = out.endpoints.entry(k).or_default();
            f.verifications += int(&r, "verifications")?;
            http(&r, f)?;
        }
    }
    Ok(())
}

/// Adds counts in their stored form (comma-separated) to `into`, in place.
fn add_encoded<T: Copy + std::ops::AddAssign + std::str::FromStr>(into: &mut [T], s: &str) {
    for (slot, part) in into.iter_mut().zip(s.split(',')) {
        if let Ok(n) = part.parse::<T>() {
            *slot += n;
        }
    }
}

/// How far the rollups have got (unix seconds; days never ahead of hours).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Done {
    pub hours: i64,
    pub days: i64,
}

fn ceil_to(t: i64, step: i64) -> i64 {
    let r = t.rem_euclid(step);
    if r == 0 { t } else { t - r + step }
}

/// Splits `[lo, hi)` into pieces answered by day, hour and minute rows: whole days already
/// rolled from day rows, whole hours already rolled from hour rows, the rest from minutes,
/// never coarser than `coarsest` seconds. The pieces do not overlap and cover the range.
pub(crate) fn plan(lo: i64, hi: i64, coarsest: i64, done: Done) -> Vec<(i64, i64, i64)> {
    let mut out = Vec::new();
    split(lo, hi, coarsest, done, &mut out);
    out
}

fn split(lo: i64, hi: i64, span: i64, done: Done, out: &mut Vec<(i64, i64, i64)>) {
    if lo >= hi {
        return;
    }
    if span <= 60 {
        out.push((60, lo, hi));
        return;
    }
    let (rolled_until, finer) = if span >= 86_400 { (done.days, 3600) } else { (done.hours, 60) };
    let a = ceil_to(lo, span);
    let b = Ord::min(hi - hi.rem_euclid(span), rolled_until);
    if a >= b {
        return split(lo, hi, finer, done, out);
    }
    split(lo, a, finer, done, out);
    out.push((span, a, b));
    split(b, hi, finer, done, out);
}

/// Reads one piece of a [`plan`].
#[allow(clippy::too_many_arguments)]
async fn read_piece<C: ConnectionTrait>(
    db: &C,
    span: i64,
    level: Level,
    scope: &Scope<'_>,
    range: (i64, i64),
    keys: Option<Period>,
    endpoints: Option<Period>,
    out: &mut Rows,
) -> Result<(), CoreError> {
    match span {
        86_400 => read_rolled(db, "day", level, scope, range, keys, endpoints, out).await,
        3600 => read_rolled(db, "hour", level, scope, range, keys, endpoints, out).await,
        _ => read_minutes(db, scope, range, keys, endpoints, out).await,
    }
}

/// Rows per insert statement.
const ROWS_PER_INSERT: usize = 200;

/// Inserts rolled rows into `span`'s tables.
pub(crate) async fn insert_rolled<C: ConnectionTrait>(db: &C, span: &str, rows: &Rows) -> Result<(), CoreError> {
    let backend = db.get_database_backend();
    let keys: Vec<Vec<Value>> = rows
        .keys
        .iter()
        .map(|((key, at), f)| f.series_row([key.clone().into(), (*at).into(), f.team_id.clone().into()]))
        .collect();
    let cols = "key_id, at, team_id, valid, refused, cost, requests, s2xx, s3xx, s4xx, s5xx, latency_ms_sum, codes, latency";
    insert_many(db, backend, &format!("usage_key_{span}s"), cols, &keys).await?;
    let endpoints: Vec<Vec<Value>> = rows
        .endpoints
        .iter()
        .map(|((key, at, endpoint), f)| f.endpoint_row([key.clone().into(), (*at).into(), endpoint.clone().into(), f.team_id.clone().into()]))
        .collect();
    let cols = "key_id, at, endpoint, team_id, verifications, requests, s2xx, s3xx, s4xx, s5xx, latency_ms_sum, latency";
    insert_many(db, backend, &format!("usage_endpoint_{span}s"), cols, &endpoints).await?;

    // The same figures summed per team and environment.
    let envs = key_environments(db, rows.keys.keys().map(|(k, _)| k.as_str()).chain(rows.endpoints.keys().map(|(k, _, _)| k.as_str()))).await?;
    let env_of = |k: &str| envs.get(k).map(String::as_str).unwrap_or("live");
    let mut team: BTreeMap<(&str, &str, i64), Figures> = BTreeMap::new();
    for ((key, at), f) in &rows.keys {
        team.entry((f.team_id.as_str(), env_of(key), *at)).or_default().add(f);
    }
    let mut team_endpoints: BTreeMap<(&str, &str, i64, &str), Figures> = BTreeMap::new();
    for ((key, at, endpoint), f) in &rows.endpoints {
        team_endpoints.entry((f.team_id.as_str(), env_of(key), *at, endpoint.as_str())).or_default().add(f);
    }
    let series: Vec<Vec<Value>> = team
        .iter()
        .map(|((team, env, at), f)| f.series_row([(*team).into(), (*at).into(), (*env).into()]))
        .collect();
    let cols = "team_id, at, environment, valid, refused, cost, requests, s2xx, s3xx, s4xx, s5xx, latency_ms_sum, codes, latency";
    insert_many(db, backend, &format!("usage_team_{span}s"), cols, &series).await?;
    let endpoints: Vec<Vec<Value>> = team_endpoints
        .iter()
        .map(|((team, env, at, endpoint), f)| f.endpoint_row([(*team).into(), (*at).into(), (*endpoint).into(), (*env).into()]))
        .collect();
    let cols = "team_id, at, endpoint, environment, verifications, requests, s2xx, s3xx, s4xx, s5xx, latency_ms_sum, latency";
    insert_many(db, backend, &format!("usage_team_endpoint_{span}s"), cols, &endpoints).await
}

/// One key's figures for one minute, as a flush adds them to its team's minute rows.
pub(crate) struct TeamMinuteAdd<'a> {
    /// The key (its environment picks the row).
    pub key_id: &'a str,
    /// The key's team.
    pub team_id: &'a str,
    /// Start of the minute (unix seconds).
    pub minute: i64,
    /// In the order of [`TEAM_MINUTE_COUNTS`].
    pub counts: [i64; 9],
    /// Verifications per answer code.
    pub codes: Vec<(&'static str, i64)>,
    /// Served requests per latency bucket.
    pub latency: Vec<(i64, i64)>,
}

/// Adds a flush's figures to the per-team, per-environment minute rows, in the flush's
/// transaction, so the team's per-minute chart reads a row per minute.
pub(crate) async fn add_team_minutes<C: ConnectionTrait>(db: &C, adds: &[TeamMinuteAdd<'_>]) -> Result<(), CoreError> {
    if adds.is_empty() {
        return Ok(());
    }
    let envs = key_environments(db, adds.iter().map(|a| a.key_id)).await?;
    let mut counts: BTreeMap<(&str, &str, i64), [i64; 9]> = BTreeMap::new();
    let mut codes: BTreeMap<(&str, &str, i64, &str), i64> = BTreeMap::new();
    let mut latency: BTreeMap<(&str, &str, i64, i64), i64> = BTreeMap::new();
    for a in adds {
        let env = envs.get(a.key_id).map(String::as_str).unwrap_or("live");
        let c = counts.entry((a.team_id, env, a.minute)).or_default();
        for (sum, n) in c.iter_mut().zip(a.counts) {
            *sum += n;
        }
        for (code, n) in &a.codes {
            *codes.entry((a.team_id, env, a.minute, code)).or_default() += n;
        }
        for (bucket, n) in &a.latency {
            *latency.entry((a.team_id, env, a.minute, *bucket)).or_default() += n;
        }
    }
    let head = |(team, env, minute): (&str, &str, i64)| -> Vec<Value> { vec![team.into(), env.into(), minute.into()] };
    let rows: Vec<Vec<Value>> = counts
        .into_iter()
        .map(|(k, c)| head(k).into_iter().chain(c.into_iter().map(Value::from)).collect())
        .collect();
    let keys = ["team_id", "environment", "minute"];
    add_many(db, "usage_team_minutes", &keys, &TEAM_MINUTE_COUNTS, &rows).await?;
    let rows: Vec<Vec<Value>> = codes
        .into_iter()
        .map(|((t, e, m, code), n)| [head((t, e, m)), vec![code.into(), n.into()]].concat())
        .collect();
    add_many(db, "usage_team_minute_codes", &["team_id", "environment", "minute", "code"], &["count"], &rows).await?;
    let rows: Vec<Vec<Value>> = latency
        .into_iter()
        .map(|((t, e, m, bucket), n)| [head((t, e, m)), vec![(bucket as i16).into(), n.into()]].concat())
        .collect();
    add_many(db, "usage_team_minute_latency", &["team_id", "environment", "minute", "bucket"], &["count"], &rows).await
}

/// The environment of each of these keys.
async fn key_environments<'a, C: ConnectionTrait>(db: &C, ids: impl Iterator<Item = &'a str>) -> Result<HashMap<String, String>, CoreError> {
    let ids: std::collections::BTreeSet<&str> = ids.collect();
    let ids: Vec<&str> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let list: Vec<String> = chunk.iter().map(|id| quote(id)).collect();
        let sql = format!("SELECT id, environment FROM api_keys WHERE id IN ({})", list.join(", "));
        for r in query(db, sql).await? {
            out.insert(text(&r, "id")?, text(&r, "environment")?);
        }
    }
    Ok(out)
}

async fn insert_many<C: ConnectionTrait>(db: &C, backend: DatabaseBackend, table: &str, cols: &str, rows: &[Vec<Value>]) -> Result<(), CoreError> {
    insert_many_then(db, backend, table, cols, rows, "").await
}

/// Multi-row insert that adds to rows already there: on a conflict over `keys`, each of
/// `counts` becomes the stored value plus the new one.
async fn add_many<C: ConnectionTrait>(db: &C, table: &str, keys: &[&str], counts: &[&str], rows: &[Vec<Value>]) -> Result<(), CoreError> {
    let cols = [keys, counts].concat().join(", ");
    let set: Vec<String> = counts.iter().map(|c| format!("{c} = {table}.{c} + excluded.{c}")).collect();
    let then = format!(" ON CONFLICT ({}) DO UPDATE SET {}", keys.join(", "), set.join(", "));
    insert_many_then(db, db.get_database_backend(), table, &cols, rows, &then).await
}

async fn insert_many_then<C: ConnectionTrait>(
    db: &C,
    backend: DatabaseBackend,
    table: &str,
    cols: &str,
    rows: &[Vec<Value>],
    then: &str,
) -> Result<(), CoreError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = format!("INSERT INTO {table} ({cols}) VALUES ");
        let mut values = Vec::with_capacity(chunk.len() * chunk.first().map_or(0, Vec::len));
        for (i, row) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for (j, v) in row.iter().enumerate() {
                values.push(v.clone());
                if j > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    DatabaseBackend::Postgres => sql.push_str(&format!("${}", values.len())),
                    _ => sql.push('?'),
                }
            }
            sql.push(')');
        }
        sql.push_str(then);
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

/// Most endpoints listed in a report.
pub const TOP_ENDPOINTS: usize = 20;

impl Services {
    /// Gathers rows grouped by `step` for the chart and rows for the whole of `[from, to)` for
    /// the endpoints table, each from the coarsest rows that can answer (see [`plan`]), at the
    /// scope's level: a team's charts read per-team rows, a key's per-key rows.
    pub(crate) async fn gather(&self, scope: &Scope<'_>, from: i64, to: i64, step: i64) -> Result<Rows, CoreError> {
        let hours_done = self.rollup_watermark("hour").await?.unwrap_or(i64::MIN);
        let days_done = Ord::min(self.rollup_watermark("day").await?.unwrap_or(i64::MIN), hours_done);
        let done = Done { hours: hours_done, days: days_done };
        let level = scope.level();
        let coarsest = if step >= 86_400 { 86_400 } else if step >= 3600 { 3600 } else { 60 };
        // The chart's points and the endpoints table are read side by side, on two connections.
        let series = async {
            let mut rows = Rows::default();
            for (span, lo, hi) in plan(from, to, coarsest, done) {
                read_piece(&self.db, span, level, scope, (lo, hi), Some(Period::Step(step)), None, &mut rows).await?;
            }
            Ok::<_, CoreError>(rows.keys)
        };
        let endpoints = async {
            let mut rows = Rows::default();
            for (span, lo, hi) in plan(from, to, 86_400, done) {
                read_piece(&self.db, span, level, scope, (lo, hi), None, Some(Period::Whole(from)), &mut rows).await?;
            }
            Ok::<_, CoreError>(rows.endpoints)
        };
        let (keys, endpoints) = tokio::try_join!(series, endpoints)?;
        Ok(Rows { keys, endpoints })
    }

    /// The usage page: the caller's team's usage over a range, optionally for one key or one
    /// environment.
    pub async fn usage_report(&self, caller: &Caller, q: &UsageQuery) -> Result<UsageReport, CoreError> {
        caller.require(Action::ViewUsage)?;
        q.check().map_err(|m| CoreError::Invalid(FieldError::new("query", m)))?;
        let team = caller.team.id.as_str();
        if let Some(k) = &q.key_id {
            api_key::Entity::find_by_id(k.clone())
                .filter(api_key::Column::TeamId.eq(team))
                .one(&self.db)
                .await?
                .ok_or(CoreError::NotFound)?;
        }
        let now = self.now();
        let step = q.granularity.secs();
        let to = now.timestamp() - now.timestamp().rem_euclid(step) + step;
        let from = match q.range {
            UsageRange::Day => to - 86_400,
            UsageRange::Week => to - 7 * 86_400,
            UsageRange::Days30 => to - 30 * 86_400,
            UsageRange::Month => month_start(now).timestamp(),
        };
        let scope = Scope::Team { team, key: q.key_id.as_deref(), env: q.environment };
        let rows = self.gather(&scope, from, to, step).await?;
        let n = usize::try_from((to - from) / step).unwrap_or(0);
        let mut per_point = vec![Figures::default(); n];
        let mut totals = Figures::default();
        for ((_, at), f) in &rows.keys {
            if let Some(p) = usize::try_from((at - from) / step).ok().and_then(|i| per_point.get_mut(i)) {
                p.add(f);
                totals.add(f);
            }
        }
        let mut by_endpoint: HashMap<&str, Figures> = HashMap::new();
        for ((_, _, e), f) in &rows.endpoints {
            by_endpoint.entry(e.as_str()).or_default().add(f);
        }
        let mut endpoints: Vec<EndpointUsage> = by_endpoint
            .into_iter()
            .filter(|(e, f)| !e.is_empty() || f.requests > 0)
            .map(|(e, f)| EndpointUsage {
                endpoint: e.to_owned(),
                verifications: f.verifications,
                requests: f.requests,
                s4xx: f.classes[2],
                s5xx: f.classes[3],
                p95: f.hist.quantile(0.95),
            })
            .collect();
        endpoints.sort_by(|a, b| (b.verifications + b.requests).cmp(&(a.verifications + a.requests)).then(a.endpoint.cmp(&b.endpoint)));
        endpoints.truncate(TOP_ENDPOINTS);
        let ts = |t: i64| Utc.timestamp_opt(t, 0).single().unwrap_or_default();
        Ok(UsageReport {
            query: q.clone(),
            from: ts(from),
            to: ts(to),
            points: per_point.iter().enumerate().map(|(i, f)| f.point(from + i as i64 * step)).collect(),
            totals: totals.point(from),
            endpoints,
            as_of: now,
        })
    }
}

/// One simulated event for [`Services::seed_hours`]: a verification and the request served
/// after it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct SeedEvent<'a> {
    pub key_id: &'a str,
    pub team_id: &'a str,
    pub at: i64,
    pub endpoint: &'a str,
    pub code: VerifyCode,
    pub status: u16,
    pub latency_ms: f64,
}

impl Services {
    /// For benchmarks: writes the hour rows the rollup would write for these events (each one
    /// verification and one served request), without the per-minute tables, and moves the hour
    /// watermark past them. Returns the rows written.
    #[doc(hidden)]
    pub async fn seed_hours<'a>(&self, events: impl IntoIterator<Item = SeedEvent<'a>>) -> Result<usize, CoreError> {
        let mut keys: HashMap<(&str, i64), Figures> = HashMap::new();
        let mut endpoints: HashMap<(&str, i64, &str), Figures> = HashMap::new();
        let mut until = i64::MIN;
        for e in events {
            let at = Period::Step(3600).of(e.at);
            until = Ord::max(until, at + 3600);
            let count = |f: &mut Figures| {
                f.requests += 1;
                if (200..600).contains(&e.status) {
                    f.classes[usize::from(e.status / 100 - 2)] += 1;
                }
                f.latency_ms_sum += e.latency_ms.round() as i64;
                f.hist.record(e.latency_ms);
            };
            let k = keys.entry((e.key_id, at)).or_insert_with(|| Figures { team_id: e.team_id.to_owned(), ..Figures::default() });
            k.codes[e.code.index()] += 1;
            if e.code == VerifyCode::Valid { k.valid += 1 } else { k.refused += 1 }
            count(k);
            let p = endpoints.entry((e.key_id, at, e.endpoint)).or_insert_with(|| Figures { team_id: e.team_id.to_owned(), ..Figures::default() });
            p.verifications += 1;
            count(p);
        }
        let rows = Rows {
            keys: keys.into_iter().map(|((k, at), f)| ((k.to_owned(), at), f)).collect(),
            endpoints: endpoints.into_iter().map(|((k, at, e), f)| ((k.to_owned(), at, e.to_owned()), f)).collect(),
        };
        let txn = self.begin_write().await?;
        insert_rolled(&txn, "hour", &rows).await?;
        txn.execute_unprepared("DELETE FROM rollup_state WHERE span = 'hour'").await?;
        txn.execute_unprepared(&format!("INSERT INTO rollup_state (span, done_until) VALUES ('hour', {until})")).await?;
        txn.commit().await?;
        Ok(rows.keys.len() + rows.endpoints.len())
    }
}

impl Services {
    /// For benchmarks: counts these events through the live aggregators at their own minutes
    /// (each one verification and one served request) and flushes them to the minute rows.
    #[doc(hidden)]
    pub async fn seed_minutes<'a>(&self, events: impl IntoIterator<Item = SeedEvent<'a>>) -> Result<(), CoreError> {
        let mut ids: HashMap<&str, (std::sync::Arc<str>, std::sync::Arc<str>)> = HashMap::new();
        for e in events {
            let (key, team) = ids.entry(e.key_id).or_insert_with(|| (e.key_id.into(), e.team_id.into())).clone();
            let minute = Period::Step(60).of(e.at);
            let at = Utc.timestamp_opt(e.at, 0).single().unwrap_or_default();
            self.usage.record_for(&key, &team, minute, e.code, 1, Some(e.endpoint), at);
            self.traffic.record(key, team, minute, Some(e.endpoint), e.status, e.latency_ms);
        }
        self.flush_usage().await?;
        self.flush_traffic().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_survive_storing() {
        let c = [5, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0];
        assert_eq!(encode_counts(&c), "5,0,0,0,0,0,0,0,3");
        let mut back = [0i64; VerifyCode::COUNT];
        add_encoded(&mut back, &encode_counts(&c));
        assert_eq!(back, c);
        add_encoded(&mut back, "");
        assert_eq!(back, c);
        assert_eq!(Period::Step(3600).of(7300), 7200);
        assert_eq!(Period::Whole(5).of(7300), 5);
        assert_eq!(quote("a'b"), "'a''b'");
    }

    #[test]
    fn plans_cover_the_range_once_from_the_coarsest_rows() {
        let (h, d) = (3600, 86_400);
        let done = Done { hours: 10 * d + 5 * h, days: 10 * d };
        // 30 days of endpoints ending mid-hour on day 10: days, then hours, then minutes.
        let to = 10 * d + 7 * h + 120;
        let p = plan(to - 30 * d, to, d, done);
        assert_eq!(
            p,
            vec![(60, to - 30 * d, -20 * d + 8 * h), (h, -20 * d + 8 * h, -19 * d), (d, -19 * d, 10 * d), (h, 10 * d, 10 * d + 5 * h), (60, 10 * d + 5 * h, to)]
        );
        for w in p.windows(2) {
            assert_eq!(w[0].2, w[1].1, "contiguous: {p:?}");
        }
        // Hourly points never read day rows; per-minute points read only minutes.
        assert!(plan(0, 10 * d, h, done).iter().all(|(s, _, _)| *s <= h));
        assert_eq!(plan(0, 3 * h, 60, done), vec![(60, 0, 3 * h)]);
        // Nothing rolled yet: all minutes.
        assert_eq!(plan(0, d, d, Done { hours: i64::MIN, days: i64::MIN }), vec![(60, 0, d)]);
    }
}
