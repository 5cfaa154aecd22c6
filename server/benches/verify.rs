//! `make bench`: starts the release `keyport` binary as its own process and, from this process
//! (the load generator, on loopback), measures verify throughput against a bare route of the
//! same server, the database queries per warm verify (from `/v1/metrics`), and the rate
//! limiter's cost per check at 1M keys. Figures, not assertions: compare runs on a quiet
//! machine.

use keyport_core::services::ratelimit::FixedWindowLimiter;
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

/// The release `keyport` binary Cargo built for this bench.
const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");

/// A `keyport serve` child process on a free port with its own data directory.
struct Server {
    child: std::process::Child,
    base: String,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn keyport(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(KEYPORT);
    c.args(args).env("KEYPORT_DATA_DIR", dir).env("KEYPORT_LOG", "warn").env("KEYPORT_SITE_ROOT", dir);
    c
}

async fn start_server() -> Server {
    let dir = std::env::temp_dir().join(format!("keyport-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let child = keyport(&dir, &["serve"]).env("KEYPORT_LISTEN", format!("127.0.0.1:{port}")).spawn().expect("start keyport serve");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Server { child, base, dir };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("keyport serve did not come up");
}

/// Calls a portal server function as the browser would.
async fn call(client: &reqwest::Client, base: &str, cookie: &str, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client
        .post(format!("{base}/api/{endpoint}"))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("__Host-keyport_session={cookie}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn db_queries(client: &reqwest::Client, base: &str, token: &str) -> u64 {
    let text = client.get(format!("{base}/v1/metrics")).bearer_auth(token).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("keyport_verify_db_queries_total ")).expect("metric");
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let server = start_server().await;
        let base = server.base.clone();
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
        // An account and a key through the portal's own API, an operator token by the CLI.
        let res = client
            .post(format!("{base}/api/register"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", "bench@example.com"), ("password", "correct horse battery staple")])
            .send()
            .await
            .unwrap();
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .find_map(|v| v.to_str().ok()?.strip_prefix("__Host-keyport_session=").map(|r| r.split(';').next().unwrap().to_owned()))
            .expect("session cookie");
        let created: serde_json::Value =
            call(&client, &base, &cookie, "keys/create", &[("name", "bench"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "1000")])
                .await
                .json()
                .await
                .unwrap();
        let key = created["secret"].as_str().expect("key").to_owned();
        let key_id = created["key"]["id"].as_str().unwrap().to_owned();
        let out = keyport(&server.dir, &["tokens", "create", "--name", "bench"]).output().expect("keyport tokens create");
        let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        // Keys are capped at 1000 requests per minute; the bench key gets far more, set in the
        // database before its first verify, so every measured request takes the VALID path.
        {
            use keyport_core::entity::api_key;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let url = format!("sqlite://{}?mode=rwc", server.dir.join("keyport.db").display());
            let db = keyport_core::services::connect(&url).await.unwrap();
            api_key::Entity::update_many()
                .col_expr(api_key::Column::RatelimitPerMinute, sea_orm::sea_query::Expr::value(1_000_000_000i64))
                .filter(api_key::Column::Id.eq(&key_id))
                .exec(&db)
                .await
                .unwrap();
        }
        let body = serde_json::json!({ "key": key }).to_string();
        // Warm up: the key enters the cache, connections open.
        load(&client, &format!("{base}/v1/keys/verify"), &token, Some(body.clone())).await;
        let hello = load(&client, &format!("{base}/healthz"), &token, None).await;
        let before = db_queries(&client, &base, &token).await;
        let verify = load(&client, &format!("{base}/v1/keys/verify"), &token, Some(body)).await;
        let queries = db_queries(&client, &base, &token).await - before;
        let verifies = verify * SECONDS as f64;
        println!("keyport bench: the release server as its own process, a load generator on loopback");
        println!("({CONNECTIONS} keep-alive connections, {SECONDS} s per route, both processes on this machine's cores)");
        println!("  GET /healthz (bare route)  {hello:>10.0} req/s");
        println!("  POST /v1/keys/verify       {verify:>10.0} req/s  ({:.2} x the bare route)", verify / hello);
        println!("  DB queries per verify      {:>10.6}  ({queries} in {verifies:.0} verifies)", queries as f64 / verifies.max(1.0));
        println!("  rate limiter at 1M keys    {:>10.0} ns/check", limiter_ns_per_check());

        // Served-request reports: batches of 1000 events (20 endpoints, varied status and
        // latency) on the same connections; then how long until the worker's flushes have
        // stored every acknowledged event.
        let events: Vec<serde_json::Value> = (0..1000)
            .map(|i| serde_json::json!({
                "key_id": key_id, "endpoint": format!("GET /resource/{}", i % 20),
                "status": if i % 40 == 0 { 500 } else if i % 9 == 0 { 404 } else { 200 }, "latency_ms": 3 + (i * 7) % 250,
            }))
            .collect();
        let batch = serde_json::json!({ "events": events }).to_string();
        let reports = load(&client, &format!("{base}/v1/usage"), &token, Some(batch)).await;
        let acknowledged = (reports * SECONDS as f64).round() as i64 * 1000;
        let ended = Instant::now();
        let url = format!("sqlite://{}?mode=rwc", server.dir.join("keyport.db").display());
        let db = keyport_core::services::connect(&url).await.unwrap();
        let stored = loop {
            use sea_orm::ConnectionTrait;
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS s FROM usage_minute_http"))
                .await
                .unwrap()
                .unwrap();
            let stored: i64 = row.try_get("", "s").unwrap();
            if stored >= acknowledged || ended.elapsed() > Duration::from_secs(30) {
                break stored;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        println!("  POST /v1/usage (1000/batch) {:>9.0} events/s  ({acknowledged} acknowledged; {stored} stored {} ms after the load ended)", reports * 1000.0, ended.elapsed().as_millis());
    });
}
