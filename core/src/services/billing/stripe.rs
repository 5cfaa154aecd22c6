//! Stripe, as a thin client over its REST API (form-encoded requests, a Bearer secret key, an
//! `Idempotency-Key` on every write, so a retried call never makes a second customer or
//! charge), and its webhooks: `Stripe-Signature` verified (HMAC-SHA256 of `t.body`, any `v1`,
//! five minutes of tolerance), every event recorded by id so a duplicate changes nothing, and
//! an event older than the one already applied to an object ignored (events arrive in any
//! order). Keyport stays the one place invoices are priced: Stripe holds the customer and
//! the payment method, receives each issued invoice line by line and collects it.

use crate::error::CoreError;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use std::time::Duration;

/// How far a webhook's timestamp may be from now.
pub const TOLERANCE_SECS: i64 = 300;

/// The largest webhook body read (Stripe's events are a few kilobytes).
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// Why a webhook was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// No `Stripe-Signature`, or one without `t=` and `v1=`.
    Malformed,
    /// Its timestamp is more than [`TOLERANCE_SECS`] away from now (a replay, or a clock).
    Stale,
    /// No `v1` signature matches the body under the endpoint's secret.
    Mismatch,
}

/// The `v1` signature of `payload` sent at `t` (what Stripe computes, and tests sign with).
pub fn sign(secret: &str, t: i64, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) for `payload` at `now`.
pub fn verify_signature(header: &str, payload: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut t = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => candidates.push(v.to_owned()),
            _ => {}
        }
    }
    let (Some(t), false) = (t, candidates.is_empty()) else { return Err(SignatureError::Malformed) };
    if (now - t).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    for c in candidates {
        if let Ok(bytes) = hex::decode(&c) {
            if mac.clone().verify_slice(&bytes).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// A webhook event, as much of it as Keyport reads.
#[derive(Clone, Debug, Deserialize)]
pub struct Event {
    /// `evt_…`: what duplicates are recognised by.
    pub id: String,
    /// `invoice.paid`, `invoice.payment_failed`, `checkout.session.completed`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (Unix seconds): what orders events about one object.
    pub created: i64,
    pub data: EventData,
}

/// The object an event is about.
#[derive(Clone, Debug, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// A card as Stripe describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
}

/// Stripe's REST API with one secret key.
#[derive(Clone)]
pub struct StripeClient {
    base: String,
    secret: String,
    http: reqwest::Client,
}

impl StripeClient {
    /// A client for `base` (`https://api.stripe.com`, or a test server).
    pub fn new(base: &str, secret: &str) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap_or_default();
        Self { base: base.trim_end_matches('/').to_owned(), secret: secret.to_owned(), http }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, CoreError> {
        let res = req.bearer_auth(&self.secret).header("Stripe-Version", "2024-06-20").send().await.map_err(|e| CoreError::Internal(format!("Stripe: {e}")))?;
        let status = res.status();
        let body: Value = res.json().await.map_err(|e| CoreError::Internal(format!("Stripe answered {status} with no JSON: {e}")))?;
        if !status.is_success() {
            let message = body["error"]["message"].as_str().unwrap_or("no message");
            return Err(CoreError::Internal(format!("Stripe refused ({status}): {message}")));
        }
        Ok(body)
    }

    /// A `POST` with form parameters and the idempotency key `key`.
    pub async fn post(&self, path: &str, params: &[(&str, String)], key: &str) -> Result<Value, CoreError> {
        self.send(self.http.post(format!("{}{path}", self.base)).header("Idempotency-Key", key).form(params)).await
    }

    /// A `GET` with query parameters.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, CoreError> {
        self.send(self.http.get(format!("{}{path}", self.base)).query(query)).await
    }

    /// Creates the customer of a team (once: the key is the team's).
    pub async fn create_customer(&self, team_id: &str, name: &str, email: Option<&str>) -> Result<String, CoreError> {
        let mut p = vec![("name", name.to_owned()), ("metadata[keyport_team]", team_id.to_owned())];
        if let Some(e) = email {
            p.push(("email", e.to_owned()));
        }
        id_of(self.post("/v1/customers", &p, &format!("keyport-customer-{team_id}")).await?)
    }

    /// A Checkout session in setup mode, where the customer enters a payment method; its URL.
    pub async fn setup_session(&self, customer: &str, currency: &str, success_url: &str, cancel_url: &str, attempt: &str) -> Result<String, CoreError> {
        let p = [
            ("mode", "setup".to_owned()),
            ("customer", customer.to_owned()),
            ("currency", currency.to_lowercase()),
            ("success_url", success_url.to_owned()),
            ("cancel_url", cancel_url.to_owned()),
        ];
        let s = self.post("/v1/checkout/sessions", &p, &format!("keyport-setup-{attempt}")).await?;
        s["url"].as_str().map(str::to_owned).ok_or_else(|| CoreError::Internal("Stripe's session has no url".into()))
    }

    /// The card a completed setup saved, and makes it the customer's default for invoices.
    pub async fn adopt_setup(&self, setup_intent: &str, customer: &str) -> Result<(String, Card), CoreError> {
        let si = self.get(&format!("/v1/setup_intents/{setup_intent}"), &[("expand[]", "payment_method")]).await?;
        let pm = &si["payment_method"];
        let pm_id = pm["id"].as_str().ok_or_else(|| CoreError::Internal("the setup has no payment method".into()))?.to_owned();
        let card = &pm["card"];
        let card = Card {
            brand: card["brand"].as_str().unwrap_or("card").to_owned(),
            last4: card["last4"].as_str().unwrap_or("????").to_owned(),
            exp_month: card["exp_month"].as_i64().unwrap_or(0) as i32,
            exp_year: card["exp_year"].as_i64().unwrap_or(0) as i32,
        };
        let p = [("invoice_settings[default_payment_method]", pm_id.clone())];
        self.post(&format!("/v1/customers/{customer}"), &p, &format!("keyport-default-{customer}-{pm_id}")).await?;
        Ok((pm_id, card))
    }

    /// Puts an issued Keyport invoice to Stripe to collect: a draft invoice, one item per
    /// line (and one for the tax), finalized so Stripe charges the default payment method.
    /// Every write is keyed by the Keyport invoice, so a retry after a failure adds nothing.
    pub async fn collect_invoice(&self, customer: &str, v: &crate::dto::billing::InvoiceView) -> Result<String, CoreError> {
        let key = |what: &str| format!("keyport-{}-{what}", v.id);
        let number = v.number_label();
        let p = [
            ("customer", customer.to_owned()),
            ("currency", v.currency.to_lowercase()),
            ("collection_method", "charge_automatically".to_owned()),
            ("auto_advance", "true".to_owned()),
            ("pending_invoice_items_behavior", "exclude".to_owned()),
            ("description", v.title()),
            ("metadata[keyport_invoice]", v.id.clone()),
            ("metadata[number]", number),
        ];
        let inv = id_of(self.post("/v1/invoices", &p, &key("invoice")).await?)?;
        let mut items: Vec<(String, i64)> = v.lines.iter().map(|l| (l.description.clone(), l.amount_minor)).collect();
        if v.tax_minor != 0 {
            items.push(("Tax".to_owned(), v.tax_minor));
        }
        for (i, (description, amount)) in items.into_iter().enumerate() {
            let p = [
                ("customer", customer.to_owned()),
                ("invoice", inv.clone()),
                ("currency", v.currency.to_lowercase()),
                ("amount", amount.to_string()),
                ("description", description),
            ];
            self.post("/v1/invoiceitems", &p, &key(&format!("item-{i}"))).await?;
        }
        self.post(&format!("/v1/invoices/{inv}/finalize"), &[], &key("finalize")).await?;
        Ok(inv)
    }
}

fn id_of(v: Value) -> Result<String, CoreError> {
    v["id"].as_str().map(str::to_owned).ok_or_else(|| CoreError::Internal("Stripe's answer has no id".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_with_their_timestamp() {
        let body = br#"{"id":"evt_1"}"#;
        let sig = sign("whsec_test", 1_700_000_000, body);
        let header = format!("t=1700000000,v1={sig}");
        assert_eq!(verify_signature(&header, body, "whsec_test", 1_700_000_100), Ok(()));
        assert_eq!(verify_signature(&format!("t=1700000000,v1=00,v1={sig}"), body, "whsec_test", 1_700_000_000), Ok(()), "any v1 may match (secret rolling)");
        assert_eq!(verify_signature(&header, body, "whsec_other", 1_700_000_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(&header, br#"{"id":"evt_2"}"#, "whsec_test", 1_700_000_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(&header, body, "whsec_test", 1_700_000_301), Err(SignatureError::Stale));
        assert_eq!(verify_signature(&header, body, "whsec_test", 1_699_999_699), Err(SignatureError::Stale));
        assert_eq!(verify_signature("v1=abc", body, "whsec_test", 0), Err(SignatureError::Malformed));
        assert_eq!(verify_signature("t=1700000000", body, "whsec_test", 1_700_000_000), Err(SignatureError::Malformed));
        assert_eq!(verify_signature(&format!("t=1700000000,v0={sig}"), body, "whsec_test", 1_700_000_000), Err(SignatureError::Malformed), "v0 is not accepted");
    }
}
