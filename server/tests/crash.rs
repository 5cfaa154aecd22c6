//! Crash safety of usage counting: the `keyport` binary is killed (SIGKILL, no shutdown) in the
//! middle of a load of verifications and served-request reports, then started again on the
//! same database. What was stored is never more than what was acknowledged (nothing counted
//! twice) and never less than that minus what was acknowledged in the last flush interval
//! (plus the time one flush takes to write) before the kill.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");
const FLUSH_MS: u64 = 200;
/// Time a flush may take to commit once started, on a busy test machine.
const FLUSH_WRITE_MS: u64 = 300;

fn keyport(dir: &Path, port: u16) -> Command {
    let mut c = Command::new(KEYPORT);
    c.env("KEYPORT_DATA_DIR", dir)
        .env("KEYPORT_LOG", "warn")
        .env("KEYPORT_SITE_ROOT", dir)
        .env("KEYPORT_USAGE_FLUSH_MS", FLUSH_MS.to_string())
        .env("KEYPORT_LISTEN", format!("127.0.0.1:{port}"));
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(dir: &Path) -> (Child, String) {
    let port = free_port();
    let child = keyport(dir, port).arg("serve").spawn().expect("start keyport");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..400 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            return (child, base);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("keyport did not start");
}

async fn stored(dir: &Path) -> (i64, i64) {
    use sea_orm::ConnectionTrait;
    let url = format!("sqlite://{}?mode=rwc", dir.join("keyport.db").display());
    let db = keyport_core::services::connect(&url).await.unwrap();
    let sum = |sql: &'static str| {
        let db = &db;
        async move {
            let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get::<i64>("", "s").unwrap()
        }
    };
    let verified = sum("SELECT CAST(COALESCE(SUM(valid + refused), 0) AS BIGINT) AS s FROM usage_minutes").await;
    let served = sum("SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS s FROM usage_minute_http").await;
    (verified, served)
}

/// Acknowledgements with the time they arrived: (when, verifications, served events).
type Acks = Arc<Mutex<Vec<(Instant, i64, i64)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_at_most_the_last_flush_interval_and_never_counts_twice() {
    let dir: PathBuf = std::env::temp_dir().join(format!("keyport-crash-{}", keyport_core::crypto::random_base62(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut child, base) = start(&dir).await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/register"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "crash@example.com"), ("password", "correct horse battery staple")])
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().ok()?.strip_prefix("__Host-keyport_session=").map(|r| r.split(';').next().unwrap().to_owned()))
        .expect("session cookie");
    let created: serde_json::Value = client
        .post(format!("{base}/api/keys/create"))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("__Host-keyport_session={cookie}"))
        .form(&[("name", "crash"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "1000")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (key, key_id) = (created["secret"].as_str().unwrap().to_owned(), created["key"]["id"].as_str().unwrap().to_owned());
    let out = Command::new(KEYPORT).env("KEYPORT_DATA_DIR", &dir).env("KEYPORT_LOG", "warn").args(["tokens", "create", "--name", "crash"]).output().unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    // Four clients: two verify (stopping short of the rate limit), two report batches of 50.
    let acks: Acks = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let batch = serde_json::json!({ "events": (0..50).map(|i| serde_json::json!({
        "key_id": key_id, "endpoint": format!("GET /r/{}", i % 5), "status": if i % 7 == 0 { 500 } else { 200 }, "latency_ms": 5 + i,
    })).collect::<Vec<_>>() })
    .to_string();
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let (client, base, token, key, batch, acks, stop) = (client.clone(), base.clone(), token.clone(), key.clone(), batch.clone(), acks.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let (path, body) = if i < 2 { ("keys/verify", serde_json::json!({ "key": key }).to_string()) } else { ("usage", batch.clone()) };
                    let sent = client.post(format!("{base}/v1/{path}")).bearer_auth(&token).header("content-type", "application/json").body(body).send().await;
                    // Only complete answers count as acknowledged; a request cut by the kill is not.
                    let Ok(res) = sent else { continue };
                    let status = res.status();
                    let Ok(bytes) = res.bytes().await else { continue };
                    let at = Instant::now();
                    if i < 2 && status == 200 {
                        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                        assert_eq!(v["code"], "VALID", "the load stays under the rate limit");
                        acks.lock().unwrap().push((at, 1, 0));
                    } else if i >= 2 && status == 202 {
                        acks.lock().unwrap().push((at, 0, 50));
                    }
                    if i < 2 {
                        // 2 clients × ~6/s stays far under 1000/min.
                        tokio::time::sleep(Duration::from_millis(150)).await;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    child.kill().expect("SIGKILL");
    let killed_at = Instant::now();
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }

    let acks = acks.lock().unwrap().clone();
    let total = |f: fn(&(Instant, i64, i64)) -> i64| acks.iter().map(f).sum::<i64>();
    let window = Duration::from_millis(FLUSH_MS + FLUSH_WRITE_MS);
    let recent = |f: fn(&(Instant, i64, i64)) -> i64| acks.iter().filter(|a| a.0 + window >= killed_at).map(f).sum::<i64>();
    let (verified_acked, served_acked) = (total(|a| a.1), total(|a| a.2));
    let (verified_recent, served_recent) = (recent(|a| a.1), recent(|a| a.2));
    assert!(verified_acked > 10 && served_acked > 1000, "the load ran: {verified_acked} verifications, {served_acked} events");

    // Restart on the same database: it comes up and counts again.
    let (mut again, base2) = start(&dir).await;
    let (verified, served) = stored(&dir).await;
    println!("acknowledged {verified_acked} verifications / {served_acked} events; stored {verified} / {served}; last {window:?}: {verified_recent} / {served_recent}");
    assert!(verified <= verified_acked, "verifications counted twice: {verified} > {verified_acked}");
    assert!(served <= served_acked, "events counted twice: {served} > {served_acked}");
    assert!(verified >= verified_acked - verified_recent, "lost more than the last flush: {verified} < {verified_acked} - {verified_recent}");
    assert!(served >= served_acked - served_recent, "lost more than the last flush: {served} < {served_acked} - {served_recent}");
    let v: serde_json::Value =
        client.post(format!("{base2}/v1/keys/verify")).bearer_auth(&token).json(&serde_json::json!({ "key": key })).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["code"], "VALID");
    let _ = again.kill();
    let _ = again.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
