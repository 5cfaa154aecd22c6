//! Booting the app and talking to it like a browser and like an operator's backend.

use chrono::{DurationRound, Utc};
use keyport_core::clock::ManualClock;
use keyport_core::dto::{CreatedKey, KeyView, UsageSummary};
use keyport_core::Services;
use keyport_server::{Application, Settings};
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use sea_orm::ConnectionTrait;
use std::sync::{Arc, Mutex};

/// A fixed secret, so tests do not write one to disk.
const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// Which database the suite runs on.
pub fn backend() -> String {
    std::env::var("KEYPORT_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into())
}

/// Where the PostgreSQL server for tests is (admin connection).
pub fn postgres_admin_url() -> String {
    std::env::var("KEYPORT_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

enum TestDb {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres(name) => {
                let name = name.clone();
                // Drop runs inside the test's runtime; use a separate thread and runtime.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async {
                        if let Ok(db) = keyport_core::services::connect(&postgres_admin_url()).await {
                            let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A running server and a cookie-keeping client.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The services behind the HTTP surface.
    pub services: Arc<Services>,
    /// The clock the server reads; tests move it.
    pub clock: ManualClock,
    client: Client,
    cookie: Mutex<Option<String>>,
    _db: TestDb,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn unique() -> String {
    keyport_core::crypto::random_base62(12).to_lowercase()
}

/// Boots a fresh app.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Boots a fresh app after adjusting its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let id = unique();
    let (db, url) = if backend() == "postgres" {
        let name = format!("keyport_test_{id}");
        let admin = keyport_core::services::connect(&postgres_admin_url())
            .await
            .expect("PostgreSQL for tests is reachable (set KEYPORT_TEST_POSTGRES_URL)");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        let base = postgres_admin_url();
        let url = format!("{}/{name}", &base[..base.rfind('/').expect("url has a database")]);
        (TestDb::Postgres(name), Some(url))
    } else {
        (TestDb::Sqlite(std::env::temp_dir().join(format!("keyport-test-{id}"))), None)
    };
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        secret: Some(TEST_SECRET.into()),
        usage_flush_ms: 50,
        database_url: url,
        ..Settings::default()
    };
    if let TestDb::Sqlite(dir) = &db {
        settings.data_dir = dir.clone();
    }
    adjust(&mut settings);
    // Whole seconds, mid-minute: a test's burst never straddles a rate-limit window.
    let start = Utc::now().duration_trunc(chrono::Duration::minutes(1)).unwrap() + chrono::Duration::seconds(5);
    let clock = ManualClock::new(start);
    let app = Application::build_with_clock(settings, Arc::new(clock.clone())).await.expect("app builds");
    let base = app.base_url().to_owned();
    let services = app.services();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base, services, clock, client, cookie: Mutex::new(None), _db: db, _stop: tx }
}

/// A unique email address.
pub fn email() -> String {
    format!("dev-{}@example.com", unique())
}

/// A password that meets the policy.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// The raw client (no cookies, no same-origin headers).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The session cookie value, if signed in.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// Replaces the session cookie (to act as another browser).
    pub fn set_session_cookie(&self, c: Option<String>) {
        *self.cookie.lock().unwrap() = c;
    }

    fn remember_cookies(&self, headers: &HeaderMap) {
        for v in headers.get_all(SET_COOKIE) {
            let s = v.to_str().unwrap();
            let pair = s.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if name == "__Host-keyport_session" {
                *self.cookie.lock().unwrap() = (!value.is_empty()).then(|| value.to_owned());
            }
        }
    }

    /// Calls a server function as the portal's own page would (same-origin fetch).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        let mut req = self
            .client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("sec-fetch-site", "same-origin")
            .form(form);
        if let Some(c) = self.session_cookie() {
            req = req.header(COOKIE, format!("__Host-keyport_session={c}"));
        }
        let res = req.send().await.unwrap();
        self.remember_cookies(res.headers());
        res
    }

    /// GET a page with the session cookie, as a browser navigation.
    pub async fn page(&self, path: &str) -> Response {
        let mut req = self.client.get(format!("{}{path}", self.base)).header("accept", "text/html");
        if let Some(c) = self.session_cookie() {
            req = req.header(COOKIE, format!("__Host-keyport_session={c}"));
        }
        req.send().await.unwrap()
    }

    /// Registers and stays signed in.
    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.call("register", &[("email", email), ("password", password)]).await
    }

    /// Registers a fresh user; panics unless it worked.
    pub async fn signed_in(&self) -> String {
        let e = email();
        let res = self.register(&e, PASSWORD).await;
        assert!(res.status().is_success(), "register failed: {}", res.status());
        e
    }

    /// Signs in.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.call("login", &[("email", email), ("password", password)]).await
    }

    /// Creates a key; panics unless it worked.
    pub async fn create_key(&self, name: &str, env: &str, expiry: &str) -> CreatedKey {
        let res = self.call("keys/create", &[("name", name), ("environment", env), ("expiry", expiry)]).await;
        assert_eq!(res.status(), StatusCode::OK, "create key");
        res.json().await.unwrap()
    }

    /// Lists the active team's keys; panics unless it worked.
    pub async fn list_keys(&self) -> Vec<KeyView> {
        let res = self.call("keys/list", &[]).await;
        assert_eq!(res.status(), StatusCode::OK, "list keys");
        res.json().await.unwrap()
    }

    /// The dashboard's usage summary.
    pub async fn usage(&self) -> UsageSummary {
        let res = self.call("usage/summary", &[]).await;
        assert_eq!(res.status(), StatusCode::OK, "usage summary");
        res.json().await.unwrap()
    }

    /// A fresh operator token.
    pub async fn operator_token(&self) -> String {
        self.services.create_operator_token("tests").await.unwrap().token
    }

    /// `POST /v1/keys/verify` with a JSON body.
    pub async fn verify_raw(&self, token: Option<&str>, body: String) -> Response {
        let mut req = self
            .client
            .post(format!("{}/v1/keys/verify", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// Verifies a key and returns the JSON answer.
    pub async fn verify(&self, token: &str, key: &str) -> serde_json::Value {
        let res = self.verify_raw(Some(token), serde_json::json!({ "key": key }).to_string()).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Waits until `check` holds, polling; fails after a generous deadline. Not a timing
    /// assertion: it only bounds how long a broken build takes to fail.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..200 {
            if check().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("never happened: {what}");
    }
}
