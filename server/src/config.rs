//! Typed settings: defaults, then an optional TOML file, then `KEYPORT_*` environment variables.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything the operator can configure.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://…` (default: a file in the data directory) or `postgres://…`.
    pub database_url: Option<String>,
    /// Where the SQLite file and the generated secret live.
    pub data_dir: PathBuf,
    /// Address to listen on (`LEPTOS_SITE_ADDR` is honoured too).
    pub listen: SocketAddr,
    /// The public URL of the portal; defaults to `http://<listen>`.
    pub base_url: Option<String>,
    /// The server secret keys are hashed under. Generated and kept in the data directory
    /// when unset. Never printed.
    pub secret: Option<String>,
    /// Allow a plain-http base URL on a host other than localhost.
    pub allow_insecure_base_url: bool,
    /// Requests per minute for new keys.
    pub default_ratelimit_per_minute: i64,
    /// Verifications per team per calendar month.
    pub monthly_quota: i64,
    /// How often usage is flushed to the database, in milliseconds.
    pub usage_flush_ms: u64,
    /// How often this node applies key changes made by other nodes, in milliseconds.
    pub cache_sync_ms: u64,
    /// Where the built site (WASM, CSS, public files) is served from.
    pub site_root: String,
    /// Log filter (`info`, `keyport=debug,info`, …).
    pub log: String,
    /// `text` (for people) or `json` (one object a line, with the request id of every line
    /// logged while a request is served).
    pub log_format: String,
    /// `smtp://user:pass@host:587?tls=required` or `smtps://…:465`; without it, emails are
    /// written to the log and shown on the outbox page.
    pub smtp_url: Option<String>,
    /// The sender of Keyport's emails.
    pub mail_from: String,
    /// The permissions keys can be granted, e.g. `payments:read`.
    pub scopes: Vec<String>,
    /// The scopes pre-selected for a new key.
    pub default_scopes: Vec<String>,
    /// The highest rate limit a key may be given (at most 1000 per minute).
    pub max_ratelimit_per_minute: i64,
    /// The most working keys a team may have.
    pub max_keys_per_team: u64,
    /// The operator's API base URL, used in the code snippets shown with a new key.
    pub api_base_url: String,
    /// Live keys need an owner's or admin's (or the operator's) approval before they work.
    pub approval_live: bool,
    /// Keys with any of these scopes need approval.
    pub approval_scopes: Vec<String>,
    /// Who approves keys: `operator` (the provider, with `keyport keys approve`; the default)
    /// or `team` (another owner or admin of the key's team).
    pub approval_by: String,
    /// Accounts one client address may create per hour (sign-up and invitation sign-up).
    pub signups_per_address_per_hour: u64,
    /// Portal server-function calls per session per minute: the first default of the
    /// `portal.ratelimit_per_minute` setting.
    pub portal_ratelimit_per_minute: i64,
    /// Serve `POST /v1/bench/echo`, the bare route `make bench` compares verify with.
    pub bench_routes: bool,
    /// Days per-minute usage is kept (after it is rolled into hours).
    pub minute_retention_days: i64,
    /// Days hourly usage is kept (after it is rolled into days; days are kept for ever).
    pub hour_retention_days: i64,
    /// For tests only: where a fake of GitHub answers instead of `https://github.com` and
    /// `https://api.github.com` (`{url}/login/oauth/…` and `{url}/api/…`).
    pub github_url: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("base_url", &self.base_url)
            .field("secret", &self.secret.as_ref().map(|_| "<set>"))
            .field("default_ratelimit_per_minute", &self.default_ratelimit_per_minute)
            .field("monthly_quota", &self.monthly_quota)
            .field("usage_flush_ms", &self.usage_flush_ms)
            .field("site_root", &self.site_root)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .finish_non_exhaustive()
    }
}

/// Hides a password in a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: None,
            data_dir: PathBuf::from("data"),
            listen: "127.0.0.1:3000".parse().expect("valid address"),
            base_url: None,
            secret: None,
            allow_insecure_base_url: false,
            default_ratelimit_per_minute: 60,
            monthly_quota: 10_000,
            usage_flush_ms: 1_000,
            cache_sync_ms: 250,
            site_root: "target/site".into(),
            log: "info,sqlx=warn,sea_orm=warn,tower_http=warn".into(),
            log_format: "text".into(),
            smtp_url: None,
            mail_from: "Keyport <keyport@localhost>".into(),
            scopes: ["payments:read", "payments:write", "invoices:read", "invoices:write"].map(String::from).to_vec(),
            default_scopes: ["payments:read", "invoices:read"].map(String::from).to_vec(),
            max_ratelimit_per_minute: 1000,
            max_keys_per_team: 20,
            api_base_url: "https://api.example.com".into(),
            approval_live: false,
            approval_scopes: Vec::new(),
            approval_by: "operator".into(),
            signups_per_address_per_hour: 20,
            portal_ratelimit_per_minute: 120,
            bench_routes: false,
            minute_retention_days: 7,
            hour_retention_days: 90,
            github_url: None,
        }
    }
}

/// The environment variables read, and what they set.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("KEYPORT_CONFIG", "path of a TOML settings file (default: keyport.toml if present)"),
    ("KEYPORT_DATABASE_URL", "sqlite://… or postgres://… (default: sqlite in the data dir)"),
    ("KEYPORT_DATA_DIR", "data directory (default: ./data)"),
    ("KEYPORT_LISTEN / LEPTOS_SITE_ADDR", "listen address (default: 127.0.0.1:3000)"),
    ("KEYPORT_BASE_URL", "public URL of the portal (default: http://<listen>)"),
    ("KEYPORT_SECRET", "server secret (default: generated into <data dir>/secret, mode 0600)"),
    ("KEYPORT_ALLOW_INSECURE_BASE_URL", "true to allow http:// on a non-local host"),
    ("KEYPORT_DEFAULT_RATELIMIT", "requests per minute for new keys (default: 60)"),
    ("KEYPORT_MONTHLY_QUOTA", "verifications per team per month (default: 10000)"),
    ("KEYPORT_USAGE_FLUSH_MS", "usage flush interval in ms (default: 1000)"),
    ("KEYPORT_CACHE_SYNC_MS", "how often key changes from other nodes reach this node's cache, in ms (default: 250)"),
    ("KEYPORT_SITE_ROOT / LEPTOS_SITE_ROOT", "built site directory (default: target/site)"),
    ("KEYPORT_LOG / RUST_LOG", "log filter (default: info)"),
    ("KEYPORT_LOG_FORMAT", "text or json: one JSON object a line, with the request id (default: text)"),
    ("KEYPORT_SMTP_URL", "smtp://user:pass@host:587?tls=required or smtps://… (default: emails go to the log and the outbox page)"),
    ("KEYPORT_MAIL_FROM", "sender address of emails, which go out under the portal's name (portal.app_name) (default: keyport@localhost)"),
    ("KEYPORT_SCOPES", "permissions keys can have, comma-separated (default: payments:read,payments:write,invoices:read,invoices:write)"),
    ("KEYPORT_DEFAULT_SCOPES", "scopes pre-selected for new keys (default: payments:read,invoices:read)"),
    ("KEYPORT_MAX_RATELIMIT", "highest requests per minute a key may have, 1-1000 (default: 1000)"),
    ("KEYPORT_MAX_KEYS_PER_TEAM", "most working keys per team (default: 20)"),
    ("KEYPORT_APPROVAL_LIVE", "true: live keys wait for an owner's, admin's or the operator's approval (default: false)"),
    ("KEYPORT_APPROVAL_SCOPES", "comma-separated scopes whose keys wait for approval (default: none)"),
    ("KEYPORT_APPROVAL_BY", "who approves keys that need it: operator (keyport keys approve; default) or team (another owner or admin)"),
    ("KEYPORT_SIGNUPS_PER_ADDRESS_PER_HOUR", "accounts one client address may create per hour (default: 20)"),
    ("KEYPORT_PORTAL_RATELIMIT_PER_MINUTE", "portal calls per session per minute, the default of portal.ratelimit_per_minute (default: 120)"),
    ("KEYPORT_BENCH_ROUTES", "true: serve POST /v1/bench/echo, the bare route make bench compares verify with (default: false)"),
    ("KEYPORT_MINUTE_RETENTION_DAYS", "days per-minute usage is kept once rolled into hours (default: 7)"),
    ("KEYPORT_HOUR_RETENTION_DAYS", "days hourly usage is kept once rolled into days (default: 90)"),
    ("KEYPORT_GITHUB_URL", "for tests only: a fake of GitHub to sign in with instead of github.com and api.github.com"),
    ("KEYPORT_API_BASE_URL", "your API's URL, for the code snippets shown with a new key (default: https://api.example.com)"),
];

/// A settings error, with a message for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Loads settings: defaults, then the file (`path`, `KEYPORT_CONFIG` or `keyport.toml`),
    /// then environment variables.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let env_path = std::env::var_os("KEYPORT_CONFIG").map(PathBuf::from);
        let file = path.map(Path::to_path_buf).or(env_path);
        let mut s = match &file {
            Some(p) => Self::from_file(p)?,
            None if Path::new("keyport.toml").exists() => Self::from_file(Path::new("keyport.toml"))?,
            None => Self::default(),
        };
        s.apply_env(|k| std::env::var(k).ok())?;
        Ok(s)
    }

    fn from_file(p: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(p).map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?;
        toml::from_str(&text).map_err(|e| ConfigError(format!("invalid settings in {}: {e}", p.display())))
    }

    /// Applies environment variables (through `get`, so tests need not touch the process env).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let first = |names: &[&str]| names.iter().find_map(|n| get(n).filter(|v| !v.is_empty()));
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T, ConfigError> {
            v.trim().parse().map_err(|_| ConfigError(format!("{name} must be a number, got {v:?}")))
        }
        let flag = |name: &str, v: String| parse_flag(&v).map_err(|e| ConfigError(format!("{name}: {e}")));
        if let Some(v) = first(&["KEYPORT_DATABASE_URL"]) {
            self.database_url = Some(v);
        }
        if let Some(v) = first(&["KEYPORT_DATA_DIR"]) {
            self.data_dir = v.into();
        }
        if let Some(v) = first(&["KEYPORT_LISTEN", "LEPTOS_SITE_ADDR"]) {
            self.listen = v.parse().map_err(|_| ConfigError(format!("listen address {v:?} is not host:port")))?;
        }
        if let Some(v) = first(&["KEYPORT_BASE_URL"]) {
            self.base_url = Some(v);
        }
        if let Some(v) = first(&["KEYPORT_SECRET"]) {
            self.secret = Some(v);
        }
        if let Some(v) = first(&["KEYPORT_ALLOW_INSECURE_BASE_URL"]) {
            self.allow_insecure_base_url = flag("KEYPORT_ALLOW_INSECURE_BASE_URL", v)?;
        }
        if let Some(v) = first(&["KEYPORT_DEFAULT_RATELIMIT"]) {
            self.default_ratelimit_per_minute = num("KEYPORT_DEFAULT_RATELIMIT", v)?;
        }
        if let Some(v) = first(&["KEYPORT_MONTHLY_QUOTA"]) {
            self.monthly_quota = num("KEYPORT_MONTHLY_QUOTA", v)?;
        }
        if let Some(v) = first(&["KEYPORT_USAGE_FLUSH_MS"]) {
            self.usage_flush_ms = num("KEYPORT_USAGE_FLUSH_MS", v)?;
        }
        if let Some(v) = first(&["KEYPORT_CACHE_SYNC_MS"]) {
            self.cache_sync_ms = num("KEYPORT_CACHE_SYNC_MS", v)?;
        }
        if let Some(v) = first(&["KEYPORT_SITE_ROOT", "LEPTOS_SITE_ROOT"]) {
            self.site_root = v;
        }
        if let Some(v) = first(&["KEYPORT_LOG_FORMAT"]) {
            self.log_format = v.trim().to_ascii_lowercase();
        }
        if let Some(v) = first(&["KEYPORT_LOG", "RUST_LOG"]) {
            self.log = v;
        }
        if let Some(v) = first(&["KEYPORT_SMTP_URL"]) {
            self.smtp_url = Some(v);
        }
        if let Some(v) = first(&["KEYPORT_MAIL_FROM"]) {
            self.mail_from = v;
        }
        let list = |v: String| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect::<Vec<_>>();
        if let Some(v) = first(&["KEYPORT_SCOPES"]) {
            self.scopes = list(v);
        }
        if let Some(v) = first(&["KEYPORT_DEFAULT_SCOPES"]) {
            self.default_scopes = list(v);
        }
        if let Some(v) = first(&["KEYPORT_MAX_RATELIMIT"]) {
            self.max_ratelimit_per_minute = num("KEYPORT_MAX_RATELIMIT", v)?;
        }
        if let Some(v) = first(&["KEYPORT_MAX_KEYS_PER_TEAM"]) {
            self.max_keys_per_team = num("KEYPORT_MAX_KEYS_PER_TEAM", v)?;
        }
        if let Some(v) = first(&["KEYPORT_APPROVAL_LIVE"]) {
            self.approval_live = flag("KEYPORT_APPROVAL_LIVE", v)?;
        }
        if let Some(v) = first(&["KEYPORT_APPROVAL_SCOPES"]) {
            self.approval_scopes = list(v);
        }
        if let Some(v) = first(&["KEYPORT_APPROVAL_BY"]) {
            self.approval_by = v.trim().to_owned();
        }
        if let Some(v) = first(&["KEYPORT_BENCH_ROUTES"]) {
            self.bench_routes = flag("KEYPORT_BENCH_ROUTES", v)?;
        }
        if let Some(v) = first(&["KEYPORT_SIGNUPS_PER_ADDRESS_PER_HOUR"]) {
            self.signups_per_address_per_hour = num("KEYPORT_SIGNUPS_PER_ADDRESS_PER_HOUR", v)?;
        }
        if let Some(v) = first(&["KEYPORT_PORTAL_RATELIMIT_PER_MINUTE"]) {
            self.portal_ratelimit_per_minute = num("KEYPORT_PORTAL_RATELIMIT_PER_MINUTE", v)?;
        }
        if let Some(v) = first(&["KEYPORT_MINUTE_RETENTION_DAYS"]) {
            self.minute_retention_days = num("KEYPORT_MINUTE_RETENTION_DAYS", v)?;
        }
        if let Some(v) = first(&["KEYPORT_HOUR_RETENTION_DAYS"]) {
            self.hour_retention_days = num("KEYPORT_HOUR_RETENTION_DAYS", v)?;
        }
        if let Some(v) = first(&["KEYPORT_GITHUB_URL"]) {
            self.github_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = first(&["KEYPORT_API_BASE_URL"]) {
            self.api_base_url = v;
        }
        self.validate()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let ceiling = keyport_core::validate::RATELIMIT_CEILING;
        if !(1..=ceiling).contains(&self.max_ratelimit_per_minute) {
            return Err(ConfigError(format!("max_ratelimit_per_minute must be between 1 and {ceiling}")));
        }
        if !(1..=self.max_ratelimit_per_minute).contains(&self.default_ratelimit_per_minute) {
            return Err(ConfigError("default_ratelimit_per_minute must be between 1 and max_ratelimit_per_minute".into()));
        }
        if let Some(bad) = self.scopes.iter().find(|s| !keyport_core::validate::is_scope_name(s)) {
            return Err(ConfigError(format!("scope {bad:?} is not of the form resource:action (lower case)")));
        }
        if let Some(bad) = self.approval_scopes.iter().find(|s| !self.scopes.contains(s)) {
            return Err(ConfigError(format!("approval scope {bad:?} is not in the scopes list")));
        }
        if let Some(bad) = self.default_scopes.iter().find(|s| !self.scopes.contains(s)) {
            return Err(ConfigError(format!("default scope {bad:?} is not in the scopes list")));
        }
        if !(1..=3650).contains(&self.minute_retention_days) || !(1..=36_500).contains(&self.hour_retention_days) {
            return Err(ConfigError("retention must be at least a day (minutes: at most 3650 days)".into()));
        }
        if keyport_core::services::ApprovalBy::parse(&self.approval_by).is_none() {
            return Err(ConfigError(format!("approval_by must be operator or team, got {:?}", self.approval_by)));
        }
        if !(1..=1_000_000).contains(&self.portal_ratelimit_per_minute) {
            return Err(ConfigError("portal_ratelimit_per_minute must be from 1 to 1000000".into()));
        }
        if self.signups_per_address_per_hour < 1 {
            return Err(ConfigError("signups_per_address_per_hour must be at least 1".into()));
        }
        if self.max_keys_per_team < 1 {
            return Err(ConfigError("max_keys_per_team must be at least 1".into()));
        }
        if self.monthly_quota < 1 {
            return Err(ConfigError("monthly_quota must be positive".into()));
        }
        if !(10..=1_000).contains(&self.cache_sync_ms) {
            return Err(ConfigError("cache_sync_ms must be between 10 and 1000".into()));
        }
        if !(10..=60_000).contains(&self.usage_flush_ms) {
            return Err(ConfigError("usage_flush_ms must be between 10 and 60000".into()));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(ConfigError(format!("KEYPORT_LOG_FORMAT must be text or json, got {:?}", self.log_format)));
        }
        if let Some(url) = &self.base_url {
            check_base_url(url, self.allow_insecure_base_url)?;
        }
        if let Some(url) = &self.smtp_url {
            crate::mail::SmtpMailer::new(url, &self.mail_from)?;
        }
        Ok(())
    }

    /// The database URL, defaulting to an SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("keyport.db").display()))
    }
}

/// A yes-or-no value as every setting and flag reads it: `1/0`, `true/false`, `yes/no`,
/// `on/off`, in any case (`keyport settings set` reads the same spellings).
pub fn parse_flag(v: &str) -> Result<bool, String> {
    keyport_core::settings::parse_bool(v.trim()).ok_or_else(|| format!("{v:?} is not a yes or no: give 1 or 0, true or false, yes or no, on or off"))
}

/// Refuses a plain-http base URL except on loopback hosts, where browsers treat http as secure.
pub fn check_base_url(url: &str, allow_insecure: bool) -> Result<(), ConfigError> {
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return Err(ConfigError(format!("base URL {url:?} must start with http:// or https://")));
    };
    if url.starts_with("https://") || allow_insecure {
        return Ok(());
    }
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    if matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "base URL {url:?} is plain http on a non-local host: session cookies need https. \
             Use https, or set KEYPORT_ALLOW_INSECURE_BASE_URL=true if a proxy terminates TLS."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults_and_leptos_addr_is_honoured() {
        let mut s = Settings::default();
        s.apply_env(|k| match k {
            "LEPTOS_SITE_ADDR" => Some("127.0.0.1:4000".into()),
            "KEYPORT_MONTHLY_QUOTA" => Some("500".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen.port(), 4000);
        assert_eq!(s.monthly_quota, 500);
        assert!(s.database_url().starts_with("sqlite://data/keyport.db"));
    }

    #[test]
    fn bad_numbers_and_insecure_urls_are_refused() {
        let mut s = Settings::default();
        assert!(s.apply_env(|k| (k == "KEYPORT_MONTHLY_QUOTA").then(|| "lots".into())).is_err());
        let mut s = Settings::default();
        assert!(s.apply_env(|k| (k == "KEYPORT_MAX_RATELIMIT").then(|| "5000".into())).is_err(), "1000 is the ceiling");
        let mut s = Settings::default();
        assert!(s.apply_env(|k| (k == "KEYPORT_DEFAULT_SCOPES").then(|| "admin:all".into())).is_err());
        let mut s = Settings::default();
        s.apply_env(|k| (k == "KEYPORT_SCOPES").then(|| "orders:read, orders:write".into())).unwrap_err();
        let mut s = Settings::default();
        s.apply_env(|k| match k {
            "KEYPORT_SCOPES" => Some("orders:read, orders:write".into()),
            "KEYPORT_DEFAULT_SCOPES" => Some("orders:read".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.scopes, ["orders:read", "orders:write"]);
        assert!(check_base_url("http://portal.example.com", false).is_err());
        assert!(check_base_url("http://portal.example.com", true).is_ok());
        assert!(check_base_url("https://portal.example.com", false).is_ok());
        assert!(check_base_url("http://localhost:3000", false).is_ok());
        assert!(check_base_url("ftp://x", true).is_err());
    }

    #[test]
    fn yes_or_no_settings_take_the_usual_spellings_and_refuse_the_rest() {
        for (v, want) in [("1", true), ("true", true), ("YES", true), ("on", true), ("0", false), ("False", false), ("no", false), ("off", false)] {
            let mut s = Settings::default();
            s.apply_env(|k| (k == "KEYPORT_APPROVAL_LIVE").then(|| v.into())).unwrap();
            assert_eq!(s.approval_live, want, "{v}");
        }
        let mut s = Settings::default();
        let e = s.apply_env(|k| (k == "KEYPORT_BENCH_ROUTES").then(|| "maybe".into())).unwrap_err();
        assert!(e.0.contains("KEYPORT_BENCH_ROUTES") && e.0.contains("yes or no"), "{}", e.0);
    }

    #[test]
    fn debug_never_prints_secrets() {
        let s = Settings {
            secret: Some("supersecretvalue".into()),
            database_url: Some("postgres://app:hunter2@db/keyport".into()),
            smtp_url: Some("smtp://mailer:smtppass99@mail.example.com:587".into()),
            ..Settings::default()
        };
        let d = format!("{s:?}");
        assert!(!d.contains("supersecretvalue") && !d.contains("hunter2") && !d.contains("smtppass99"), "{d}");
    }
}
