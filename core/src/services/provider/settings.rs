//! Live settings: the environment's defaults with the operator's stored values on top, read
//! by every request from memory and reloaded from the database by every node (a small table,
//! read whole every half second), so a change is in effect everywhere within a second and
//! without a restart.

use crate::entity::setting;
use crate::error::CoreError;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::{ServiceConfig, Services};
use crate::settings::{check, parse_bool, spec, SettingError, SETTINGS};
use crate::signup::SignupField;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Who may create an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignupMode {
    /// Anyone.
    Open,
    /// Only someone following an invitation.
    InviteOnly,
    /// Nobody: accounts come from the provider.
    Closed,
}

/// The settings in effect, typed. Built from the environment's defaults and the stored
/// values; replaced whole when they change.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    /// Portal pages answer; `false` makes them a 503 "portal unavailable" page.
    pub portal_enabled: bool,
    /// The product's name in titles, the header and emails.
    pub app_name: String,
    /// The portal's public URL (no trailing slash).
    pub base_url: String,
    /// HTML for the dashboard (sanitized where it is shown).
    pub welcome_html: Option<String>,
    /// The operator's style sheet (checked when stored).
    pub portal_css: Option<String>,
    /// The logo's address.
    pub logo_url: Option<String>,
    /// The brand colour, `#rrggbb` or `#rgb`.
    pub primary_color: Option<String>,
    /// Where developers get help.
    pub support_email: Option<String>,
    /// Who may sign up.
    pub signup_mode: SignupMode,
    /// Only these email domains may sign up (empty: any).
    pub allowed_email_domains: Vec<String>,
    /// New accounts verify their address (by an emailed link) before they may create live
    /// keys; sign-up then answers the same for every address.
    pub require_verification: bool,
    /// The extra questions the sign-up form asks, in order.
    pub signup_fields: Vec<SignupField>,
    /// The permissions keys can be granted.
    pub scopes: Vec<String>,
    /// The scopes pre-selected for a new key (always among `scopes`).
    pub default_scopes: Vec<String>,
    /// The highest rate limit a key may have.
    pub max_ratelimit_per_minute: i64,
    /// The most working keys per team.
    pub max_active_keys: u64,
    /// Live keys need approval.
    pub approval_live: bool,
    /// Keys with these scopes need approval.
    pub approval_scopes: Vec<String>,
    /// The longest a new key may live, in days.
    pub max_lifetime_days: Option<i64>,
    /// Origins that may frame the portal (CSP `frame-ancestors`); empty: none.
    pub embed_allowed_origins: Vec<String>,
    /// Server function calls per session per minute (five times that per address; key
    /// creation and invitations a twelfth).
    pub portal_ratelimit_per_minute: i64,
    /// Single sign-on (`oauth.*`).
    pub sso: SsoSettings,
    /// `docs.try_it`: the docs relay calls to the document's servers.
    pub docs_try_it: bool,
    /// `keys.retrievable`: which new keys are stored sealed, to be revealed again.
    pub retrievable: Retrievable,
    /// `docs.try_it_private_networks`: the relay may reach private addresses.
    pub docs_try_it_private_networks: bool,
    /// `billing.*`: how invoices are issued and collected.
    pub billing: BillingSettings,
}

/// How invoices are issued and collected (`billing.*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingSettings {
    /// `billing.provider`: `manual` (the operator marks invoices paid).
    pub provider: String,
    /// `billing.issuer`: who invoices are from (empty: the portal's name).
    pub issuer: String,
    /// `billing.tax_rate_bp`: tax on each line, in basis points.
    pub tax_rate_bp: i32,
    /// `billing.payment_terms_days`: days from issue to due.
    pub payment_terms_days: i64,
    /// `billing.stripe.secret_key`.
    pub stripe_secret_key: String,
    /// `billing.stripe.webhook_secret`.
    pub stripe_webhook_secret: String,
    /// `billing.stripe.api_base`.
    pub stripe_api_base: String,
}

impl Default for BillingSettings {
    fn default() -> Self {
        Self {
            provider: "manual".into(),
            issuer: String::new(),
            tax_rate_bp: 0,
            payment_terms_days: 14,
            stripe_secret_key: String::new(),
            stripe_webhook_secret: String::new(),
            stripe_api_base: "https://api.stripe.com".into(),
        }
    }
}

/// Which keys can be shown again after they were created (`keys.retrievable`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Retrievable {
    /// None: every key is shown once, only its hash is kept (the default).
    #[default]
    Never,
    /// Test keys are kept sealed; live keys are shown once.
    Test,
    /// Every key is kept sealed.
    All,
}

impl Retrievable {
    /// From the stored word (checked before).
    pub fn parse(v: &str) -> Self {
        match v {
            "test" => Self::Test,
            "all" => Self::All,
            _ => Self::Never,
        }
    }

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Test => "test",
            Self::All => "all",
        }
    }

    /// Whether keys of this environment (`live` or `test`) are kept to be shown again.
    pub fn covers(self, environment: &str) -> bool {
        match self {
            Self::Never => false,
            Self::Test => environment == "test",
            Self::All => true,
        }
    }
}

/// The `oauth.*` settings. `Debug` leaves the client secrets out.
#[derive(Clone, Default)]
pub struct SsoSettings {
    /// `oauth.enabled`: the master switch.
    pub enabled: bool,
    /// Google (an OpenID Connect provider at `https://accounts.google.com`).
    pub google: SsoClient,
    /// GitHub (OAuth 2 and its user API).
    pub github: SsoClient,
    /// A generic OpenID Connect provider.
    pub oidc: SsoClient,
    /// Its button label.
    pub oidc_name: String,
    /// Its issuer URL.
    pub oidc_issuer: String,
}

/// One provider's client registration.
#[derive(Clone, Default)]
pub struct SsoClient {
    /// Offered at all.
    pub enabled: bool,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoSettings").field("enabled", &self.enabled).field("providers", &self.providers()).finish_non_exhaustive()
    }
}

/// The providers single sign-on knows, by the name in their URLs.
pub const SSO_PROVIDERS: [&str; 3] = ["google", "github", "oidc"];

impl SsoSettings {
    /// The client of `provider` when it is offered now: switched on (with the master switch)
    /// and configured completely.
    pub fn client(&self, provider: &str) -> Option<&SsoClient> {
        let c = match provider {
            "google" => &self.google,
            "github" => &self.github,
            "oidc" if !self.oidc_issuer.is_empty() => &self.oidc,
            _ => return None,
        };
        (self.enabled && c.enabled && !c.client_id.is_empty() && !c.client_secret.is_empty()).then_some(c)
    }

    /// The providers offered now, as (name in URLs, label on the button), in a fixed order.
    pub fn providers(&self) -> Vec<(&'static str, String)> {
        SSO_PROVIDERS.iter().filter(|p| self.client(p).is_some()).map(|p| (*p, self.label(p))).collect()
    }

    /// What people call `provider`.
    pub fn label(&self, provider: &str) -> String {
        match provider {
            "google" => "Google".into(),
            "github" => "GitHub".into(),
            _ if !self.oidc_name.is_empty() => self.oidc_name.clone(),
            _ => "single sign-on".into(),
        }
    }
}

impl LiveSettings {
    /// The environment's defaults.
    pub fn defaults(config: &ServiceConfig) -> Self {
        Self {
            portal_enabled: true,
            app_name: "Keyport".into(),
            base_url: config.base_url.clone(),
            welcome_html: None,
            portal_css: None,
            logo_url: None,
            primary_color: None,
            support_email: None,
            signup_mode: SignupMode::Open,
            allowed_email_domains: Vec::new(),
            signup_fields: Vec::new(),
            require_verification: config.mail_configured,
            scopes: config.scopes.clone(),
            default_scopes: config.default_scopes.clone(),
            max_ratelimit_per_minute: config.max_ratelimit_per_minute,
            max_active_keys: config.max_active_keys,
            approval_live: config.approval_live,
            approval_scopes: config.approval_scopes.clone(),
            max_lifetime_days: None,
            portal_ratelimit_per_minute: config.portal_ratelimit_per_minute,
            embed_allowed_origins: Vec::new(),
            sso: SsoSettings::default(),
            docs_try_it: true,
            docs_try_it_private_networks: false,
            retrievable: Retrievable::Never,
            billing: BillingSettings::default(),
        }
    }

    /// The defaults with `stored` (checked values by key) on top. A value that no longer
    /// passes its check (stored by an older version, say) is left out, with a warning.
    pub fn build(config: &ServiceConfig, stored: &BTreeMap<String, String>) -> Self {
        let mut s = Self::defaults(config);
        for (key, value) in stored {
            match check(key, value) {
                Ok(v) => s.apply(key, &v),
                Err(e) => tracing::warn!(error = %e, "a stored setting is not valid any more; using the default"),
            }
        }
        s.default_scopes.retain(|d| s.scopes.contains(d));
        s
    }

    fn apply(&mut self, key: &str, v: &str) {
        let list = |v: &str| v.split(", ").filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let opt = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        let int = |v: &str| v.parse::<i64>().unwrap_or_default();
        match key {
            "portal.enabled" => self.portal_enabled = parse_bool(v).unwrap_or(true),
            "portal.app_name" => self.app_name = v.to_owned(),
            "portal.base_url" => self.base_url = v.to_owned(),
            "custom.portal_welcome_html" => self.welcome_html = opt(v),
            "custom.portal_css" => self.portal_css = opt(v),
            "custom.logo_url" => self.logo_url = opt(v),
            "custom.primary_color" => self.primary_color = opt(v),
            "custom.support_email" => self.support_email = opt(v),
            "signup.mode" => {
                self.signup_mode = match v {
                    "invite_only" => SignupMode::InviteOnly,
                    "closed" => SignupMode::Closed,
                    _ => SignupMode::Open,
                }
            }
            "signup.allowed_email_domains" => self.allowed_email_domains = list(v),
            "signup.require_verification" => self.require_verification = parse_bool(v).unwrap_or(self.require_verification),
            "signup.fields" => self.signup_fields = crate::signup::parse_fields(v).unwrap_or_default(),
            "embed.allowed_origins" => self.embed_allowed_origins = list(v),
            "keys.scopes" => self.scopes = list(v),
            "keys.default_scopes" => self.default_scopes = list(v),
            "keys.max_ratelimit" => self.max_ratelimit_per_minute = int(v),
            "portal.ratelimit_per_minute" => self.portal_ratelimit_per_minute = int(v),
            "keys.max_per_team" => self.max_active_keys = u64::try_from(int(v)).unwrap_or(1),
            "keys.approval_live" => self.approval_live = parse_bool(v).unwrap_or(false),
            "keys.approval_scopes" => self.approval_scopes = list(v),
            "keys.max_lifetime_days" => self.max_lifetime_days = Some(int(v)).filter(|d| *d > 0),
            "docs.try_it" => self.docs_try_it = v != "off",
            "keys.retrievable" => self.retrievable = Retrievable::parse(v),
            "docs.try_it_private_networks" => self.docs_try_it_private_networks = parse_bool(v).unwrap_or(false),
            "billing.provider" => self.billing.provider = v.to_owned(),
            "billing.issuer" => self.billing.issuer = v.to_owned(),
            "billing.tax_rate_bp" => self.billing.tax_rate_bp = i32::try_from(int(v)).unwrap_or(0),
            "billing.payment_terms_days" => self.billing.payment_terms_days = int(v),
            "billing.stripe.secret_key" => self.billing.stripe_secret_key = v.to_owned(),
            "billing.stripe.webhook_secret" => self.billing.stripe_webhook_secret = v.to_owned(),
            "billing.stripe.api_base" => self.billing.stripe_api_base = v.to_owned(),
            "oauth.enabled" => self.sso.enabled = parse_bool(v).unwrap_or(false),
            "oauth.google.enabled" => self.sso.google.enabled = parse_bool(v).unwrap_or(false),
            "oauth.google.client_id" => self.sso.google.client_id = v.to_owned(),
            "oauth.google.client_secret" => self.sso.google.client_secret = v.to_owned(),
            "oauth.github.enabled" => self.sso.github.enabled = parse_bool(v).unwrap_or(false),
            "oauth.github.client_id" => self.sso.github.client_id = v.to_owned(),
            "oauth.github.client_secret" => self.sso.github.client_secret = v.to_owned(),
            "oauth.oidc.enabled" => self.sso.oidc.enabled = parse_bool(v).unwrap_or(false),
            "oauth.oidc.name" => self.sso.oidc_name = v.to_owned(),
            "oauth.oidc.issuer" => self.sso.oidc_issuer = v.to_owned(),
            "oauth.oidc.client_id" => self.sso.oidc.client_id = v.to_owned(),
            "oauth.oidc.client_secret" => self.sso.oidc.client_secret = v.to_owned(),
            _ => {}
        }
    }

    /// The value of `key` in effect, as `keyport settings get` prints it.
    pub fn get(&self, key: &str) -> Option<String> {
        let join = |l: &[String]| l.join(", ");
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        Some(match key {
            "portal.enabled" => self.portal_enabled.to_string(),
            "portal.app_name" => self.app_name.clone(),
            "portal.base_url" => self.base_url.clone(),
            "custom.portal_welcome_html" => opt(&self.welcome_html),
            "custom.portal_css" => opt(&self.portal_css),
            "custom.logo_url" => opt(&self.logo_url),
            "custom.primary_color" => opt(&self.primary_color),
            "custom.support_email" => opt(&self.support_email),
            "signup.mode" => match self.signup_mode {
                SignupMode::Open => "open",
                SignupMode::InviteOnly => "invite_only",
                SignupMode::Closed => "closed",
            }
            .to_owned(),
            "signup.allowed_email_domains" => join(&self.allowed_email_domains),
            "signup.require_verification" => self.require_verification.to_string(),
            "signup.fields" => crate::signup::fields_json(&self.signup_fields),
            "embed.allowed_origins" => join(&self.embed_allowed_origins),
            "portal.ratelimit_per_minute" => self.portal_ratelimit_per_minute.to_string(),
            "keys.scopes" => join(&self.scopes),
            "keys.default_scopes" => join(&self.default_scopes),
            "keys.max_ratelimit" => self.max_ratelimit_per_minute.to_string(),
            "keys.max_per_team" => self.max_active_keys.to_string(),
            "keys.approval_live" => self.approval_live.to_string(),
            "keys.approval_scopes" => join(&self.approval_scopes),
            "keys.max_lifetime_days" => self.max_lifetime_days.unwrap_or(0).to_string(),
            "docs.try_it" => if self.docs_try_it { "relay" } else { "off" }.to_owned(),
            "keys.retrievable" => self.retrievable.as_str().to_owned(),
            "docs.try_it_private_networks" => self.docs_try_it_private_networks.to_string(),
            "billing.provider" => self.billing.provider.clone(),
            "billing.issuer" => self.billing.issuer.clone(),
            "billing.tax_rate_bp" => self.billing.tax_rate_bp.to_string(),
            "billing.payment_terms_days" => self.billing.payment_terms_days.to_string(),
            "billing.stripe.api_base" => self.billing.stripe_api_base.clone(),
            "billing.stripe.secret_key" | "billing.stripe.webhook_secret" => {
                let set = if key == "billing.stripe.secret_key" { &self.billing.stripe_secret_key } else { &self.billing.stripe_webhook_secret };
                if set.is_empty() { String::new() } else { "<encrypted>".into() }
            }
            "oauth.enabled" => self.sso.enabled.to_string(),
            "oauth.google.enabled" => self.sso.google.enabled.to_string(),
            "oauth.google.client_id" => self.sso.google.client_id.clone(),
            "oauth.github.enabled" => self.sso.github.enabled.to_string(),
            "oauth.github.client_id" => self.sso.github.client_id.clone(),
            "oauth.oidc.enabled" => self.sso.oidc.enabled.to_string(),
            "oauth.oidc.name" => self.sso.oidc_name.clone(),
            "oauth.oidc.issuer" => self.sso.oidc_issuer.clone(),
            "oauth.oidc.client_id" => self.sso.oidc.client_id.clone(),
            // A secret is never printed back, even one stored without --encrypted (and the
            // console's form, which leaves an encrypted value's field empty, never posts it back).
            "oauth.google.client_secret" | "oauth.github.client_secret" | "oauth.oidc.client_secret" => {
                let set = match key {
                    "oauth.google.client_secret" => &self.sso.google.client_secret,
                    "oauth.github.client_secret" => &self.sso.github.client_secret,
                    _ => &self.sso.oidc.client_secret,
                };
                if set.is_empty() { String::new() } else { "<encrypted>".into() }
            }
            _ => return None,
        })
    }
}

/// The settings in effect on this node, and what the database held when they were built.
pub struct SettingsCache {
    current: RwLock<Arc<LiveSettings>>,
    stored: RwLock<BTreeMap<String, (String, bool)>>,
    /// One reload at a time: a reload that read the table before a change committed must not
    /// put its older copy in effect after the change's own reload.
    reloading: tokio::sync::Mutex<()>,
}

impl SettingsCache {
    /// Starts from the environment's defaults (until the first load from the database).
    pub fn new(config: &ServiceConfig) -> Self {
        Self {
            current: RwLock::new(Arc::new(LiveSettings::defaults(config))),
            stored: RwLock::new(BTreeMap::new()),
            reloading: tokio::sync::Mutex::new(()),
        }
    }
}

/// One setting as `keyport settings list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingView {
    /// The setting.
    pub key: &'static str,
    /// The value in effect (`<encrypted>` for an encrypted one).
    pub value: String,
    /// `default` (the environment's) or `stored`.
    pub source: &'static str,
    /// What it changes.
    pub about: &'static str,
}

const SEALED: &str = "setting";

impl Services {
    /// The settings in effect now (cheap: one lock and a reference count).
    pub fn settings(&self) -> Arc<LiveSettings> {
        self.settings.current.read().map(|s| s.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Reads the stored settings and, if they changed, puts the new ones in effect. Returns
    /// whether anything changed. Run at start and every half second by a worker.
    pub async fn reload_settings(&self) -> Result<bool, CoreError> {
        let _one_at_a_time = self.settings.reloading.lock().await;
        let rows = setting::Entity::find().all(&self.db).await?;
        let stored: BTreeMap<String, (String, bool)> = rows.into_iter().map(|r| (r.key, (r.value, r.encrypted))).collect();
        if self.settings.stored.read().is_ok_and(|s| *s == stored) {
            return Ok(false);
        }
        let plain: BTreeMap<String, String> = stored
            .iter()
            .filter_map(|(k, (v, encrypted))| {
                if !*encrypted {
                    return Some((k.clone(), v.clone()));
                }
                match self.secret.open(SEALED, k.as_bytes(), v).and_then(|b| String::from_utf8(b).ok()) {
                    Some(v) => Some((k.clone(), v)),
                    None => {
                        tracing::warn!(key = %k, "an encrypted setting does not open with this server secret; using the default");
                        None
                    }
                }
            })
            .collect();
        let live = Arc::new(LiveSettings::build(&self.config, &plain));
        if let Ok(mut c) = self.settings.current.write() {
            *c = live;
        }
        if let Ok(mut s) = self.settings.stored.write() {
            *s = stored;
        }
        Ok(true)
    }

    /// Every setting with the value in effect and where it comes from.
    pub async fn list_settings(&self) -> Result<Vec<SettingView>, CoreError> {
        self.reload_settings().await?;
        let live = self.settings();
        let stored = self.settings.stored.read().map(|s| s.clone()).unwrap_or_default();
        Ok(SETTINGS
            .iter()
            .map(|spec| {
                let (value, source) = match stored.get(spec.key) {
                    Some((_, true)) => ("<encrypted>".to_owned(), "stored"),
                    Some(_) => (live.get(spec.key).unwrap_or_default(), "stored"),
                    None => (live.get(spec.key).unwrap_or_default(), "default"),
                };
                SettingView { key: spec.key, value, source, about: spec.about }
            })
            .collect())
    }

    /// Checks and stores a setting (sealed under the server secret when `encrypted`), audits
    /// the change, and puts it in effect on this node at once (other nodes within a second).
    /// Returns the value as stored. A refused value changes nothing.
    pub async fn set_setting(&self, key: &str, value: &str, encrypted: bool, actor: &str, meta: &RequestMeta) -> Result<String, CoreError> {
        let checked = check(key, value).map_err(setting_error)?;
        self.reload_settings().await?;
        self.check_together(key, &checked)?;
        let stored_value = if encrypted { self.secret.seal(SEALED, key.as_bytes(), checked.as_bytes()) } else { checked.clone() };
        let txn = self.begin_write().await?;
        let row = setting::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(stored_value),
            encrypted: Set(encrypted),
            updated_at: Set(self.now()),
            updated_by: Set(actor.to_owned()),
        };
        if setting::Entity::find_by_id(key).one(&txn).await?.is_some() {
            row.update(&txn).await?;
        } else {
            row.insert(&txn).await?;
        }
        let shown = if encrypted { "<encrypted>".to_owned() } else { short(&checked) };
        self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::SettingChanged, key).with_detail(format!("{key} = {shown}"))).await?;
        txn.commit().await?;
        self.reload_settings().await?;
        self.after_setting_changed(key).await?;
        Ok(checked)
    }

    /// What a change of `key` sets going beyond the stored value.
    async fn after_setting_changed(&self, key: &str) -> Result<(), CoreError> {
        if key == "keys.retrievable" {
            let forgotten = self.forget_unretrievable_keys().await?;
            if forgotten > 0 {
                tracing::info!(forgotten, "keys.retrievable went down; sealed keys it no longer covers were forgotten");
            }
        }
        Ok(())
    }

    /// Removes a stored setting, so the environment's default applies again. Returns whether
    /// one was stored.
    pub async fn unset_setting(&self, key: &str, actor: &str, meta: &RequestMeta) -> Result<bool, CoreError> {
        if spec(key).is_none() {
            return Err(setting_error(check(key, "").unwrap_err()));
        }
        let txn = self.begin_write().await?;
        let gone = setting::Entity::delete_by_id(key).exec(&txn).await?.rows_affected > 0;
        if gone {
            self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::SettingChanged, key).with_detail(format!("{key} back to the default"))).await?;
        }
        txn.commit().await?;
        self.reload_settings().await?;
        self.after_setting_changed(key).await?;
        Ok(gone)
    }

    /// Settings that must agree with each other: the default scopes and the scopes needing
    /// approval are among the scopes keys can have.
    fn check_together(&self, key: &str, value: &str) -> Result<(), CoreError> {
        let live = self.settings();
        let list = |v: &str| v.split(", ").filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let catalogue = if key == "keys.scopes" { list(value) } else { live.scopes.clone() };
        let must_fit = |k: &str, scopes: &[String]| match scopes.iter().find(|s| !catalogue.contains(s)) {
            Some(s) => Err(setting_error(SettingError { key: k.to_owned(), message: format!("{s} is not in keys.scopes ({})", catalogue.join(", ")) })),
            None => Ok(()),
        };
        match key {
            "keys.default_scopes" | "keys.approval_scopes" => must_fit(key, &list(value)),
            "keys.scopes" if catalogue.is_empty() => Err(setting_error(SettingError { key: key.to_owned(), message: "keys need at least one scope".into() })),
            "keys.scopes" => must_fit("keys.approval_scopes", &live.approval_scopes),
            _ => Ok(()),
        }
    }
}

fn setting_error(e: SettingError) -> CoreError {
    CoreError::Invalid(crate::validate::FieldError::new(&e.key, e.message))
}

/// A value short enough for an audit line.
fn short(v: &str) -> String {
    let one_line: String = v.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.chars().count() > 80 {
        format!("{}… ({} bytes)", one_line.chars().take(80).collect::<String>(), v.len())
    } else {
        one_line
    }
}
