//! The API catalogue. A product is an API developers may use; it grants scopes. A team has
//! a product when it is public, when the team's plan includes it, or when the team asked
//! for it (a product offered on request) and the operator approved. A scope that belongs to
//! some product is only for keys of teams that have one of those products; a scope of no
//! product stays open to every key (an install without products works as before).

use crate::dto::billing::{CatalogueEntry, CatalogueView, ProductAccessStatus, ProductRequestView, ProductView, ProductVisibility};
use crate::entity::{product, product_access, team};
use crate::error::CoreError;
use crate::roles::Action;
use crate::services::audit::{AuditAction, AuditEntry, RequestMeta};
use crate::services::auth::Caller;
use crate::services::mail::templates::{EmailContent, ProductDecision};
use crate::services::outbox::NewEmail;
use crate::services::Services;
use crate::validate::FieldError;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{BTreeSet, HashMap};

/// What the operator sets on a product (each `None` stays as it is).
#[derive(Clone, Debug, Default)]
pub struct ProductChanges {
    /// Name (required on creation).
    pub name: Option<String>,
    /// Description; empty removes it.
    pub description: Option<String>,
    /// A path of the portal's docs (`/portal/docs#tag-payments`); empty removes it.
    pub docs_path: Option<String>,
    /// Scopes it grants, separated by commas or spaces (replaces the list).
    pub scopes: Option<String>,
    /// Plans that include it, separated by commas or spaces (replaces the list).
    pub plans: Option<String>,
    /// `public`, `on_request` or `hidden`.
    pub visibility: Option<String>,
}

fn field(name: &'static str, message: impl Into<String>) -> CoreError {
    FieldError::new(name, message).into()
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn one_line(name: &'static str, v: &str, max: usize) -> Result<String, CoreError> {
    let v = v.trim();
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(field(name, format!("one line of at most {max} characters")));
    }
    Ok(v.to_owned())
}

fn view(p: &product::Model) -> ProductView {
    ProductView {
        id: p.id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        docs_path: p.docs_path.clone(),
        scopes: words(&p.scopes),
        plans: words(&p.plans),
        visibility: ProductVisibility::parse(&p.visibility).unwrap_or(ProductVisibility::Hidden),
        archived: p.archived_at.is_some(),
    }
}

impl Services {
    fn apply_product(&self, m: &mut product::Model, c: &ProductChanges) -> Result<(), CoreError> {
        if let Some(n) = &c.name {
            let n = one_line("name", n, 80)?;
            if n.is_empty() {
                return Err(field("name", "a product needs a name"));
            }
            m.name = n;
        }
        if let Some(d) = &c.description {
            let d = d.trim();
            if d.chars().count() > 1000 {
                return Err(field("description", "at most 1,000 characters"));
            }
            m.description = Some(d.to_owned()).filter(|d| !d.is_empty());
        }
        if let Some(p) = &c.docs_path {
            let p = one_line("docs", p, 300)?;
            if !p.is_empty() && !(p == "/portal/docs" || p.starts_with("/portal/docs#") || p.starts_with("/portal/docs/") || p.starts_with("/portal/docs?")) || p.contains(' ') {
                return Err(field("docs", "a path of the portal's docs, like /portal/docs#tag-payments"));
            }
            m.docs_path = Some(p).filter(|p| !p.is_empty());
        }
        if let Some(s) = &c.scopes {
            let scopes = crate::validate::parse_scopes(s, &self.settings().scopes).map_err(|e| field("scopes", format!("{} (the scopes are those of keys.scopes)", e.message)))?;
            if scopes.is_empty() {
                return Err(field("scopes", "a product grants at least one scope"));
            }
            m.scopes = scopes.join(" ");
        }
        if let Some(p) = &c.plans {
            let book = self.plan_book();
            let mut plans = BTreeSet::new();
            for id in p.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
                if book.get(id).is_none() {
                    return Err(field("plans", format!("no plan {id:?}")));
                }
                plans.insert(id.to_owned());
            }
            m.plans = plans.into_iter().collect::<Vec<_>>().join(" ");
        }
        if let Some(v) = &c.visibility {
            let v = ProductVisibility::parse(v.trim()).ok_or_else(|| field("visibility", "public, on_request or hidden"))?;
            m.visibility = v.as_str().into();
        }
        Ok(())
    }

    /// Every product, archived ones too, in listing order.
    pub async fn list_products(&self) -> Result<Vec<ProductView>, CoreError> {
        let rows = product::Entity::find().order_by_asc(product::Column::Position).order_by_asc(product::Column::Name).all(&self.db).await?;
        Ok(rows.iter().map(view).collect())
    }

    /// Creates a product (`name` and `scopes` required).
    pub async fn create_product(&self, id: &str, c: &ProductChanges, actor: &str, meta: &RequestMeta) -> Result<ProductView, CoreError> {
        crate::services::plans::check_plan_id(id).map_err(|e| match e {
            CoreError::Invalid(f) => field("id", f.message.replace("plan id", "product id")),
            e => e,
        })?;
        if c.name.is_none() || c.scopes.is_none() {
            return Err(field(if c.name.is_none() { "name" } else { "scopes" }, "required for a new product"));
        }
        let now = self.now();
        let mut m = product::Model {
            id: id.to_owned(),
            name: String::new(),
            description: None,
            docs_path: None,
            scopes: String::new(),
            plans: String::new(),
            visibility: ProductVisibility::Public.as_str().into(),
            position: 0,
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        self.apply_product(&mut m, c)?;
        let txn = self.begin_write().await?;
        if product::Entity::find_by_id(id).one(&txn).await?.is_some() {
            return Err(field("id", format!("a product {id:?} already exists (archived products keep their id): choose another")));
        }
        product::Entity::insert(m.clone().into_active_model()).exec(&txn).await?;
        self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::ProductSaved, id).with_detail(format!("{} created", m.name))).await?;
        txn.commit().await?;
        Ok(view(&m))
    }

    /// Changes a product; teams' keys keep the scopes they hold.
    pub async fn update_product(&self, id: &str, c: &ProductChanges, actor: &str, meta: &RequestMeta) -> Result<ProductView, CoreError> {
        let txn = self.begin_write().await?;
        let mut m = product::Entity::find_by_id(id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        self.apply_product(&mut m, c)?;
        m.updated_at = self.now();
        m.clone().into_active_model().reset_all().update(&txn).await?;
        self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::ProductSaved, id).with_detail(format!("{} changed", m.name))).await?;
        txn.commit().await?;
        Ok(view(&m))
    }

    /// Archives a product: it leaves the catalogue and grants nothing more; nothing is
    /// deleted, and keys keep the scopes they hold.
    pub async fn archive_product(&self, id: &str, actor: &str, meta: &RequestMeta) -> Result<ProductView, CoreError> {
        let txn = self.begin_write().await?;
        let mut m = product::Entity::find_by_id(id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        if m.archived_at.is_some() {
            return Err(CoreError::Conflict(format!("{} is already archived.", m.name)));
        }
        m.archived_at = Some(self.now());
        m.clone().into_active_model().reset_all().update(&txn).await?;
        self.audit(&txn, meta, AuditEntry::site(actor, AuditAction::ProductSaved, id).with_detail(format!("{} archived", m.name))).await?;
        txn.commit().await?;
        Ok(view(&m))
    }

    /// The latest request of each product for a team.
    async fn team_access<C: ConnectionTrait>(&self, db: &C, team_id: &str) -> Result<HashMap<String, product_access::Model>, CoreError> {
        let mut latest = HashMap::new();
        for a in product_access::Entity::find().filter(product_access::Column::TeamId.eq(team_id)).order_by_asc(product_access::Column::RequestedAt).all(db).await? {
            latest.insert(a.product_id.clone(), a);
        }
        Ok(latest)
    }

    /// How a team has `p`, if it does.
    fn has_product(p: &product::Model, plan_id: &str, access: Option<&product_access::Model>) -> Option<&'static str> {
        if p.archived_at.is_some() {
            return None;
        }
        if p.visibility == ProductVisibility::Public.as_str() {
            Some("every team")
        } else if words(&p.plans).iter().any(|x| x == plan_id) {
            Some("your plan")
        } else if access.is_some_and(|a| a.status == "approved") {
            Some("approved")
        } else {
            None
        }
    }

    /// The scopes a team's keys may hold: every scope of the portal but those of products
    /// the team does not have. `None` when there are no products (everything is open).
    pub(crate) async fn allowed_scopes<C: ConnectionTrait>(&self, db: &C, team_id: &str) -> Result<Option<(Vec<String>, HashMap<String, String>)>, CoreError> {
        let products = product::Entity::find().filter(product::Column::ArchivedAt.is_null()).all(db).await?;
        if products.is_empty() {
            return Ok(None);
        }
        let (_, plan) = self.team_plan(db, team_id).await?;
        let access = self.team_access(db, team_id).await?;
        let mut granted = BTreeSet::new();
        // Which product a restricted scope comes from, for the refusal.
        let mut from: HashMap<String, String> = HashMap::new();
        for p in &products {
            let has = Self::has_product(p, &plan.id, access.get(&p.id)).is_some();
            for s in words(&p.scopes) {
                if has {
                    granted.insert(s.clone());
                }
                from.entry(s).or_insert_with(|| p.name.clone());
            }
        }
        let allowed = self.settings().scopes.iter().filter(|s| granted.contains(*s) || !from.contains_key(*s)).cloned().collect();
        from.retain(|s, _| !granted.contains(s));
        Ok(Some((allowed, from)))
    }

    /// Refuses scopes of products the team does not have, naming the product.
    pub(crate) async fn check_team_scopes<C: ConnectionTrait>(&self, db: &C, team_id: &str, scopes: &[String]) -> Result<(), CoreError> {
        let Some((allowed, locked)) = self.allowed_scopes(db, team_id).await? else { return Ok(()) };
        if let Some(s) = scopes.iter().find(|s| !allowed.contains(s)) {
            let product = locked.get(s).cloned().unwrap_or_else(|| "a product".into());
            return Err(field("scopes", format!("“{s}” comes with {product}, which your team does not have: ask for it in the catalogue.")));
        }
        Ok(())
    }

    /// The caller's team's catalogue: public products, those offered on request, and hidden
    /// ones the team has; each with where the team stands.
    pub async fn catalogue(&self, caller: &Caller) -> Result<CatalogueView, CoreError> {
        caller.require(Action::ViewKeys)?;
        let (_, plan) = self.team_plan(&self.db, &caller.team.id).await?;
        let access = self.team_access(&self.db, &caller.team.id).await?;
        let rows = product::Entity::find()
            .filter(product::Column::ArchivedAt.is_null())
            .order_by_asc(product::Column::Position)
            .order_by_asc(product::Column::Name)
            .all(&self.db)
            .await?;
        let mut entries = Vec::new();
        for p in rows {
            let a = access.get(&p.id);
            let status = match Self::has_product(&p, &plan.id, a) {
                Some(how) => ProductAccessStatus::Included { how: how.into() },
                None if p.visibility == ProductVisibility::OnRequest.as_str() => match a {
                    Some(a) if a.status == "requested" => ProductAccessStatus::Requested { at: a.requested_at },
                    Some(a) if a.status == "denied" => ProductAccessStatus::Denied { reason: a.decision_reason.clone().unwrap_or_default() },
                    _ => ProductAccessStatus::Available,
                },
                None => continue,
            };
            entries.push(CatalogueEntry { product: view(&p), status });
        }
        Ok(CatalogueView { entries, can_request: crate::roles::allowed(caller.role, Action::CreateKey) })
    }

    /// Asks for a product offered on request, with a reason; the operator decides.
    pub async fn request_product(&self, caller: &Caller, product_id: &str, reason: &str, meta: &RequestMeta) -> Result<(), CoreError> {
        caller.require(Action::CreateKey)?;
        let reason = reason.trim();
        if reason.chars().count() < 10 || reason.chars().count() > 500 {
            return Err(field("reason", "Say in 10 to 500 characters what you will use it for."));
        }
        let txn = self.begin_write().await?;
        crate::services::members::lock_team(&txn, &caller.team.id).await?;
        let p = product::Entity::find_by_id(product_id)
            .one(&txn)
            .await?
            .filter(|p| p.archived_at.is_none() && p.visibility == ProductVisibility::OnRequest.as_str())
            .ok_or_else(|| field("product", "Choose a product offered on request."))?;
        let (_, plan) = self.team_plan(&txn, &caller.team.id).await?;
        let access = self.team_access(&txn, &caller.team.id).await?;
        if Self::has_product(&p, &plan.id, access.get(&p.id)).is_some() {
            return Err(CoreError::Conflict(format!("Your team already has {}.", p.name)));
        }
        if access.get(&p.id).is_some_and(|a| a.status == "requested") {
            return Err(CoreError::Conflict(format!("{} was already asked for: the provider is looking at it.", p.name)));
        }
        let row = product_access::Model {
            id: crate::crypto::new_id("pa"),
            team_id: caller.team.id.clone(),
            product_id: p.id.clone(),
            status: "requested".into(),
            reason: reason.to_owned(),
            requested_by: caller.user.email.clone(),
            requested_at: self.now(),
            decided_by: None,
            decided_at: None,
            decision_reason: None,
        };
        product_access::Entity::insert(row.clone().into_active_model()).exec(&txn).await?;
        self.audit(&txn, meta, caller.entry(AuditAction::ProductRequested, ("product", &p.id)).with_detail(format!("{}: {reason}", p.name))).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Requests for products, oldest first: those waiting, or all.
    pub async fn product_requests(&self, waiting_only: bool) -> Result<Vec<ProductRequestView>, CoreError> {
        let mut q = product_access::Entity::find();
        if waiting_only {
            q = q.filter(product_access::Column::Status.eq("requested"));
        }
        let rows = q.order_by_asc(product_access::Column::RequestedAt).limit(500).all(&self.db).await?;
        let names: HashMap<String, String> = product::Entity::find().all(&self.db).await?.into_iter().map(|p| (p.id, p.name)).collect();
        let teams: HashMap<String, String> = team::Entity::find()
            .filter(team::Column::Id.is_in(rows.iter().map(|r| r.team_id.clone())))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| ProductRequestView {
                team_name: teams.get(&r.team_id).cloned().unwrap_or_default(),
                product_name: names.get(&r.product_id).cloned().unwrap_or_default(),
                id: r.id,
                team_id: r.team_id,
                product_id: r.product_id,
                status: r.status,
                reason: r.reason,
                requested_by: r.requested_by,
                requested_at: r.requested_at,
                decided_by: r.decided_by,
                decision_reason: r.decision_reason,
            })
            .collect())
    }

    /// Approves or denies a waiting request (a denial needs a reason); the requester is
    /// emailed and the team's trail records it. Approved, the team's keys may take the
    /// product's scopes at once.
    pub async fn decide_product_request(&self, id: &str, approve: bool, reason: Option<&str>, actor: &str, meta: &RequestMeta) -> Result<ProductRequestView, CoreError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if !approve && reason.is_none() {
            return Err(field("reason", "Say why it is denied: the team reads it."));
        }
        if reason.is_some_and(|r| r.chars().count() > 500 || r.chars().any(|c| c.is_control() && c != '\n')) {
            return Err(field("reason", "At most 500 characters."));
        }
        let txn = self.begin_write().await?;
        let a = product_access::Entity::find_by_id(id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        if a.status != "requested" {
            return Err(CoreError::Conflict(format!("That request was already {}.", a.status)));
        }
        let status = if approve { "approved" } else { "denied" };
        let claimed = product_access::Entity::update_many()
            .col_expr(product_access::Column::Status, sea_orm::sea_query::Expr::value(status))
            .col_expr(product_access::Column::DecidedBy, sea_orm::sea_query::Expr::value(actor))
            .col_expr(product_access::Column::DecidedAt, sea_orm::sea_query::Expr::value(self.now()))
            .col_expr(product_access::Column::DecisionReason, sea_orm::sea_query::Expr::value(reason.map(str::to_owned)))
            .filter(product_access::Column::Id.eq(id))
            .filter(product_access::Column::Status.eq("requested"))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CoreError::Conflict("That request was decided meanwhile.".into()));
        }
        let p = product::Entity::find_by_id(&a.product_id).one(&txn).await?.ok_or(CoreError::NotFound)?;
        let action = if approve { AuditAction::ProductApproved } else { AuditAction::ProductDenied };
        let detail = match reason {
            Some(r) => format!("{}: {r}", p.name),
            None => p.name.clone(),
        };
        self.audit(&txn, meta, AuditEntry::for_team(&a.team_id, Some(actor), action, ("product", &p.id)).with_detail(detail)).await?;
        let team_name = team::Entity::find_by_id(&a.team_id).one(&txn).await?.map(|t| t.name).unwrap_or_default();
        let base = self.settings().base_url.trim_end_matches('/').to_owned();
        let content = ProductDecision {
            product: p.name.clone(),
            team: team_name,
            approved: approve,
            reason: reason.map(str::to_owned),
            scopes: words(&p.scopes),
            catalogue_url: format!("{base}/portal/catalogue"),
        };
        self.enqueue_email(&txn, NewEmail { team_id: Some(&a.team_id), to: &a.requested_by, content: EmailContent::ProductDecision(content) }).await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(self.product_requests(false).await?.into_iter().find(|r| r.id == id).ok_or(CoreError::NotFound)?)
    }
}
