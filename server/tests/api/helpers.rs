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
    settings: Settings,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _db: TestDb,
}

fn unique() -> String {
    keyport_core::crypto::random_base62(12).to_lowercase()
}

/// Boots a fresh app.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Everything every test's server logged, so a test can prove a secret never reached a log.
/// One subscriber for the whole test binary, at debug level for every crate.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.get().map(|l| l.lock().unwrap().clone()).unwrap_or_default()).into_owned()
}

static LOGS: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = LogWriter(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buf
    });
}

/// The one-time tokens in the links (`/portal/invite/…`, `/portal/reset/…`) of the emails
/// delivered to `to` through the server log (no SMTP: the log is the delivery, as on a local
/// install), oldest first; waits until there are `n`. The outbox page never shows them.
pub async fn logged_link_tokens(to: &str, path: &str, n: usize) -> Vec<String> {
    let marker = format!("email to {to} (no SMTP");
    for _ in 0..200 {
        let logs = captured_logs();
        let tokens: Vec<String> = logs
            .match_indices(&marker)
            .filter_map(|(at, _)| {
                let rest = &logs[at..];
                let end = rest[marker.len()..].find("email to ").map(|e| e + marker.len()).unwrap_or(rest.len());
                let chunk = &rest[..end];
                let start = chunk.find(path)? + path.len();
                let token: String = chunk[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
                (!token.is_empty()).then_some(token)
            })
            .collect();
        if tokens.len() >= n {
            return tokens;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never logged {n} emails to {to} with a {path} link");
}

/// The text of the emails to `to` delivered through the log so far.
pub fn logged_to(to: &str) -> Vec<String> {
    let logs = captured_logs();
    let marker = format!("email to {to} (no SMTP");
    logs.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &logs[at + marker.len()..];
            rest[..rest.find("email to ").unwrap_or(rest.len())].to_owned()
        })
        .collect()
}

/// A signed-up user and their browser's session cookie.
#[derive(Clone, Debug)]
pub struct User {
    /// Email address.
    pub email: String,
    /// User id.
    pub id: String,
    /// Personal team id.
    pub team_id: String,
    /// Session cookie value.
    pub cookie: String,
}

/// Boots a fresh app that delivers email over SMTP at `url`, with sign-ups signed in at once
/// as they are without SMTP (SMTP turns address confirmation on by default; the verification
/// tests keep it on).
pub async fn spawn_app_with_smtp(url: String) -> TestApp {
    let app = spawn_app_with(move |s| s.smtp_url = Some(url)).await;
    let meta = keyport_core::services::audit::RequestMeta::default();
    app.services.set_setting("signup.require_verification", "false", false, "cli", &meta).await.unwrap();
    app
}

/// Boots a fresh app after adjusting its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    capture_logs();
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
        // Every test's users sign up from 127.0.0.1; the throttle's own test sets it back.
        signups_per_address_per_hour: 100_000,
        // Likewise every call comes from one address; the portal limit's own test sets it.
        portal_ratelimit_per_minute: 100_000,
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
    let (base, services, stop, server) = boot(&settings, &clock).await;
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base, services, clock, client, cookie: Mutex::new(None), settings, stop: Some(stop), server: Some(server), _db: db }
}

type Booted = (String, Arc<Services>, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>);

async fn boot(settings: &Settings, clock: &ManualClock) -> Booted {
    let app = Application::build_with_clock(settings.clone(), Arc::new(clock.clone())).await.expect("app builds");
    let base = app.base_url().to_owned();
    let services = app.services();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    (base, services, tx, server)
}

/// Another node: its address and services.
pub struct Node {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Its services (its own cache and limiter).
    pub services: Arc<Services>,
    _stop: tokio::sync::oneshot::Sender<()>,
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

    /// Stops the server gracefully (as on SIGTERM) and starts a new one on the same database
    /// and clock; it listens on a new port.
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server ran");
        }
        let (base, services, stop, server) = boot(&self.settings, &self.clock).await;
        self.base = base;
        self.services = services;
        self.stop = Some(stop);
        self.server = Some(server);
    }

    /// A second server on the same database (another node of a cluster), with its own cache.
    pub async fn second_node(&self) -> Node {
        let (base, services, stop, _) = boot(&self.settings, &self.clock).await;
        Node { base, services, _stop: stop }
    }

    /// How many places in the whole database hold `needle`: on SQLite every byte of its
    /// files (the database, its write-ahead log, freed pages included); on PostgreSQL every
    /// row of every table, as text.
    pub async fn database_holds(&self, needle: &str) -> usize {
        use sea_orm::{ConnectionTrait, Statement};
        match &self._db {
            TestDb::Sqlite(dir) => {
                let mut found = 0;
                for entry in std::fs::read_dir(dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_file() {
                        let bytes = std::fs::read(&path).unwrap();
                        found += bytes.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count();
                    }
                }
                found
            }
            TestDb::Postgres(_) => {
                let db = &self.services.db;
                let tables = db
                    .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
                    .await
                    .unwrap();
                let mut found = 0;
                for t in tables {
                    let name: String = t.try_get("", "table_name").unwrap();
                    let sql = format!("SELECT count(*) AS n FROM \"{name}\" AS r WHERE r::text LIKE '%{needle}%'");
                    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
                    found += row.try_get::<i64>("", "n").unwrap() as usize;
                }
                found
            }
        }
    }

    /// Registers a new user in a browser of their own; the app's current cookie is kept.
    pub async fn new_user(&self) -> User {
        let before = self.session_cookie();
        let email = email();
        let res = self.register(&email, PASSWORD).await;
        assert!(res.status().is_success(), "register failed: {}", res.status());
        let cookie = self.session_cookie().unwrap();
        let s: serde_json::Value = self.call("session", &[]).await.json().await.unwrap();
        self.set_session_cookie(before);
        User {
            email,
            id: s["user"]["id"].as_str().unwrap().to_owned(),
            team_id: s["team"]["id"].as_str().unwrap().to_owned(),
            cookie,
        }
    }

    /// Continues as `user` (their browser's cookie).
    pub fn act_as(&self, user: &User) {
        self.set_session_cookie(Some(user.cookie.clone()));
    }

    /// Calls a server function with the given session cookie, leaving the app's own alone
    /// (so several "browsers" can act at the same moment).
    pub async fn call_as(&self, cookie: &str, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("sec-fetch-site", "same-origin")
            .header(COOKIE, format!("__Host-keyport_session={cookie}"))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Puts `user_id` into `team_id` with `role`, directly in the database: set-up for tests
    /// about what a role may do, which the invitation tests reach through the real flow.
    pub async fn add_member(&self, team_id: &str, user_id: &str, role: &str) {
        use keyport_core::entity::membership;
        use sea_orm::{ActiveModelTrait, Set};
        membership::ActiveModel {
            team_id: Set(team_id.to_owned()),
            user_id: Set(user_id.to_owned()),
            role: Set(role.to_owned()),
            created_at: Set(self.services.now()),
            last_active_at: Set(None),
        }
        .insert(&self.services.db)
        .await
        .unwrap();
    }

    /// Makes `team_id` the active team of the current cookie's session.
    pub async fn switch_to(&self, team_id: &str) {
        assert_eq!(self.call("teams/switch", &[("team_id", team_id)]).await.status(), StatusCode::OK, "switch team");
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

    /// Verifies `key` `n` times, 64 at a time; how many were `VALID`.
    pub async fn burst(&self, token: &str, key: &str, n: usize) -> usize {
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
        let calls = (0..n).map(|_| {
            let sem = sem.clone();
            async move {
                let _p = sem.acquire().await.unwrap();
                self.verify(token, key).await["code"] == "VALID"
            }
        });
        futures::future::join_all(calls).await.into_iter().filter(|ok| *ok).count()
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
