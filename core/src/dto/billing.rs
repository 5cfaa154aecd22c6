//! Plans and billing as the UI and the CLI see them: money in integer minor units, the
//! features a plan may lock, and the arithmetic of a plan change (shared with the browser, so
//! the confirmation shows exactly what the server will charge).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A feature Keyport itself locks when a team's plan lacks it. Plans may also carry the
/// operator's own feature names (returned by verify for the operator's API to gate on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Feature {
    /// Creating live keys (test keys are always allowed).
    LiveKeys,
    /// A key's request log on its page.
    RequestLog,
    /// Downloading usage as CSV.
    UsageExport,
}

impl Feature {
    /// Every feature Keyport knows.
    pub const ALL: [Feature; 3] = [Feature::LiveKeys, Feature::RequestLog, Feature::UsageExport];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::LiveKeys => "live_keys",
            Feature::RequestLog => "request_log",
            Feature::UsageExport => "usage_export",
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            Feature::LiveKeys => "Live keys",
            Feature::RequestLog => "Request log",
            Feature::UsageExport => "Usage export (CSV)",
        }
    }

    /// A known feature by its stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Feature::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A feature name as people read it: Keyport's label, or the operator's name with `_` as
/// spaces and a capital.
pub fn feature_label(name: &str) -> String {
    if let Some(f) = Feature::parse(name) {
        return f.label().to_owned();
    }
    let spaced = name.replace('_', " ");
    let mut c = spaced.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Checks a feature name: lowercase letters, digits and `_`, starting with a letter, 1–40.
pub fn check_feature_name(s: &str) -> Result<(), String> {
    let ok = (1..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { Ok(()) } else { Err(format!("{s:?} is not a feature name: lowercase letters, digits and _, starting with a letter, at most 40")) }
}

/// Digits after the decimal point in a currency's minor unit (ISO 4217).
pub fn currency_exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Checks an ISO 4217 code (three capital letters).
pub fn check_currency(s: &str) -> Result<String, String> {
    let up = s.trim().to_ascii_uppercase();
    if up.len() == 3 && up.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(up)
    } else {
        Err(format!("{s:?} is not a currency: give its three-letter ISO code (USD, EUR, JPY …)"))
    }
}

/// An amount in minor units as people read it: `USD 49.00`, `JPY 5,000`, `-USD 1.50`.
pub fn format_money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{currency} {}", amount_text(minor.saturating_abs(), currency))
}

/// An amount in major units without its currency, as a form shows it for editing and
/// [`parse_money`] reads it back: `49.00`, `5,000`, `-1.50`.
pub fn amount_text(minor: i64, currency: &str) -> String {
    let exp = currency_exponent(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10u64.pow(exp);
    let whole = crate::dto::thousands(i64::try_from(abs / unit).unwrap_or(i64::MAX));
    if exp == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{:0width$}", abs % unit, width = exp as usize)
    }
}

/// Reads a price in major units (`49`, `49.5`, `49.00`, `1,000.00`) into minor units of
/// `currency`. Negative amounts and more decimals than the currency has are refused.
pub fn parse_money(s: &str, currency: &str) -> Result<i64, String> {
    let exp = currency_exponent(currency) as usize;
    let t = s.trim().replace(',', "");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || (!frac.is_empty() && !digits(frac)) || (t.contains('.') && frac.is_empty()) {
        return Err(format!("{s:?} is not an amount: write it like 49 or 49.00"));
    }
    if frac.len() > exp {
        return Err(format!("{currency} has {exp} decimal places; {s:?} has more"));
    }
    let unit = 10i64.pow(exp as u32);
    let whole: i64 = whole.parse().map_err(|_| format!("{s:?} is too large"))?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<exp$}").parse().map_err(|_| format!("{s:?} is not an amount"))? };
    whole.checked_mul(unit).and_then(|w| w.checked_add(frac)).filter(|v| *v <= 100_000_000_000_000).ok_or_else(|| format!("{s:?} is too large"))
}

/// `a × num / den`, rounded half away from zero, in 128 bits (one rounding).
pub fn mul_div_round(a: i64, num: i64, den: i64) -> i64 {
    if den == 0 {
        return 0;
    }
    let (p, d) = (i128::from(a) * i128::from(num), i128::from(den));
    let q = p / d;
    let r = p % d;
    let rounded = if 2 * r.abs() >= d.abs() { q + p.signum() * d.signum() } else { q };
    i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
}

/// What an upgrade from `from_price` to `to_price` (per period) costs when made at `at`, in a
/// period from `start` to `end`: the difference for the share of the period left, rounded
/// once. Zero when the new plan is not dearer or the period is over.
pub fn proration(from_price: i64, to_price: i64, start: DateTime<Utc>, end: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    let total = (end - start).num_seconds();
    let left = (end - at).num_seconds().clamp(0, total.max(0));
    if to_price <= from_price || total <= 0 {
        return 0;
    }
    mul_div_round(to_price - from_price, left, total)
}

/// What overage costs: `over` requests past the included ones at `per_1000` minor units per
/// 1,000 requests, rounded once.
pub fn overage_charge(over: i64, per_1000: i64) -> i64 {
    mul_div_round(over.max(0), per_1000, 1000)
}

/// Who sees a plan in the portal's list of plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanVisibility {
    /// Listed for every team to switch to.
    Public,
    /// Not listed: the operator assigns it.
    Hidden,
}

impl PlanVisibility {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanVisibility::Public => "public",
            PlanVisibility::Hidden => "hidden",
        }
    }

    /// Parses `public` or `hidden`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(PlanVisibility::Public),
            "hidden" => Some(PlanVisibility::Hidden),
            _ => None,
        }
    }
}

/// A plan as the portal, the console and the CLI show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    /// Its identifier (`free`, `pro`): fixed once created.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The price per monthly period, in minor units of `currency`.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Valid requests included per month.
    pub included_requests: i64,
    /// Past the included requests: `None` refuses them (`USAGE_EXCEEDED`), else each 1,000
    /// costs this many minor units.
    pub overage_per_1000_minor: Option<i64>,
    /// The highest rate limit (per minute) a key of the plan may use.
    pub ratelimit_cap: Option<i64>,
    /// The most working keys a team may have.
    pub max_keys: Option<i64>,
    /// Feature names, sorted.
    pub features: Vec<String>,
    /// Days of free trial when a team first takes the plan.
    pub trial_days: i64,
    /// Listed or not.
    pub visibility: PlanVisibility,
    /// New teams get it.
    pub is_default: bool,
    /// No team can switch to it any more (teams on it stay).
    pub archived: bool,
    /// Teams on it now.
    pub teams: i64,
}

impl PlanView {
    /// Whether the plan includes a feature.
    pub fn has(&self, feature: Feature) -> bool {
        self.features.iter().any(|f| f == feature.as_str())
    }

    /// The price per month as people read it ("No charge" for nothing).
    pub fn price_label(&self) -> String {
        if self.price_minor == 0 { "No charge".to_owned() } else { format!("{} / month", format_money(self.price_minor, &self.currency)) }
    }

    /// What happens past the included requests, in words.
    pub fn overage_label(&self) -> String {
        match self.overage_per_1000_minor {
            None => "Requests past the included ones are refused until the month ends".to_owned(),
            Some(p) => format!("{} per 1,000 requests past the included ones", format_money(p, &self.currency)),
        }
    }
}

/// A team's plan and what it has used of it, for `/portal/billing`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillingView {
    /// The plan the team is on.
    pub plan: PlanView,
    /// When the current period (a calendar month, UTC) began.
    pub period_start: DateTime<Utc>,
    /// When it ends (and a scheduled change takes effect).
    pub period_end: DateTime<Utc>,
    /// Valid requests this period.
    pub used_requests: i64,
    /// Working keys now.
    pub keys: i64,
    /// If the plan began with a trial: when it ends.
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// The other plans offered (public, not archived), cheapest first.
    pub choices: Vec<PlanView>,
    /// A change waiting for the period's end: the plan's name.
    pub scheduled: Option<String>,
    /// That change is a cancellation of the current plan.
    pub cancelling: bool,
    /// Owed this period beyond the plan's price so far (prorated upgrades), minor units.
    pub charges: i64,
    /// The caller may change the plan (owners and admins).
    pub can_manage: bool,
    /// When this view was made: what the confirmations' prorated amounts are computed at.
    pub as_of: DateTime<Utc>,
    /// The portal's own highest rate limit per key (where a plan has no cap).
    pub portal_max_ratelimit: i64,
    /// The portal's own most working keys per team (where a plan has no limit).
    pub portal_max_keys: i64,
    /// The plans this team has had a trial of (a plan's trial is for a team's first time on it).
    pub trials_used: Vec<String>,
}

/// What a plan change did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChangeView {
    /// The plan the team is on, or will be.
    pub plan: String,
    /// It applied at once (else it is scheduled).
    pub applied: bool,
    /// When it applies (now, or the start of the next period).
    pub effective_at: DateTime<Utc>,
    /// Owed for the rest of this period, in minor units of `currency`.
    pub charge_minor: i64,
    /// The plan's currency.
    pub currency: String,
}

impl BillingView {
    /// What switching to `to` means, in one sentence, stated before it is confirmed.
    pub fn change_terms(&self, to: &PlanView) -> String {
        let p = &self.plan;
        if to.currency != p.currency {
            return format!("{} is priced in {}: ask the provider to move your team.", to.name, to.currency);
        }
        let end = self.period_end.format("%d %b %Y");
        if to.price_minor >= p.price_minor && self.trial_of(to).is_some() {
            let ends = self.trial_of(to).unwrap_or(self.as_of);
            return format!(
                "{} starts now with a {}-day free trial: nothing is charged for it until {}, then {} a month (the rest of that month prorated).",
                to.name,
                to.trial_days,
                ends.format("%d %b %Y"),
                format_money(to.price_minor, &to.currency)
            );
        }
        if to.price_minor >= p.price_minor {
            let now = proration(p.price_minor, to.price_minor, self.period_start, self.period_end, self.as_of);
            if now > 0 {
                format!(
                    "{} starts now. You pay {} for the rest of this month, then {} a month from {end}.",
                    to.name,
                    format_money(now, &to.currency),
                    format_money(to.price_minor, &to.currency)
                )
            } else {
                format!("{} starts now, at no extra charge this month.", to.name)
            }
        } else {
            format!("{} starts on {end}, when this month ends; until then you keep {}. Nothing is refunded.", to.name, p.name)
        }
    }

    /// When a trial of `to` would end if the team switched now (`None`: no trial: the plan
    /// has none, or the team had it).
    pub fn trial_of(&self, to: &PlanView) -> Option<DateTime<Utc>> {
        (to.trial_days > 0 && !self.trials_used.contains(&to.id)).then(|| self.as_of + chrono::Duration::days(to.trial_days))
    }

    /// What this period's overage costs so far (0 on a hard-stop plan).
    pub fn overage_so_far(&self) -> i64 {
        match self.plan.overage_per_1000_minor {
            Some(p) => overage_charge(self.used_requests - self.plan.included_requests, p),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn money_reads_and_prints_in_minor_units() {
        assert_eq!(parse_money("49", "USD"), Ok(4900));
        assert_eq!(parse_money("49.5", "USD"), Ok(4950));
        assert_eq!(parse_money("1,000.05", "EUR"), Ok(100_005));
        assert_eq!(parse_money("5000", "JPY"), Ok(5000));
        assert!(parse_money("5000.5", "JPY").is_err());
        for (minor, cur) in [(4900, "USD"), (100_005, "EUR"), (5000, "JPY"), (0, "USD")] {
            assert_eq!(parse_money(&amount_text(minor, cur), cur), Ok(minor), "{cur} {minor} reads back");
        }
        assert_eq!(amount_text(-150, "USD"), "-1.50");
        assert!(parse_money("1.234", "USD").is_err());
        assert!(parse_money("-1", "USD").is_err());
        assert!(parse_money("4.", "USD").is_err());
        assert!(parse_money("", "USD").is_err());
        assert!(parse_money("99999999999999999999", "USD").is_err());
        assert_eq!(parse_money("1.250", "KWD"), Ok(1250));
        assert_eq!(format_money(4900, "USD"), "USD 49.00");
        assert_eq!(format_money(123_456_789, "EUR"), "EUR 1,234,567.89");
        assert_eq!(format_money(5000, "JPY"), "JPY 5,000");
        assert_eq!(format_money(-150, "USD"), "-USD 1.50");
        assert_eq!(format_money(5, "KWD"), "KWD 0.005");
        assert_eq!(check_currency("usd"), Ok("USD".to_owned()));
        assert!(check_currency("US").is_err());
    }

    #[test]
    fn one_rounding_half_away_from_zero() {
        assert_eq!(mul_div_round(1, 1, 2), 1);
        assert_eq!(mul_div_round(-1, 1, 2), -1);
        assert_eq!(mul_div_round(10, 1, 3), 3);
        assert_eq!(mul_div_round(20, 1, 3), 7);
        assert_eq!(mul_div_round(i64::MAX, 2, 2), i64::MAX);
        assert_eq!(overage_charge(1_500, 50), 75);
        assert_eq!(overage_charge(1, 50), 0);
        assert_eq!(overage_charge(10, 50), 1);
        assert_eq!(overage_charge(-5, 50), 0);
    }

    #[test]
    fn an_upgrade_on_day_ten_of_thirty_one_charges_twenty_two_days() {
        let start = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap();
        let at = Utc.with_ymd_and_hms(2027, 1, 10, 0, 0, 0).unwrap();
        // 22 of 31 days left of a 4,000 difference: 2838.709… → 2839.
        assert_eq!(proration(900, 4900, start, end, at), 2839);
        assert_eq!(proration(4900, 900, start, end, at), 0);
        assert_eq!(proration(900, 4900, start, end, end), 0);
        assert_eq!(proration(900, 4900, start, end, start), 4000);
    }

    #[test]
    fn feature_names_and_labels() {
        assert_eq!(feature_label("live_keys"), "Live keys");
        assert_eq!(feature_label("api_advanced"), "Api advanced");
        assert!(check_feature_name("api_basic").is_ok());
        assert!(check_feature_name("Api").is_err());
        assert!(check_feature_name("1api").is_err());
        assert!(check_feature_name("").is_err());
    }
}

/// Tax on `amount` at `rate_bp` basis points, rounded once (half away from zero).
pub fn tax_of(amount: i64, rate_bp: i32) -> i64 {
    mul_div_round(amount, i64::from(rate_bp), 10_000)
}

/// A tax rate in basis points as people read it: `20%`, `7.5%`, `0%`.
pub fn rate_label(bp: i32) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    if frac == 0 {
        format!("{whole}%")
    } else {
        format!("{whole}.{}%", format!("{frac:02}").trim_end_matches('0'))
    }
}

/// A billing period (`2026-11`) in words: `November 2026`.
pub fn period_label(period: &str) -> String {
    const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    match period.split_once('-').and_then(|(y, m)| Some((y, m.parse::<usize>().ok()?))) {
        Some((y, m)) if (1..=12).contains(&m) => format!("{} {y}", MONTHS[m - 1]),
        _ => period.to_owned(),
    }
}

/// An invoice number as printed: `INV-000042`.
pub fn invoice_number_label(n: i64) -> String {
    format!("INV-{n:06}")
}

/// Who an invoice is addressed to, as it stood when the invoice was drafted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillTo {
    /// The company, else the team's name.
    pub name: String,
    /// Where invoices are sent.
    pub email: Option<String>,
    /// Postal address, lines separated by newlines.
    pub address: Option<String>,
    /// VAT or other tax number.
    pub tax_id: Option<String>,
}

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvoiceStatus {
    /// Being put together: no number yet.
    Draft,
    /// Issued, waiting for payment.
    Open,
    /// Paid.
    Paid,
    /// Cancelled (a correction was issued in its place, or nothing is owed after all).
    Void,
}

impl InvoiceStatus {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Open, Self::Paid, Self::Void].into_iter().find(|v| v.as_str() == s)
    }

    /// In words, for a badge.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Open => "Due",
            Self::Paid => "Paid",
            Self::Void => "Void",
        }
    }
}

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLineView {
    /// `base`, `proration`, `overage`, `credit`.
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    /// Before tax, minor units.
    pub amount_minor: i64,
    /// Basis points.
    pub tax_rate_bp: i32,
    pub tax_minor: i64,
}

/// An invoice, with its lines (empty in a list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub id: String,
    /// Assigned when it was finalized.
    pub number: Option<i64>,
    pub team_name: String,
    /// `YYYY-MM`.
    pub period: String,
    pub status: InvoiceStatus,
    pub currency: String,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub bill_to: BillTo,
    /// Who it is from (`billing.issuer`, else the portal's name).
    pub issuer: String,
    pub created_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    /// The number of the voided invoice this one corrects.
    pub replaces: Option<i64>,
    /// The number of the invoice that corrected this one.
    pub replaced_by: Option<i64>,
    pub lines: Vec<InvoiceLineView>,
}

impl InvoiceView {
    /// `INV-000042`, or `Draft` before it has a number.
    pub fn number_label(&self) -> String {
        self.number.map(invoice_number_label).unwrap_or_else(|| "Draft".into())
    }

    /// The invoice's title: `Invoice INV-000042 — November 2026`.
    pub fn title(&self) -> String {
        format!("Invoice {} — {}", self.number_label(), period_label(&self.period))
    }
}

/// A team's billing contact and payment method, as its owners and admins edit it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingProfileView {
    pub email: String,
    pub company: String,
    /// Lines separated by newlines.
    pub address: String,
    pub tax_id: String,
    /// The card the payment provider holds: `Visa •••• 4242, expires 04/2028`.
    pub card: Option<String>,
    /// Which provider collects payment (`manual`: invoices are paid by transfer).
    pub provider: String,
}

/// Checks a billing contact as the form and the server both do; returns it trimmed.
pub fn check_billing_profile(p: &BillingProfileView) -> Result<BillingProfileView, (&'static str, String)> {
    let email = match p.email.trim() {
        "" => String::new(),
        e => crate::validate::Email::parse(e).map_err(|_| ("email", "Enter an email address like billing@example.com.".to_owned()))?.as_str().to_owned(),
    };
    let company = p.company.trim().to_owned();
    if company.chars().count() > 200 {
        return Err(("company", "At most 200 characters.".into()));
    }
    let address = p.address.trim().replace("\r\n", "\n");
    if address.chars().count() > 500 || address.lines().count() > 8 {
        return Err(("address", "At most 8 lines and 500 characters.".into()));
    }
    let tax_id = p.tax_id.trim().to_owned();
    if tax_id.chars().count() > 40 || tax_id.chars().any(|c| c.is_control()) {
        return Err(("tax_id", "At most 40 characters.".into()));
    }
    if [&company, &address, &tax_id].iter().any(|s| s.chars().any(|c| c.is_control() && c != '\n')) {
        return Err(("company", "Remove control characters.".into()));
    }
    Ok(BillingProfileView { email, company, address, tax_id, card: p.card.clone(), provider: p.provider.clone() })
}

#[cfg(test)]
mod invoice_tests {
    use super::*;

    #[test]
    fn tax_and_labels() {
        assert_eq!(tax_of(1999, 2000), 400);
        assert_eq!(tax_of(-1999, 2000), -400);
        assert_eq!(tax_of(1, 2000), 0);
        assert_eq!(rate_label(2000), "20%");
        assert_eq!(rate_label(750), "7.5%");
        assert_eq!(rate_label(1925), "19.25%");
        assert_eq!(period_label("2026-11"), "November 2026");
        assert_eq!(period_label("junk"), "junk");
        assert_eq!(invoice_number_label(42), "INV-000042");
    }
}

/// Who sees a product of the catalogue, and how a team gets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductVisibility {
    /// Every team has it.
    Public,
    /// Listed; a team asks for it with a reason and the operator approves or denies.
    OnRequest,
    /// Not listed: a team has it through its plan only.
    Hidden,
}

impl ProductVisibility {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::OnRequest => "on_request",
            Self::Hidden => "hidden",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Public, Self::OnRequest, Self::Hidden].into_iter().find(|v| v.as_str() == s)
    }
}

/// A product of the API catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// A path of the portal's docs.
    pub docs_path: Option<String>,
    /// The scopes it grants keys.
    pub scopes: Vec<String>,
    /// The plans that include it.
    pub plans: Vec<String>,
    pub visibility: ProductVisibility,
    pub archived: bool,
}

/// Identifiers of plans and products the console's pages keep for themselves
/// (`/admin/billing/plans/new` is the form for a new plan).
pub const RESERVED_IDS: [&str; 1] = ["new"];

/// Where a team stands with one product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductAccessStatus {
    /// The team has it: public, through its plan, or approved.
    Included {
        /// How: `every team`, `your plan`, `approved`.
        how: String,
    },
    /// Asked for; waiting for the provider.
    Requested {
        /// When it was asked for.
        at: DateTime<Utc>,
    },
    /// Denied, with the provider's reason (it may be asked for again).
    Denied { reason: String },
    /// Offered on request: not asked for yet.
    Available,
}

/// One product as a team sees it in the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub product: ProductView,
    pub status: ProductAccessStatus,
}

/// A team's catalogue: the products it may see and whether it may ask for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueView {
    pub entries: Vec<CatalogueEntry>,
    /// The caller may ask for products (owners, admins and members).
    pub can_request: bool,
}

/// A request for a product, as the operator reviews it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRequestView {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    pub product_id: String,
    pub product_name: String,
    /// `requested`, `approved`, `denied`.
    pub status: String,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
}

/// The console's billing page: plans, products, requests waiting, recent invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminBillingView {
    pub plans: Vec<PlanView>,
    pub products: Vec<ProductView>,
    /// Requests for products waiting for a decision, oldest first.
    pub requests: Vec<ProductRequestView>,
    /// Invoices, newest first (200 at most).
    pub invoices: Vec<InvoiceView>,
    /// The operator's scopes (`keys.scopes`), for a product's form.
    pub scopes: Vec<String>,
}
