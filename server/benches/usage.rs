//! `make bench` (second part): how fast served-request reports are counted. One million
//! events over 100 keys and 20 endpoints go through the same path `POST /v1/usage` takes
//! after parsing (key by id, status, latency), in batches of 1000, then one flush writes the
//! per-minute rows. Figures, not assertions.

use keyport_core::clock::SystemClock;
use keyport_core::services::traffic::{KeyRef, ServedRequest};
use keyport_server::startup::build_services;
use keyport_server::Settings;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("keyport-usage-bench-{}", std::process::id()));
        let settings = Settings {
            data_dir: dir.clone(),
            secret: Some("bench-secret-bench-secret-bench-secret-0123".into()),
            max_keys_per_team: 1000,
            log: "warn".into(),
            ..Settings::default()
        };
        let svc = build_services(&settings, Arc::new(SystemClock), "http://127.0.0.1:3000").await.unwrap();
        let (caller, _) = svc.register("bench@example.com", "correct horse battery staple").await.unwrap();
        let mut ids = Vec::new();
        for i in 0..100 {
            let name = format!("key {i}");
            let input = keyport_core::services::keys::KeyInput { name: &name, environment: "live", expiry: "never", ..Default::default() };
            ids.push(svc.create_key(&caller, input, &Default::default()).await.unwrap().key.id);
        }
        let endpoints: Vec<String> = (0..20).map(|i| format!("GET /resource/{i}")).collect();
        let n = 1_000_000usize;
        let events: Vec<ServedRequest> = (0..n)
            .map(|i| ServedRequest {
                key: KeyRef::Id(&ids[i % ids.len()]),
                endpoint: Some(&endpoints[(i / 7) % endpoints.len()]),
                status: if i % 50 == 0 { 500 } else { 200 },
                latency_ms: (i % 997) as f64 / 3.0,
            })
            .collect();
        let start = Instant::now();
        for batch in events.chunks(1000) {
            svc.ingest_served(batch).await.unwrap();
        }
        let ingest = start.elapsed();
        let start = Instant::now();
        let rows = svc.flush_traffic().await.unwrap();
        let flush = start.elapsed();
        println!("keyport usage bench: {n} served-request events, 100 keys x 20 endpoints, batches of 1000");
        println!("  counted in memory     {:>10.0} events/s", n as f64 / ingest.as_secs_f64());
        println!("  flushed to SQLite     {rows} (key, minute, endpoint) rows in {} ms", flush.as_millis());
        let _ = std::fs::remove_dir_all(dir);
    });
}
