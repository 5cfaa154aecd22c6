//! `make bench` (second part): how fast served-request reports are counted. One million
//! events over 100 keys and 20 endpoints go through the same path `POST /v1/usage` takes
//! after parsing (key by id, status, latency), in batches of 1000, then one flush writes the
//! per-minute rows. Then the usage page's question over 30 days: the hour rollups of ten
//! million simulated events (10 keys, 8 endpoints) are seeded, and the report is timed at each
//! range and granularity. Figures, not assertions.

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
        let keyport_core::services::auth::Registered::SignedIn(caller, _) = svc.register("bench@example.com", "correct horse battery staple", &Default::default(), &Default::default()).await.unwrap() else { panic!("the bench signs up without address confirmation") };
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
                ip: None,
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
        chart_bench(&svc).await;
        let _ = std::fs::remove_dir_all(dir);
    });
}

/// Seeds 30 days of hour rollups from ten million events for one team, then times the report.
async fn chart_bench(svc: &keyport_core::Services) {
    use keyport_core::dto::VerifyCode;
    use keyport_core::services::analytics::SeedEvent;
    use keyport_core::usage_report::{Granularity, UsageQuery, UsageRange};
    let keyport_core::services::auth::Registered::SignedIn(caller, _) = svc.register("charts@example.com", "correct horse battery staple", &Default::default(), &Default::default()).await.unwrap() else { panic!("the bench signs up without address confirmation") };
    let mut ids = Vec::new();
    for i in 0..10 {
        let name = format!("chart key {i}");
        let input = keyport_core::services::keys::KeyInput { name: &name, environment: if i < 7 { "live" } else { "test" }, expiry: "never", ..Default::default() };
        ids.push(svc.create_key(&caller, input, &Default::default()).await.unwrap().key.id);
    }
    let endpoints: Vec<String> = ["GET /payments", "POST /payments", "GET /invoices", "POST /invoices", "GET /customers", "PATCH /customers", "DELETE /payments", "GET /balance"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let n: u64 = 10_000_000;
    let now = svc.now().timestamp();
    let end = now - now.rem_euclid(3600);
    let span = 30 * 86_400;
    let team = caller.team.id.clone();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let events = (0..n).map(|i| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let r = x % 1000;
        let code = if r < 960 { VerifyCode::Valid } else if r < 985 { VerifyCode::RateLimited } else if r < 995 { VerifyCode::UsageExceeded } else { VerifyCode::Revoked };
        let status = if r < 930 { 200 } else if r < 990 { 404 } else { 503 };
        SeedEvent {
            key_id: &ids[(x >> 20) as usize % ids.len()],
            team_id: &team,
            at: end - span + (i as i64 * span / n as i64),
            endpoint: &endpoints[(x >> 32) as usize % endpoints.len()],
            code,
            status,
            latency_ms: 5.0 + ((x >> 40) % 120) as f64 + if r % 50 == 0 { ((x >> 8) % 900) as f64 } else { 0.0 },
        }
    });
    let start = Instant::now();
    let rows = svc.seed_hours(events).await.unwrap();
    // Days are rolled from the hours as the worker does it.
    let days = svc.roll_up(svc.now()).await.unwrap().days;
    println!("  seeded 30 days of hour rollups from {n} events (10 keys x 8 endpoints): {rows} rows, {days} days rolled, in {:.1} s", start.elapsed().as_secs_f64());
    for (range, g, key) in [
        (UsageRange::Days30, Granularity::Hour, None),
        (UsageRange::Days30, Granularity::Day, None),
        (UsageRange::Days30, Granularity::Hour, Some(ids[0].clone())),
        (UsageRange::Month, Granularity::Day, None),
        (UsageRange::Week, Granularity::Hour, None),
        (UsageRange::Day, Granularity::Hour, None),
    ] {
        let q = UsageQuery { range, granularity: g, key_id: key.clone(), environment: None };
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..21 {
            let t = Instant::now();
            let r = svc.usage_report(&caller, &q).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            total = r.totals.verifications();
        }
        times.sort_by(f64::total_cmp);
        let what = format!("{} per {}{}", range.label(), g.as_str(), if key.is_some() { ", one key" } else { "" });
        println!("  usage report {what:<32} median {:>6.1} ms  (min {:.1}, max {:.1})  {total} events", times[10], times[0], times[20]);
    }

    // Per minute over 24 hours reads minute rows: another team, 5 keys x 8 endpoints, one
    // million events over the last 24 hours through the aggregators and the flush.
    let keyport_core::services::auth::Registered::SignedIn(caller, _) = svc.register("minutes@example.com", "correct horse battery staple", &Default::default(), &Default::default()).await.unwrap() else { panic!("the bench signs up without address confirmation") };
    let mut ids = Vec::new();
    for i in 0..5 {
        let name = format!("minute key {i}");
        let input = keyport_core::services::keys::KeyInput { name: &name, environment: "live", expiry: "never", ..Default::default() };
        ids.push(svc.create_key(&caller, input, &Default::default()).await.unwrap().key.id);
    }
    let team = caller.team.id.clone();
    let n: u64 = 1_000_000;
    let day = 86_400;
    let events = (0..n).map(|i| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        SeedEvent {
            key_id: &ids[(x >> 20) as usize % ids.len()],
            team_id: &team,
            at: now - day + (i as i64 * day / n as i64),
            endpoint: &endpoints[(x >> 32) as usize % endpoints.len()],
            code: if x % 100 < 97 { VerifyCode::Valid } else { VerifyCode::RateLimited },
            status: if x % 100 < 95 { 200 } else { 500 },
            latency_ms: 5.0 + ((x >> 40) % 120) as f64,
        }
    });
    let start = Instant::now();
    svc.seed_minutes(events).await.unwrap();
    println!("  seeded 24 hours of minute rows from {n} events (5 keys x 8 endpoints) in {:.1} s", start.elapsed().as_secs_f64());
    // As the worker would have by now: the finished hours rolled up (the endpoints table reads
    // them; the per-minute chart reads the team's minute rows).
    let start = Instant::now();
    let rolled = svc.roll_up(svc.now()).await.unwrap();
    println!("  rolled {} hours up in {:.1} s", rolled.hours, start.elapsed().as_secs_f64());
    let q = UsageQuery { range: UsageRange::Day, granularity: Granularity::Minute, key_id: None, environment: None };
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        svc.usage_report(&caller, &q).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!("  usage report {:<32} median {:>6.1} ms  (min {:.1}, max {:.1})", "Last 24 hours per minute", times[5], times[0], times[10]);
}
