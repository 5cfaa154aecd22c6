//! The plan catalogue: the operator's plans, held in memory on every node (a small table,
//! reloaded with the settings), and the plan each team is on.
//!
//! A team's plan is its `subscriptions` row. A team without one is on the default plan; the
//! rows are filled in before the default changes, so changing the default never moves a team
//! that was already there.

use crate::dto::billing::{check_currency, check_feature_name, parse_money, Feature, PlanView, PlanVisibility};
use crate::entity::{api_key, plan, plan_change, subscription, team};
use crate::error::CoreError;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::Services;
use crate::validate::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The plans in effect on this node.
#[derive(Debug, Default)]
pub struct PlanBook {
    plans: Vec<Arc<PlanView>>,
    by_id: HashMap<String, Arc<PlanView>>,
    default: Option<Arc<PlanView>>,
}

impl PlanBook {
    fn build(rows: &[plan::Model]) -> Self {
        let plans: Vec<Arc<PlanView>> = rows.iter().map(|m| Arc::new(plan_view(m, 0))).collect();
        Self {
            by_id: plans.iter().map(|p| (p.id.clone(), p.clone())).collect(),
            default: plans.iter().find(|p| p.is_default).cloned(),
            plans,
        }
    }

    /// A plan by id.
    pub fn get(&self, id: &str) -> Option<&Arc<PlanView>> {
        self.by_id.get(id)
    }

    /// The plan new teams get (there is always one once the services have started).
    pub fn default_plan(&self) -> Option<&Arc<PlanView>> {
        self.default.as_ref()
    }

    /// The plan a team with this subscription (or none) is on.
    pub fn of(&self, plan_id: Option<&str>) -> Option<&Arc<PlanView>> {
        plan_id.and_then(|id| self.get(id)).or(self.default.as_ref())
    }

    /// Every plan, in listing order.
    pub fn all(&self) -> &[Arc<PlanView>] {
        &self.plans
    }
}

/// The plan book and what it was built from.
#[derive(Default)]
pub struct PlanCache {
    current: RwLock<Arc<PlanBook>>,
    stored: RwLock<Vec<plan::Model>>,
    reloading: tokio::sync::Mutex<()>,
    /// Held while this node finalizes invoices: one at a time per node (nodes compete for
    /// numbers through the sequence's row lock), so a batch never queues its own writes.
    pub(crate) finalizing: tokio::sync::Mutex<()>,
}

fn plan_view(m: &plan::Model, teams: i64) -> PlanView {
    PlanView {
        id: m.id.clone(),
        name: m.name.clone(),
        description: m.description.clone(),
        price_minor: m.price_minor,
        currency: m.currency.clone(),
        included_requests: m.included_requests,
        overage_per_1000_minor: m.overage_per_1000_minor,
        ratelimit_cap: m.ratelimit_cap,
        max_keys: m.max_keys,
        features: m.features.split_whitespace().map(str::to_owned).collect(),
        trial_days: m.trial_days,
        visibility: PlanVisibility::parse(&m.visibility).unwrap_or(PlanVisibility::Hidden),
        is_default: m.is_default,
        archived: m.archived_at.is_some(),
        teams,
    }
}

/// A plan's fields as the CLI and the console give them: `None` leaves a field as it is
/// (on creation: its default).
#[derive(Clone, Debug, Default)]
pub struct PlanChanges {
    /// Name (required on creation).
    pub name: Option<String>,
    /// Description; empty removes it.
    pub description: Option<String>,
    /// Price per month in major units (`49.00`).
    pub price: Option<String>,
    /// ISO currency code.
    pub currency: Option<String>,
    /// Valid requests included per month (required on creation).
    pub included: Option<String>,
    /// `stop`, or the price per 1,000 requests past the included ones (`0.50`).
    pub overage: Option<String>,
    /// Highest rate limit per minute; `none` for the portal's own maximum.
    pub ratelimit_cap: Option<String>,
    /// Most working keys; `none` for the portal's own maximum.
    pub max_keys: Option<String>,
    /// Feature names, separated by commas or spaces (replaces the list).
    pub features: Option<String>,
    /// Days of trial when a team first takes the plan.
    pub trial_days: Option<String>,
    /// `public` or `hidden`.
    pub visibility: Option<String>,
    /// Listing order.
    pub position: Option<String>,
}

fn field(name: &'static str, message: impl Into<String>) -> CoreError {
    FieldError::new(name, message).into()
}

/// A plan identifier: lowercase letters, digits and `-`, 1–40, starting with a letter or digit.
pub fn check_plan_id(s: &str) -> Result<(), CoreError> {
    let ok = (1..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(field("id", format!("{s:?} is not a plan id: lowercase letters, digits and -, at most 40 (like pro or team-2027)")));
    }
    if crate::dto::billing::RESERVED_IDS.contains(&s) {
        return Err(field("id", format!("{s:?} is kept for the console's own pages: choose another")));
    }
    Ok(())
}

fn whole(name: &'static str, v: &str, lo: i64, hi: i64) -> Result<i64, CoreError> {
    let t = v.trim().replace([',', '_'], "");
    match t.parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(field(name, format!("{v:?}: give a whole number from {lo} to {hi}"))),
    }
}

fn optional_whole(name: &'static str, v: &str, lo: i64, hi: i64) -> Result<Option<i64>, CoreError> {
    if matches!(v.trim(), "" | "none") { Ok(None) } else { whole(name, v, lo, hi).map(Some) }
}

fn text(name: &'static str, v: &str, max: usize) -> Result<String, CoreError> {
    let t = v.trim();
    if t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(field(name, format!("at most {max} characters, without control characters")));
    }
    Ok(t.to_owned())
}

fn feature_list(v: &str) -> Result<String, CoreError> {
    let mut names: Vec<&str> = v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).collect();
    for n in &names {
        check_feature_name(n).map_err(|m| field("features", m))?;
    }
    names.sort_unstable();
    names.dedup();
    if names.len() > 50 {
        return Err(field("features", "a plan has at most 50 features"));
    }
    Ok(names.join(" "))
}

/// Applies `c` to `m` (a new plan's defaults or a stored one), checking every field.
fn apply(m: &mut plan::Model, c: &PlanChanges) -> Result<(), CoreError> {
    if let Some(v) = &c.name {
        let n = text("name", v, 80)?;
        if n.is_empty() {
            return Err(field("name", "a plan needs a name"));
        }
        m.name = n;
    }
    if let Some(v) = &c.description {
        let d = text("description", v, 500)?;
        m.description = (!d.is_empty()).then_some(d);
    }
    if let Some(v) = &c.currency {
        m.currency = check_currency(v).map_err(|e| field("currency", e))?;
    }
    if let Some(v) = &c.price {
        m.price_minor = parse_money(v, &m.currency).map_err(|e| field("price", e))?;
    }
    if let Some(v) = &c.included {
        m.included_requests = whole("included", v, 0, 1_000_000_000_000)?;
    }
    if let Some(v) = &c.overage {
        m.overage_per_1000_minor = match v.trim() {
            "stop" | "none" => None,
            amount => Some(parse_money(amount, &m.currency).map_err(|e| field("overage", format!("give stop, or the price per 1,000 requests: {e}")))?),
        };
    }
    if let Some(v) = &c.ratelimit_cap {
        m.ratelimit_cap = optional_whole("ratelimit-cap", v, 1, 1_000_000_000)?;
    }
    if let Some(v) = &c.max_keys {
        m.max_keys = optional_whole("max-keys", v, 1, 100_000)?;
    }
    if let Some(v) = &c.features {
        m.features = feature_list(v)?;
    }
    if let Some(v) = &c.trial_days {
        m.trial_days = whole("trial-days", v, 0, 365)?;
    }
    if let Some(v) = &c.visibility {
        m.visibility = PlanVisibility::parse(v.trim()).ok_or_else(|| field("visibility", "public or hidden"))?.as_str().to_owned();
    }
    if let Some(v) = &c.position {
        m.position = whole("position", v, 0, 1_000_000)?;
    }
    Ok(())
}

/// A new plan's row before its terms are applied: free, nothing included, a hard stop, no
/// caps, no features, public.
fn draft(id: &str, currency: String, now: chrono::DateTime<chrono::Utc>) -> plan::Model {
    plan::Model {
        id: id.to_owned(),
        name: String::new(),
        description: None,
        price_minor: 0,
        currency,
        included_requests: 0,
        overage_per_1000_minor: None,
        ratelimit_cap: None,
        max_keys: None,
        features: String::new(),
        trial_days: 0,
        visibility: "public".into(),
        is_default: false,
        position: 0,
        archived_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// Every feature Keyport knows, space-separated: what the default plan starts with.
fn all_features() -> String {
    let mut f: Vec<&str> = Feature::ALL.iter().map(|f| f.as_str()).collect();
    f.sort_unstable();
    f.join(" ")
}

/// The setting the default plan's included requests came from before plans existed.
const OLD_QUOTA_SETTING: &str = "plan.monthly_quota";

impl Services {
    /// The plans in effect now (cheap: one lock and a reference count).
    pub fn plan_book(&self) -> Arc<PlanBook> {
        self.plans.current.read().map(|s| s.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Reads the plans table and, if it changed, puts it in effect. Run at start and with
    /// every settings reload.
    pub async fn reload_plans(&self) -> Result<bool, CoreError> {
        let _one_at_a_time = self.plans.reloading.lock().await;
        let rows = plan::Entity::find().order_by_asc(plan::Column::Position).order_by_asc(plan::Column::PriceMinor).order_by_asc(plan::Column::Id).all(&self.db).await?;
        if self.plans.stored.read().is_ok_and(|s| *s == rows) {
            return Ok(false);
        }
        let book = Arc::new(PlanBook::build(&rows));
        if let Ok(mut c) = self.plans.current.write() {
            *c = book;
        }
        if let Ok(mut s) = self.plans.stored.write() {
            *s = rows;
        }
        Ok(true)
    }

    /// Makes sure a default plan exists: on a fresh install (or the first start of this
    /// version) a public "Free" plan with the configured monthly quota, a hard stop past it and
    /// every feature. Safe on several nodes at once.
    pub async fn ensure_plans(&self) -> Result<(), CoreError> {
        use crate::entity::setting;
        // Before plans, the team quota was the setting `plan.monthly_quota`: it becomes the
        // default plan's included requests.
        let stored_quota = setting::Entity::find_by_id(OLD_QUOTA_SETTING).one(&self.db).await?;
        if plan::Entity::find().count(&self.db).await? == 0 {
            let included = stored_quota.as_ref().filter(|r| !r.encrypted).and_then(|r| r.value.parse::<i64>().ok()).unwrap_or(self.config.monthly_quota);
            let now = self.now();
            let row = plan::Model {
                name: "Free".into(),
                description: Some("Everything to get started.".into()),
                included_requests: included,
                features: all_features(),
                is_default: true,
                ..draft("free", "USD".into(), now)
            }
            .into_active_model();
            plan::Entity::insert(row).on_conflict_do_nothing_on([plan::Column::Id]).exec(&self.db).await?;
        }
        if stored_quota.is_some() {
            setting::Entity::delete_by_id(OLD_QUOTA_SETTING).exec(&self.db).await?;
        }
        self.reload_plans().await?;
        Ok(())
    }

    /// Every plan with how many teams are on it (teams without a subscription row count for
    /// the default).
    pub async fn list_plans(&self) -> Result<Vec<PlanView>, CoreError> {
        self.reload_plans().await?;
        let backend = self.db.get_database_backend();
        let counted: HashMap<String, i64> = self
            .db
            .query_all_raw(sea_orm::Statement::from_string(backend, "SELECT plan_id, COUNT(*) AS n FROM subscriptions GROUP BY plan_id"))
            .await?
            .into_iter()
            .filter_map(|r| Some((r.try_get::<String>("", "plan_id").ok()?, r.try_get::<i64>("", "n").ok()?)))
            .collect();
        let teams = team::Entity::find().count(&self.db).await? as i64;
        let without = teams - counted.values().sum::<i64>();
        let stored = self.plans.stored.read().map(|s| s.clone()).unwrap_or_default();
        Ok(stored
            .iter()
            .map(|m| plan_view(m, counted.get(&m.id).copied().unwrap_or(0) + if m.is_default { without.max(0) } else { 0 }))
            .collect())
    }

    /// One plan, with its team count.
    pub async fn get_plan(&self, id: &str) -> Result<PlanView, CoreError> {
        self.list_plans().await?.into_iter().find(|p| p.id == id).ok_or(CoreError::NotFound)
    }

    /// Creates a plan. `name` and `included` are required; the rest default to free, the
    /// default plan's currency, a hard stop, no caps, no features, public.
    pub async fn create_plan(&self, id: &str, changes: &PlanChanges, actor: &str, meta: &RequestMeta) -> Result<PlanView, CoreError> {
        check_plan_id(id)?;
        if changes.name.is_none() {
            return Err(field("name", "a new plan needs a name"));
        }
        if changes.included.is_none() {
            return Err(field("included", "a new plan needs its included requests per month (0 or more)"));
        }
        let now = self.now();
        let currency = self.plan_book().default_plan().map(|p| p.currency.clone()).unwrap_or_else(|| "USD".into());
        let mut m = draft(id, currency, now);
        if changes.position.is_none() {
            m.position = self.plans.stored.read().map(|s| s.iter().map(|p| p.position).max().map_or(0, |p| p + 1)).unwrap_or(0);
        }
        apply(&mut m, changes)?;
        let txn = self.begin_write().await?;
        if plan::Entity::find_by_id(id).one(&txn).await?.is_some() {
            return Err(field("id", format!("a plan {id:?} already exists (archived plans keep their id): choose another")));
        }
        plan::Entity::insert(m.clone().into_active_model()).exec(&txn).await?;
        self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::PlanSaved, id).with_detail(format!("created {} ({})", m.name, id))).await?;
        txn.commit().await?;
        self.reload_plans().await?;
        Ok(plan_view(&m, 0))
    }

    /// Changes a plan; teams on it have the new terms from the next request (on every node
    /// within a second). A plan with teams on it keeps its currency.
    pub async fn update_plan(&self, id: &str, changes: &PlanChanges, actor: &str, meta: &RequestMeta) -> Result<PlanView, CoreError> {
        let txn = self.begin_write().await?;
        let old = plan::Entity::find_by_id(id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        let mut m = old.clone();
        apply(&mut m, changes)?;
        if m.currency != old.currency && self.teams_on(&txn, &old).await? > 0 {
            return Err(CoreError::Conflict(format!("Teams are on {}: its currency stays {}. Create a plan in {} and move them.", old.name, old.currency, m.currency)));
        }
        if m == old {
            return Ok(plan_view(&m, 0));
        }
        if m.is_default && m.visibility != "public" {
            return Err(CoreError::Conflict("The default plan is listed for everyone: make another plan the default first.".into()));
        }
        m.updated_at = self.now();
        m.clone().into_active_model().reset_all().update(&txn).await?;
        self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::PlanSaved, id).with_detail(format!("changed {} ({})", m.name, id))).await?;
        txn.commit().await?;
        self.reload_plans().await?;
        Ok(plan_view(&m, 0))
    }

    async fn teams_on<C: ConnectionTrait>(&self, db: &C, p: &plan::Model) -> Result<u64, CoreError> {
        let rows = subscription::Entity::find().filter(subscription::Column::PlanId.eq(&p.id)).count(db).await?;
        if p.is_default {
            let with_rows = subscription::Entity::find().count(db).await?;
            return Ok(rows + team::Entity::find().count(db).await?.saturating_sub(with_rows));
        }
        Ok(rows)
    }

    /// Archives a plan: no team can switch to it any more; teams on it stay on it. The
    /// default plan cannot be archived. Plans are never deleted (invoices name them).
    pub async fn archive_plan(&self, id: &str, actor: &str, meta: &RequestMeta) -> Result<PlanView, CoreError> {
        let txn = self.begin_write().await?;
        let m = plan::Entity::find_by_id(id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        if m.is_default {
            return Err(CoreError::Conflict(format!("{} is the default plan: make another plan the default first.", m.name)));
        }
        if m.archived_at.is_some() {
            return Err(CoreError::Conflict(format!("{} is already archived.", m.name)));
        }
        let mut am = m.clone().into_active_model();
        am.archived_at = Set(Some(self.now()));
        am.updated_at = Set(self.now());
        let m = am.update(&txn).await?;
        self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::PlanArchived, id).with_detail(format!("archived {} ({})", m.name, id))).await?;
        let teams = self.teams_on(&txn, &m).await?;
        txn.commit().await?;
        self.reload_plans().await?;
        Ok(plan_view(&m, teams as i64))
    }

    /// Makes a plan the one new teams get. Teams on the old default stay on it.
    pub async fn set_default_plan(&self, id: &str, actor: &str, meta: &RequestMeta) -> Result<PlanView, CoreError> {
        let txn = self.begin_write().await?;
        let m = plan::Entity::find_by_id(id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        if m.archived_at.is_some() || m.visibility != "public" {
            return Err(CoreError::Conflict(format!("{} is {}: the default plan must be public and not archived.", m.name, if m.archived_at.is_some() { "archived" } else { "hidden" })));
        }
        if m.is_default {
            return Ok(plan_view(&m, 0));
        }
        if let Some(old) = plan::Entity::find().filter(plan::Column::IsDefault.eq(true)).one(&txn).await? {
            // Teams that never had a row were on the old default: they stay there.
            let backend = txn.get_database_backend();
            let sql = match backend {
                sea_orm::DatabaseBackend::Postgres => "INSERT INTO subscriptions (team_id, plan_id, started_at, cancel_at_period_end, updated_at) SELECT id, $1, created_at, false, $2 FROM teams WHERE id NOT IN (SELECT team_id FROM subscriptions)",
                _ => "INSERT INTO subscriptions (team_id, plan_id, started_at, cancel_at_period_end, updated_at) SELECT id, ?, created_at, false, ? FROM teams WHERE id NOT IN (SELECT team_id FROM subscriptions)",
            };
            txn.execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [old.id.clone().into(), self.now().into()])).await?;
            plan::Entity::update_many().col_expr(plan::Column::IsDefault, Expr::value(false)).filter(plan::Column::Id.eq(&old.id)).exec(&txn).await?;
        }
        plan::Entity::update_many()
            .col_expr(plan::Column::IsDefault, Expr::value(true))
            .col_expr(plan::Column::UpdatedAt, Expr::value(self.now()))
            .filter(plan::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::PlanSaved, id).with_detail(format!("{} is the default plan", m.name))).await?;
        txn.commit().await?;
        self.reload_plans().await?;
        self.get_plan(id).await
    }

    /// The plan a team is on and its subscription row, if it has one.
    pub async fn team_plan<C: ConnectionTrait>(&self, db: &C, team_id: &str) -> Result<(Option<subscription::Model>, Arc<PlanView>), CoreError> {
        let sub = subscription::Entity::find_by_id(team_id).one(db).await?;
        let book = self.plan_book();
        let plan = book.of(sub.as_ref().map(|s| s.plan_id.as_str())).cloned().ok_or_else(|| CoreError::Internal("no default plan".into()))?;
        Ok((sub, plan))
    }

    /// The plans the team has had a trial of (one trial per plan and team).
    pub(crate) async fn trials_used<C: ConnectionTrait>(&self, db: &C, team_id: &str) -> Result<Vec<String>, CoreError> {
        let mut used: Vec<String> = plan_change::Entity::find()
            .filter(plan_change::Column::TeamId.eq(team_id))
            .filter(plan_change::Column::TrialEndsAt.is_not_null())
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.to_plan_id)
            .collect();
        used.sort();
        used.dedup();
        Ok(used)
    }

    /// Whether the team's plan includes `feature`; if not, the plan's name (for the upgrade
    /// prompt).
    pub async fn plan_allows(&self, team_id: &str, feature: Feature) -> Result<Result<(), String>, CoreError> {
        let (_, plan) = self.team_plan(&self.db, team_id).await?;
        Ok(if plan.has(feature) { Ok(()) } else { Err(plan.name.clone()) })
    }

    /// Puts a team on a plan at once (the operator's move: no charge, no trial), audited in
    /// the team's trail. Its keys verify under the new plan from the next request.
    pub async fn assign_plan(&self, team_id: &str, plan_id: &str, actor: &str, meta: &RequestMeta) -> Result<PlanView, CoreError> {
        let t = team::Entity::find_by_id(team_id).one(&self.db).await?.ok_or(CoreError::NotFound)?;
        let txn = self.begin_write().await?;
        let p = plan::Entity::find_by_id(plan_id).one(&txn).await?.ok_or_else(|| field("plan", format!("no plan {plan_id:?} (see keyport plans list)")))?;
        if p.archived_at.is_some() {
            return Err(CoreError::Conflict(format!("{} is archived: no team can be moved to it.", p.name)));
        }
        let (sub, current) = self.team_plan(&txn, team_id).await?;
        if current.id == p.id && sub.is_some() {
            return Err(CoreError::Conflict(format!("{} is already on {}.", t.name, p.name)));
        }
        let paid = |v: &PlanView| v.price_minor > 0 || v.overage_per_1000_minor.is_some();
        if p.currency != current.currency && paid(&current) {
            return Err(CoreError::Conflict(format!(
                "{} is priced in {}, {}'s plan in {}: a team on a paid plan keeps its currency until the period ends (move it to a free plan first).",
                p.name, p.currency, t.name, current.currency
            )));
        }
        self.put_on_plan(&txn, team_id, &p.id, None).await?;
        self.record_plan_change(&txn, team_id, self.now(), &current.id, &p.id, "assigned").await?;
        let entry = AuditEntry::for_team(team_id, Some(actor), AuditAction::PlanChanged, ("plan", plan_id))
            .with_detail(format!("{} → {} (by the provider)", current.name, p.name));
        self.audit(&txn, meta, entry).await?;
        self.notify_plan_change(&txn, team_id, &t.name, &current.name, &p.name, None, None, "by the provider").await?;
        let hashes = self.forget_team_keys(&txn, team_id).await?;
        txn.commit().await?;
        self.wake_outbox();
        for h in &hashes {
            self.verifier.invalidate(h);
        }
        self.reload_plans().await?;
        self.get_plan(plan_id).await
    }

    /// Writes the team's subscription row: on `plan_id` from now, with no change scheduled.
    pub(crate) async fn put_on_plan<C: ConnectionTrait>(&self, db: &C, team_id: &str, plan_id: &str, trial_ends_at: Option<chrono::DateTime<chrono::Utc>>) -> Result<(), CoreError> {
        let now = self.now();
        let row = subscription::ActiveModel {
            team_id: Set(team_id.to_owned()),
            plan_id: Set(plan_id.to_owned()),
            started_at: Set(now),
            trial_ends_at: Set(trial_ends_at),
            scheduled_plan_id: Set(None),
            cancel_at_period_end: Set(false),
            updated_at: Set(now),
        };
        subscription::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(subscription::Column::TeamId)
                    .update_columns([
                        subscription::Column::PlanId,
                        subscription::Column::StartedAt,
                        subscription::Column::TrialEndsAt,
                        subscription::Column::ScheduledPlanId,
                        subscription::Column::CancelAtPeriodEnd,
                        subscription::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(db)
            .await?;
        Ok(())
    }

    /// Logs a change of the team's plan at `at` (invoices price a period by the plans held
    /// in it).
    pub(crate) async fn record_plan_change<C: ConnectionTrait>(&self, db: &C, team_id: &str, at: chrono::DateTime<chrono::Utc>, from: &str, to: &str, kind: &str) -> Result<(), CoreError> {
        self.record_plan_change_with(db, plan_change::Model { id: String::new(), team_id: team_id.to_owned(), at, from_plan_id: from.to_owned(), to_plan_id: to.to_owned(), kind: kind.to_owned(), trial_ends_at: None }).await
    }

    /// [`Self::record_plan_change`] with every field given (a trial's end).
    pub(crate) async fn record_plan_change_with<C: ConnectionTrait>(&self, db: &C, change: plan_change::Model) -> Result<(), CoreError> {
        let row = plan_change::Model { id: crate::crypto::new_id("pc"), ..change };
        plan_change::Entity::insert(row.into_active_model()).exec(db).await?;
        Ok(())
    }

    /// Records, in the change's transaction, that every key of a team changed (its team's
    /// state or plan), so every node reads them again. Returns their hashes, for this node to
    /// forget once the change is committed.
    pub(crate) async fn forget_team_keys<C: ConnectionTrait>(&self, db: &C, team_id: &str) -> Result<Vec<String>, CoreError> {
        let hashes: Vec<String> =
            api_key::Entity::find().filter(api_key::Column::TeamId.eq(team_id)).all(db).await?.into_iter().map(|k| k.key_hash).collect();
        for h in &hashes {
            self.note_key_change(db, h).await?;
        }
        Ok(hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> plan::Model {
        plan::Model { name: "Pro".into(), ..draft("pro", "USD".into(), chrono::Utc::now()) }
    }

    #[test]
    fn plan_fields_are_checked_and_a_refusal_changes_nothing() {
        let mut m = blank();
        let c = PlanChanges {
            price: Some("49".into()),
            included: Some("1,000,000".into()),
            overage: Some("0.50".into()),
            features: Some("request_log, live_keys live_keys".into()),
            ratelimit_cap: Some("600".into()),
            ..Default::default()
        };
        apply(&mut m, &c).unwrap();
        assert_eq!((m.price_minor, m.included_requests, m.overage_per_1000_minor, m.ratelimit_cap), (4900, 1_000_000, Some(50), Some(600)));
        assert_eq!(m.features, "live_keys request_log");
        for bad in [
            PlanChanges { price: Some("-1".into()), ..Default::default() },
            PlanChanges { included: Some("many".into()), ..Default::default() },
            PlanChanges { overage: Some("lots".into()), ..Default::default() },
            PlanChanges { features: Some("Live Keys".into()), ..Default::default() },
            PlanChanges { visibility: Some("secret".into()), ..Default::default() },
            PlanChanges { trial_days: Some("400".into()), ..Default::default() },
            PlanChanges { name: Some(" ".into()), ..Default::default() },
            PlanChanges { currency: Some("dollars".into()), ..Default::default() },
        ] {
            let mut copy = m.clone();
            assert!(apply(&mut copy, &bad).is_err(), "{bad:?}");
        }
        assert!(check_plan_id("pro-2027").is_ok());
        assert!(check_plan_id("Pro").is_err());
        assert!(check_plan_id("-pro").is_err());
    }
}
