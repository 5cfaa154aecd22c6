//! Stripe as the payment provider, against a local HTTP server that answers as Stripe's API
//! does (responses recorded in Stripe's shapes) and records what it was sent: a team's
//! customer made once, a card entered through Checkout's setup mode, each issued invoice put
//! there line by line with an idempotency key on every write. Webhooks signed here: a good
//! one applies, a bad signature or a stale timestamp is refused and changes nothing, a
//! duplicate changes nothing, and an older event arriving after a newer one is ignored.

use crate::helpers::{logged_to, spawn_app, TestApp};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::Duration;
use keyport_core::dto::billing::InvoiceStatus;
use keyport_core::services::audit::RequestMeta;
use keyport_core::services::billing::stripe::sign;
use keyport_core::services::plans::PlanChanges;
use keyport_core::services::quota::next_month;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

const WEBHOOK_SECRET: &str = "whsec_test_keyport";

/// One request the fake Stripe received.
#[derive(Clone, Debug)]
struct Seen {
    method: &'static str,
    path: String,
    idempotency_key: Option<String>,
    authorization: Option<String>,
    form: Vec<(String, String)>,
}

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn record(&self, method: &'static str, path: String, headers: &HeaderMap, form: Vec<(String, String)>) {
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        self.seen.lock().unwrap().push(Seen { method, path, idempotency_key: h("idempotency-key"), authorization: h("authorization"), form });
    }

    fn posts(&self, path: &str) -> Vec<Seen> {
        self.seen.lock().unwrap().iter().filter(|s| s.method == "POST" && s.path == path).cloned().collect()
    }
}

fn field<'a>(s: &'a Seen, name: &str) -> Option<&'a str> {
    s.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Stripe's API as far as Keyport uses it, answering with objects in Stripe's shapes.
async fn fake_stripe() -> (String, Fake) {
    let fake = Fake::default();
    async fn customers(State(f): State<Fake>, h: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Json<Value> {
        f.record("POST", "/v1/customers".into(), &h, form);
        Json(json!({"id": "cus_QZ1kP3n4", "object": "customer", "livemode": false, "email": null, "invoice_settings": {"default_payment_method": null}}))
    }
    async fn customer(State(f): State<Fake>, Path(id): Path<String>, h: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Json<Value> {
        f.record("POST", format!("/v1/customers/{id}"), &h, form);
        Json(json!({"id": id, "object": "customer", "invoice_settings": {"default_payment_method": "pm_1PgV2s"}}))
    }
    async fn sessions(State(f): State<Fake>, h: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Json<Value> {
        f.record("POST", "/v1/checkout/sessions".into(), &h, form);
        Json(json!({"id": "cs_test_a1B2c3", "object": "checkout.session", "mode": "setup", "setup_intent": "seti_1PgV2r", "status": "open",
            "url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3#fidkdWxOYHwnPyd1blpxYHZxWjA0"}))
    }
    async fn setup_intent(State(f): State<Fake>, Path(id): Path<String>, h: HeaderMap) -> Json<Value> {
        f.record("GET", format!("/v1/setup_intents/{id}"), &h, vec![]);
        Json(json!({"id": id, "object": "setup_intent", "status": "succeeded", "customer": "cus_QZ1kP3n4",
            "payment_method": {"id": "pm_1PgV2s", "object": "payment_method", "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 4, "exp_year": 2031, "funding": "credit", "country": "US"}}}))
    }
    async fn invoices(State(f): State<Fake>, h: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Json<Value> {
        f.record("POST", "/v1/invoices".into(), &h, form);
        Json(json!({"id": "in_1PgW9x", "object": "invoice", "status": "draft", "collection_method": "charge_automatically", "amount_due": 0}))
    }
    async fn items(State(f): State<Fake>, h: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Json<Value> {
        let n = f.posts("/v1/invoiceitems").len();
        f.record("POST", "/v1/invoiceitems".into(), &h, form);
        Json(json!({"id": format!("ii_1PgWa{n}"), "object": "invoiceitem", "invoice": "in_1PgW9x"}))
    }
    async fn finalize(State(f): State<Fake>, Path(id): Path<String>, h: HeaderMap) -> Json<Value> {
        f.record("POST", format!("/v1/invoices/{id}/finalize"), &h, vec![]);
        Json(json!({"id": id, "object": "invoice", "status": "open", "auto_advance": true}))
    }
    let app = Router::new()
        .route("/v1/customers", post(customers))
        .route("/v1/customers/{id}", post(customer))
        .route("/v1/checkout/sessions", post(sessions))
        .route("/v1/setup_intents/{id}", get(setup_intent))
        .route("/v1/invoices", post(invoices))
        .route("/v1/invoiceitems", post(items))
        .route("/v1/invoices/{id}/finalize", post(finalize))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, fake)
}

/// Sends a webhook as Stripe would, signed at `t` with `secret`.
async fn webhook(app: &TestApp, event: &Value, t: i64, secret: &str) -> reqwest::Response {
    let body = serde_json::to_vec(event).unwrap();
    let sig = format!("t={t},v1={}", sign(secret, t, &body));
    app.client().post(format!("{}/v1/billing/stripe/webhook", app.base)).header("stripe-signature", sig).header("content-type", "application/json").body(body).send().await.unwrap()
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": created, "livemode": false, "api_version": "2024-06-20", "data": {"object": object}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_holds_the_card_collects_each_invoice_and_its_webhooks_are_applied_once_in_order() {
    let app = spawn_app().await;
    let (stripe, fake) = fake_stripe().await;
    let meta = RequestMeta::default();
    // Before Stripe is configured, its webhook does not exist.
    let early = webhook(&app, &event("evt_0", "invoice.paid", app.services.now().timestamp(), json!({})), app.services.now().timestamp(), WEBHOOK_SECRET).await;
    assert_eq!(early.status(), StatusCode::NOT_FOUND);
    for (k, v, sealed) in [
        ("billing.provider", "stripe", false),
        ("billing.stripe.api_base", stripe.as_str(), false),
        ("billing.stripe.secret_key", "sk_test_51Keyport", true),
        ("billing.stripe.webhook_secret", WEBHOOK_SECRET, true),
    ] {
        app.services.set_setting(k, v, sealed, "cli", &meta).await.unwrap();
    }
    let listed = app.services.list_settings().await.unwrap();
    let secrets: Vec<_> = listed.iter().filter(|s| s.key == "billing.stripe.secret_key" || s.key == "billing.stripe.webhook_secret").collect();
    assert_eq!(secrets.len(), 2);
    assert!(secrets.iter().all(|s| s.value == "<encrypted>"), "secrets are never shown: {secrets:?}");
    let plan = PlanChanges { name: Some("Team".into()), price: Some("20".into()), included: Some("1000".into()), features: Some("live_keys".into()), ..Default::default() };
    app.services.create_plan("team", &plan, "test", &meta).await.unwrap();
    let email = app.signed_in().await;
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = s["team"]["id"].as_str().unwrap().to_owned();
    app.services.assign_plan(&team, "team", "test", &meta).await.unwrap();

    // Changing the card: a Checkout page in setup mode for the team's customer (made once).
    let cookie = format!("__Host-keyport_session={}", app.session_cookie().unwrap());
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for _ in 0..2 {
        let res = no_redirects.get(format!("{}/portal/billing/payment-method", app.base)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "https://checkout.stripe.com/c/pay/cs_test_a1B2c3#fidkdWxOYHwnPyd1blpxYHZxWjA0");
    }
    let customers = fake.posts("/v1/customers");
    assert_eq!(customers.len(), 1, "the customer is kept once made");
    assert_eq!(customers[0].idempotency_key.as_deref(), Some(format!("keyport-customer-{team}").as_str()));
    assert_eq!(customers[0].authorization.as_deref(), Some("Bearer sk_test_51Keyport"));
    assert_eq!(field(&customers[0], "metadata[keyport_team]"), Some(team.as_str()));
    assert_eq!(field(&customers[0], "email"), Some(email.as_str()));
    let sessions = fake.posts("/v1/checkout/sessions");
    assert_eq!(sessions.len(), 2);
    assert_eq!((field(&sessions[0], "mode"), field(&sessions[0], "customer"), field(&sessions[0], "currency")), (Some("setup"), Some("cus_QZ1kP3n4"), Some("usd")));
    assert!(sessions.iter().all(|s| s.idempotency_key.as_deref().is_some_and(|k| k.starts_with("keyport-setup-"))));
    assert_ne!(sessions[0].idempotency_key, sessions[1].idempotency_key, "each visit is its own session");

    // The setup completes: the card is the customer's default and shows on the billing page.
    let now = app.services.now().timestamp();
    let done = event("evt_1Setup", "checkout.session.completed", now, json!({"id": "cs_test_a1B2c3", "object": "checkout.session", "mode": "setup", "customer": "cus_QZ1kP3n4", "setup_intent": "seti_1PgV2r", "status": "complete"}));
    assert_eq!(webhook(&app, &done, now, WEBHOOK_SECRET).await.status(), StatusCode::OK);
    let defaults = fake.posts("/v1/customers/cus_QZ1kP3n4");
    assert_eq!(defaults.len(), 1);
    assert_eq!(field(&defaults[0], "invoice_settings[default_payment_method]"), Some("pm_1PgV2s"));
    let profile: Value = app.call("billing/profile", &[]).await.json().await.unwrap();
    assert_eq!(profile["card"], "Visa •••• 4242, expires 04/2031");
    assert!(app.page("/portal/billing").await.text().await.unwrap().contains("Change payment method"));

    // Refused webhooks change nothing: a wrong secret, a stale timestamp, no signature.
    let paid_early = event("evt_bad", "invoice.paid", now, json!({"id": "in_x", "metadata": {"keyport_invoice": "nope"}}));
    assert_eq!(webhook(&app, &paid_early, now, "whsec_wrong").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(webhook(&app, &paid_early, now - 301, WEBHOOK_SECRET).await.status(), StatusCode::BAD_REQUEST, "older than five minutes");
    let unsigned = app.client().post(format!("{}/v1/billing/stripe/webhook", app.base)).body(serde_json::to_vec(&paid_early).unwrap()).send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);

    // A month on Team: its invoice is issued and put to Stripe, line by line, keyed.
    let start = next_month(app.services.now());
    app.clock.advance(next_month(start) + Duration::minutes(3) - app.services.now());
    app.services.draft_invoices(start, next_month(start)).await.unwrap();
    assert_eq!(app.services.finalize_drafts().await.unwrap(), vec![1]);
    assert_eq!(app.services.collect_invoices().await.unwrap(), 0, "already at Stripe: put there when issued");
    let (inv, _) = app.services.invoice_by_number(1).await.unwrap();
    let created = fake.posts("/v1/invoices");
    assert_eq!(created.len(), 1);
    assert_eq!(field(&created[0], "metadata[keyport_invoice]"), Some(inv.id.as_str()));
    assert_eq!((field(&created[0], "customer"), field(&created[0], "collection_method")), (Some("cus_QZ1kP3n4"), Some("charge_automatically")));
    let items = fake.posts("/v1/invoiceitems");
    let total: i64 = items.iter().map(|i| field(i, "amount").unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(total, inv.total_minor, "Stripe charges what the invoice says");
    assert!(items.iter().all(|i| field(i, "invoice") == Some("in_1PgW9x")));
    let finalized = fake.posts("/v1/invoices/in_1PgW9x/finalize");
    assert_eq!(finalized.len(), 1);
    let mut keys: Vec<String> = fake.seen.lock().unwrap().iter().filter(|s| s.method == "POST").map(|s| s.idempotency_key.clone().expect("every write has a key")).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "one key per write");

    // The card is declined (t), then paid on the retry (t + 1 day): failed is emailed, then paid.
    let t = app.services.now().timestamp();
    let object = |status: &str| json!({"id": "in_1PgW9x", "object": "invoice", "status": status, "customer": "cus_QZ1kP3n4", "amount_due": inv.total_minor,
        "next_payment_attempt": t + 86_400, "metadata": {"keyport_invoice": inv.id, "number": "INV-000001"}});
    let failed = event("evt_1Failed", "invoice.payment_failed", t, object("open"));
    assert_eq!(webhook(&app, &failed, app.services.now().timestamp(), WEBHOOK_SECRET).await.status(), StatusCode::OK);
    assert_eq!(app.services.invoice_by_number(1).await.unwrap().0.status, InvoiceStatus::Open);
    app.eventually("the failed payment is emailed", || async { logged_to(&email).iter().any(|m| m.contains("INV-000001") && m.contains("declined")) }).await;
    let paid = event("evt_1Paid", "invoice.paid", t + 86_400, object("paid"));
    assert_eq!(webhook(&app, &paid, app.services.now().timestamp(), WEBHOOK_SECRET).await.status(), StatusCode::OK);
    let after = app.services.invoice_by_number(1).await.unwrap().0;
    assert_eq!(after.status, InvoiceStatus::Paid);
    assert_eq!(after.paid_at.map(|p| p.timestamp()), Some(t + 86_400));

    // The same event again changes nothing; an older one arriving late is ignored.
    let audit_rows = || async {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        keyport_core::entity::audit_event::Entity::find().filter(keyport_core::entity::audit_event::Column::TeamId.eq(&team)).count(&app.services.db).await.unwrap()
    };
    let before = audit_rows().await;
    let res = webhook(&app, &paid, app.services.now().timestamp(), WEBHOOK_SECRET).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "duplicate");
    let late = event("evt_0Failed", "invoice.payment_failed", t - 60, object("open"));
    let res = webhook(&app, &late, app.services.now().timestamp(), WEBHOOK_SECRET).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "ignored");
    assert_eq!(app.services.invoice_by_number(1).await.unwrap().0.status, InvoiceStatus::Paid, "still paid");
    assert_eq!(audit_rows().await, before, "nothing more in the trail");
    let emails = logged_to(&email).iter().filter(|m| m.contains("declined")).count();
    assert_eq!(emails, 1, "the late failure sent nothing");
}
