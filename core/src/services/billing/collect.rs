//! Collecting issued invoices through the payment provider of `billing.provider`: `manual`
//! (the default, offline: the invoice email asks for a transfer and the operator marks it
//! paid) or `stripe` (the team's customer and card at Stripe; each issued invoice put to
//! Stripe, which charges the card; its webhooks say paid or failed).

use super::stripe::{verify_signature, Event, SignatureError, StripeClient, MAX_EVENT_BYTES};
use crate::dto::billing::{format_money, invoice_number_label, InvoiceStatus, InvoiceView};
use crate::entity::{billing_profile, invoice, stripe_event, team};
use crate::error::CoreError;
use crate::roles::Action;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::Caller;
use crate::services::mail::templates::{EmailContent, PaymentFailed};
use crate::services::outbox::NewEmail;
use crate::services::Services;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

/// A payment provider: where a team enters its payment method, and what happens to an
/// issued invoice. Invoices are priced and numbered by Keyport either way.
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Its name, stored with each invoice it collects (`manual`, `stripe`).
    fn name(&self) -> &'static str;

    /// Whether issued invoices are handed to it (the manual provider only emails them).
    fn collects(&self) -> bool {
        true
    }

    /// The page where the team enters or changes its payment method (returning to
    /// `return_to`), or `None` when the provider has none.
    async fn payment_method_url(&self, svc: &Services, team_id: &str, currency: &str, return_to: &str) -> Result<Option<String>, CoreError>;

    /// Hands an issued invoice over to be collected; the provider's reference for it.
    async fn collect(&self, svc: &Services, invoice: &InvoiceView, team_id: &str) -> Result<Option<String>, CoreError>;
}

/// The default, fully offline: the invoice email asks for a transfer quoting the number, and
/// the operator marks it paid (`keyport invoices pay`).
pub struct Manual;

#[async_trait::async_trait]
impl PaymentProvider for Manual {
    fn name(&self) -> &'static str {
        "manual"
    }

    fn collects(&self) -> bool {
        false
    }

    async fn payment_method_url(&self, _: &Services, _: &str, _: &str, _: &str) -> Result<Option<String>, CoreError> {
        Ok(None)
    }

    async fn collect(&self, _: &Services, _: &InvoiceView, _: &str) -> Result<Option<String>, CoreError> {
        Ok(None)
    }
}

/// Stripe: the team's customer and card there, each issued invoice put there to be charged.
pub struct Stripe(StripeClient);

#[async_trait::async_trait]
impl PaymentProvider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn payment_method_url(&self, svc: &Services, team_id: &str, currency: &str, return_to: &str) -> Result<Option<String>, CoreError> {
        let customer = svc.stripe_customer(&self.0, team_id).await?;
        let attempt = crate::crypto::new_id("setup");
        let url = self.0.setup_session(&customer, currency, &format!("{return_to}?payment=updated#billing-contact"), &format!("{return_to}#billing-contact"), &attempt).await?;
        Ok(Some(url))
    }

    async fn collect(&self, svc: &Services, invoice: &InvoiceView, team_id: &str) -> Result<Option<String>, CoreError> {
        let customer = svc.stripe_customer(&self.0, team_id).await?;
        Ok(Some(self.0.collect_invoice(&customer, invoice).await?))
    }
}

/// What a webhook did.
#[derive(Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The event changed what it is about.
    Applied,
    /// Seen before (by its id): nothing changed.
    Duplicate,
    /// Recorded, and nothing to do (a type Keyport does not act on, an object it does not
    /// know, or an event older than one already applied).
    Ignored,
}

/// Why a webhook was refused.
#[derive(Debug)]
pub enum WebhookError {
    /// Stripe is not the provider, or has no webhook secret: 404.
    NotConfigured,
    /// The signature or its timestamp: 400, nothing read.
    Signature(SignatureError),
    /// Signed, but not an event: 400.
    Malformed,
    /// A failure of ours (Stripe retries): 500.
    Internal(CoreError),
}

impl From<CoreError> for WebhookError {
    fn from(e: CoreError) -> Self {
        Self::Internal(e)
    }
}

impl From<sea_orm::DbErr> for WebhookError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(e.into())
    }
}

impl Services {
    /// The Stripe client, when Stripe is the provider and has a secret key.
    fn stripe(&self) -> Option<StripeClient> {
        let b = &self.settings().billing;
        (b.provider == "stripe" && !b.stripe_secret_key.is_empty()).then(|| StripeClient::new(&b.stripe_api_base, &b.stripe_secret_key))
    }

    /// The team's Stripe customer, created (once, whatever retries) when it has none.
    async fn stripe_customer(&self, client: &StripeClient, team_id: &str) -> Result<String, CoreError> {
        let profile = billing_profile::Entity::find_by_id(team_id).one(&self.db).await?;
        if let Some(id) = profile.as_ref().and_then(|p| p.provider_customer_id.clone()) {
            return Ok(id);
        }
        let t = team::Entity::find_by_id(team_id).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let name = profile.as_ref().and_then(|p| p.company.clone()).unwrap_or_else(|| t.name.clone());
        let email = match profile.as_ref().and_then(|p| p.email.clone()) {
            Some(e) => Some(e),
            None => self.billing_managers(&self.db, team_id).await?.into_iter().next(),
        };
        let id = client.create_customer(team_id, &name, email.as_deref()).await?;
        let row = billing_profile::Model { provider_customer_id: Some(id.clone()), ..billing_profile::Model::empty(team_id, self.now()) };
        billing_profile::Entity::insert(row.into_active_model())
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(billing_profile::Column::TeamId)
                    .update_columns([billing_profile::Column::ProviderCustomerId])
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
        Ok(id)
    }

    /// The payment provider of `billing.provider` (Stripe only once it has a secret key).
    pub fn payment_provider(&self) -> Box<dyn PaymentProvider> {
        match self.stripe() {
            Some(client) => Box::new(Stripe(client)),
            None => Box::new(Manual),
        }
    }

    /// Where an owner or admin enters or changes the team's card (Stripe Checkout in setup
    /// mode), or `None` when the provider has no such page (manual).
    pub async fn payment_method_url(&self, caller: &Caller) -> Result<Option<String>, CoreError> {
        caller.require(Action::ManageBilling)?;
        let (_, plan) = self.team_plan(&self.db, &caller.team.id).await?;
        let base = self.settings().base_url.trim_end_matches('/').to_owned();
        self.payment_provider().payment_method_url(self, &caller.team.id, &plan.currency, &format!("{base}/portal/billing")).await
    }

    /// Hands every issued invoice the provider has not taken yet to it (right after it is
    /// issued, and again by the worker after a failure: Stripe's idempotency keys make a
    /// retry add nothing). Returns how many went.
    pub async fn collect_invoices(&self) -> Result<usize, CoreError> {
        let provider = self.payment_provider();
        if !provider.collects() {
            return Ok(0);
        }
        let pending = invoice::Entity::find()
            .filter(invoice::Column::Provider.eq(provider.name()))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Open.as_str()))
            .filter(invoice::Column::ProviderRef.is_null())
            .all(&self.db)
            .await?;
        let mut sent = 0;
        for inv in pending {
            let (id, team_id) = (inv.id.clone(), inv.team_id.clone());
            let result = async { provider.collect(self, &self.invoice_view(&self.db, inv).await?, &team_id).await }.await;
            match result {
                Ok(Some(reference)) => {
                    invoice::Entity::update_many()
                        .col_expr(invoice::Column::ProviderRef, sea_orm::sea_query::Expr::value(reference))
                        .filter(invoice::Column::Id.eq(&id))
                        .exec(&self.db)
                        .await?;
                    sent += 1;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(invoice = %id, provider = provider.name(), error = %e, "handing the invoice to the payment provider failed; will retry"),
            }
        }
        Ok(sent)
    }

    /// A Stripe webhook: the signature first (nothing is read or stored before it holds),
    /// then the event, once by its id, applied only if newer than what its object last saw.
    pub async fn stripe_webhook(&self, signature: Option<&str>, body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
        let secret = self.settings().billing.stripe_webhook_secret.clone();
        if self.settings().billing.provider != "stripe" || secret.is_empty() {
            return Err(WebhookError::NotConfigured);
        }
        if body.len() > MAX_EVENT_BYTES {
            return Err(WebhookError::Malformed);
        }
        verify_signature(signature.unwrap_or(""), body, &secret, self.now().timestamp()).map_err(WebhookError::Signature)?;
        let event: Event = serde_json::from_slice(body).map_err(|_| WebhookError::Malformed)?;
        if event.id.is_empty() || event.id.len() > 100 || event.kind.len() > 100 {
            return Err(WebhookError::Malformed);
        }
        // A completed card setup needs Stripe's answer first (outside any transaction; the
        // calls are reads and an idempotent write, so a duplicate repeats them harmlessly).
        let card = match (event.kind.as_str(), &event.data.object) {
            ("checkout.session.completed", o) if o["mode"] == "setup" => {
                let (Some(si), Some(customer)) = (o["setup_intent"].as_str(), o["customer"].as_str()) else { return self.record_event(&event).await };
                let client = self.stripe().ok_or(WebhookError::NotConfigured)?;
                Some((customer.to_owned(), client.adopt_setup(si, customer).await?))
            }
            _ => None,
        };
        let txn = self.begin_write().await?;
        if !self.first_sight(&txn, &event).await? {
            txn.rollback().await?;
            return Ok(WebhookOutcome::Duplicate);
        }
        let meta = RequestMeta::new("stripe", "webhook");
        let outcome = match event.kind.as_str() {
            "invoice.paid" | "invoice.payment_failed" => {
                let o = &event.data.object;
                let keyport_id = o["metadata"]["keyport_invoice"].as_str().unwrap_or_default();
                match invoice::Entity::find_by_id(keyport_id).one(&txn).await? {
                    Some(inv) if inv.provider_event_at.is_none_or(|at| at <= event.created) && inv.status == InvoiceStatus::Open.as_str() => {
                        let number = inv.number.map(invoice_number_label).unwrap_or_default();
                        let amount = format_money(inv.total_minor, &inv.currency);
                        let mut am = inv.clone().into_active_model();
                        am.provider_event_at = Set(Some(event.created));
                        if am.provider_ref.as_ref().is_none() {
                            am.provider_ref = Set(o["id"].as_str().map(str::to_owned));
                        }
                        if event.kind == "invoice.paid" {
                            am.status = Set(InvoiceStatus::Paid.as_str().into());
                            am.paid_at = Set(chrono::DateTime::from_timestamp(event.created, 0));
                            am.paid_note = Set(Some("charged by Stripe".into()));
                            am.update(&txn).await?;
                            let entry = AuditEntry::for_team(&inv.team_id, Some("stripe"), AuditAction::InvoicePaid, ("invoice", &inv.id)).with_detail(format!("{number} paid ({amount}) by Stripe"));
                            self.audit(&txn, &meta, entry).await?;
                        } else {
                            am.update(&txn).await?;
                            let next = o["next_payment_attempt"].as_i64().and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|t| t.format("%d %b %Y").to_string());
                            let reason = o["last_finalization_error"]["message"].as_str().map(str::to_owned);
                            let entry = AuditEntry::for_team(&inv.team_id, Some("stripe"), AuditAction::InvoicePaymentFailed, ("invoice", &inv.id))
                                .with_detail(format!("{number} ({amount}): the card was declined{}", next.as_ref().map(|n| format!("; Stripe tries again on {n}")).unwrap_or_default()));
                            self.audit(&txn, &meta, entry).await?;
                            let bill_to: crate::dto::billing::BillTo = serde_json::from_str(&inv.bill_to).unwrap_or_default();
                            let base = self.settings().base_url.trim_end_matches('/').to_owned();
                            let content = PaymentFailed {
                                number: number.clone(),
                                team: inv.team_name.clone(),
                                total: amount.clone(),
                                next_attempt: next,
                                reason,
                                billing_url: format!("{base}/portal/billing#billing-contact"),
                            };
                            let mut to = self.billing_managers(&txn, &inv.team_id).await?;
                            if let Some(e) = bill_to.email {
                                if !to.contains(&e) {
                                    to.insert(0, e);
                                }
                            }
                            for addr in &to {
                                self.enqueue_email(&txn, NewEmail { team_id: Some(&inv.team_id), to: addr, content: EmailContent::PaymentFailed(content.clone()) }).await?;
                            }
                        }
                        WebhookOutcome::Applied
                    }
                    _ => WebhookOutcome::Ignored,
                }
            }
            "checkout.session.completed" => match card {
                Some((customer, (_, card))) => {
                    match billing_profile::Entity::find().filter(billing_profile::Column::ProviderCustomerId.eq(&customer)).one(&txn).await? {
                        Some(p) if p.provider_event_at.is_none_or(|at| at <= event.created) => {
                            let team_id = p.team_id.clone();
                            let mut am = p.into_active_model();
                            am.card_brand = Set(Some(brand_name(&card.brand)));
                            am.card_last4 = Set(Some(card.last4.clone()));
                            am.card_exp_month = Set(Some(card.exp_month));
                            am.card_exp_year = Set(Some(card.exp_year));
                            am.provider_event_at = Set(Some(event.created));
                            am.updated_at = Set(self.now());
                            am.update(&txn).await?;
                            let entry = AuditEntry::for_team(&team_id, Some("stripe"), AuditAction::BillingContactChanged, ("team", &team_id))
                                .with_detail(format!("payment method: {} •••• {}", brand_name(&card.brand), card.last4));
                            self.audit(&txn, &meta, entry).await?;
                            WebhookOutcome::Applied
                        }
                        _ => WebhookOutcome::Ignored,
                    }
                }
                None => WebhookOutcome::Ignored,
            },
            _ => WebhookOutcome::Ignored,
        };
        txn.commit().await?;
        if outcome == WebhookOutcome::Applied {
            self.wake_outbox();
        }
        Ok(outcome)
    }

    /// Records an event by its id; `false` when it was seen before.
    async fn first_sight<C: sea_orm::ConnectionTrait>(&self, db: &C, event: &Event) -> Result<bool, CoreError> {
        let row = stripe_event::Model { id: event.id.clone(), kind: event.kind.clone(), created: event.created, received_at: self.now() };
        let fresh = stripe_event::Entity::insert(row.into_active_model())
            .on_conflict(sea_orm::sea_query::OnConflict::column(stripe_event::Column::Id).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
        Ok(fresh == 1)
    }

    async fn record_event(&self, event: &Event) -> Result<WebhookOutcome, WebhookError> {
        Ok(if self.first_sight(&self.db, event).await? { WebhookOutcome::Ignored } else { WebhookOutcome::Duplicate })
    }
}

/// A card brand as people write it (`visa` → `Visa`, `amex` → `American Express`).
fn brand_name(b: &str) -> String {
    match b {
        "amex" => "American Express".into(),
        "mastercard" => "Mastercard".into(),
        "diners" => "Diners Club".into(),
        "jcb" => "JCB".into(),
        "unionpay" => "UnionPay".into(),
        other => {
            let mut c = other.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        }
    }
}
