//! The database out of reach, end to end: a PostgreSQL server of the test's own (initdb in a
//! temporary directory, its own port) is stopped under a running node and started again.
//! While it is down, portal pages answer a "temporarily unavailable" page (503) within 2 s,
//! server functions a typed error within 2 s, `/readyz` 503 naming the database while
//! `/healthz` stays 200, a key already in use keeps verifying and a key the node never read
//! answers `UNAVAILABLE` (never `NOT_FOUND`). When it is back, everything works without a
//! restart and the usage counted meanwhile is stored.

use crate::helpers::{spawn_app_with, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A PostgreSQL server started for one test, stopped (and its files removed) when dropped.
struct OwnPostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl OwnPostgres {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries (Debian's postgresql package) are installed")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|b| b.join("pg_ctl").exists())
            .expect("pg_ctl under /usr/lib/postgresql/*/bin");
        let dir = std::env::temp_dir().join(format!("keyport-outage-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = Self { bin, dir, port };
        assert!(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&pg.dir).status().unwrap().success());
        let data = pg.dir.join("data");
        pg.as_postgres(&[pg.bin.join("initdb").to_str().unwrap(), "-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres", "--no-sync"]);
        pg.ctl("start");
        pg
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn as_postgres(&self, args: &[&str]) {
        let out = Command::new("runuser").args(["-u", "postgres", "--"]).args(args).output().expect("runuser");
        assert!(out.status.success(), "{args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    fn ctl(&self, what: &str) {
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let opts = format!("-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off", self.port, self.dir.display());
        let ctl = self.bin.join("pg_ctl");
        match what {
            "start" => self.as_postgres(&[ctl.to_str().unwrap(), "-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &opts, "-w", "start"]),
            _ => self.as_postgres(&[ctl.to_str().unwrap(), "-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]),
        }
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = Command::new("runuser").args(["-u", "postgres", "--"]).arg(self.bin.join("pg_ctl")).args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How long `f` took, and what it gave.
async fn timed<T>(f: impl std::future::Future<Output = T>) -> (Duration, T) {
    let t = Instant::now();
    let v = f.await;
    (t.elapsed(), v)
}

async fn verify_code(app: &TestApp, token: &str, key: &str) -> (StatusCode, String) {
    let res = app.verify_raw(Some(token), serde_json::json!({ "key": key }).to_string()).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_database_down_pages_say_so_fast_known_keys_verify_and_it_all_recovers_without_a_restart() {
    let pg = OwnPostgres::start();
    let url = pg.url();
    let app = spawn_app_with(move |s| s.database_url = Some(url)).await;
    app.signed_in().await;
    let token = app.operator_token().await;
    let warm = app.create_key("warm", "test", "never").await.secret.expose().to_owned();
    let cold = app.create_key("cold", "test", "never").await.secret.expose().to_owned();
    assert_eq!(verify_code(&app, &token, &warm).await, (StatusCode::OK, "VALID".into()));
    app.eventually("the first verify is stored", || async { app.usage().await.month_requests == 1 }).await;
    let before = 1;
    assert_eq!(app.client().get(format!("{}/readyz", app.base)).send().await.unwrap().status(), StatusCode::OK);

    pg.ctl("stop");
    let down = Instant::now();
    // The first page after the stop, before anything noticed: within 2 s.
    let (took, res) = timed(app.page("/portal")).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.unwrap().contains("Temporarily unavailable"));
    assert!(took < Duration::from_secs(2), "the first page took {took:?}");
    eprintln!("outage: first page {took:?}");
    let (took, res) = timed(app.page("/portal/keys")).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < Duration::from_millis(500), "once known, at once: {took:?}");
    eprintln!("outage: next page {took:?}");
    let (took, res) = timed(app.call("keys/list", &[])).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < Duration::from_secs(2), "server function took {took:?}");
    assert_eq!(res.json::<Value>().await.unwrap(), Value::String("Unavailable".into()), "the typed error the UI shows");

    // Known keys keep verifying; a key this node never read is UNAVAILABLE, not NOT_FOUND.
    let mut acknowledged = 0;
    for _ in 0..25 {
        let (status, code) = verify_code(&app, &token, &warm).await;
        assert_eq!((status, code.as_str()), (StatusCode::OK, "VALID"));
        acknowledged += 1;
    }
    let (took, (status, code)) = timed(verify_code(&app, &token, &cold)).await;
    assert_eq!((status, code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"));
    eprintln!("outage: unknown key answered in {took:?}");

    let res = app.client().get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert!(body["failing"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().starts_with("database")), "{body}");
    assert_eq!(app.client().get(format!("{}/healthz", app.base)).send().await.unwrap().status(), StatusCode::OK);
    // Long enough for several flushes to fail and keep what they could not write.
    tokio::time::sleep(Duration::from_millis(600)).await;
    eprintln!("outage: down for {:?}", down.elapsed());

    pg.ctl("start");
    let back = Instant::now();
    app.eventually("the node is ready again, without a restart", || async {
        app.client().get(format!("{}/readyz", app.base)).send().await.map(|r| r.status() == StatusCode::OK).unwrap_or(false)
    })
    .await;
    eprintln!("outage: ready {:?} after the database came back", back.elapsed());
    assert_eq!(app.page("/portal").await.status(), StatusCode::OK);
    assert_eq!(verify_code(&app, &token, &cold).await, (StatusCode::OK, "VALID".into()));
    app.eventually("the usage counted during the outage is stored", || async { app.usage().await.month_requests >= before + acknowledged + 1 }).await;
    assert_eq!(app.usage().await.month_requests, before + acknowledged + 1, "stored exactly once");
}
