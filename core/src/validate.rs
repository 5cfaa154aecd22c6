//! Parsing of user input into domain types. The UI runs the same checks for instant feedback;
//! the server runs them at the boundary and trusts nothing else.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A validation failure tied to the form field it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field name (`email`, `password`, `name`, …).
    pub field: String,
    /// A message a person can act on.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A normalised (trimmed, lower-cased) email address of plausible shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an email address as typed into a form.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_lowercase();
        let err = |m: &str| Err(FieldError::new("email", m));
        if s.is_empty() {
            return err("Enter your email address.");
        }
        if s.len() > 254 {
            return err("That email address is too long.");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return err("Enter an email address like name@example.com.");
        };
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c);
        if local.is_empty()
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || local.chars().any(bad_char)
            || domain.chars().any(bad_char)
        {
            return err("Enter an email address like name@example.com.");
        }
        Ok(Self(s))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Fewest characters a password may have.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Most characters a password may have (NIST asks for at least 64).
pub const PASSWORD_MAX_CHARS: usize = 128;

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// A password that meets the policy. `Debug` never prints it.
#[derive(Clone)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// Checks a new password against the policy: length in characters (any Unicode), not a
    /// well-known password.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let n = input.chars().count();
        let err = |m: String| Err(FieldError::new("password", m));
        if n < PASSWORD_MIN_CHARS {
            return err(format!("Use at least {PASSWORD_MIN_CHARS} characters."));
        }
        if n > PASSWORD_MAX_CHARS {
            return err(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
        }
        if is_common_password(input) {
            return err("This password is too common and easy to guess. Choose another.".into());
        }
        Ok(Self(input.to_owned()))
    }

    /// Wraps a password typed at login, where only the length bound applies.
    pub fn for_login(input: &str) -> Result<Self, FieldError> {
        if input.is_empty() {
            return Err(FieldError::new("password", "Enter your password."));
        }
        if input.chars().count() > PASSWORD_MAX_CHARS {
            return Err(FieldError::new("password", "Email or password is incorrect."));
        }
        Ok(Self(input.to_owned()))
    }

    /// The password itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether a password is on the list of the most common ones (case-insensitive).
pub fn is_common_password(p: &str) -> bool {
    let lower = p.to_lowercase();
    COMMON_PASSWORDS.lines().any(|l| l.eq_ignore_ascii_case(&lower))
}

/// A trimmed name of 1–64 characters without control characters, for the `name` field.
fn short_name(input: &str, when_empty: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new("name", when_empty));
    }
    if s.chars().count() > 64 {
        return Err(FieldError::new("name", "Use at most 64 characters."));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new("name", "The name contains characters that are not allowed."));
    }
    Ok(s.to_owned())
}

/// A key's human name: 1–64 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    /// Parses a key name as typed into a form.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        short_name(input, "Give the key a name, e.g. \"Production server\".").map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A team's name: 1–64 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamName(String);

impl TeamName {
    /// Parses a team name as typed into a form.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        short_name(input, "Give the team a name.").map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional team description of at most 280 characters; empty means none.
pub fn parse_description(input: &str) -> Result<Option<String>, FieldError> {
    let s = input.trim();
    if s.chars().count() > 280 {
        return Err(FieldError::new("description", "Use at most 280 characters."));
    }
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

/// How long a new key lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expiry {
    /// The key never expires.
    Never,
    /// The key expires after this many days (30, 90 or 180).
    Days(u16),
    /// The key expires at the end of this day (UTC).
    Date(chrono::NaiveDate),
}

impl Expiry {
    /// The choices offered in the UI, with their form values (`date` asks for a date).
    pub const CHOICES: [(&'static str, &'static str); 5] =
        [("never", "Never"), ("30", "30 days"), ("90", "90 days"), ("180", "180 days"), ("date", "On a date…")];

    /// Parses a form value: `never`, `30`, `90`, `180`, or a date `YYYY-MM-DD` (the key then
    /// works until the end of that day, UTC).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match input.trim() {
            "never" | "" => Ok(Expiry::Never),
            "30" => Ok(Expiry::Days(30)),
            "90" => Ok(Expiry::Days(90)),
            "180" => Ok(Expiry::Days(180)),
            other => chrono::NaiveDate::parse_from_str(other, "%Y-%m-%d")
                .map(Expiry::Date)
                .map_err(|_| FieldError::new("expiry", "Choose never, 30, 90 or 180 days, or a date.")),
        }
    }

    /// The expiry instant for a key created at `now`; a date that is not in the future is
    /// refused.
    pub fn at(self, now: chrono::DateTime<chrono::Utc>) -> Result<Option<chrono::DateTime<chrono::Utc>>, FieldError> {
        match self {
            Expiry::Never => Ok(None),
            Expiry::Days(d) => Ok(Some(now + chrono::Duration::days(i64::from(d)))),
            Expiry::Date(day) => {
                let end = day.and_hms_opt(23, 59, 59).expect("a valid time").and_utc();
                if end <= now {
                    return Err(FieldError::new("expiry", "Choose a date after today."));
                }
                if end - now > chrono::Duration::days(5 * 366) {
                    return Err(FieldError::new("expiry", "Choose a date within five years, or never."));
                }
                Ok(Some(end))
            }
        }
    }
}

/// The rotation grace periods offered: form value, label, length in seconds.
pub const GRACE_CHOICES: [(&str, &str, i64); 4] =
    [("now", "None: refuse the old key now", 0), ("1h", "1 hour", 3600), ("24h", "24 hours", 86_400), ("7d", "7 days", 7 * 86_400)];

/// The most requests per minute any key may have, whatever the operator allows.
pub const RATELIMIT_CEILING: i64 = 1000;

/// Parses a key's rate limit (requests per minute): a whole number from 1 to `max`.
pub fn parse_ratelimit(input: &str, max: i64) -> Result<i64, FieldError> {
    let err = || FieldError::new("ratelimit", format!("Enter a whole number from 1 to {max}."));
    let n: i64 = input.trim().parse().map_err(|_| err())?;
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(err())
    }
}

/// Parses an optional monthly quota: empty for none, else a whole number from 1 to 10⁹.
pub fn parse_quota(input: &str) -> Result<Option<i64>, FieldError> {
    let v = input.trim().replace([',', '_', ' '], "");
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<i64>() {
        Ok(n) if (1..=1_000_000_000).contains(&n) => Ok(Some(n)),
        _ => Err(FieldError::new("quota", "Enter a whole number of requests per month (1 to 1,000,000,000), or leave it empty.")),
    }
}

/// A scope name: `resource:action`, lower-case letters, digits, `.`, `_`, `-`, up to 64.
pub fn is_scope_name(s: &str) -> bool {
    s.len() <= 64
        && s.split_once(':').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-:*".contains(&b))
}

/// Parses the scopes chosen for a key (separated by spaces or commas) against the operator's
/// catalogue. The result is sorted and without duplicates.
pub fn parse_scopes(input: &str, catalogue: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for s in input.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        if !catalogue.iter().any(|c| c == s) {
            return Err(FieldError::new("scopes", format!("“{}” is not a permission this API offers.", s.chars().take(64).collect::<String>())));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Parses a key's optional description: trimmed, up to 280 characters.
pub fn parse_key_description(input: &str) -> Result<Option<String>, FieldError> {
    parse_description(input)
}

/// Parses the environment chosen in a form.
pub fn parse_environment(input: &str) -> Result<crate::key::Environment, FieldError> {
    crate::key::Environment::parse(input)
        .ok_or_else(|| FieldError::new("environment", "Choose live or test."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "ada@.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy_counts_characters_not_bytes() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("ünïcödé✓").is_ok(), "8 unicode characters are enough");
        assert!(Password::parse(&"x".repeat(64)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn common_passwords_are_refused_whatever_the_case() {
        for p in ["password123", "PASSWORD123", "12345678", "qwertyuiop", "iloveyou1"] {
            let e = Password::parse(p).unwrap_err();
            assert!(e.message.contains("too common"), "{p}");
        }
        assert!(Password::parse("correct horse battery staple").is_ok());
    }

    #[test]
    fn key_names_are_trimmed_and_bounded() {
        assert_eq!(KeyName::parse("  Prod  ").unwrap().as_str(), "Prod");
        assert!(KeyName::parse("   ").is_err());
        assert!(KeyName::parse(&"n".repeat(65)).is_err());
        assert!(KeyName::parse("bad\u{7}name").is_err());
    }

    #[test]
    fn expiry_choices_parse() {
        use chrono::TimeZone;
        assert_eq!(Expiry::parse("never").unwrap(), Expiry::Never);
        assert_eq!(Expiry::parse("90").unwrap(), Expiry::Days(90));
        assert!(Expiry::parse("7").is_err());
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap();
        let end = Expiry::parse("2026-12-31").unwrap().at(now).unwrap().unwrap();
        assert_eq!(end, chrono::Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap(), "the whole day counts");
        assert!(Expiry::parse("2026-11-22").unwrap().at(now).is_err(), "past dates are refused");
        assert!(Expiry::parse("2026-11-23").unwrap().at(now).is_ok(), "today still has hours left");
        assert!(Expiry::parse("2040-01-01").unwrap().at(now).is_err());
    }

    #[test]
    fn limits_quotas_and_scopes_are_checked() {
        assert_eq!(parse_ratelimit(" 100 ", 1000).unwrap(), 100);
        for bad in ["0", "1001", "-5", "1.5", "lots", ""] {
            assert!(parse_ratelimit(bad, 1000).is_err(), "{bad}");
        }
        assert!(parse_ratelimit("600", 500).is_err(), "the operator's maximum applies");
        assert_eq!(parse_quota("").unwrap(), None);
        assert_eq!(parse_quota("10,000").unwrap(), Some(10_000));
        assert!(parse_quota("0").is_err() && parse_quota("many").is_err());
        let cat: Vec<String> = ["payments:read", "payments:write", "invoices:read"].map(String::from).to_vec();
        assert_eq!(parse_scopes("payments:write, payments:read payments:read", &cat).unwrap(), ["payments:read", "payments:write"]);
        assert!(parse_scopes("admin:all", &cat).is_err());
        assert_eq!(parse_scopes("", &cat).unwrap(), Vec::<String>::new());
        assert!(is_scope_name("payments:read") && !is_scope_name("Payments") && !is_scope_name("a b:c"));
    }
}
