//! The settings an operator changes while Keyport runs (`keyport settings set KEY VALUE`):
//! what each one is, and how a value is checked before it is stored. The environment gives
//! the first defaults; a stored value wins over it on every node.

use std::fmt;

/// What kind of value a setting holds, and so how it is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `true` or `false` (also `on`/`off`, `yes`/`no`, `1`/`0`).
    Bool,
    /// One line of text, at most this many characters.
    Text(usize),
    /// An `https://` (or `http://` for a local install) address without spaces.
    Url,
    /// An `https://` address or a path on this host (`/logo.svg`): something an `<img>` loads.
    ImageUrl,
    /// A colour, `#rgb` or `#rrggbb`.
    Color,
    /// An email address.
    Email,
    /// A whole number in a range.
    Int(i64, i64),
    /// One of these words.
    Choice(&'static [&'static str]),
    /// Scope names (`payments:read`), separated by commas or spaces.
    Scopes,
    /// Email domains (`example.com`), separated by commas or spaces; empty for any.
    Domains,
    /// Web origins (`https://app.example.com`; `http://localhost:…` and `http://127.0.0.1:…`
    /// for development), separated by commas or spaces; empty for none.
    Origins,
    /// HTML shown on a page after sanitizing; at most this many bytes.
    Html(usize),
    /// A style sheet served as its own file; at most this many bytes, nothing that loads or
    /// runs anything.
    Css(usize),
    /// The extra sign-up questions: a JSON array (see [`crate::signup`]).
    SignupFields,
}

/// One setting.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Its name, `area.name`.
    pub key: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// What it changes, in a sentence.
    pub about: &'static str,
}

/// Every setting, in the order `keyport settings list` shows them.
pub const SETTINGS: &[Spec] = &[
    Spec { key: "portal.enabled", kind: Kind::Bool, about: "false: every portal page answers 503 \"portal unavailable\"; /v1 keeps answering" },
    Spec { key: "portal.app_name", kind: Kind::Text(60), about: "the name in page titles, the header and emails" },
    Spec { key: "portal.base_url", kind: Kind::Url, about: "the portal's public address, for links in emails" },
    Spec {
        key: "portal.ratelimit_per_minute",
        kind: Kind::Int(1, 1_000_000),
        about: "portal calls per session per minute (5x per address; key creation and invitations 1/12 of it)",
    },
    Spec { key: "custom.portal_welcome_html", kind: Kind::Html(20_000), about: "HTML on the dashboard (sanitized to a safe subset)" },
    Spec { key: "custom.portal_css", kind: Kind::Css(50_000), about: "a style sheet added to every page (nothing that loads or runs anything)" },
    Spec { key: "custom.logo_url", kind: Kind::ImageUrl, about: "the logo in the header and emails" },
    Spec { key: "custom.primary_color", kind: Kind::Color, about: "the brand colour of buttons and links; text on it is chosen for contrast" },
    Spec { key: "custom.support_email", kind: Kind::Email, about: "where developers get help: the footer, error pages and emails" },
    Spec { key: "signup.mode", kind: Kind::Choice(&["open", "invite_only", "closed"]), about: "who may create an account" },
    Spec {
        key: "signup.require_verification",
        kind: Kind::Bool,
        about: "new accounts prove their address by an emailed link before they may create live keys (default: on when SMTP is configured)",
    },
    Spec { key: "signup.allowed_email_domains", kind: Kind::Domains, about: "only addresses at these domains may sign up (empty: any)" },
    Spec {
        key: "signup.fields",
        kind: Kind::SignupFields,
        about: "extra questions on the sign-up form, a JSON array of {\"name\", \"label\", \"required\", \"type\": \"text\" or \"choice\", \"choices\"}",
    },
    Spec { key: "embed.allowed_origins", kind: Kind::Origins, about: "sites that may show the portal in an iframe (empty: none)" },
    Spec { key: "oauth.enabled", kind: Kind::Bool, about: "single sign-on: false hides every provider's button and refuses their sign-ins" },
    Spec { key: "oauth.google.enabled", kind: Kind::Bool, about: "offer \"Continue with Google\" (needs its client id and secret)" },
    Spec { key: "oauth.google.client_id", kind: Kind::Text(300), about: "the OAuth client id from Google Cloud's console" },
    Spec { key: "oauth.google.client_secret", kind: Kind::Text(500), about: "its client secret (set it with --encrypted)" },
    Spec { key: "oauth.github.enabled", kind: Kind::Bool, about: "offer \"Continue with GitHub\" (needs its client id and secret)" },
    Spec { key: "oauth.github.client_id", kind: Kind::Text(300), about: "the client id of a GitHub OAuth app" },
    Spec { key: "oauth.github.client_secret", kind: Kind::Text(500), about: "its client secret (set it with --encrypted)" },
    Spec { key: "oauth.oidc.enabled", kind: Kind::Bool, about: "offer sign-in with a generic OpenID Connect provider (needs issuer, client id and secret)" },
    Spec { key: "oauth.oidc.name", kind: Kind::Text(40), about: "the provider's name on its button (\"Continue with …\")" },
    Spec { key: "oauth.oidc.issuer", kind: Kind::Url, about: "the provider's issuer URL (its discovery document is at /.well-known/openid-configuration)" },
    Spec { key: "oauth.oidc.client_id", kind: Kind::Text(300), about: "the client id registered at that provider" },
    Spec { key: "oauth.oidc.client_secret", kind: Kind::Text(500), about: "its client secret (set it with --encrypted)" },
    Spec { key: "keys.scopes", kind: Kind::Scopes, about: "the permissions keys can be granted" },
    Spec { key: "keys.default_scopes", kind: Kind::Scopes, about: "the scopes ticked when a key is created" },
    Spec { key: "keys.max_ratelimit", kind: Kind::Int(1, 1_000_000), about: "the highest rate limit (requests per minute) a key may have" },
    Spec { key: "keys.max_per_team", kind: Kind::Int(1, 100_000), about: "the most working keys a team may have" },
    Spec { key: "keys.approval_live", kind: Kind::Bool, about: "live keys work only once approved" },
    Spec { key: "keys.approval_scopes", kind: Kind::Scopes, about: "keys with any of these scopes work only once approved" },
    Spec {
        key: "keys.retrievable",
        kind: Kind::Choice(&["never", "test", "all"]),
        about: "keys shown once only (never, the default), or test keys / all keys stored encrypted so their owners can reveal and copy them again after confirming their password",
    },
    Spec { key: "keys.max_lifetime_days", kind: Kind::Int(0, 3650), about: "the longest a new key may live, in days (0: no limit)" },
    Spec {
        key: "docs.try_it",
        kind: Kind::Choice(&["relay", "off"]),
        about: "\"Try it\" on the docs: relay sends calls through this server to the document's servers only; off hides it",
    },
    Spec {
        key: "billing.provider",
        kind: Kind::Choice(&["manual", "stripe"]),
        about: "who collects invoices: manual (the default, offline: invoices are emailed and you mark them paid with keyport invoices pay) or stripe",
    },
    Spec { key: "billing.stripe.secret_key", kind: Kind::Text(300), about: "Stripe's secret API key, sk_live_… or sk_test_… (set it with --encrypted)" },
    Spec { key: "billing.stripe.webhook_secret", kind: Kind::Text(300), about: "the signing secret of the webhook endpoint /v1/billing/stripe/webhook, whsec_… (set it with --encrypted)" },
    Spec { key: "billing.stripe.api_base", kind: Kind::Url, about: "Stripe's API address (default https://api.stripe.com; another for a proxy or a test server)" },
    Spec { key: "billing.issuer", kind: Kind::Text(300), about: "who invoices are from, on one line: your company's legal name, address and tax number" },
    Spec { key: "billing.tax_rate_bp", kind: Kind::Int(0, 10_000), about: "tax added to invoice lines, in basis points (2000 = 20%; 0, the default: none)" },
    Spec { key: "billing.payment_terms_days", kind: Kind::Int(0, 365), about: "days from an invoice's issue to its due date (default 14)" },
    Spec {
        key: "docs.try_it_private_networks",
        kind: Kind::Bool,
        about: "let \"Try it\" reach private, loopback and link-local addresses (an API on the same network); public ones only otherwise",
    },
];

/// The setting named `key`, if there is one.
pub fn spec(key: &str) -> Option<&'static Spec> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// Why a value was refused, naming the setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingError {
    /// The setting.
    pub key: String,
    /// What is wrong, in a sentence a person can act on.
    pub message: String,
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for SettingError {}

/// Checks `value` for the setting `key` and returns it as it will be stored (trimmed, lists
/// normalised to `a, b`), or why it cannot be.
pub fn check(key: &str, value: &str) -> Result<String, SettingError> {
    let Some(spec) = spec(key) else {
        return Err(SettingError { key: key.to_owned(), message: format!("no such setting (known: {})", known()) });
    };
    check_kind(spec.kind, value).map_err(|message| SettingError { key: key.to_owned(), message })
}

fn known() -> String {
    SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>().join(", ")
}

fn check_kind(kind: Kind, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    match kind {
        Kind::Bool => parse_bool(v).map(|b| b.to_string()).ok_or_else(|| format!("expected true or false, got {v:?}")),
        Kind::Text(max) => {
            if v.is_empty() {
                Err("must not be empty (unset it to go back to the default)".into())
            } else if v.chars().count() > max {
                Err(format!("at most {max} characters"))
            } else if v.chars().any(char::is_control) {
                Err("must be one line without control characters".into())
            } else {
                Ok(v.to_owned())
            }
        }
        Kind::Url => check_url(v).map(|u| u.trim_end_matches('/').to_owned()),
        Kind::ImageUrl => {
            if v.starts_with('/') && !v.starts_with("//") {
                if v.bytes().all(|b| b.is_ascii_graphic()) && !v.contains('\\') {
                    Ok(v.to_owned())
                } else {
                    Err("a path must be printable ASCII without spaces".into())
                }
            } else {
                check_url(v).map(str::to_owned)
            }
        }
        Kind::Color => {
            let hex = v.strip_prefix('#').unwrap_or("");
            if (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(format!("#{}", hex.to_ascii_lowercase()))
            } else {
                Err(format!("expected a colour like #4f46e5 or #46e, got {v:?}"))
            }
        }
        Kind::Email => crate::validate::Email::parse(v).map(|e| e.as_str().to_owned()).map_err(|e| e.message),
        Kind::Int(min, max) => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
            _ => Err(format!("expected a whole number from {min} to {max}, got {v:?}")),
        },
        Kind::Choice(words) => {
            if words.contains(&v) {
                Ok(v.to_owned())
            } else {
                Err(format!("expected one of {}, got {v:?}", words.join(", ")))
            }
        }
        Kind::Scopes => {
            let list = split_list(v);
            match list.iter().find(|s| !crate::validate::is_scope_name(s)) {
                Some(bad) => Err(format!("{bad:?} is not a scope name (resource:action, lower case)")),
                None if list.len() > 200 => Err("at most 200 scopes".into()),
                None => Ok(list.join(", ")),
            }
        }
        Kind::Domains => {
            let list: Vec<String> = split_list(v).into_iter().map(|d| d.to_ascii_lowercase()).collect();
            match list.iter().find(|d| !is_domain(d)) {
                Some(bad) => Err(format!("{bad:?} is not a domain like example.com")),
                None => Ok(list.join(", ")),
            }
        }
        Kind::Origins => {
            let list: Vec<String> = split_list(v).into_iter().map(|o| o.to_ascii_lowercase()).collect();
            if list.len() > 20 {
                return Err("at most 20 origins".into());
            }
            match list.iter().find(|o| !is_origin(o)) {
                Some(bad) => Err(format!("{bad:?} is not an origin like https://app.example.com (no path; http only for localhost or 127.0.0.1)")),
                None => Ok(list.join(", ")),
            }
        }
        Kind::Html(max) => {
            if raw.len() > max {
                Err(format!("at most {max} bytes"))
            } else {
                Ok(raw.trim().to_owned())
            }
        }
        Kind::Css(max) => {
            if raw.len() > max {
                Err(format!("at most {max} bytes"))
            } else {
                check_css(raw).map(|()| raw.trim().to_owned())
            }
        }
        Kind::SignupFields => {
            // Far more than ten questions of the largest size need.
            if raw.len() > 32_000 {
                Err("at most 32000 bytes".into())
            } else {
                crate::signup::parse_fields(v).map(|f| crate::signup::fields_json(&f))
            }
        }
    }
}

/// A web origin a page may be framed by: `https://host[:port]`, or `http://localhost[:port]`
/// and `http://127.0.0.1[:port]` for development. Nothing else (no path, query or user).
pub fn is_origin(o: &str) -> bool {
    let (host_port, local_only) = match (o.strip_prefix("https://"), o.strip_prefix("http://")) {
        (Some(rest), _) => (rest, false),
        (None, Some(rest)) => (rest, true),
        _ => return false,
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n)));
    let host_ok = if local_only { host == "localhost" || host == "127.0.0.1" } else { host == "localhost" || host == "127.0.0.1" || is_domain(host) };
    port_ok && host_ok
}

/// `true`/`false` and their usual spellings.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn check_url(v: &str) -> Result<&str, String> {
    let rest = v.strip_prefix("https://").or_else(|| v.strip_prefix("http://")).ok_or_else(|| format!("expected an https:// address, got {v:?}"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{v:?} has no host"));
    }
    if !v.bytes().all(|b| b.is_ascii_graphic()) || v.contains(['"', '\'', '<', '>', '\\']) {
        return Err("an address must be printable ASCII without spaces or quotes".into());
    }
    Ok(v)
}

fn split_list(v: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in v.split([',', ' ', '\n', '\t']).map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|x| x == item) {
            out.push(item.to_owned());
        }
    }
    out
}

fn is_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Refuses what lets a style sheet load or run something: imports, addresses other than
/// `url(/path)` on this host, legacy script hooks, and anything that ends the style element.
pub fn check_css(css: &str) -> Result<(), String> {
    let lower: String = css.to_ascii_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    // Escapes (`\75 rl(`) could spell any of these: none are needed for a brand's colours.
    if css.contains('\\') {
        return Err("backslash escapes are not allowed".into());
    }
    for (needle, what) in [
        ("@import", "@import is not allowed"),
        ("@charset", "@charset is not allowed"),
        ("@namespace", "@namespace is not allowed"),
        ("expression(", "expression() is not allowed"),
        ("javascript:", "javascript: is not allowed"),
        ("vbscript:", "vbscript: is not allowed"),
        ("behavior:", "behavior: is not allowed"),
        ("-moz-binding", "-moz-binding is not allowed"),
        ("</style", "</style is not allowed"),
        ("<!--", "HTML comments are not allowed"),
        ("<script", "<script is not allowed"),
    ] {
        if lower.contains(needle) {
            return Err(what.into());
        }
    }
    // Every url(...) must be a path on this host.
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("url(") {
        let inner = rest[i + 4..].trim_start_matches(['"', '\'']);
        if !inner.starts_with('/') || inner.starts_with("//") {
            return Err("url() may only name a path on this host, like url(/brand/bg.png)".into());
        }
        rest = &rest[i + 4..];
    }
    if lower.contains("image-set(") || lower.contains("src(") {
        return Err("image-set() and src() are not allowed; use url(/path)".into());
    }
    Ok(())
}

/// An `#rgb` or `#rrggbb` colour as red, green and blue.
fn rgb(hex: &str) -> Option<[f64; 3]> {
    let h = hex.strip_prefix('#')?;
    let full: String = match h.len() {
        3 => h.chars().flat_map(|c| [c, c]).collect(),
        6 => h.to_owned(),
        _ => return None,
    };
    let byte = |i: usize| u8::from_str_radix(&full[i..i + 2], 16).ok().map(f64::from);
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// WCAG relative luminance of a colour.
fn luminance(c: [f64; 3]) -> f64 {
    let lin = |v: f64| {
        let s = v / 255.0;
        if s <= 0.03928 { s / 12.92 } else { ((s + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: &str, b: &str) -> Option<f64> {
    Some(ratio(rgb(a)?, rgb(b)?))
}

fn ratio(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn hex(c: [f64; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0].round() as u8, c[1].round() as u8, c[2].round() as u8)
}

/// `c` moved towards `to` by `t` (0 to 1).
fn mix(c: [f64; 3], to: [f64; 3], t: f64) -> [f64; 3] {
    [c[0] + (to[0] - c[0]) * t, c[1] + (to[1] - c[1]) * t, c[2] + (to[2] - c[2]) * t]
}

/// The primary colour when the operator set none (the portal style sheet's `--primary`).
pub const DEFAULT_PRIMARY_COLOR: &str = "#4f46e5";

/// The colours derived from a primary colour, each `#rrggbb`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandColors {
    /// The colour itself.
    pub primary: String,
    /// A darker one, for hover.
    pub dark: String,
    /// A soft one, for backgrounds.
    pub soft: String,
    /// The text colour on it: white or black, whichever contrasts more (at least 4.58:1).
    pub on_primary: &'static str,
    /// A shade of it dark enough for text on white (links), at 4.5:1.
    pub text: String,
}

/// The brand colours for a primary colour (`#rgb` or `#rrggbb`).
pub fn brand_colors(primary: &str) -> Option<BrandColors> {
    let c = rgb(primary)?;
    let black = [21.0, 26.0, 45.0];
    let white = [255.0; 3];
    // One of white and black always reaches 4.58:1 against any colour.
    let on_primary = if ratio(c, white) >= ratio(c, [0.0; 3]) { "#ffffff" } else { "#000000" };
    let mut text = c;
    for _ in 0..40 {
        if ratio(text, white) >= 4.5 {
            break;
        }
        text = mix(text, black, 0.08);
    }
    let dark = mix(text, black, 0.15);
    let soft = mix(c, white, 0.9);
    Some(BrandColors { primary: hex(c), dark: hex(dark), soft: hex(soft), on_primary, text: hex(text) })
}

/// The brand style sheet for a primary colour: the colours of [`brand_colors`] as the
/// portal's custom properties.
pub fn brand_palette(primary: &str) -> Option<String> {
    let b = brand_colors(primary)?;
    Some(format!(
        ":root {{ --primary: {}; --primary-dark: {}; --primary-soft: {}; --on-primary: {}; --primary-text: {}; }}\n",
        b.primary, b.dark, b.soft, b.on_primary, b.text
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_origins_are_https_sites_or_local_development() {
        assert_eq!(check("embed.allowed_origins", "https://App.example.com http://localhost:5173, http://127.0.0.1:8080").unwrap(),
            "https://app.example.com, http://localhost:5173, http://127.0.0.1:8080");
        assert_eq!(check("embed.allowed_origins", "").unwrap(), "");
        for bad in ["http://app.example.com", "https://app.example.com/portal", "app.example.com", "https://", "https://a.example:0", "https://a.example:99999", "javascript:alert(1)", "https://user@a.example"] {
            assert!(check("embed.allowed_origins", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_kind_refuses_what_it_cannot_hold_and_names_the_setting() {
        for (key, bad) in [
            ("custom.primary_color", "blue"),
            ("custom.primary_color", "#12345"),
            ("custom.logo_url", "javascript:alert(1)"),
            ("custom.logo_url", "//evil.example/x.png"),
            ("portal.base_url", "ftp://example.com"),
            ("portal.base_url", "https://"),
            ("custom.support_email", "not an address"),
            ("keys.max_ratelimit", "0"),
            ("keys.max_ratelimit", "ten"),
            ("portal.enabled", "maybe"),
            ("signup.mode", "sometimes"),
            ("keys.scopes", "Payments"),
            ("signup.allowed_email_domains", "not a domain"),
            ("portal.app_name", ""),
            ("portal.app_name", "two\nlines"),
            ("no.such", "x"),
        ] {
            let e = check(key, bad).expect_err(&format!("{key}={bad:?} refused"));
            assert_eq!(e.key, key);
            assert!(e.to_string().starts_with(&format!("{key}: ")), "{e}");
        }
    }

    #[test]
    fn good_values_come_back_normalised() {
        assert_eq!(check("custom.primary_color", " #4F46E5 ").unwrap(), "#4f46e5");
        assert_eq!(check("portal.enabled", "off").unwrap(), "false");
        assert_eq!(check("keys.scopes", "a:read, b:write a:read").unwrap(), "a:read, b:write");
        assert_eq!(check("portal.base_url", "https://dev.example.com/").unwrap(), "https://dev.example.com");
        assert_eq!(check("custom.logo_url", "/brand/logo.svg").unwrap(), "/brand/logo.svg");
        assert_eq!(check("signup.allowed_email_domains", "Example.com acme.io").unwrap(), "example.com, acme.io");
        assert_eq!(check("signup.allowed_email_domains", "").unwrap(), "");
    }

    #[test]
    fn sign_up_questions_are_checked_strictly_and_stored_as_compact_json() {
        let good = r#"[ {"name":"company","label":" Company ","required":true},
            {"name":"use_case","label":"What will you build?","type":"choice","choices":["Payments","Invoicing","Other"]} ]"#;
        assert_eq!(
            check("signup.fields", good).unwrap(),
            r#"[{"name":"company","label":"Company","required":true,"type":"text"},{"name":"use_case","label":"What will you build?","required":false,"type":"choice","choices":["Payments","Invoicing","Other"]}]"#
        );
        assert_eq!(check("signup.fields", "").unwrap(), "[]");
        assert_eq!(check("signup.fields", "[]").unwrap(), "[]");
        let q = |body: &str| format!("[{{\"name\":\"company\",\"label\":\"Company\"{body}}}]");
        let eleven = format!("[{}]", (0..11).map(|i| format!("{{\"name\":\"q{i}\",\"label\":\"Q\"}}")).collect::<Vec<_>>().join(","));
        let many_choices = q(&format!(",\"type\":\"choice\",\"choices\":[{}]", (0..21).map(|i| format!("\"c{i}\"")).collect::<Vec<_>>().join(",")));
        for (bad, says) in [
            ("not json".to_owned(), "JSON array"),
            (r#"{"name":"company"}"#.to_owned(), "JSON array"),
            (r#"["company"]"#.to_owned(), "question 1: expected an object"),
            (r#"[{"label":"Company"}]"#.to_owned(), "name is missing"),
            (r#"[{"name":"Company","label":"Company"}]"#.to_owned(), "the name \"Company\" must be"),
            (r#"[{"name":"1st","label":"First"}]"#.to_owned(), "the name \"1st\""),
            (r#"[{"name":"has-dash","label":"X"}]"#.to_owned(), "has-dash"),
            (format!(r#"[{{"name":"{}","label":"X"}}]"#, "a".repeat(33)), "must be a lower-case letter"),
            (r#"[{"name":"company","label":"A"},{"name":"company","label":"B"}]"#.to_owned(), "question 2 (\"company\"): this name is used twice"),
            (r#"[{"name":"company"}]"#.to_owned(), "label is missing"),
            (q("").replace("Company\"", "  \""), "label must not be empty"),
            (q("").replace("Company", &"x".repeat(81)), "label must be at most 80"),
            (q("").replace("Company", "two\\nlines"), "label must be one line"),
            (q(r#","required":"yes""#), "required must be true or false"),
            (q(r#","type":"number""#), "type must be"),
            (q(r#","type":"choice""#), "needs choices"),
            (q(r#","type":"choice","choices":[]"#), "1 to 20"),
            (many_choices, "1 to 20"),
            (q(r#","type":"choice","choices":["A","A"]"#), "listed twice"),
            (q(r#","type":"choice","choices":[""]"#), "must not be empty"),
            (q(r#","type":"choice","choices":[1]"#), "every choice must be text"),
            (q(r#","choices":["A"]"#), "only for"),
            (q(r#","placeholder":"x""#), "unknown member \"placeholder\""),
            (eleven, "at most 10 questions"),
        ] {
            let e = check("signup.fields", &bad).expect_err(&bad);
            assert_eq!(e.key, "signup.fields");
            assert!(e.message.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_brand_colour_gets_text_colours_with_enough_contrast() {
        for colour in ["#4f46e5", "#ffeb3b", "#00ff00", "#111111", "#ff0000", "#777", "#ffffff", "#e0e0ff"] {
            let css = brand_palette(colour).unwrap();
            let var = |name: &str| css.split(&format!("--{name}: ")).nth(1).unwrap().split(';').next().unwrap().to_owned();
            let primary = var("primary");
            let on = var("on-primary");
            let text = var("primary-text");
            assert!(contrast(&primary, &on).unwrap() >= 4.5, "{colour}: text on it {on}");
            assert!(contrast(&text, "#ffffff").unwrap() >= 4.5, "{colour}: links {text}");
        }
        assert_eq!(brand_palette("blue"), None);
        assert!((contrast("#000000", "#ffffff").unwrap() - 21.0).abs() < 0.01);
    }

    #[test]
    fn style_sheets_that_load_or_run_something_are_refused() {
        for css in [
            "@import url(https://evil.example/x.css);",
            "body { background: url(https://evil.example/x.png) }",
            "body { background: url('//evil.example/x.png') }",
            "body { background: url(javascript:alert(1)) }",
            "body { width: expression(alert(1)) }",
            "a { behavior: url(/x.htc) }",
            "</style><script>alert(1)</script>",
            "body { background: \\75 rl(https://evil.example) }",
            "body { background: image-set('https://evil.example/x.png' 1x) }",
            "body { background: url(data:image/svg+xml;base64,PHN2Zz4=) }",
        ] {
            assert!(check("custom.portal_css", css).is_err(), "{css}");
        }
        assert!(check("custom.portal_css", ".header { background: #123456; } .logo { background: url(/brand/bg.png) }").is_ok());
    }
}
