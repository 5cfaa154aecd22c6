//! What each email says, written as templates (core/templates/email/, embedded at build
//! time): an HTML part in the portal's branding and a plain-text part, both from the same
//! structured data. Services say which email and with what facts ([`EmailContent`]); no
//! service assembles a subject or a body.

use crate::error::CoreError;
use crate::services::outbox::LINK_PLACEHOLDER;
use crate::services::settings::LiveSettings;
use crate::settings::{brand_colors, DEFAULT_PRIMARY_COLOR};
use minijinja::value::{Serde, Value};
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use std::sync::OnceLock;

/// The welcome email to someone who just created an account.
#[derive(Clone, Debug, Serialize)]
pub struct Welcome {
    /// Their address.
    pub email: String,
    /// Their personal team.
    pub team: String,
    /// Where they create their first key.
    pub keys_url: String,
    /// The API documentation.
    pub docs_url: String,
}

/// A key was created: to its creator. Names the key, never any part of it.
#[derive(Clone, Debug, Serialize)]
pub struct KeyCreated {
    /// The key's name.
    pub name: String,
    /// `live` or `test`.
    pub environment: String,
    /// Its scopes (empty: none).
    pub scopes: Vec<String>,
    /// The team it belongs to.
    pub team: String,
    /// When it stops working (`None`: never), in UTC.
    pub expires: Option<String>,
    /// It works only once approved.
    pub pending_approval: bool,
    /// Its portal page.
    pub key_url: String,
}

/// An invitation to join a team (carries a one-time link).
#[derive(Clone, Debug, Serialize)]
pub struct Invitation {
    /// Who invited.
    pub inviter: String,
    /// The team.
    pub team: String,
    /// The role offered, in words (`viewer`).
    pub role: String,
    /// The invited address.
    pub to: String,
    /// The inviter's message, line by line.
    pub message: Option<Vec<String>>,
    /// When the link expires, in UTC.
    pub expires: String,
}

/// A link to choose a new password (carries a one-time link).
#[derive(Clone, Debug, Serialize)]
pub struct PasswordReset {
    /// The account.
    pub email: String,
    /// Where the request came from.
    pub ip: String,
    /// How long the link works.
    pub minutes: i64,
}

/// A link that confirms a new account's address (carries a one-time link).
#[derive(Clone, Debug, Serialize)]
pub struct VerifyEmail {
    /// The account.
    pub email: String,
    /// Where the sign-up came from.
    pub ip: String,
    /// How long the link works.
    pub hours: i64,
}

/// Someone tried to sign up with the address of an existing account: to its owner, instead
/// of telling the person at the sign-up form that the address is taken.
#[derive(Clone, Debug, Serialize)]
pub struct SignupAttempt {
    /// The account.
    pub email: String,
    /// Where the attempt came from.
    pub ip: String,
    /// The sign-in page.
    pub login_url: String,
    /// The page that sends a password-reset link.
    pub forgot_url: String,
}

/// A link that moves an account to a new address (carries a one-time link; sent to the new
/// address).
#[derive(Clone, Debug, Serialize)]
pub struct EmailChange {
    /// The account's current address.
    pub email: String,
    /// The address it moves to.
    pub new_email: String,
    /// Where the request came from.
    pub ip: String,
    /// How long the link works.
    pub hours: i64,
}

/// An account moved to a new address: to the old one, so a change its owner did not make
/// does not go unnoticed.
#[derive(Clone, Debug, Serialize)]
pub struct EmailChanged {
    /// The old address.
    pub email: String,
    /// The new one.
    pub new_email: String,
    /// When, in UTC.
    pub when: String,
    /// From where the link was confirmed.
    pub ip: String,
}

/// Someone asked to move another account to the address of an existing one: to its owner,
/// instead of telling the person asking that the address is taken.
#[derive(Clone, Debug, Serialize)]
pub struct EmailChangeTaken {
    /// The address (already an account's).
    pub email: String,
    /// Where the request came from.
    pub ip: String,
    /// The sign-in page.
    pub login_url: String,
}

/// The password of an account was changed.
#[derive(Clone, Debug, Serialize)]
pub struct PasswordChanged {
    /// The account.
    pub email: String,
    /// When, in UTC.
    pub when: String,
    /// From where.
    pub ip: String,
    /// Where to reset the password if it was not them.
    pub forgot_url: String,
}

/// A team reached 80 % or 100 % of its monthly quota.
#[derive(Clone, Debug, Serialize)]
pub struct QuotaAlert {
    /// The team.
    pub team: String,
    /// 80 or 100.
    pub level: i64,
    /// The share used, in percent.
    pub percent: i64,
    /// Requests used, formatted (`80,000`).
    pub used: String,
    /// The quota, formatted.
    pub quota: String,
    /// When the count starts again.
    pub resets: String,
    /// The usage page.
    pub usage_url: String,
}

/// A key was reported as found in public and revoked.
#[derive(Clone, Debug, Serialize)]
pub struct KeyLeaked {
    /// The key's name.
    pub name: String,
    /// The key as the portal shows it, masked.
    pub masked: String,
    /// The team.
    pub team: String,
    /// Where it was found.
    pub where_found: String,
    /// When it was revoked, in UTC.
    pub revoked_at: String,
    /// The keys page.
    pub keys_url: String,
}

/// A key expires in a week, or tomorrow: to the key's creator, once each.
#[derive(Clone, Debug, Serialize)]
pub struct KeyExpiring {
    /// The key's name.
    pub name: String,
    /// The key as the portal shows it, masked.
    pub masked: String,
    /// `live` or `test`.
    pub environment: String,
    /// The team.
    pub team: String,
    /// 7 or 1.
    pub days: i64,
    /// When it expires, in UTC (`09 Dec 2026 10:00`).
    pub expires: String,
    /// The key's page, where it is rotated.
    pub key_url: String,
}

/// A key (or a change of its scopes) waits for an owner's or admin's approval.
#[derive(Clone, Debug, Serialize)]
pub struct KeyApproval {
    /// Who asked.
    pub requester: String,
    /// The key's name.
    pub name: String,
    /// `live` or `test`.
    pub environment: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The team.
    pub team: String,
    /// Where to decide.
    pub review_url: String,
}

/// A decision on a key that waited for approval, to its requester.
#[derive(Clone, Debug, Serialize)]
pub struct KeyDecision {
    /// The key's name.
    pub name: String,
    /// Approved or denied.
    pub approved: bool,
    /// It was a change of scopes (not a new key).
    pub change: bool,
    /// The scopes asked for, for a change.
    pub scopes: Vec<String>,
    /// Why, if the decider said.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by: String,
    /// The key's page.
    pub key_url: String,
}

/// Which email, with its facts.
#[derive(Clone, Debug)]
pub enum EmailContent {
    /// See [`Welcome`].
    Welcome(Welcome),
    /// See [`KeyCreated`].
    KeyCreated(KeyCreated),
    /// See [`Invitation`].
    Invitation(Invitation),
    /// See [`PasswordReset`].
    PasswordReset(PasswordReset),
    /// See [`PasswordChanged`].
    PasswordChanged(PasswordChanged),
    /// See [`VerifyEmail`].
    VerifyEmail(VerifyEmail),
    /// See [`SignupAttempt`].
    SignupAttempt(SignupAttempt),
    /// See [`EmailChange`].
    EmailChange(EmailChange),
    /// See [`EmailChanged`].
    EmailChanged(EmailChanged),
    /// See [`EmailChangeTaken`].
    EmailChangeTaken(EmailChangeTaken),
    /// See [`QuotaAlert`].
    QuotaAlert(QuotaAlert),
    /// See [`KeyLeaked`].
    KeyLeaked(KeyLeaked),
    /// See [`KeyApproval`].
    KeyApproval(KeyApproval),
    /// See [`KeyDecision`].
    KeyDecision(KeyDecision),
    /// See [`KeyExpiring`].
    KeyExpiring(KeyExpiring),
    /// See [`InvoiceIssued`].
    InvoiceIssued(InvoiceIssued),
    /// See [`PlanChanged`].
    PlanChanged(PlanChanged),
    /// See [`PaymentFailed`].
    PaymentFailed(PaymentFailed),
    /// See [`ProductDecision`].
    ProductDecision(ProductDecision),
}

impl EmailContent {
    /// The kind recorded with the email, and the name of its templates.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Welcome(_) => "welcome",
            Self::KeyCreated(_) => "key_created",
            Self::Invitation(_) => "invitation",
            Self::PasswordReset(_) => "password_reset",
            Self::PasswordChanged(_) => "password_changed",
            Self::VerifyEmail(_) => "verify_email",
            Self::SignupAttempt(_) => "signup_attempt",
            Self::EmailChange(_) => "email_change",
            Self::EmailChanged(_) => "email_changed",
            Self::EmailChangeTaken(_) => "email_change_taken",
            Self::QuotaAlert(_) => "quota_alert",
            Self::KeyLeaked(_) => "key_leaked",
            Self::KeyApproval(_) => "key_approval",
            Self::KeyDecision(_) => "key_decision",
            Self::KeyExpiring(_) => "key_expiring",
            Self::InvoiceIssued(_) => "invoice_issued",
            Self::PlanChanged(_) => "plan_changed",
            Self::PaymentFailed(_) => "payment_failed",
            Self::ProductDecision(_) => "product_decision",
        }
    }

    /// For an email with a one-time link, the portal path the link starts with.
    pub fn link_path(&self) -> Option<&'static str> {
        match self {
            Self::Invitation(_) => Some("/portal/invite/"),
            Self::PasswordReset(_) => Some("/portal/reset/"),
            Self::VerifyEmail(_) => Some("/portal/verify-email/"),
            Self::EmailChange(_) => Some("/portal/email-change/"),
            _ => None,
        }
    }

    fn data(&self) -> Value {
        match self {
            Self::Welcome(d) => Value::from(Serde(d)),
            Self::KeyCreated(d) => Value::from(Serde(d)),
            Self::Invitation(d) => Value::from(Serde(d)),
            Self::PasswordReset(d) => Value::from(Serde(d)),
            Self::PasswordChanged(d) => Value::from(Serde(d)),
            Self::VerifyEmail(d) => Value::from(Serde(d)),
            Self::SignupAttempt(d) => Value::from(Serde(d)),
            Self::EmailChange(d) => Value::from(Serde(d)),
            Self::EmailChanged(d) => Value::from(Serde(d)),
            Self::EmailChangeTaken(d) => Value::from(Serde(d)),
            Self::QuotaAlert(d) => Value::from(Serde(d)),
            Self::KeyLeaked(d) => Value::from(Serde(d)),
            Self::KeyApproval(d) => Value::from(Serde(d)),
            Self::KeyDecision(d) => Value::from(Serde(d)),
            Self::KeyExpiring(d) => Value::from(Serde(d)),
            Self::InvoiceIssued(d) => Value::from(Serde(d)),
            Self::PlanChanged(d) => Value::from(Serde(d)),
            Self::PaymentFailed(d) => Value::from(Serde(d)),
            Self::ProductDecision(d) => Value::from(Serde(d)),
        }
    }
}

/// An invoice was issued: to the team's billing contact.
#[derive(Clone, Debug, Serialize)]
pub struct InvoiceIssued {
    /// `INV-000042`.
    pub number: String,
    /// The team billed.
    pub team: String,
    /// The month, in words.
    pub period: String,
    /// The total with tax, formatted.
    pub total: String,
    /// The due date.
    pub due: String,
    /// Each line with its amount, formatted.
    pub lines: Vec<String>,
    /// Its page in the portal (with the PDF).
    pub invoice_url: String,
    /// Paid by transfer (the manual provider), not charged to a card.
    pub manual: bool,
}

/// The provider could not charge an invoice: to the billing contact and the team's owners.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentFailed {
    /// `INV-000042`.
    pub number: String,
    /// The team billed.
    pub team: String,
    /// The amount, formatted.
    pub total: String,
    /// When the provider tries again, in words (`None`: it does not).
    pub next_attempt: Option<String>,
    /// What the provider said, if anything.
    pub reason: Option<String>,
    /// Where the card is changed.
    pub billing_url: String,
}

/// The provider decided a team's request for a product: to whoever asked.
#[derive(Clone, Debug, Serialize)]
pub struct ProductDecision {
    /// The product's name.
    pub product: String,
    /// The team.
    pub team: String,
    /// Approved (else denied).
    pub approved: bool,
    /// The provider's reason or note.
    pub reason: Option<String>,
    /// The scopes its keys may now hold.
    pub scopes: Vec<String>,
    /// The catalogue page.
    pub catalogue_url: String,
}

/// A team's plan changed (or a change was scheduled): to its owners and admins.
#[derive(Clone, Debug, Serialize)]
pub struct PlanChanged {
    /// The team.
    pub team: String,
    /// The plan before.
    pub from: String,
    /// The plan after.
    pub to: String,
    /// It applied at once (else on `effective`).
    pub applied: bool,
    /// When it applies, in words.
    pub effective: String,
    /// A prorated charge, formatted (`None`: nothing charged now).
    pub charge: Option<String>,
    /// Who made it, in words (`you`, `the provider`).
    pub by: String,
    /// The billing page.
    pub billing_url: String,
}

/// The portal's branding as emails show it (from the live settings when the email is queued).
#[derive(Clone, Debug, Serialize)]
pub struct Brand {
    /// The product's name (also the sender's name).
    pub app_name: String,
    /// The portal's address.
    pub portal_url: String,
    /// The logo, as an absolute address (a path on this host is made one).
    pub logo_url: Option<String>,
    /// The primary colour, `#rrggbb`.
    pub primary: String,
    /// Text on the primary colour, chosen for contrast.
    pub on_primary: String,
    /// The primary colour dark enough for links on white.
    pub link_color: String,
    /// Where people get help.
    pub support_email: Option<String>,
}

impl Brand {
    /// The branding in effect.
    pub fn from_settings(live: &LiveSettings) -> Self {
        let portal_url = live.base_url.trim_end_matches('/').to_owned();
        let colors = live
            .primary_color
            .as_deref()
            .and_then(brand_colors)
            .or_else(|| brand_colors(DEFAULT_PRIMARY_COLOR))
            .expect("the default colour is valid");
        Self {
            app_name: live.app_name.clone(),
            logo_url: live.logo_url.as_ref().map(|l| if l.starts_with('/') { format!("{portal_url}{l}") } else { l.clone() }),
            portal_url,
            primary: colors.primary,
            on_primary: colors.on_primary.to_owned(),
            link_color: colors.text,
            support_email: live.support_email.clone(),
        }
    }
}

/// An email ready to store: subject, plain text and HTML. A one-time link is still
/// [`LINK_PLACEHOLDER`] in both parts.
#[derive(Clone, Debug)]
pub struct RenderedEmail {
    /// Subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// The templates, by file name. `<kind>.txt` sets `subject`; `<kind>.html` receives it.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.txt", include_str!("../../../templates/email/layout.txt")),
    ("layout.html", include_str!("../../../templates/email/layout.html")),
    ("macros.html", include_str!("../../../templates/email/macros.html")),
    ("welcome.txt", include_str!("../../../templates/email/welcome.txt")),
    ("welcome.html", include_str!("../../../templates/email/welcome.html")),
    ("key_created.txt", include_str!("../../../templates/email/key_created.txt")),
    ("key_created.html", include_str!("../../../templates/email/key_created.html")),
    ("invitation.txt", include_str!("../../../templates/email/invitation.txt")),
    ("invitation.html", include_str!("../../../templates/email/invitation.html")),
    ("password_reset.txt", include_str!("../../../templates/email/password_reset.txt")),
    ("password_reset.html", include_str!("../../../templates/email/password_reset.html")),
    ("password_changed.txt", include_str!("../../../templates/email/password_changed.txt")),
    ("password_changed.html", include_str!("../../../templates/email/password_changed.html")),
    ("verify_email.txt", include_str!("../../../templates/email/verify_email.txt")),
    ("verify_email.html", include_str!("../../../templates/email/verify_email.html")),
    ("signup_attempt.txt", include_str!("../../../templates/email/signup_attempt.txt")),
    ("signup_attempt.html", include_str!("../../../templates/email/signup_attempt.html")),
    ("email_change.txt", include_str!("../../../templates/email/email_change.txt")),
    ("email_change.html", include_str!("../../../templates/email/email_change.html")),
    ("email_changed.txt", include_str!("../../../templates/email/email_changed.txt")),
    ("email_changed.html", include_str!("../../../templates/email/email_changed.html")),
    ("email_change_taken.txt", include_str!("../../../templates/email/email_change_taken.txt")),
    ("email_change_taken.html", include_str!("../../../templates/email/email_change_taken.html")),
    ("quota_alert.txt", include_str!("../../../templates/email/quota_alert.txt")),
    ("quota_alert.html", include_str!("../../../templates/email/quota_alert.html")),
    ("key_leaked.txt", include_str!("../../../templates/email/key_leaked.txt")),
    ("key_leaked.html", include_str!("../../../templates/email/key_leaked.html")),
    ("key_approval.txt", include_str!("../../../templates/email/key_approval.txt")),
    ("key_approval.html", include_str!("../../../templates/email/key_approval.html")),
    ("key_decision.txt", include_str!("../../../templates/email/key_decision.txt")),
    ("key_decision.html", include_str!("../../../templates/email/key_decision.html")),
    ("key_expiring.txt", include_str!("../../../templates/email/key_expiring.txt")),
    ("key_expiring.html", include_str!("../../../templates/email/key_expiring.html")),
    ("invoice_issued.txt", include_str!("../../../templates/email/invoice_issued.txt")),
    ("invoice_issued.html", include_str!("../../../templates/email/invoice_issued.html")),
    ("plan_changed.txt", include_str!("../../../templates/email/plan_changed.txt")),
    ("plan_changed.html", include_str!("../../../templates/email/plan_changed.html")),
    ("payment_failed.txt", include_str!("../../../templates/email/payment_failed.txt")),
    ("payment_failed.html", include_str!("../../../templates/email/payment_failed.html")),
    ("product_decision.txt", include_str!("../../../templates/email/product_decision.txt")),
    ("product_decision.html", include_str!("../../../templates/email/product_decision.html")),
];

/// The template set: fixed at build time, so one for the process (it holds no state).
fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // A misspelt variable is an error (caught by the tests), not an empty string.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("a valid syntax"),
        );
        // The default HTML escaping also turns `/` into `&#x2f;`, which garbles every address
        // in the message source; `& < > " '` are what quoted attributes and text need.
        env.set_formatter(|out, state, value| {
            if *state.auto_escape() == AutoEscape::Html && !value.is_safe() {
                let text = if value.is_none() || value.is_undefined() { String::new() } else { value.to_string() };
                out.write_str(&escape_html(&text)).map_err(minijinja::Error::from)
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source).unwrap_or_else(|e| panic!("email template {name}: {e:#}"));
        }
        env
    })
}

pub use crate::html::escape_html;

/// Renders an email's subject, text and HTML in `brand`.
pub fn render(brand: &Brand, content: &EmailContent) -> Result<RenderedEmail, CoreError> {
    let env = environment();
    let kind = content.kind();
    let fail = |e: minijinja::Error| CoreError::Internal(format!("email template {kind}: {e:#}"));
    let link = content.link_path().map(|_| LINK_PLACEHOLDER);
    let ctx = context! { brand => Serde(brand), link => link, ..content.data() };
    let text = env.get_template(&format!("{kind}.txt")).map_err(fail)?.render_captured(ctx.clone()).map_err(fail)?;
    let subject = text
        .state()
        .lookup("subject")
        .filter(|s| !s.is_undefined())
        .map(|s| s.to_string())
        .ok_or_else(|| CoreError::Internal(format!("email template {kind}.txt sets no subject")))?;
    // One line, whatever the template's whitespace.
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.into_output();
    let html = env
        .get_template(&format!("{kind}.html"))
        .map_err(fail)?
        .render(context! { subject => subject.clone(), ..ctx })
        .map_err(fail)?;
    Ok(RenderedEmail { subject, text, html })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> Brand {
        Brand {
            app_name: "Acme <b>&</b>".into(),
            portal_url: "https://dev.acme.example".into(),
            logo_url: Some("https://cdn.acme.example/logo.png".into()),
            primary: "#ffcc00".into(),
            on_primary: "#000000".into(),
            link_color: "#8a6e00".into(),
            support_email: Some("help@acme.example".into()),
        }
    }

    fn every_kind() -> Vec<EmailContent> {
        vec![
            EmailContent::Welcome(Welcome {
                email: "ann@example.com".into(),
                team: "ann's team".into(),
                keys_url: "https://dev.acme.example/portal/keys".into(),
                docs_url: "https://dev.acme.example/portal/docs".into(),
            }),
            EmailContent::KeyCreated(KeyCreated {
                name: "Billing <prod>".into(),
                environment: "live".into(),
                scopes: vec!["payments:read".into(), "payments:write".into()],
                team: "Acme".into(),
                expires: Some("03 Mar 2027 09:00".into()),
                pending_approval: true,
                key_url: "https://dev.acme.example/portal/keys/key_1".into(),
            }),
            EmailContent::Invitation(Invitation {
                inviter: "bob@example.com".into(),
                team: "Acme".into(),
                role: "viewer".into(),
                to: "ann@example.com".into(),
                message: Some(vec!["Welcome aboard!".into(), "See you Monday.".into()]),
                expires: "09 Dec 2026 10:00".into(),
            }),
            EmailContent::PasswordReset(PasswordReset { email: "ann@example.com".into(), ip: "127.0.0.1".into(), minutes: 30 }),
            EmailContent::PasswordChanged(PasswordChanged {
                email: "ann@example.com".into(),
                when: "2 Dec 2026 at 10:00 UTC".into(),
                ip: "127.0.0.1".into(),
                forgot_url: "https://dev.acme.example/portal/forgot".into(),
            }),
            EmailContent::VerifyEmail(VerifyEmail { email: "ann@example.com".into(), ip: "127.0.0.1".into(), hours: 24 }),
            EmailContent::SignupAttempt(SignupAttempt {
                email: "ann@example.com".into(),
                ip: "127.0.0.1".into(),
                login_url: "https://dev.acme.example/portal/login".into(),
                forgot_url: "https://dev.acme.example/portal/forgot".into(),
            }),
            EmailContent::EmailChange(EmailChange { email: "ann@example.com".into(), new_email: "ann@new.example".into(), ip: "127.0.0.1".into(), hours: 24 }),
            EmailContent::EmailChanged(EmailChanged {
                email: "ann@example.com".into(),
                new_email: "ann@new.example".into(),
                when: "3 Dec 2026 at 10:00 UTC".into(),
                ip: "127.0.0.1".into(),
            }),
            EmailContent::EmailChangeTaken(EmailChangeTaken {
                email: "bob@example.com".into(),
                ip: "127.0.0.1".into(),
                login_url: "https://dev.acme.example/portal/login".into(),
            }),
            EmailContent::QuotaAlert(QuotaAlert {
                team: "Acme".into(),
                level: 80,
                percent: 81,
                used: "81,000".into(),
                quota: "100,000".into(),
                resets: "01 Jan 2027".into(),
                usage_url: "https://dev.acme.example/portal/usage?range=month".into(),
            }),
            EmailContent::KeyLeaked(KeyLeaked {
                name: "CI".into(),
                masked: "kp_live_ab…wxyz".into(),
                team: "Acme".into(),
                where_found: "https://github.com/x/y".into(),
                revoked_at: "02 Dec 2026 10:00".into(),
                keys_url: "https://dev.acme.example/portal/keys".into(),
            }),
            EmailContent::KeyApproval(KeyApproval {
                requester: "bob@example.com".into(),
                name: "Prod".into(),
                environment: "live".into(),
                scopes: vec![],
                team: "Acme".into(),
                review_url: "https://dev.acme.example/portal/keys".into(),
            }),
            EmailContent::KeyDecision(KeyDecision {
                name: "Prod".into(),
                approved: false,
                change: false,
                scopes: vec![],
                reason: Some("Use a test key first".into()),
                decided_by: "carol@example.com".into(),
                key_url: "https://dev.acme.example/portal/keys/key_1".into(),
            }),
            EmailContent::KeyExpiring(KeyExpiring {
                name: "Prod".into(),
                masked: "kp_live_ab…wxyz".into(),
                environment: "live".into(),
                team: "Acme".into(),
                days: 1,
                expires: "09 Dec 2026 10:00".into(),
                key_url: "https://dev.acme.example/portal/keys/key_1".into(),
            }),
            EmailContent::InvoiceIssued(InvoiceIssued {
                number: "INV-000042".into(),
                team: "Acme".into(),
                period: "November 2026".into(),
                total: "USD 59.00".into(),
                due: "15 Dec 2026".into(),
                lines: vec!["Pro plan, November 2026: USD 49.00".into(), "Overage: USD 10.00".into()],
                invoice_url: "https://dev.acme.example/portal/billing/invoices/inv_1".into(),
                manual: true,
            }),
            EmailContent::PlanChanged(PlanChanged {
                team: "Acme".into(),
                from: "Starter".into(),
                to: "Pro".into(),
                applied: true,
                effective: "10 Nov 2026".into(),
                charge: Some("USD 25.81".into()),
                by: "ann@example.com".into(),
                billing_url: "https://dev.acme.example/portal/billing".into(),
            }),
            EmailContent::PaymentFailed(PaymentFailed {
                number: "INV-000042".into(),
                team: "Acme".into(),
                total: "USD 59.00".into(),
                next_attempt: Some("18 Dec 2026".into()),
                reason: None,
                billing_url: "https://dev.acme.example/portal/billing".into(),
            }),
            EmailContent::ProductDecision(ProductDecision {
                product: "Payments API".into(),
                team: "Acme".into(),
                approved: false,
                reason: Some("Tell us more about your volume".into()),
                scopes: vec!["payments:read".into()],
                catalogue_url: "https://dev.acme.example/portal/catalogue".into(),
            }),
        ]
    }

    #[test]
    fn every_kind_renders_a_subject_a_text_and_a_branded_html_part() {
        for content in every_kind() {
            let kind = content.kind();
            let r = render(&brand(), &content).unwrap_or_else(|e| panic!("{kind}: {e:?}"));
            assert!(!r.subject.is_empty() && !r.subject.contains('\n'), "{kind}: {:?}", r.subject);
            assert!(r.text.contains("Acme <b>&</b>"), "{kind}: the text part names the app as it is:\n{}", r.text);
            assert!(r.text.contains("help@acme.example") && r.text.contains("https://dev.acme.example"), "{kind}: footer\n{}", r.text);
            assert!(!r.text.contains("<p ") && !r.text.contains("<a "), "{kind}: no markup in the text part");
            assert!(r.html.contains("Acme &lt;b&gt;&amp;&lt;/b&gt;") && !r.html.contains("<b>&</b>"), "{kind}: the name is escaped in HTML");
            assert!(r.html.contains("src=\"https://cdn.acme.example/logo.png\""), "{kind}: the logo");
            assert!(r.html.contains("#ffcc00") && r.html.contains("mailto:help@acme.example"), "{kind}: colour and support");
            assert!(r.html.contains(&format!("<title>{}</title>", escape_html(&r.subject))), "{kind}: the title is the subject");
            let has_link = content.link_path().is_some();
            assert_eq!(r.text.contains(LINK_PLACEHOLDER), has_link, "{kind}: text link");
            assert_eq!(r.html.contains(&format!("href=\"{LINK_PLACEHOLDER}\"")), has_link, "{kind}: html link");
        }
    }

    #[test]
    fn a_button_on_the_primary_colour_has_the_contrast_chosen_text() {
        let content = &every_kind()[0];
        let r = render(&brand(), content).unwrap();
        assert!(r.html.contains("background:#ffcc00") && r.html.contains("color:#000000"), "{}", r.html);
    }

    #[test]
    fn the_key_created_email_names_the_key_and_escapes_what_a_user_chose() {
        let r = render(&brand(), &every_kind()[1]).unwrap();
        assert_eq!(r.subject, "Key \"Billing <prod>\" was created");
        assert!(r.text.contains("payments:read, payments:write") && r.text.contains("Live"), "{}", r.text);
        assert!(r.text.contains("approv"), "says it waits for approval: {}", r.text);
        assert!(r.html.contains("Billing &lt;prod&gt;") && !r.html.contains("<prod>"));
        assert!(r.html.contains("href=\"https://dev.acme.example/portal/keys/key_1\""));
    }

    #[test]
    fn without_branding_the_default_colour_and_name_are_used_and_a_logo_path_becomes_absolute() {
        let config = crate::services::ServiceConfig::default();
        let mut live = LiveSettings::defaults(&config);
        live.base_url = "https://portal.example/".into();
        let b = Brand::from_settings(&live);
        assert_eq!((b.app_name.as_str(), b.primary.as_str(), b.on_primary.as_str()), ("Keyport", DEFAULT_PRIMARY_COLOR, "#ffffff"));
        assert_eq!(b.logo_url, None);
        live.logo_url = Some("/logo.svg".into());
        assert_eq!(Brand::from_settings(&live).logo_url.as_deref(), Some("https://portal.example/logo.svg"));
        let r = render(&b, &every_kind()[0]).unwrap();
        assert!(r.html.contains(">Keyport<") && !r.html.contains("<img"), "the name stands in for a logo");
        assert!(!r.text.contains("Questions?"), "no support line without a support address");
    }

    #[test]
    fn the_invitation_quotes_the_message_and_the_subject_names_inviter_team_and_app() {
        let mut b = brand();
        b.app_name = "Keyport".into();
        let r = render(&b, &every_kind()[2]).unwrap();
        assert_eq!(r.subject, "bob@example.com invited you to Acme on Keyport");
        assert!(r.text.contains("> Welcome aboard!\n> See you Monday.\n") && r.text.contains("as viewer"), "{}", r.text);
    }
}
