//! Building and running the application: database, secret, services, router, workers.

use crate::config::{check_base_url, ConfigError, Settings};
use crate::middleware::{self, CspNonce, SecurityConfig};
use crate::{v1, workers};
use axum::extract::FromRef;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use keyport_app::{shell, App};
use keyport_core::clock::{Clock, SystemClock};
use keyport_core::crypto::ServerSecret;
use keyport_core::services::{connect_and_migrate, ServiceConfig};
use keyport_core::Services;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach. axum clones the state for every request, so every field is
/// an `Arc`: a clone is a few reference counts, not a copy of Leptos' settings.
#[derive(Clone)]
pub struct AppState {
    /// Leptos' settings (site root, output name).
    pub leptos_options: Arc<LeptosOptions>,
    /// The services.
    pub services: Arc<Services>,
    /// Origin and CSP settings.
    pub security: Arc<SecurityConfig>,
    /// Single sign-on's HTTP client and discovery cache.
    pub sso: Arc<crate::sso::Sso>,
    /// The workers' heartbeats, for `/readyz`.
    pub health: Arc<crate::health::Health>,
}

impl FromRef<AppState> for LeptosOptions {
    // Only Leptos' own handlers (pages, server functions, files) ask for these.
    fn from_ref(s: &AppState) -> Self {
        (*s.leptos_options).clone()
    }
}

impl FromRef<AppState> for Arc<Services> {
    fn from_ref(s: &AppState) -> Self {
        s.services.clone()
    }
}

impl FromRef<AppState> for Arc<SecurityConfig> {
    fn from_ref(s: &AppState) -> Self {
        s.security.clone()
    }
}

/// A built application, bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    port: u16,
    base_url: String,
    router: Router,
    services: Arc<Services>,
    health: Arc<crate::health::Health>,
    flush_every: Duration,
    sync_every: Duration,
}

/// Errors while starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Binding or file-system trouble.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads the server secret from settings, or from `<data dir>/secret`, generating it there
/// (mode 0600) on first start. The secret is never printed.
pub fn load_or_create_secret(settings: &Settings) -> Result<ServerSecret, StartError> {
    if let Some(s) = &settings.secret {
        return ServerSecret::from_encoded(s).map_err(|e| ConfigError(format!("KEYPORT_SECRET: {e}")).into());
    }
    let path = settings.data_dir.join("secret");
    std::fs::create_dir_all(&settings.data_dir)?;
    if !path.exists() {
        write_private(&path, &ServerSecret::generate_encoded())?;
        tracing::info!(path = %path.display(), "generated a new server secret");
    }
    let text = std::fs::read_to_string(&path)?;
    ServerSecret::from_encoded(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())).into())
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(contents.as_bytes())
}

/// Opens the database named by the settings (creating the data directory for SQLite) and
/// applies migrations.
pub async fn open_database(settings: &Settings) -> Result<sea_orm::DatabaseConnection, StartError> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)?;
    }
    Ok(connect_and_migrate(&url).await?)
}

/// Builds the services from settings; `base_url` is where the portal answers (for links in
/// emails).
pub async fn build_services(settings: &Settings, clock: Arc<dyn Clock>, base_url: &str) -> Result<Arc<Services>, StartError> {
    let db = open_database(settings).await?;
    let secret = load_or_create_secret(settings)?;
    let config = ServiceConfig {
        default_ratelimit_per_minute: settings.default_ratelimit_per_minute,
        monthly_quota: settings.monthly_quota,
        base_url: base_url.to_owned(),
        scopes: settings.scopes.clone(),
        default_scopes: settings.default_scopes.clone(),
        max_ratelimit_per_minute: settings.max_ratelimit_per_minute,
        max_active_keys: settings.max_keys_per_team,
        api_base_url: settings.api_base_url.trim_end_matches('/').to_owned(),
        approval_live: settings.approval_live,
        approval_scopes: settings.approval_scopes.clone(),
        approval_by: keyport_core::services::ApprovalBy::parse(&settings.approval_by).unwrap_or_default(),
        signups_per_address_per_hour: settings.signups_per_address_per_hour,
        portal_ratelimit_per_minute: settings.portal_ratelimit_per_minute,
        minute_retention: chrono::Duration::days(settings.minute_retention_days),
        hour_retention: chrono::Duration::days(settings.hour_retention_days),
        mail_configured: settings.smtp_url.is_some(),
        ..ServiceConfig::default()
    };
    let mut services = Services::new(db, secret, clock, config);
    if let Some(url) = &settings.smtp_url {
        services = services.with_mailer(Arc::new(crate::mail::SmtpMailer::new(url, &settings.mail_from)?));
    } else {
        tracing::info!("no SMTP configured: emails are delivered to this log (the outbox page lists them, without their one-time links)");
    }
    // The operator's stored settings, before the first request (a worker keeps them fresh).
    services.reload_settings().await.map_err(|e| StartError::Io(std::io::Error::other(format!("reading the settings: {e}"))))?;
    services.ensure_plans().await.map_err(|e| StartError::Io(std::io::Error::other(format!("reading the plans: {e}"))))?;
    services.reload_operator_tokens().await.map_err(|e| StartError::Io(std::io::Error::other(format!("reading the operator tokens: {e}"))))?;
    Ok(Arc::new(services))
}

fn leptos_options(settings: &Settings, addr: SocketAddr) -> LeptosOptions {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "keyport"))
        .site_root(settings.site_root.clone())
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(addr)
        .hash_files(std::env::var("LEPTOS_HASH_FILES").map(|v| v == "true").unwrap_or_else(|_| keyport_app::assets::hash_file().is_some()))
        .build()
}

impl Application {
    /// Builds with the real clock.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Builds with a given clock (tests move time instead of sleeping).
    pub async fn build_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let listener = TcpListener::bind(settings.listen).await?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() };
        let base_url = settings
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{host}:{}", addr.port()))
            .trim_end_matches('/')
            .to_owned();
        check_base_url(&base_url, settings.allow_insecure_base_url)?;
        let services = build_services(&settings, clock, &base_url).await?;
        let health = Arc::new(crate::health::Health::default());
        let state = AppState {
            leptos_options: Arc::new(leptos_options(&settings, addr)),
            services: services.clone(),
            security: Arc::new(SecurityConfig { origin: base_url.clone() }),
            sso: Arc::new(crate::sso::Sso::new(settings.github_url.as_deref())),
            health: health.clone(),
        };
        Ok(Self {
            listener,
            port: addr.port(),
            base_url,
            router: router(state, settings.bench_routes),
            services,
            health,
            flush_every: Duration::from_millis(settings.usage_flush_ms),
            sync_every: Duration::from_millis(settings.cache_sync_ms),
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base URL the portal answers on.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The services, for tests that reach behind the HTTP surface.
    pub fn services(&self) -> Arc<Services> {
        self.services.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, then flushes pending usage.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then flushes pending usage.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let h = &self.health;
        let worker = tokio::spawn(workers::run(self.services.clone(), self.flush_every, h.clone(), stop_rx.clone()));
        let mailer = tokio::spawn(workers::deliver_emails(self.services.clone(), h.clone(), stop_rx.clone()));
        let sync = tokio::spawn(workers::sync_key_cache(self.services.clone(), self.sync_every, h.clone(), stop_rx.clone()));
        let settings = tokio::spawn(workers::reload_settings(self.services.clone(), h.clone(), stop_rx.clone()));
        let probe = tokio::spawn(workers::probe_database(self.services.clone(), h.clone(), stop_rx));
        tracing::info!(url = %self.base_url, "keyport is listening");
        let listener = self.listener.tap_io(|tcp| {
            // Without this, small responses wait ~40 ms for Nagle's algorithm.
            let _ = tcp.set_nodelay(true);
        });
        let result = axum::serve(listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stop)
            .await;
        let _ = stop_tx.send(true);
        let _ = worker.await;
        let _ = mailer.await;
        let _ = sync.await;
        let _ = settings.await;
        let _ = probe.await;
        // Unspent quota units go back, so a restart loses none of a key's monthly quota.
        if let Err(e) = self.services.release_quota_leases().await {
            tracing::error!(error = %e, "could not hand back leased quota units");
        }
        result
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// The whole router: health, `/v1`, the portal's pages and server functions, static files.
pub fn router(state: AppState, bench_routes: bool) -> Router {
    // Walked once per process: Leptos renders the app to list its routes, and doing that
    // while another server of the same process renders a page (the tests boot many) can
    // leave that page's stream waiting forever.
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let services = state.services.clone();
    let context = move || {
        provide_context(services.clone());
        // Each request looks its caller up once (see `RequestCaller`).
        provide_context(keyport_app::api::ssr::RequestCaller::default());
        // Scripts rendered by Leptos carry the nonce the CSP header of this response names.
        if let Some(n) = use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned()) {
            provide_context(leptos::nonce::Nonce::from_value(n.0));
        }
    };
    let options = (*state.leptos_options).clone();
    Router::new()
        .route("/healthz", get(crate::health::healthz))
        .route("/readyz", get(crate::health::readyz))
        .route("/portal/audit.csv", get(crate::exports::audit_csv))
        .route("/admin/audit.csv", get(crate::exports::admin_audit_csv))
        .route("/admin/developers.csv", get(crate::exports::admin_developers_csv))
        .route("/portal/usage.csv", get(crate::exports::usage_csv))
        .route("/portal/billing/invoices/{id}/pdf", get(crate::exports::invoice_pdf))
        .route("/portal/billing/payment-method", get(crate::exports::payment_method))
        .route("/portal/brand.css", get(crate::brand::brand_css))
        .route("/portal/embed/{token}", get(crate::embed::open))
        .route("/portal/sso/{provider}/start", get(crate::sso::start))
        .route("/portal/sso/{provider}/callback", get(crate::sso::callback))
        .nest("/v1", v1::router(bench_routes))
        // The built WASM, JS and CSS: the brotli or gzip file written at build time when the
        // browser takes it (`Content-Encoding`, `Vary`), else the plain one.
        .nest_service(
            "/pkg",
            tower_http::services::ServeDir::new(std::path::Path::new(state.leptos_options.site_root.as_ref()).join(state.leptos_options.site_pkg_dir.as_ref()))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn_with_state(
            (state.services.clone(), Arc::<str>::from(keyport_app::assets::stylesheet_href(&state.leptos_options))),
            middleware::portal_limits,
        ))
        .layer(axum::middleware::from_fn_with_state(state.security.clone(), middleware::csrf))
        .layer(axum::middleware::from_fn_with_state(
            (state.services.clone(), Arc::<str>::from(keyport_app::assets::stylesheet_href(&state.leptos_options))),
            middleware::portal_switch,
        ))
        .layer(axum::middleware::from_fn_with_state(
            (state.services.clone(), Arc::<str>::from(keyport_app::assets::stylesheet_href(&state.leptos_options))),
            middleware::database_gate,
        ))
        .layer(axum::middleware::from_fn(middleware::limit_body))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        // tower-http's request events are logged inside the request's own span (below).
        .layer(TraceLayer::new_for_http().make_span_with(|_: &http::Request<axum::body::Body>| tracing::Span::none()))
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}
