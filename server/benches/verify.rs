//! `make bench`: prints verify throughput against a bare route of the same server, the
//! database lookups made by warm verifies, and the rate limiter's cost per check at 1M keys.
//! Figures, not assertions: run it on a quiet machine and compare runs.

use keyport_core::services::ratelimit::FixedWindowLimiter;
use keyport_server::{Application, Settings};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECONDS: u64 = 5;
const CONNECTIONS: usize = 32;

async fn load(client: &reqwest::Client, url: &str, token: &str, body: Option<String>) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, token, body, done) = (client.clone(), url.to_owned(), token.to_owned(), body.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let req = match &body {
                        Some(b) => client.post(&url).bearer_auth(&token).header("content-type", "application/json").body(b.clone()),
                        None => client.get(&url),
                    };
                    let res = req.send().await.expect("request");
                    assert!(res.status().is_success());
                    let _ = res.bytes().await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / SECONDS as f64
}

fn limiter_ns_per_check() -> f64 {
    let l = FixedWindowLimiter::default();
    // The verify path keeps each key's slot in its cache entry, so the check starts from it.
    let ids: Vec<u64> = (0..1_000_000).map(|i| l.slot(&format!("key_{i:08}"))).collect();
    for id in &ids {
        l.check_slot(*id, 1_000_000, 60, 0);
    }
    let n = 5_000_000u64;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let start = Instant::now();
    let mut admitted = 0u64;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = ids[(x % ids.len() as u64) as usize];
        admitted += u64::from(l.check_slot(id, 1_000_000, 60, 1).allowed);
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    assert_eq!(admitted, n);
    ns
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("keyport-bench-{}", std::process::id()));
        let settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.clone(),
            secret: Some("bench-secret-bench-secret-bench-secret-0123".into()),
            log: "warn".into(),
            ..Settings::default()
        };
        let app = Application::build(settings).await.expect("app");
        let base = app.base_url().to_owned();
        let svc = app.services();
        tokio::spawn(app.run_until(std::future::pending()));
        let (caller, _) = svc.register("bench@example.com", "correct horse battery staple").await.unwrap();
        let input = keyport_core::services::keys::KeyInput { name: "bench", environment: "live", expiry: "never", ..Default::default() };
        let key = svc.create_key(&caller, input, &Default::default()).await.unwrap();
        // Keys are capped at 1000 requests per minute; the bench key gets far more, set in the
        // database before its first verify, so every measured request takes the VALID path.
        {
            use keyport_core::entity::api_key;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            api_key::Entity::update_many()
                .col_expr(api_key::Column::RatelimitPerMinute, sea_orm::sea_query::Expr::value(1_000_000_000i64))
                .filter(api_key::Column::Id.eq(&key.key.id))
                .exec(&svc.db)
                .await
                .unwrap();
        }
        let token = svc.create_operator_token("bench").await.unwrap().token;
        let body = serde_json::json!({ "key": key.secret.expose() }).to_string();
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
        // Warm up: the key enters the cache, connections open.
        load(&client, &format!("{base}/v1/keys/verify"), &token, Some(body.clone())).await;
        let hello = load(&client, &format!("{base}/healthz"), &token, None).await;
        let lookups_before = svc.verifier.db_lookups();
        let verify = load(&client, &format!("{base}/v1/keys/verify"), &token, Some(body)).await;
        let lookups = svc.verifier.db_lookups() - lookups_before;
        println!("keyport bench ({CONNECTIONS} connections, {SECONDS} s each, client and server on this machine)");
        println!("  GET /healthz            {hello:>10.0} req/s");
        println!("  POST /v1/keys/verify    {verify:>10.0} req/s  ({:.2} × the bare route)", verify / hello);
        println!("  DB lookups during the verify run: {lookups}");
        println!("  rate limiter at 1M keys {:>10.0} ns/check", limiter_ns_per_check());
        let _ = std::fs::remove_dir_all(dir);
    });
}
