//! Invoices. When a month has ended (and its usage is in), every team that owes something
//! gets a draft: the base price of the plan it began the month on, the prorated charges of
//! its upgrades, and overage past its plan's included requests, each line in integer minor
//! units rounded once with the tax rate stored beside it. Finalizing gives the draft the next
//! number of the installation's one sequence (taken inside the finalizing transaction, so a
//! failure gives it back: no gaps), renders its PDF once and sends it. A correction voids
//! the invoice and issues a new revision; nothing is deleted.

use crate::dto::billing::{
    format_money, invoice_number_label, mul_div_round, overage_charge, period_label, tax_of, BillTo, InvoiceLineView, InvoiceStatus, InvoiceView,
    PlanView,
};
use crate::entity::{billing_profile, invoice, invoice_item, invoice_line, invoice_pdf, membership, plan_change, subscription, team, user};
use crate::error::CoreError;
use crate::roles::{Action, Role};
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::Caller;
use crate::services::mail::templates::{EmailContent, InvoiceIssued};
use crate::services::outbox::NewEmail;
use crate::services::quota::period_of;
use crate::services::usage::month_start;
use crate::services::Services;
use crate::validate::FieldError;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use std::collections::HashMap;
use std::sync::Arc;

/// How long after a month ends its invoices wait, so every node's usage of its last
/// minutes is counted (nodes flush usage every second or so).
pub const CLOSE_AFTER: Duration = Duration::minutes(2);

/// The most invoices a list returns.
const LIST_LIMIT: u64 = 200;

/// A line before it is stored.
struct Line {
    kind: &'static str,
    description: String,
    quantity: i64,
    amount: i64,
}

/// The plan a team held at `t`, from its plan changes in and after the period (oldest
/// first) and the plan it is on now: the changes before `t` count, and with `opening` a
/// change scheduled for `t` itself (a downgrade taking effect as the month opens). A change
/// a team made at `t` is not counted: its price difference is charged as its own line.
fn plan_at<'a>(changes: &'a [plan_change::Model], now_on: &'a str, t: DateTime<Utc>, opening: bool) -> &'a str {
    if let Some(c) = changes.iter().rev().find(|c| c.at < t || (opening && c.at == t && c.kind == "scheduled")) {
        return &c.to_plan_id;
    }
    changes.first().map(|c| c.from_plan_id.as_str()).unwrap_or(now_on)
}

/// Reissue options: a credit taken off the copied lines.
#[derive(Clone, Debug, Default)]
pub struct Reissue {
    /// A credit as written, in the invoice's currency (`12.50`; positive, shown as a
    /// negative line); blank for none.
    pub credit: Option<String>,
    /// What the credit is for.
    pub credit_description: Option<String>,
}

impl Services {
    /// Closes the month that ended, once [`CLOSE_AFTER`] has passed: drafts every team's
    /// invoice for it and finalizes every draft. Run by a worker every minute on every node;
    /// drafts are one per team and month (a unique index), numbers are taken one at a time.
    /// Returns the numbers issued.
    pub async fn close_billing_periods(&self) -> Result<Vec<i64>, CoreError> {
        let now = self.now();
        let current = month_start(now);
        if now < current + CLOSE_AFTER {
            return Ok(Vec::new());
        }
        if self.rollup_watermark("invoices").await?.is_some_and(|d| d >= current.timestamp()) {
            return Ok(Vec::new());
        }
        let previous = month_start(current - Duration::seconds(1));
        self.draft_invoices(previous, current).await?;
        let issued = self.finalize_drafts().await?;
        let sql = "INSERT INTO rollup_state (span, done_until) VALUES ('invoices', {t}) ON CONFLICT (span) DO UPDATE SET done_until = excluded.done_until";
        self.db.execute_unprepared(&sql.replace("{t}", &current.timestamp().to_string())).await?;
        if !issued.is_empty() {
            tracing::info!(period = %period_of(previous), invoices = issued.len(), "billing period closed");
        }
        Ok(issued)
    }

    /// Drafts the invoice of every team that owes something for the month `[start, end)`
    /// and has none yet. Returns the drafts' ids.
    pub async fn draft_invoices(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<String>, CoreError> {
        self.draft_period(start, end, None, end).await
    }

    /// Bills one team's current month so far, now (a team that leaves, say): the same lines
    /// as at the month's end, with the usage up to now, issued at once. The month's close
    /// then leaves the team alone for that month. Returns the invoice's number.
    pub async fn issue_now(&self, team_id: &str, actor: &str) -> Result<i64, CoreError> {
        let now = self.now();
        let (start, end) = (month_start(now), crate::services::quota::next_month(now));
        let t = team::Entity::find_by_id(team_id).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let period = period_of(start);
        if invoice::Entity::find().filter(invoice::Column::TeamId.eq(team_id)).filter(invoice::Column::Period.eq(&period)).one(&self.db).await?.is_some() {
            return Err(CoreError::Conflict(format!("{} already has an invoice for {}: void it with --reissue to correct it.", t.name, period_label(&period))));
        }
        let drafted = self.draft_period(start, end, Some(team_id), now).await?;
        let Some(id) = drafted.first() else {
            return Err(CoreError::Conflict(format!("{} owes nothing for {} so far.", t.name, period_label(&period))));
        };
        let _one_at_a_time = self.plans.finalizing.lock().await;
        let number = self.finalize_invoice(id).await?.ok_or_else(|| CoreError::Conflict("The invoice was finalized meanwhile: look again.".into()))?;
        tracing::info!(team_id, number, actor, "invoice issued ahead of the month's end");
        drop(_one_at_a_time);
        self.wake_outbox();
        if let Err(e) = self.collect_invoices().await {
            tracing::warn!(error = %e, "putting the invoice to the payment provider failed; will retry");
        }
        Ok(number)
    }

    /// Drafts the invoices of `[start, end)` for every team (or `only` one), counting usage
    /// up to `usage_until`.
    async fn draft_period(&self, start: DateTime<Utc>, end: DateTime<Utc>, only: Option<&str>, usage_until: DateTime<Utc>) -> Result<Vec<String>, CoreError> {
        let period = period_of(start);
        let mut teams = team::Entity::find().filter(team::Column::CreatedAt.lt(end));
        if let Some(t) = only {
            teams = teams.filter(team::Column::Id.eq(t));
        }
        let teams = teams.all(&self.db).await?;
        let used = self.valid_between(only, start.timestamp(), Ord::min(end, usage_until).timestamp()).await?;
        let mut changes: HashMap<String, Vec<plan_change::Model>> = HashMap::new();
        for c in plan_change::Entity::find().filter(plan_change::Column::At.gte(start)).order_by_asc(plan_change::Column::At).all(&self.db).await? {
            changes.entry(c.team_id.clone()).or_default().push(c);
        }
        let mut items: HashMap<String, Vec<invoice_item::Model>> = HashMap::new();
        for i in invoice_item::Entity::find()
            .filter(invoice_item::Column::Period.eq(&period))
            .filter(invoice_item::Column::InvoiceId.is_null())
            .order_by_asc(invoice_item::Column::CreatedAt)
            .all(&self.db)
            .await?
        {
            items.entry(i.team_id.clone()).or_default().push(i);
        }
        let subs: HashMap<String, subscription::Model> =
            subscription::Entity::find().all(&self.db).await?.into_iter().map(|s| (s.team_id.clone(), s)).collect();
        let done: std::collections::HashSet<String> = invoice::Entity::find()
            .filter(invoice::Column::Period.eq(&period))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|i| i.team_id)
            .collect();
        let book = self.plan_book();
        let default = book.default_plan().cloned().ok_or_else(|| CoreError::Internal("no default plan".into()))?;
        let mut drafted = Vec::new();
        for t in teams {
            if done.contains(&t.id) {
                continue;
            }
            let sub = subs.get(&t.id);
            let now_on = sub.map(|s| s.plan_id.as_str()).unwrap_or(&default.id);
            let no_changes = Vec::new();
            let changes = changes.get(&t.id).unwrap_or(&no_changes);
            let plan = |id: &str| book.get(id).cloned();
            let billable_from = Ord::max(start, t.created_at);
            let (Some(base), Some(last)) = (plan(plan_at(changes, now_on, billable_from, true)), plan(plan_at(changes, now_on, end, false)))
            else {
                tracing::error!(team_id = %t.id, "an unknown plan in the team's history: no invoice drafted");
                continue;
            };
            let trial_end = sub.filter(|s| s.plan_id == base.id).and_then(|s| s.trial_ends_at);
            let mut lines = period_lines(&base, &last, start, end, billable_from, trial_end, used.get(&t.id).copied().unwrap_or(0), items.get(&t.id));
            // A trial begun this month that ended before its end: the rest of the month on the
            // plan, as the upgrade would have been charged then.
            for c in changes.iter().filter(|c| c.kind == "trial" && c.at < end) {
                let (Some(ends), Some(from), Some(to)) = (c.trial_ends_at.filter(|e| *e < end), plan(&c.from_plan_id), plan(&c.to_plan_id)) else { continue };
                let amount = crate::dto::billing::proration(from.price_minor, to.price_minor, start, end, ends);
                let days = (end - ends).num_seconds() as f64 / 86_400.0;
                let description = format!("{} from {} (after the trial; prorated: {days:.1} of {} days, {} → {})", to.name, ends.format("%d %b %Y"), (end - start).num_days(), from.name, to.name);
                lines.push(Line { kind: "proration", description, quantity: 1, amount });
            }
            if lines.iter().all(|l| l.amount == 0) {
                continue;
            }
            let ids: Vec<String> = items.get(&t.id).map(|v| v.iter().map(|i| i.id.clone()).collect()).unwrap_or_default();
            if let Some(mixed) = items.get(&t.id).and_then(|v| v.iter().find(|i| i.currency != last.currency)) {
                tracing::error!(team_id = %t.id, item = %mixed.id, "a charge in another currency than the plan's: no invoice drafted");
                continue;
            }
            match self.store_draft(&t, &period, 0, &last.currency, lines, &ids, None).await {
                Ok(Some(id)) => drafted.push(id),
                Ok(None) => {}
                Err(e) => tracing::error!(team_id = %t.id, error = %e, "drafting the invoice failed"),
            }
        }
        Ok(drafted)
    }

    /// Stores a draft with its lines (taxed at the rate in effect) and claims the charges it
    /// bills. `None` when another node drafted it first.
    #[allow(clippy::too_many_arguments)]
    async fn store_draft(&self, t: &team::Model, period: &str, revision: i32, currency: &str, lines: Vec<Line>, items: &[String], replaces: Option<&str>) -> Result<Option<String>, CoreError> {
        let rate = self.settings().billing.tax_rate_bp;
        let txn = self.begin_write().await?;
        let exists = invoice::Entity::find()
            .filter(invoice::Column::TeamId.eq(&t.id))
            .filter(invoice::Column::Period.eq(period))
            .filter(invoice::Column::Revision.eq(revision))
            .one(&txn)
            .await?;
        if exists.is_some() {
            txn.rollback().await?;
            return Ok(None);
        }
        if !items.is_empty() {
            let claimed = invoice_item::Entity::update_many()
                .col_expr(invoice_item::Column::InvoiceId, sea_orm::sea_query::Expr::value("pending"))
                .filter(invoice_item::Column::Id.is_in(items.iter().cloned()))
                .filter(invoice_item::Column::InvoiceId.is_null())
                .exec(&txn)
                .await?;
            if claimed.rows_affected != items.len() as u64 {
                txn.rollback().await?;
                return Ok(None);
            }
        }
        let id = crate::crypto::new_id("inv");
        let now = self.now();
        let mut subtotal = 0i64;
        let mut tax = 0i64;
        for (i, l) in lines.into_iter().filter(|l| l.amount != 0).enumerate() {
            let line_tax = tax_of(l.amount, rate);
            subtotal += l.amount;
            tax += line_tax;
            let row = invoice_line::Model {
                id: crate::crypto::new_id("il"),
                invoice_id: id.clone(),
                position: i as i32,
                kind: l.kind.to_owned(),
                description: l.description,
                quantity: l.quantity,
                amount_minor: l.amount,
                tax_rate_bp: rate,
                tax_minor: line_tax,
            };
            invoice_line::Entity::insert(row.into_active_model()).exec(&txn).await?;
        }
        let bill_to = self.bill_to(&txn, t).await?;
        let row = invoice::Model {
            id: id.clone(),
            team_id: t.id.clone(),
            team_name: t.name.clone(),
            period: period.to_owned(),
            revision,
            status: InvoiceStatus::Draft.as_str().into(),
            number: None,
            currency: currency.to_owned(),
            subtotal_minor: subtotal,
            tax_minor: tax,
            total_minor: subtotal + tax,
            bill_to: serde_json::to_string(&bill_to).map_err(|e| CoreError::Internal(e.to_string()))?,
            created_at: now,
            finalized_at: None,
            due_at: None,
            paid_at: None,
            paid_note: None,
            voided_at: None,
            void_reason: None,
            replaces_id: replaces.map(str::to_owned),
            replaced_by_id: None,
            provider: self.settings().billing.provider.clone(),
            provider_ref: None,
            provider_event_at: None,
        };
        invoice::Entity::insert(row.into_active_model()).exec(&txn).await?;
        if !items.is_empty() {
            invoice_item::Entity::update_many()
                .col_expr(invoice_item::Column::InvoiceId, sea_orm::sea_query::Expr::value(id.clone()))
                .filter(invoice_item::Column::Id.is_in(items.iter().cloned()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(Some(id))
    }

    /// The team's billing contact as an invoice addresses it: the company (else the team's
    /// name), the billing email (else the owners'), address and tax id.
    async fn bill_to<C: ConnectionTrait>(&self, db: &C, t: &team::Model) -> Result<BillTo, CoreError> {
        let p = billing_profile::Entity::find_by_id(&t.id).one(db).await?;
        let p = p.as_ref();
        let email = match p.and_then(|p| p.email.clone()) {
            Some(e) => Some(e),
            None => self.billing_managers(db, &t.id).await?.into_iter().next(),
        };
        Ok(BillTo {
            name: p.and_then(|p| p.company.clone()).unwrap_or_else(|| t.name.clone()),
            email,
            address: p.and_then(|p| p.address.clone()),
            tax_id: p.and_then(|p| p.tax_id.clone()),
        })
    }

    /// The addresses of a team's owners and admins, owners first.
    pub(crate) async fn billing_managers<C: ConnectionTrait>(&self, db: &C, team_id: &str) -> Result<Vec<String>, CoreError> {
        let members = membership::Entity::find()
            .filter(membership::Column::TeamId.eq(team_id))
            .filter(membership::Column::Role.is_in([Role::Owner.as_str(), Role::Admin.as_str()]))
            .all(db)
            .await?;
        let users: HashMap<String, String> = user::Entity::find()
            .filter(user::Column::Id.is_in(members.iter().map(|m| m.user_id.clone())))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
        let mut out: Vec<(bool, String)> =
            members.iter().filter_map(|m| users.get(&m.user_id).map(|e| (m.role != Role::Owner.as_str(), e.clone()))).collect();
        out.sort();
        Ok(out.into_iter().map(|(_, e)| e).collect())
    }

    /// Finalizes every draft, oldest first. Returns the numbers given.
    pub async fn finalize_drafts(&self) -> Result<Vec<i64>, CoreError> {
        let _one_at_a_time = self.plans.finalizing.lock().await;
        let drafts = invoice::Entity::find()
            .filter(invoice::Column::Status.eq(InvoiceStatus::Draft.as_str()))
            .order_by_asc(invoice::Column::CreatedAt)
            .order_by_asc(invoice::Column::Id)
            .all(&self.db)
            .await?;
        self.issue_missing_pdfs().await?;
        let mut numbers = Vec::new();
        for d in drafts {
            if let Some(n) = self.finalize_invoice(&d.id).await? {
                numbers.push(n);
            }
        }
        if !numbers.is_empty() {
            self.wake_outbox();
            if let Err(e) = self.collect_invoices().await {
                tracing::warn!(error = %e, "putting invoices to the payment provider failed; will retry");
            }
        }
        Ok(numbers)
    }

    /// Gives a draft the next invoice number, in a short transaction that takes the number
    /// under the sequence's row lock (a failure gives it back: no gaps), then renders and
    /// stores its PDF and sends it. `None` when it is no longer a draft (another node
    /// finalized it).
    pub async fn finalize_invoice(&self, id: &str) -> Result<Option<i64>, CoreError> {
        let txn = self.begin_write().await?;
        let backend = txn.get_database_backend();
        txn.execute_unprepared("UPDATE invoice_counter SET last_number = last_number + 1 WHERE id = 1").await?;
        let row = txn
            .query_one_raw(Statement::from_string(backend, "SELECT last_number FROM invoice_counter WHERE id = 1"))
            .await?
            .ok_or_else(|| CoreError::Internal("the invoice counter is missing".into()))?;
        let number: i64 = row.try_get("", "last_number")?;
        let Some(inv) = invoice::Entity::find_by_id(id).one(&txn).await?.filter(|i| i.status == InvoiceStatus::Draft.as_str()) else {
            txn.rollback().await?;
            return Ok(None);
        };
        let now = self.now();
        let mut am = inv.clone().into_active_model();
        am.number = Set(Some(number));
        am.status = Set(InvoiceStatus::Open.as_str().into());
        am.finalized_at = Set(Some(now));
        am.due_at = Set(Some(now + Duration::days(self.settings().billing.payment_terms_days)));
        let inv = am.update(&txn).await?;
        let detail = format!("{} for {}: {}", invoice_number_label(number), period_label(&inv.period), format_money(inv.total_minor, &inv.currency));
        self.audit(&txn, &RequestMeta::default(), AuditEntry::for_team(&inv.team_id, None, AuditAction::InvoiceIssued, ("invoice", id)).with_detail(detail)).await?;
        txn.commit().await?;
        self.issue_pdf(inv).await?;
        Ok(Some(number))
    }

    /// Renders a finalized invoice's PDF once, stores it and sends the invoice to its
    /// billing contact, in one transaction: whoever stores the PDF first sends the email.
    async fn issue_pdf(&self, inv: invoice::Model) -> Result<(), CoreError> {
        let view = self.invoice_view(&self.db, inv.clone()).await?;
        let pdf = super::pdf::render_invoice(&view)?;
        let txn = self.begin_write().await?;
        let stored = invoice_pdf::Entity::insert(invoice_pdf::Model { invoice_id: inv.id.clone(), pdf }.into_active_model())
            .on_conflict(sea_orm::sea_query::OnConflict::column(invoice_pdf::Column::InvoiceId).do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
        if stored != 1 {
            txn.rollback().await?;
            return Ok(());
        }
        let settings = self.settings();
        let base = settings.base_url.trim_end_matches('/').to_owned();
        let amount = format_money(view.total_minor, &view.currency);
        if let Some(to) = view.bill_to.email.as_deref() {
            let content = EmailContent::InvoiceIssued(InvoiceIssued {
                number: view.number_label(),
                team: view.team_name.clone(),
                period: period_label(&view.period),
                total: amount,
                due: view.due_at.map(|d| d.format("%d %b %Y").to_string()).unwrap_or_default(),
                lines: view.lines.iter().map(|l| format!("{}: {}", l.description, format_money(l.amount_minor, &view.currency))).collect(),
                invoice_url: format!("{base}/portal/billing/invoices/{}", inv.id),
                manual: settings.billing.provider == "manual",
            });
            self.enqueue_email(&txn, NewEmail { team_id: Some(&inv.team_id), to, content }).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Issues the PDFs of invoices finalized over five minutes ago that have none (a node
    /// stopped between numbering an invoice and rendering it).
    async fn issue_missing_pdfs(&self) -> Result<(), CoreError> {
        let backend = self.db.get_database_backend();
        let cutoff = self.now() - Duration::minutes(5);
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => "SELECT i.id FROM invoices i LEFT JOIN invoice_pdfs p ON p.invoice_id = i.id WHERE i.number IS NOT NULL AND p.invoice_id IS NULL AND i.finalized_at < $1",
            _ => "SELECT i.id FROM invoices i LEFT JOIN invoice_pdfs p ON p.invoice_id = i.id WHERE i.number IS NOT NULL AND p.invoice_id IS NULL AND i.finalized_at < ?",
        };
        let rows = self.db.query_all_raw(Statement::from_sql_and_values(backend, sql, [cutoff.into()])).await?;
        for r in rows {
            let id: String = r.try_get("", "id")?;
            if let Some(inv) = invoice::Entity::find_by_id(&id).one(&self.db).await? {
                self.issue_pdf(inv).await?;
            }
        }
        Ok(())
    }

    /// An invoice as the portal and the CLI show it, with its lines.
    pub(crate) async fn invoice_view<C: ConnectionTrait>(&self, db: &C, inv: invoice::Model) -> Result<InvoiceView, CoreError> {
        let lines = invoice_line::Entity::find()
            .filter(invoice_line::Column::InvoiceId.eq(&inv.id))
            .order_by_asc(invoice_line::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .map(|l| InvoiceLineView { kind: l.kind, description: l.description, quantity: l.quantity, amount_minor: l.amount_minor, tax_rate_bp: l.tax_rate_bp, tax_minor: l.tax_minor })
            .collect();
        let number_of = |id: &Option<String>| {
            let id = id.clone();
            async move {
                match id {
                    Some(id) => Ok::<_, CoreError>(invoice::Entity::find_by_id(id).one(db).await?.and_then(|i| i.number)),
                    None => Ok(None),
                }
            }
        };
        let replaces = number_of(&inv.replaces_id).await?;
        let replaced_by = number_of(&inv.replaced_by_id).await?;
        Ok(InvoiceView { lines, replaces, replaced_by, ..self.invoice_summary(inv) })
    }

    /// An invoice without its lines.
    fn invoice_summary(&self, inv: invoice::Model) -> InvoiceView {
        let settings = self.settings();
        let issuer = if settings.billing.issuer.is_empty() { settings.app_name.clone() } else { settings.billing.issuer.clone() };
        InvoiceView {
            id: inv.id,
            number: inv.number,
            team_name: inv.team_name,
            period: inv.period,
            status: InvoiceStatus::parse(&inv.status).unwrap_or(InvoiceStatus::Draft),
            currency: inv.currency,
            subtotal_minor: inv.subtotal_minor,
            tax_minor: inv.tax_minor,
            total_minor: inv.total_minor,
            bill_to: serde_json::from_str(&inv.bill_to).unwrap_or_default(),
            issuer,
            created_at: inv.created_at,
            issued_at: inv.finalized_at,
            due_at: inv.due_at,
            paid_at: inv.paid_at,
            voided_at: inv.voided_at,
            void_reason: inv.void_reason,
            replaces: None,
            replaced_by: None,
            lines: Vec::new(),
        }
    }

    /// The caller's team's invoices, newest first (owners and admins).
    pub async fn team_invoices(&self, caller: &Caller) -> Result<Vec<InvoiceView>, CoreError> {
        caller.require(Action::ManageBilling)?;
        let rows = invoice::Entity::find()
            .filter(invoice::Column::TeamId.eq(&caller.team.id))
            .filter(invoice::Column::Status.ne(InvoiceStatus::Draft.as_str()))
            .order_by_desc(invoice::Column::FinalizedAt)
            .limit(LIST_LIMIT)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|i| self.invoice_summary(i)).collect())
    }

    /// One of the caller's team's invoices, with its lines.
    pub async fn team_invoice(&self, caller: &Caller, id: &str) -> Result<InvoiceView, CoreError> {
        caller.require(Action::ManageBilling)?;
        let inv = self.team_invoice_row(caller, id).await?;
        self.invoice_view(&self.db, inv).await
    }

    /// The PDF of one of the caller's team's invoices: its file name and bytes.
    pub async fn team_invoice_pdf(&self, caller: &Caller, id: &str) -> Result<(String, Vec<u8>), CoreError> {
        caller.require(Action::ManageBilling)?;
        let inv = self.team_invoice_row(caller, id).await?;
        let name = format!("{}.pdf", inv.number.map(invoice_number_label).unwrap_or_else(|| "draft".into()));
        let pdf = invoice_pdf::Entity::find_by_id(&inv.id).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        Ok((name, pdf.pdf))
    }

    async fn team_invoice_row(&self, caller: &Caller, id: &str) -> Result<invoice::Model, CoreError> {
        invoice::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|i| i.team_id == caller.team.id && i.status != InvoiceStatus::Draft.as_str())
            .ok_or(CoreError::NotFound)
    }

    /// Invoices for the operator, newest first: all, or one status, or one team's.
    pub async fn list_invoices(&self, status: Option<InvoiceStatus>, team_id: Option<&str>) -> Result<Vec<InvoiceView>, CoreError> {
        let mut q = invoice::Entity::find();
        if let Some(s) = status {
            q = q.filter(invoice::Column::Status.eq(s.as_str()));
        }
        if let Some(t) = team_id {
            q = q.filter(invoice::Column::TeamId.eq(t));
        }
        let rows = q.order_by_desc(invoice::Column::CreatedAt).order_by_desc(invoice::Column::Id).limit(LIST_LIMIT).all(&self.db).await?;
        Ok(rows.into_iter().map(|i| self.invoice_summary(i)).collect())
    }

    /// The invoice with this number, with its lines, and its PDF.
    pub async fn invoice_by_number(&self, number: i64) -> Result<(InvoiceView, Vec<u8>), CoreError> {
        let inv = invoice::Entity::find().filter(invoice::Column::Number.eq(number)).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let pdf = invoice_pdf::Entity::find_by_id(&inv.id).one(&self.db).await?.map(|p| p.pdf).unwrap_or_default();
        Ok((self.invoice_view(&self.db, inv).await?, pdf))
    }

    /// Marks an issued invoice paid (the manual provider: the operator saw the money arrive).
    pub async fn mark_invoice_paid(&self, number: i64, note: Option<&str>, actor: &str, meta: &RequestMeta) -> Result<InvoiceView, CoreError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control)) {
            return Err(FieldError::new("note", "A note is one line of at most 200 characters.").into());
        }
        let txn = self.begin_write().await?;
        let inv = invoice::Entity::find().filter(invoice::Column::Number.eq(number)).one(&txn).await?.ok_or(CoreError::NotFound)?;
        if inv.status != InvoiceStatus::Open.as_str() {
            return Err(CoreError::Conflict(format!("{} is {}: only a due invoice can be marked paid.", invoice_number_label(number), inv.status)));
        }
        let paid = (invoice::Column::PaidAt, invoice::Column::PaidNote, note.map(str::to_owned));
        self.settle(&txn, &inv, InvoiceStatus::Paid, paid).await?;
        let detail = format!("{} paid ({}){}", invoice_number_label(number), format_money(inv.total_minor, &inv.currency), note.map(|n| format!(": {n}")).unwrap_or_default());
        self.audit(&txn, meta, AuditEntry::for_team(&inv.team_id, Some(actor), AuditAction::InvoicePaid, ("invoice", &inv.id)).with_detail(detail)).await?;
        let inv = invoice::Entity::find_by_id(&inv.id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        let view = self.invoice_view(&txn, inv).await?;
        txn.commit().await?;
        Ok(view)
    }

    /// Moves a due invoice to `to` (paid or void), stamping `at` with now and `note` with
    /// the note; refused when it is no longer due (another change got there first).
    async fn settle<C: ConnectionTrait>(&self, db: &C, inv: &invoice::Model, to: InvoiceStatus, (at, note_col, note): (invoice::Column, invoice::Column, Option<String>)) -> Result<(), CoreError> {
        let updated = invoice::Entity::update_many()
            .col_expr(invoice::Column::Status, sea_orm::sea_query::Expr::value(to.as_str()))
            .col_expr(at, sea_orm::sea_query::Expr::value(Some(self.now())))
            .col_expr(note_col, sea_orm::sea_query::Expr::value(note))
            .filter(invoice::Column::Id.eq(&inv.id))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Open.as_str()))
            .exec(db)
            .await?;
        if updated.rows_affected != 1 {
            return Err(CoreError::Conflict(format!("{} changed meanwhile: look again.", inv.number.map(invoice_number_label).unwrap_or_default())));
        }
        Ok(())
    }

    /// Voids an issued invoice with a reason; with `reissue`, issues its correction at once:
    /// the same lines (less an optional credit), addressed to the billing contact as it is
    /// now, with a new number. Returns the voided invoice and the new one.
    pub async fn void_invoice(&self, number: i64, reason: &str, reissue: Option<Reissue>, actor: &str, meta: &RequestMeta) -> Result<(InvoiceView, Option<InvoiceView>), CoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 300 || reason.chars().any(char::is_control) {
            return Err(FieldError::new("reason", "Give the reason, in one line of at most 300 characters.").into());
        }
        let credit = match &reissue {
            Some(Reissue { credit: Some(c), credit_description }) if !c.trim().is_empty() => {
                let d = credit_description.as_deref().map(str::trim).filter(|d| !d.is_empty()).unwrap_or("Credit");
                if d.chars().count() > 200 || d.chars().any(char::is_control) {
                    return Err(FieldError::new("credit_description", "One line of at most 200 characters.").into());
                }
                Some((c.clone(), d.to_owned()))
            }
            _ => None,
        };
        let txn = self.begin_write().await?;
        let inv = invoice::Entity::find().filter(invoice::Column::Number.eq(number)).one(&txn).await?.ok_or(CoreError::NotFound)?;
        if inv.status != InvoiceStatus::Open.as_str() {
            return Err(CoreError::Conflict(format!(
                "{} is {}: only a due invoice can be voided (refund a paid one through the payment provider).",
                invoice_number_label(number),
                inv.status
            )));
        }
        let credit = match credit {
            Some((c, d)) => match crate::dto::billing::parse_money(&c, &inv.currency) {
                Ok(0) => return Err(FieldError::new("credit", "A credit is a positive amount.").into()),
                Ok(c) if c > inv.subtotal_minor => {
                    return Err(FieldError::new("credit", format!("The credit is more than the invoice's {} before tax.", format_money(inv.subtotal_minor, &inv.currency))).into())
                }
                Ok(c) => Some((c, d)),
                Err(m) => return Err(FieldError::new("credit", m).into()),
            },
            None => None,
        };
        self.settle(&txn, &inv, InvoiceStatus::Void, (invoice::Column::VoidedAt, invoice::Column::VoidReason, Some(reason.to_owned()))).await?;
        let detail = format!("{} voided: {reason}{}", invoice_number_label(number), if reissue.is_some() { " (reissued)" } else { "" });
        self.audit(&txn, meta, AuditEntry::for_team(&inv.team_id, Some(actor), AuditAction::InvoiceVoided, ("invoice", &inv.id)).with_detail(detail)).await?;
        txn.commit().await?;
        let mut replacement = None;
        if reissue.is_some() {
            let t = team::Entity::find_by_id(&inv.team_id).one(&self.db).await?;
            let t = t.unwrap_or_else(|| team::Model {
                id: inv.team_id.clone(),
                name: inv.team_name.clone(),
                personal: false,
                description: None,
                created_at: inv.created_at,
                suspended_at: None,
                suspended_reason: None,
                external_id: None,
                require_mfa: false,
            });
            let mut lines: Vec<Line> = invoice_line::Entity::find()
                .filter(invoice_line::Column::InvoiceId.eq(&inv.id))
                .order_by_asc(invoice_line::Column::Position)
                .all(&self.db)
                .await?
                .into_iter()
                .map(|l| Line { kind: line_kind(&l.kind), description: l.description, quantity: l.quantity, amount: l.amount_minor })
                .collect();
            if let Some((c, d)) = credit {
                lines.push(Line { kind: "credit", description: d, quantity: 1, amount: -c });
            }
            let revision = invoice::Entity::find()
                .filter(invoice::Column::TeamId.eq(&inv.team_id))
                .filter(invoice::Column::Period.eq(&inv.period))
                .order_by_desc(invoice::Column::Revision)
                .one(&self.db)
                .await?
                .map(|i| i.revision + 1)
                .unwrap_or(1);
            let new_id = self
                .store_draft(&t, &inv.period, revision, &inv.currency, lines, &[], Some(&inv.id))
                .await?
                .ok_or_else(|| CoreError::Conflict("The correction was drafted meanwhile: look again.".into()))?;
            invoice::Entity::update_many()
                .col_expr(invoice::Column::ReplacedById, sea_orm::sea_query::Expr::value(new_id.clone()))
                .filter(invoice::Column::Id.eq(&inv.id))
                .exec(&self.db)
                .await?;
            self.finalize_invoice(&new_id).await?;
            self.wake_outbox();
            if let Err(e) = self.collect_invoices().await {
                tracing::warn!(error = %e, "putting the correction to the payment provider failed; will retry");
            }
            let row = invoice::Entity::find_by_id(&new_id).one(&self.db).await?.ok_or(CoreError::NotFound)?;
            replacement = Some(self.invoice_view(&self.db, row).await?);
        }
        let row = invoice::Entity::find_by_id(&inv.id).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        Ok((self.invoice_view(&self.db, row).await?, replacement))
    }
}

fn line_kind(kind: &str) -> &'static str {
    match kind {
        "base" => "base",
        "proration" => "proration",
        "overage" => "overage",
        "credit" => "credit",
        _ => "charge",
    }
}

/// The lines of one team's month: the base price of the plan it began the month on
/// (prorated from when it joined or its trial ended), its charges (prorated upgrades), and
/// overage on the plan it ended the month on.
#[allow(clippy::too_many_arguments)]
fn period_lines(
    base: &Arc<PlanView>,
    last: &Arc<PlanView>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    billable_from: DateTime<Utc>,
    trial_end: Option<DateTime<Utc>>,
    used: i64,
    items: Option<&Vec<invoice_item::Model>>,
) -> Vec<Line> {
    let month = period_label(&period_of(start));
    let mut lines = Vec::new();
    let from = Ord::min(Ord::max(billable_from, trial_end.unwrap_or(billable_from)), end);
    let amount = if from <= start { base.price_minor } else { mul_div_round(base.price_minor, (end - from).num_seconds(), (end - start).num_seconds()) };
    let description = if from <= start {
        format!("{} plan, {month}", base.name)
    } else {
        format!("{} plan, {month}, from {} (prorated)", base.name, from.format("%d %b"))
    };
    lines.push(Line { kind: "base", description, quantity: 1, amount });
    for i in items.into_iter().flatten() {
        lines.push(Line { kind: line_kind(&i.kind), description: i.description.clone(), quantity: 1, amount: i.amount_minor });
    }
    if let Some(rate) = last.overage_per_1000_minor {
        let over = used - last.included_requests;
        if over > 0 {
            let description = format!(
                "Overage: {} requests past the {} included in {}, at {} per 1,000",
                crate::dto::thousands(over),
                crate::dto::thousands(last.included_requests),
                last.name,
                format_money(rate, &last.currency)
            );
            lines.push(Line { kind: "overage", description, quantity: over, amount: overage_charge(over, rate) });
        }
    }
    lines
}
