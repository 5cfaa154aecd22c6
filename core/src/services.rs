//! The services: all business logic, behind one `Services` value that the server builds once.

pub mod accounts;
pub mod billing;
pub mod demo;
pub mod keys;
pub mod mail;
pub mod provider;
pub mod teams;
pub mod usage;

// Every service module by its short name too (`services::verify`, `services::audit`), so a
// path names the capability, whichever domain folder holds it.
pub use billing::{catalogue, invoices, plans};
pub use accounts::{account, auth, email_change, mfa, passwords, sso, tokens};
pub use keys::{leaks, quota, ratelimit, verify};
pub use mail::{outbox, templates};
pub use provider::{admin, docs, embed, settings};
pub use teams::{audit, invitations, members};
pub use usage::{alerts, analytics, rollup, traffic};

use crate::clock::Clock;
use crate::crypto::ServerSecret;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use std::sync::Arc;
use std::time::Duration;

/// Who decides on a key (or a change to one) that needs approval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ApprovalBy {
    /// The provider's admins only (`keyport keys approve`): the default.
    #[default]
    Operator,
    /// Another owner or admin of the key's team (never the requester), or the operator.
    Team,
}

impl ApprovalBy {
    /// `operator` or `team`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "operator" => Some(Self::Operator),
            "team" => Some(Self::Team),
            _ => None,
        }
    }
}

/// Tunables the operator sets in the configuration.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Requests per minute a new key may make.
    pub default_ratelimit_per_minute: i64,
    /// Verifications a team may make per calendar month (shown on the dashboard).
    pub monthly_quota: i64,
    /// How long a browser session lives.
    pub session_ttl: chrono::Duration,
    /// Concurrent password hashes allowed (each takes 19 MiB and tens of milliseconds).
    pub password_hash_concurrency: usize,
    /// The portal's public URL, for links in emails (no trailing slash).
    pub base_url: String,
    /// The permissions keys can be granted (`payments:read`, …), in the operator's order.
    pub scopes: Vec<String>,
    /// The scopes pre-selected when a key is created.
    pub default_scopes: Vec<String>,
    /// The highest rate limit (requests per minute) a key may be given.
    pub max_ratelimit_per_minute: i64,
    /// The most keys a team may have that still work.
    pub max_active_keys: u64,
    /// The operator's API (what keys are for), for the snippets shown with a new key.
    pub api_base_url: String,
    /// Live keys need an owner's or admin's approval before they work.
    pub approval_live: bool,
    /// Keys with any of these scopes need approval.
    pub approval_scopes: Vec<String>,
    /// Who decides on keys that need approval.
    pub approval_by: ApprovalBy,
    /// Accounts one client address may create per hour.
    pub signups_per_address_per_hour: u64,
    /// Server function calls a session may make per minute (the first default of
    /// `portal.ratelimit_per_minute`).
    pub portal_ratelimit_per_minute: i64,
    /// How long per-minute usage rows are kept (once rolled into hours).
    pub minute_retention: chrono::Duration,
    /// How long hourly usage rows are kept (once rolled into days); days are kept for ever.
    pub hour_retention: chrono::Duration,
    /// Emails reach mailboxes (SMTP is configured): the default of
    /// `signup.require_verification`.
    pub mail_configured: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            default_ratelimit_per_minute: 60,
            monthly_quota: 10_000,
            session_ttl: chrono::Duration::days(30),
            password_hash_concurrency: 4,
            base_url: "http://127.0.0.1:3000".into(),
            scopes: ["payments:read", "payments:write", "invoices:read", "invoices:write"].map(String::from).to_vec(),
            default_scopes: ["payments:read", "invoices:read"].map(String::from).to_vec(),
            max_ratelimit_per_minute: 1000,
            max_active_keys: 20,
            api_base_url: "https://api.example.com".into(),
            approval_live: false,
            approval_scopes: Vec::new(),
            approval_by: ApprovalBy::Operator,
            signups_per_address_per_hour: 20,
            portal_ratelimit_per_minute: 120,
            minute_retention: chrono::Duration::days(7),
            hour_retention: chrono::Duration::days(90),
            mail_configured: false,
        }
    }
}

/// Everything the handlers need, built once at start-up and shared.
pub struct Services {
    /// The database.
    pub db: DatabaseConnection,
    /// The secret keys are hashed under.
    pub secret: ServerSecret,
    /// The clock (a manual one in tests).
    pub clock: Arc<dyn Clock>,
    /// Operator tunables from the environment: the first defaults of the live settings, and
    /// what no setting changes.
    pub config: ServiceConfig,
    /// The settings in effect (see [`Services::settings`]).
    pub(crate) settings: settings::SettingsCache,
    /// Password hashing, off the async threads and capped.
    pub passwords: passwords::PasswordHasher,
    /// Throttles sign-in attempts per account and per address before any hashing.
    pub login_limiter: ratelimit::FixedWindowLimiter,
    /// Server function calls per session and per address, per minute (pruned each minute).
    pub portal_limiter: ratelimit::FixedWindowLimiter,
    /// Account creations per client address, per hour (pruned hourly).
    pub signup_limiter: ratelimit::FixedWindowLimiter,
    /// The key verification cache and rate limiter.
    pub verifier: verify::Verifier,
    /// Usage counted in memory, flushed by a worker.
    pub usage: usage::UsageAggregator,
    /// Monthly quota units leased by this node.
    pub quota: quota::QuotaLeases,
    /// The plans in effect (reloaded with the settings).
    pub plans: plans::PlanCache,
    /// Served-request reports counted in memory, flushed with the usage.
    pub traffic: traffic::TrafficAggregator,
    /// The per-key request log, held in memory until flushed with the usage.
    pub request_log: usage::request_log::RequestLog,
    /// Operator token cache.
    pub tokens: tokens::TokenCache,
    /// How emails leave: SMTP, or the log when none is configured.
    pub mailer: Arc<dyn outbox::Mailer>,
    /// Wakes the outbox worker when an email is queued.
    pub outbox_wakeup: tokio::sync::Notify,
    /// Held by each usage flush and each rollup pass, so a rollup never runs while a flush of
    /// this node is still writing minutes it would roll.
    pub(crate) flush_lock: tokio::sync::Mutex<()>,
    /// Whether the database answers, as last seen.
    pub database: DatabaseHealth,
}

/// Whether the database answers: marked down by a failed probe or by a request that could not
/// reach it, up again by the next probe that gets an answer (a worker probes every second).
/// Portal pages and server functions answer "temporarily unavailable" at once while it is down
/// instead of each waiting for the pool.
#[derive(Debug, Default)]
pub struct DatabaseHealth {
    /// Milliseconds since the Unix epoch when it was first seen down; 0 while up.
    down_since: std::sync::atomic::AtomicI64,
    /// Woken when it goes down.
    went_down: tokio::sync::Notify,
}

impl DatabaseHealth {
    /// Whether the database was last seen out of reach.
    pub fn is_down(&self) -> bool {
        self.down_since.load(std::sync::atomic::Ordering::Relaxed) != 0
    }

    /// Records what was seen; returns whether that changed the state.
    pub fn mark(&self, up: bool) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        if up {
            self.down_since.swap(0, Relaxed) != 0
        } else {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_millis().max(1) as i64);
            let changed = self.down_since.compare_exchange(0, now, Relaxed, Relaxed).is_ok();
            if changed {
                self.went_down.notify_waiters();
            }
            changed
        }
    }

    /// Returns once the database is seen down (at once if it is): a request racing this
    /// gives up on waiting for the pool as soon as anyone finds out.
    pub async fn wait_down(&self) {
        loop {
            let woken = self.went_down.notified();
            if self.is_down() {
                return;
            }
            woken.await;
        }
    }

    /// How long it has been down, if it is.
    pub fn down_for(&self) -> Option<Duration> {
        let since = self.down_since.load(std::sync::atomic::Ordering::Relaxed);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        (since != 0).then(|| Duration::from_millis(now.saturating_sub(since).max(0) as u64))
    }
}

impl Services {
    /// Builds the services over an open database.
    pub fn new(
        db: DatabaseConnection,
        secret: ServerSecret,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
    ) -> Self {
        Self {
            db,
            secret,
            clock,
            passwords: passwords::PasswordHasher::new(config.password_hash_concurrency),
            settings: settings::SettingsCache::new(&config),
            config,
            login_limiter: ratelimit::FixedWindowLimiter::default(),
            signup_limiter: ratelimit::FixedWindowLimiter::default(),
            portal_limiter: ratelimit::FixedWindowLimiter::default(),
            verifier: verify::Verifier::default(),
            usage: usage::UsageAggregator::default(),
            quota: quota::QuotaLeases::default(),
            plans: plans::PlanCache::default(),
            traffic: traffic::TrafficAggregator::default(),
            request_log: usage::request_log::RequestLog::default(),
            tokens: tokens::TokenCache::default(),
            mailer: Arc::new(outbox::LogMailer),
            outbox_wakeup: tokio::sync::Notify::new(),
            flush_lock: tokio::sync::Mutex::new(()),
            database: DatabaseHealth::default(),
        }
    }

    /// Asks the database for an answer within `wait` and records what it found; returns
    /// whether it answered.
    pub async fn probe_database(&self, wait: Duration) -> bool {
        let up = matches!(tokio::time::timeout(wait, self.db.ping()).await, Ok(Ok(())));
        if self.database.mark(up) {
            if up {
                tracing::warn!("the database answers again");
            } else {
                tracing::error!("the database does not answer: pages and server functions say so; known keys keep verifying");
            }
        }
        up
    }

    /// The same services, delivering email through `mailer`.
    pub fn with_mailer(mut self, mailer: Arc<dyn outbox::Mailer>) -> Self {
        self.mailer = mailer;
        self
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at `BEGIN`
    /// (waiting up to the busy timeout), because a deferred transaction that read first fails
    /// at once with "database is locked" if another connection wrote in between.
    pub async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, DbErr> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
    }

    /// Now, by the services' clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Opens the database (creating an SQLite file if needed) and applies pending migrations.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

/// The PostgreSQL advisory lock every Keyport process takes to migrate (`keyport` in ASCII).
const MIGRATION_LOCK: i64 = 0x6b65_7970_6f72_74;

/// Applies pending migrations, one process at a time, so nodes started together all come
/// up: on PostgreSQL under a transaction-scoped advisory lock (the others wait for it, then
/// find nothing pending); on SQLite inside one immediate transaction (SQLite's own write
/// lock; the others wait on it). A database migrated by a newer Keyport is refused, naming what it has.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait};
    // On SQLite an immediate transaction takes the write lock at BEGIN; the others wait on
    // it (busy_timeout), then find nothing pending.
    let txn = db.begin_with_options(TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() }).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
    }
    refuse_newer(&txn).await?;
    crate::migration::Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// How far the database is behind this build: the migrations not applied yet, or — less
/// than zero — how many it has that this build does not know (a newer Keyport migrated it).
pub async fn migrations_behind<C: sea_orm::ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let known = crate::migration::Migrator::migrations().len() as i64;
    let applied = applied_migrations(db).await?;
    let unknown = unknown_migrations(&applied).len() as i64;
    Ok(if unknown > 0 { -unknown } else { known - applied.len() as i64 })
}

fn unknown_migrations(applied: &[String]) -> Vec<String> {
    let known: std::collections::HashSet<String> = crate::migration::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let mut unknown: Vec<String> = applied.iter().filter(|v| !known.contains(*v)).cloned().collect();
    unknown.sort();
    unknown
}

/// Fails when the database holds migrations this build does not know.
async fn refuse_newer<C: sea_orm::ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let unknown = unknown_migrations(&applied_migrations(db).await?);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(DbErr::Custom(format!(
        "this database was migrated by a newer Keyport: it has {}, which this version ({}) does not know. Run that version or a newer one, or restore the backup taken before the upgrade.",
        unknown.join(", "),
        env!("CARGO_PKG_VERSION")
    )))
}

/// The migrations recorded in the database (none before the first).
async fn applied_migrations<C: sea_orm::ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let exists = match backend {
        sea_orm::DbBackend::Postgres => "SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'seaql_migrations'",
        _ => "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
    };
    if db.query_one_raw(sea_orm::Statement::from_string(backend, exists)).await?.is_none() {
        return Ok(Vec::new());
    }
    Ok(db
        .query_all_raw(sea_orm::Statement::from_string(backend, "SELECT version FROM seaql_migrations"))
        .await?
        .into_iter()
        .filter_map(|r| r.try_get::<String>("", "version").ok())
        .collect())
}

/// How long a PostgreSQL request waits for a connection before it is refused as unavailable.
pub const DATABASE_ACQUIRE_WAIT: Duration = Duration::from_millis(1500);

/// Opens the database without migrating.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time is SQLite's nature; a small pool avoids lock contention. A
        // connection may wait its turn for the file's lock.
        opts.max_connections(8).min_connections(1).acquire_timeout(Duration::from_secs(10));
    } else {
        // A server that does not answer is said so quickly: a page or server function waits
        // at most this long for a connection (then "temporarily unavailable"), never the
        // client's patience.
        opts.max_connections(20).min_connections(1).acquire_timeout(DATABASE_ACQUIRE_WAIT).connect_timeout(DATABASE_ACQUIRE_WAIT);
    }
    let db = Database::connect(opts).await?;
    if url.starts_with("sqlite:") {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;")
            .await?;
    }
    Ok(db)
}
