//! Served-request reports (`POST /v1/usage`): after the operator's backend served a request it
//! reports the key, endpoint, HTTP status and latency. Reports are counted in memory and
//! flushed with the verification usage into per-minute rows: requests by status class, the
//! latency sum, and the latency histogram as one additive row per bucket, so two nodes (or a
//! retried flush after a failure) only ever add.

use crate::services::analytics::{add_team_minutes, TeamMinuteAdd};
use crate::services::usage::{plus_excluded, ROWS_PER_STATEMENT};
use crate::services::Services;
use crate::entity::{api_key, usage_minute_http, usage_minute_latency};
use crate::error::CoreError;
use crate::histogram::Histogram;
use crate::key::WellFormedKey;
use dashmap::DashMap;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The most events one report may carry.
pub const MAX_EVENTS: usize = 1000;
/// Distinct endpoints kept per key and minute; the rest are counted as `(other)`.
pub const MAX_ENDPOINTS: usize = 50;

/// Which key a served request used.
#[derive(Clone, Copy, Debug)]
pub enum KeyRef<'a> {
    /// Its id (`key_…`).
    Id(&'a str),
    /// The key itself, as the client sent it.
    Secret(&'a str),
}

/// One served request.
#[derive(Clone, Copy, Debug)]
pub struct ServedRequest<'a> {
    /// The key.
    pub key: KeyRef<'a>,
    /// The endpoint, if named.
    pub endpoint: Option<&'a str>,
    /// HTTP status, 100–599.
    pub status: u16,
    /// Milliseconds the backend took.
    pub latency_ms: f64,
    /// The client's address, if the operator sent it.
    pub ip: Option<&'a str>,
}

/// What a report achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IngestReport {
    /// Events counted.
    pub accepted: usize,
    /// Events whose key does not exist (not counted).
    pub unknown_keys: usize,
}

#[derive(Clone, Debug)]
struct Traffic {
    team_id: Arc<str>,
    requests: i64,
    classes: [i64; 4],
    latency_ms_sum: i64,
    hist: Histogram,
}

impl Traffic {
    fn new(team_id: Arc<str>) -> Self {
        Self { team_id, requests: 0, classes: [0; 4], latency_ms_sum: 0, hist: Histogram::default() }
    }

    fn add(&mut self, o: &Traffic) {
        self.requests += o.requests;
        for (a, b) in self.classes.iter_mut().zip(o.classes) {
            *a += b;
        }
        self.latency_ms_sum += o.latency_ms_sum;
        self.hist.add(&o.hist);
    }
}

type Slot = (Arc<str>, i64, Box<str>);

#[derive(Default)]
struct Pending {
    slots: HashMap<Slot, Traffic>,
    /// Distinct endpoints per (key, minute), to cap them without scanning the slots.
    endpoints: HashMap<(Arc<str>, i64), usize>,
}

/// Served-request counts per (key, minute, endpoint) not yet written.
#[derive(Default)]
pub struct TrafficAggregator {
    pending: Mutex<Pending>,
    /// Key id → team, learned once (keys never change team).
    teams: DashMap<Arc<str>, Arc<str>>,
}

impl TrafficAggregator {
    pub(crate) fn record(&self, key_id: Arc<str>, team_id: Arc<str>, minute: i64, endpoint: Option<&str>, status: u16, latency_ms: f64) {
        let mut p = self.pending.lock().expect("traffic lock");
        let Pending { slots, endpoints } = &mut *p;
        let mut slot: Slot = (key_id, minute, endpoint.unwrap_or("").into());
        if !slots.contains_key(&slot) {
            let distinct = endpoints.entry((slot.0.clone(), minute)).or_default();
            if *distinct < MAX_ENDPOINTS {
                *distinct += 1;
            } else {
                slot.2 = "(other)".into();
            }
        }
        let t = slots.entry(slot).or_insert_with(|| Traffic::new(team_id));
        t.requests += 1;
        if (200..600).contains(&status) {
            t.classes[usize::from(status / 100 - 2)] += 1;
        }
        t.latency_ms_sum += latency_ms.round() as i64;
        t.hist.record(latency_ms);
    }

    fn take(&self) -> HashMap<Slot, Traffic> {
        std::mem::take(&mut *self.pending.lock().expect("traffic lock")).slots
    }

    fn put_back(&self, batch: HashMap<Slot, Traffic>) {
        let mut p = self.pending.lock().expect("traffic lock");
        for (slot, t) in batch {
            if !p.slots.contains_key(&slot) {
                *p.endpoints.entry((slot.0.clone(), slot.1)).or_default() += 1;
            }
            p.slots.entry(slot).or_insert_with(|| Traffic::new(t.team_id.clone())).add(&t);
        }
    }
}

impl Services {
    /// The key id and team a served request belongs to, if the key exists.
    async fn resolve(&self, key: KeyRef<'_>) -> Result<Option<(Arc<str>, Arc<str>)>, CoreError> {
        match key {
            KeyRef::Secret(raw) => {
                let Ok(parsed) = WellFormedKey::parse(raw) else { return Ok(None) };
                let hash = self.secret.hash_key(parsed.expose());
                Ok(self.lookup(&hash).await?.map(|k| (k.id.clone(), k.team_id.clone())))
            }
            KeyRef::Id(id) => {
                if let Some(team) = self.traffic.teams.get(id) {
                    return Ok(Some((Arc::from(id), team.clone())));
                }
                let Some(m) = api_key::Entity::find_by_id(id.to_owned()).one(&self.db).await? else { return Ok(None) };
                let (id, team): (Arc<str>, Arc<str>) = (m.id.as_str().into(), m.team_id.as_str().into());
                self.traffic.teams.insert(id.clone(), team.clone());
                Ok(Some((id, team)))
            }
        }
    }

    /// Counts a report of served requests (already validated) in the current minute.
    pub async fn ingest_served(&self, events: &[ServedRequest<'_>]) -> Result<IngestReport, CoreError> {
        let now = self.now().timestamp();
        let minute = now - now.rem_euclid(60);
        let mut report = IngestReport { accepted: 0, unknown_keys: 0 };
        for e in events {
            match self.resolve(e.key).await? {
                Some((id, team)) => {
                    self.request_log.served(&id, &team, e.status, e.endpoint, e.latency_ms, e.ip, self.now());
                    self.traffic.record(id, team, minute, e.endpoint, e.status, e.latency_ms);
                    report.accepted += 1;
                }
                None => report.unknown_keys += 1,
            }
        }
        Ok(report)
    }

    /// Writes pending served-request counts; on failure they go back for the next attempt.
    pub async fn flush_traffic(&self) -> Result<usize, CoreError> {
        let _writing = self.flush_lock.lock().await;
        self.flush_traffic_locked().await
    }

    /// [`Self::flush_traffic`] with the flush lock already held.
    pub(crate) async fn flush_traffic_locked(&self) -> Result<usize, CoreError> {
        let batch = self.traffic.take();
        if batch.is_empty() {
            return Ok(0);
        }
        match self.write_traffic(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                self.traffic.put_back(batch);
                Err(e)
            }
        }
    }

    async fn write_traffic(&self, batch: &HashMap<Slot, Traffic>) -> Result<(), CoreError> {
        let added = plus_excluded;
        let mut http = Vec::with_capacity(batch.len());
        let mut latency = Vec::new();
        for ((key_id, minute, endpoint), t) in batch {
            http.push(usage_minute_http::ActiveModel {
                key_id: Set(key_id.to_string()),
                minute: Set(*minute),
                endpoint: Set(endpoint.to_string()),
                team_id: Set(t.team_id.to_string()),
                requests: Set(t.requests),
                s2xx: Set(t.classes[0]),
                s3xx: Set(t.classes[1]),
                s4xx: Set(t.classes[2]),
                s5xx: Set(t.classes[3]),
                latency_ms_sum: Set(t.latency_ms_sum),
            });
            for (bucket, count) in t.hist.0.iter().enumerate().filter(|(_, c)| **c > 0) {
                latency.push(usage_minute_latency::ActiveModel {
                    key_id: Set(key_id.to_string()),
                    minute: Set(*minute),
                    endpoint: Set(endpoint.to_string()),
                    bucket: Set(bucket as i16),
                    team_id: Set(t.team_id.to_string()),
                    count: Set(*count as i64),
                });
            }
        }
        let txn = self.begin_write().await?;
        for rows in http.chunks(ROWS_PER_STATEMENT) {
            let t = "usage_minute_http";
            usage_minute_http::Entity::insert_many(rows.to_vec())
                .on_conflict(
                    OnConflict::columns([usage_minute_http::Column::KeyId, usage_minute_http::Column::Minute, usage_minute_http::Column::Endpoint])
                        .value(usage_minute_http::Column::Requests, added(t, "requests"))
                        .value(usage_minute_http::Column::S2xx, added(t, "s2xx"))
                        .value(usage_minute_http::Column::S3xx, added(t, "s3xx"))
                        .value(usage_minute_http::Column::S4xx, added(t, "s4xx"))
                        .value(usage_minute_http::Column::S5xx, added(t, "s5xx"))
                        .value(usage_minute_http::Column::LatencyMsSum, added(t, "latency_ms_sum"))
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        for rows in latency.chunks(ROWS_PER_STATEMENT) {
            usage_minute_latency::Entity::insert_many(rows.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        usage_minute_latency::Column::KeyId,
                        usage_minute_latency::Column::Minute,
                        usage_minute_latency::Column::Endpoint,
                        usage_minute_latency::Column::Bucket,
                    ])
                    .value(usage_minute_latency::Column::Count, added("usage_minute_latency", "count"))
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        let team_adds: Vec<TeamMinuteAdd> = batch
            .iter()
            .map(|((key_id, minute, _), t)| TeamMinuteAdd {
                key_id,
                team_id: &t.team_id,
                minute: *minute,
                counts: [0, 0, 0, t.requests, t.classes[0], t.classes[1], t.classes[2], t.classes[3], t.latency_ms_sum],
                codes: Vec::new(),
                latency: t.hist.0.iter().enumerate().filter(|(_, c)| **c > 0).map(|(b, c)| (b as i64, *c as i64)).collect(),
            })
            .collect();
        add_team_minutes(&txn, &team_adds).await?;
        if let Some(earliest) = batch.keys().map(|k| k.1).min() {
            self.reopen_rollups(&txn, earliest).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
