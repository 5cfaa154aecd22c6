//! Liveness and readiness. `/healthz` answers while the process does (a load balancer's
//! "restart me?"); `/readyz` answers 200 only when this node can serve (its "send me
//! traffic?"): the database answers within a second, every migration this build knows is
//! applied (and none it does not), and every background worker ran recently. Otherwise 503,
//! naming each failing part.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyport_core::Services;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long `/readyz` waits for the database.
pub const DATABASE_WAIT: Duration = Duration::from_secs(1);

/// When each background worker last finished a round, and how stale it may get.
#[derive(Default)]
pub struct Health {
    workers: Mutex<BTreeMap<&'static str, (Duration, Instant)>>,
}

impl Health {
    /// Marks `worker` alive now; it counts as stopped once `allowed` passes without another
    /// beat. The first beat registers it.
    pub fn beat(&self, worker: &'static str, allowed: Duration) {
        if let Ok(mut w) = self.workers.lock() {
            w.insert(worker, (allowed, Instant::now()));
        }
    }

    /// The workers that stopped beating, with how long ago they last did.
    pub fn stale(&self) -> Vec<(&'static str, Duration)> {
        let now = Instant::now();
        self.workers
            .lock()
            .map(|w| w.iter().filter_map(|(name, (allowed, at))| (now.duration_since(*at) > *allowed).then(|| (*name, now.duration_since(*at)))).collect())
            .unwrap_or_default()
    }
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 `{"ready": true, …}` or 503 with `failing`, one line per part.
pub async fn readyz(State(state): State<crate::startup::AppState>) -> Response {
    let (svc, health): (&Arc<Services>, &Arc<Health>) = (&state.services, &state.health);
    let mut failing = Vec::new();
    let started = Instant::now();
    let database = match tokio::time::timeout(DATABASE_WAIT, keyport_core::services::migrations_behind(&svc.db)).await {
        Err(_) => {
            svc.database.mark(false);
            failing.push(format!("database: no answer within {} s", DATABASE_WAIT.as_secs()));
            "unreachable".to_owned()
        }
        Ok(Err(e)) => {
            failing.push(format!("database: {e}"));
            "failing".to_owned()
        }
        Ok(Ok(behind)) => {
            // An answer is an answer: pages need not wait for the next probe.
            svc.database.mark(true);
            if behind > 0 {
                failing.push(format!("migrations: {behind} not applied (run keyport migrate, or start a node of this version)"));
            } else if behind < 0 {
                failing.push(format!("migrations: the database has {} this version does not know (migrated by a newer Keyport)", -behind));
            }
            format!("answered in {} ms", started.elapsed().as_millis())
        }
    };
    for (name, ago) in health.stale() {
        failing.push(format!("worker {name}: last ran {} s ago", ago.as_secs()));
    }
    let ready = failing.is_empty();
    let body = json!({ "ready": ready, "database": database, "failing": failing });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_that_stops_beating_is_named() {
        let h = Health::default();
        h.beat("usage", Duration::from_millis(20));
        h.beat("outbox", Duration::from_secs(60));
        assert!(h.stale().is_empty());
        std::thread::sleep(Duration::from_millis(40));
        let stale: Vec<_> = h.stale().into_iter().map(|(n, _)| n).collect();
        assert_eq!(stale, ["usage"]);
        h.beat("usage", Duration::from_millis(20));
        assert!(h.stale().is_empty(), "beating again makes it alive");
    }
}
