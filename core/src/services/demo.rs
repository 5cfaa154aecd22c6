//! `keyport demo`: fills a fresh install with a demo account, a team, four keys and thirty
//! days of simulated traffic, so a newcomer sees living charts at once. The traffic goes the
//! way real traffic goes: counted by the same in-memory aggregators as verifications and
//! `POST /v1/usage` reports, flushed into per-minute rows, then rolled into hours and days
//! (minute rows older than the retention are dropped once rolled, as always).

use super::audit::RequestMeta;
use super::keys::KeyInput;
use super::Services;
use crate::dto::VerifyCode;
use crate::entity::user;
use crate::error::CoreError;
use chrono::{Datelike, Timelike, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;

/// The demo account's address.
pub const DEMO_EMAIL: &str = "demo@keyport.local";

/// What the demo created.
#[derive(Debug)]
pub struct DemoReport {
    /// Sign in with this address…
    pub email: String,
    /// …and this password (random, shown once).
    pub password: String,
    /// Keys created.
    pub keys: usize,
    /// Verifications simulated.
    pub verifications: u64,
    /// Served requests simulated.
    pub served: u64,
}

pub struct DemoKey {
    name: &'static str,
    environment: &'static str,
    scopes: &'static str,
    ratelimit: &'static str,
    /// Average verifications per minute at the busiest hour.
    per_minute: f64,
    endpoints: &'static [(&'static str, f64, f64)],
}

/// (endpoint, share of the key's calls, median latency in ms).
const KEYS: [DemoKey; 4] = [
    DemoKey {
        name: "Checkout service",
        environment: "live",
        scopes: "payments:read payments:write",
        ratelimit: "120",
        per_minute: 16.0,
        endpoints: &[("POST /payments", 0.45, 140.0), ("GET /payments", 0.4, 38.0), ("GET /invoices", 0.15, 52.0)],
    },
    DemoKey {
        name: "Mobile app",
        environment: "live",
        scopes: "payments:read invoices:read",
        ratelimit: "60",
        per_minute: 7.0,
        endpoints: &[("GET /payments", 0.6, 35.0), ("GET /invoices", 0.4, 48.0)],
    },
    DemoKey {
        name: "Partner integration",
        environment: "live",
        scopes: "invoices:read invoices:write",
        ratelimit: "60",
        per_minute: 3.0,
        endpoints: &[("GET /invoices", 0.55, 60.0), ("POST /invoices", 0.45, 210.0)],
    },
    DemoKey {
        name: "Staging",
        environment: "test",
        scopes: "",
        ratelimit: "",
        per_minute: 1.5,
        endpoints: &[("GET /payments", 0.7, 90.0), ("POST /payments", 0.3, 260.0)],
    },
];

/// A small deterministic generator (xorshift64*), so every demo looks alike.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The OpenAPI document of the demo's payments API (payments and invoices, with the demo
/// keys' scopes): `keyport demo` imports it when no document is in effect.
pub const DEMO_DOCUMENT: &[u8] = include_bytes!("demo_data/payments-api.yaml");

impl Services {
    /// Loads the demo with `days` (1–30) of traffic. Refuses when it was loaded before or when the database already holds
    /// rolled-up usage (the demo's past would land behind the rollup). `progress` is told
    /// each simulated day.
    pub async fn load_demo(&self, days: i64, progress: impl Fn(i64, i64)) -> Result<DemoReport, CoreError> {
        if user::Entity::find().filter(user::Column::Email.eq(DEMO_EMAIL)).one(&self.db).await?.is_some() {
            return Err(CoreError::Conflict(format!("The demo is already loaded: sign in as {DEMO_EMAIL}.")));
        }
        if self.rollup_watermark("hour").await?.is_some() {
            return Err(CoreError::Conflict("The demo fills a fresh install, and this database already holds usage. Point KEYPORT_DATA_DIR (or KEYPORT_DATABASE_URL) at a new one.".into()));
        }
        let password = crate::crypto::random_base62(16);
        let meta = RequestMeta { ip: "127.0.0.1".into(), user_agent: "keyport demo".into() };
        let (caller, _) = self.register_confirmed(DEMO_EMAIL, &password, &meta).await?;
        self.update_team(&caller, "Acme Payments (demo)", "A demo team with thirty days of simulated traffic.", &meta).await?;
        let mut keys = Vec::new();
        for k in &KEYS {
            let input = KeyInput { name: k.name, environment: k.environment, scopes: k.scopes, ratelimit: k.ratelimit, expiry: "never", ..Default::default() };
            let created = self.create_key(&caller, input, &meta).await?;
            keys.push((Arc::<str>::from(created.key.id.as_str()), k));
        }
        // The demo API's reference, unless the operator imported their own already.
        if self.active_document().await?.is_none() {
            self.import_document(DEMO_DOCUMENT, "demo", &meta).await?;
        }
        let team: Arc<str> = caller.team.id.as_str().into();

        let now = self.now();
        let end = now.timestamp() - now.timestamp().rem_euclid(60);
        let start = end - days.clamp(1, 30) * 86_400;
        let mut sim = Simulation::new(keys, team, end);
        // This node's flushes and rollups wait until the past is written and rolled: a rollup
        // in between would move the watermark past minutes not written yet.
        let _backfilling = self.flush_lock.lock().await;
        let (mut verifications, mut served) = (0u64, 0u64);
        let mut minute = start;
        while minute <= end {
            let growth = 0.6 + 0.4 * (minute - start) as f64 / (end - start) as f64;
            let (v, s) = sim.minute(self, minute, growth);
            verifications += v;
            served += s;
            minute += 60;
            if (minute - start) % 86_400 == 0 || minute > end {
                self.flush_usage_locked().await?;
                self.flush_traffic_locked().await?;
                progress(Ord::min((minute - start) / 86_400, days), days);
            }
        }
        self.roll_up_locked(now).await?;
        Ok(DemoReport { email: DEMO_EMAIL.into(), password, keys: KEYS.len(), verifications, served })
    }

    /// The loaded demo's traffic from now on, for `keyport serve --demo`: `None` when the
    /// demo is not loaded.
    pub async fn demo_live(&self) -> Result<Option<Simulation>, CoreError> {
        let Some(u) = user::Entity::find().filter(user::Column::Email.eq(DEMO_EMAIL)).one(&self.db).await? else { return Ok(None) };
        let Some(team) = crate::entity::membership::Entity::find()
            .filter(crate::entity::membership::Column::UserId.eq(&u.id))
            .one(&self.db)
            .await?
            .map(|m| m.team_id)
        else {
            return Ok(None);
        };
        let keys = crate::entity::api_key::Entity::find()
            .filter(crate::entity::api_key::Column::TeamId.eq(&team))
            .filter(crate::entity::api_key::Column::RevokedAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|k| KEYS.iter().find(|d| d.name == k.name).map(|d| (Arc::<str>::from(k.id.as_str()), d)))
            .collect();
        Ok(Some(Simulation::new(keys, team.as_str().into(), i64::MIN)))
    }
}

/// Simulated traffic of the demo keys, counted by the live aggregators.
pub struct Simulation {
    keys: Vec<(Arc<str>, &'static DemoKey)>,
    team: Arc<str>,
    rng: Rng,
    /// An incident (a slow, failing upstream) and a traffic spike, to give the charts a story.
    incident: (i64, i64),
    spike: (i64, i64),
}

impl Simulation {
    fn new(keys: Vec<(Arc<str>, &'static DemoKey)>, team: Arc<str>, end: i64) -> Self {
        let at = |days: i64, hours: i64| end.saturating_sub(days * 86_400 + hours * 3600);
        Self {
            keys,
            team,
            rng: Rng(0x9E37_79B9_7F4A_7C15 ^ end as u64),
            incident: (at(6, 5), at(6, 4)),
            spike: (at(11, 3), at(11, 2)),
        }
    }

    /// Counts `scale` of one minute's traffic (1.0: a whole minute) in the minute starting at
    /// `minute`. Returns (verifications, served requests).
    fn traffic(&mut self, svc: &Services, minute: i64, growth: f64, scale: f64) -> (u64, u64) {
        let rng = &mut self.rng;
        let t = chrono::DateTime::<Utc>::from_timestamp(minute, 0).unwrap_or_default();
        let hour = f64::from(t.hour()) + f64::from(t.minute()) / 60.0;
        let daily = 0.25 + 0.75 * (-((hour - 14.5) / 4.5).powi(2)).exp();
        let weekly = if t.weekday().number_from_monday() >= 6 { 0.5 } else { 1.0 };
        let in_incident = (self.incident.0..self.incident.1).contains(&minute);
        let in_spike = (self.spike.0..self.spike.1).contains(&minute);
        let (mut verifications, mut served) = (0, 0);
        for (id, k) in &self.keys {
            let mean = k.per_minute * daily * weekly * growth * scale * if in_spike && k.name == "Checkout service" { 9.0 } else { 1.0 };
            // Rounded at random, so a fraction of a request still happens that often.
            let n = (mean * (0.55 + 0.9 * rng.unit()) + rng.unit()).floor() as u64;
            let limit: u64 = k.ratelimit.parse().unwrap_or(60);
            for i in 0..n {
                let pick = rng.unit();
                let mut acc = 0.0;
                let &(endpoint, _, median) = k.endpoints.iter().find(|(_, share, _)| { acc += share; pick < acc }).unwrap_or(&k.endpoints[0]);
                let code = if i >= limit {
                    VerifyCode::RateLimited
                } else if k.name == "Partner integration" && rng.unit() < 0.03 {
                    VerifyCode::InsufficientScopes
                } else if k.name == "Staging" && rng.unit() < 0.02 {
                    VerifyCode::Revoked
                } else {
                    VerifyCode::Valid
                };
                svc.usage.record_for(id, &self.team, minute, code, 1, Some(endpoint), t);
                verifications += 1;
                // Clients from the documentation ranges (RFC 5737), a handful per key.
                let ip = format!("203.0.113.{}", 10 + (rng.unit() * 6.0) as u32 + 20 * (k.name.len() as u32 % 5));
                svc.request_log.verified(id, &self.team, code, Some(endpoint), Some(&ip), t);
                if code != VerifyCode::Valid {
                    continue;
                }
                let r = rng.unit();
                let status = if in_incident && r < 0.22 {
                    503
                } else if r < 0.004 {
                    500
                } else if r < 0.03 {
                    404
                } else if r < 0.045 {
                    422
                } else {
                    200
                };
                let slow = if in_incident { 4.0 } else { 1.0 };
                let latency = median * slow * (0.45 * rng.normal()).exp() * if rng.unit() < 0.01 { 6.0 } else { 1.0 };
                svc.traffic.record(id.clone(), self.team.clone(), minute, Some(endpoint), status, latency);
                svc.request_log.served(id, &self.team, status, Some(endpoint), latency, Some(&ip), t);
                served += 1;
            }
        }
        (verifications, served)
    }

    fn minute(&mut self, svc: &Services, minute: i64, growth: f64) -> (u64, u64) {
        self.traffic(svc, minute, growth, 1.0)
    }

    /// One second of traffic now (the worker's flush writes it like any other).
    pub fn tick(&mut self, svc: &Services) -> (u64, u64) {
        let now = svc.now().timestamp();
        self.traffic(svc, now - now.rem_euclid(60), 1.0, 1.0 / 60.0)
    }
}
