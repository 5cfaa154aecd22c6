//! The command line: `keyport [serve]`, `keyport migrate`, `keyport demo`, `keyport tokens create`,
//! `keyport keys pending|approve|deny`.

use crate::config::{Settings, ENV_VARS};
use crate::startup::{build_services, open_database, Application};
use clap::{Parser, Subcommand};
use keyport_core::clock::SystemClock;
use keyport_core::services::demo::DEMO_EMAIL;
use keyport_core::Services;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

fn env_help() -> String {
    let mut s = String::from("Environment variables:\n");
    for (k, v) in ENV_VARS {
        s.push_str(&format!("  {k:<38} {v}\n"));
    }
    s
}

/// Keyport: a self-hosted developer portal and API-key service.
#[derive(Parser, Debug)]
#[command(name = "keyport", version, about, after_help = env_help())]
pub struct Cli {
    /// Settings file (TOML). Environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the portal and the /v1 API (applies migrations first).
    Serve {
        /// Load the demo into a fresh install if it is not there yet, and keep its traffic
        /// flowing while the portal runs.
        #[arg(long, env = "KEYPORT_DEMO", value_parser = crate::config::parse_flag)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Copy the SQLite database to FILE while Keyport serves (a consistent snapshot, checked
    /// intact). PostgreSQL: use pg_dump.
    Backup {
        /// Where to write it (a new file).
        file: PathBuf,
    },
    /// Replace the SQLite database with a backup; every node must be stopped. The database it
    /// replaces is kept beside it.
    Restore {
        /// The backup to restore.
        file: PathBuf,
    },
    /// Manage operator tokens (used by your backend to call /v1).
    Tokens {
        /// Token action.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Fill a fresh install with a demo account, team, keys and 30 days of traffic.
    Demo,
    /// Settings changed while Keyport runs: branding, sign-up, key policies (stored in the
    /// database, in effect on every node within a second).
    Settings {
        /// Setting action.
        #[command(subcommand)]
        action: SettingAction,
    },
    /// Operator admins: portal accounts that may open the admin console (/admin).
    Admin {
        /// Admin action.
        #[command(subcommand)]
        action: AdminAction,
    },
    /// The API's OpenAPI document shown in the portal's docs: import, history, rollback.
    Docs {
        /// Document action.
        #[command(subcommand)]
        action: DocsAction,
    },
    /// Plans teams may be on: price, included requests, overage, limits, features.
    Plans {
        /// Plan action.
        #[command(subcommand)]
        action: PlanAction,
    },
    /// The API catalogue: products (the scopes they grant, the plans that include them) and
    /// teams' requests for those offered on request.
    Products {
        /// Product action.
        #[command(subcommand)]
        action: ProductAction,
    },
    /// Invoices: list, show (and save the PDF), mark paid, void and reissue, close the month.
    Invoices {
        /// Invoice action.
        #[command(subcommand)]
        action: InvoiceAction,
    },
    /// Review keys that wait for approval (KEYPORT_APPROVAL_LIVE / KEYPORT_APPROVAL_SCOPES).
    Keys {
        /// Key action.
        #[command(subcommand)]
        action: KeyAction,
    },
}

/// Operator admin actions.
#[derive(Subcommand, Debug)]
pub enum AdminAction {
    /// Make the account with this email an operator admin (it must have signed up).
    Grant {
        /// The account's email address.
        email: String,
    },
    /// Take the operator admin role away from this account.
    Revoke {
        /// The account's email address.
        email: String,
    },
    /// List the operator admins.
    List,
}

/// Operator key actions.
#[derive(Subcommand, Debug)]
pub enum KeyAction {
    /// List keys waiting for approval, in every team.
    Pending,
    /// Approve a pending key; it works from the next request.
    Approve {
        /// The key's id (key_…).
        id: String,
        /// An optional note for the requester.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Deny a pending key; the requester is told why.
    Deny {
        /// The key's id (key_…).
        id: String,
        /// Why (sent to the requester).
        #[arg(long)]
        reason: String,
    },
}

/// A plan's terms as options; what is not given stays as it is (on create: its default).
#[derive(clap::Args, Debug, Default)]
pub struct PlanTerms {
    /// Its name, as the portal shows it.
    #[arg(long)]
    name: Option<String>,
    /// A line on what it is for (empty removes it).
    #[arg(long)]
    description: Option<String>,
    /// Price per month in major units (49 or 49.00); 0 for free.
    #[arg(long)]
    price: Option<String>,
    /// ISO currency code (USD, EUR, JPY …); a new plan takes the default plan's.
    #[arg(long)]
    currency: Option<String>,
    /// Valid requests included per month.
    #[arg(long)]
    included: Option<String>,
    /// Past the included requests: `stop` (refused with USAGE_EXCEEDED, the default) or the
    /// price per 1,000 requests (0.50).
    #[arg(long)]
    overage: Option<String>,
    /// The highest rate limit per minute a key may use, or `none`.
    #[arg(long)]
    ratelimit_cap: Option<String>,
    /// The most working keys a team may have, or `none` (then KEYPORT_MAX_KEYS_PER_TEAM).
    #[arg(long)]
    max_keys: Option<String>,
    /// Feature names, comma-separated (replaces the list). Keyport locks live_keys,
    /// request_log and usage_export; other names are yours, returned by verify.
    #[arg(long)]
    features: Option<String>,
    /// Days of free trial when a team first takes the plan.
    #[arg(long)]
    trial_days: Option<String>,
    /// `public` (listed on the billing page) or `hidden` (assigned by you).
    #[arg(long)]
    visibility: Option<String>,
    /// Listing order, lowest first.
    #[arg(long)]
    position: Option<String>,
}

impl PlanTerms {
    fn changes(self) -> keyport_core::services::plans::PlanChanges {
        keyport_core::services::plans::PlanChanges {
            name: self.name,
            description: self.description,
            price: self.price,
            currency: self.currency,
            included: self.included,
            overage: self.overage,
            ratelimit_cap: self.ratelimit_cap,
            max_keys: self.max_keys,
            features: self.features,
            trial_days: self.trial_days,
            visibility: self.visibility,
            position: self.position,
        }
    }
}

/// Plan actions.
#[derive(Subcommand, Debug)]
pub enum PlanAction {
    /// Every plan with its terms and how many teams are on it.
    List,
    /// Creates a plan (`--name` and `--included` are required).
    Create {
        /// Its id, fixed once created (lowercase letters, digits, -).
        id: String,
        #[command(flatten)]
        terms: PlanTerms,
    },
    /// Changes a plan's terms; teams on it have them from the next request.
    Update {
        /// The plan's id.
        id: String,
        #[command(flatten)]
        terms: PlanTerms,
    },
    /// Archives a plan: nobody can move to it any more; teams on it stay. Plans are never deleted.
    Archive {
        /// The plan's id.
        id: String,
    },
    /// Makes a plan the one new teams get (teams on the old default stay there).
    Default {
        /// The plan's id.
        id: String,
    },
    /// Puts a team on a plan at once, without a charge.
    Assign {
        /// The team's id (see the console's Teams page).
        #[arg(long)]
        team: String,
        /// The plan's id.
        plan: String,
    },
}

fn print_plan(p: &keyport_core::dto::billing::PlanView) {
    use keyport_core::dto::thousands;
    let cap = |v: Option<i64>| v.map(thousands).unwrap_or_else(|| "-".into());
    let overage = match p.overage_per_1000_minor {
        None => "stop".to_owned(),
        Some(o) => format!("{}/1000", keyport_core::dto::billing::format_money(o, &p.currency)),
    };
    let mut marks = Vec::new();
    if p.is_default {
        marks.push("default");
    }
    if p.archived {
        marks.push("archived");
    }
    marks.push(p.visibility.as_str());
    println!(
        "{:<16} {:<20} {:>16}  included {:>14}  past it {:<16} rate cap {:>8}  keys {:>6}  trial {:>3}d  teams {:>5}  [{}]  features: {}",
        p.id,
        p.name,
        keyport_core::dto::billing::format_money(p.price_minor, &p.currency),
        thousands(p.included_requests),
        overage,
        cap(p.ratelimit_cap),
        cap(p.max_keys),
        p.trial_days,
        p.teams,
        marks.join(", "),
        if p.features.is_empty() { "-".to_owned() } else { p.features.join(" ") }
    );
}

/// `keyport plans …`.
async fn run_plans(svc: &Services, action: PlanAction) -> Result<(), Box<dyn std::error::Error>> {
    let meta = keyport_core::services::audit::RequestMeta::new("cli", "keyport plans");
    let refused = |e: keyport_core::CoreError| -> Box<dyn std::error::Error> {
        match e {
            keyport_core::CoreError::Conflict(m) => Box::new(Refused(m)),
            e => refusal(e, "--", "no such plan or team (see keyport plans list)"),
        }
    };
    match action {
        PlanAction::List => {
            for p in svc.list_plans().await? {
                print_plan(&p);
            }
        }
        PlanAction::Create { id, terms } => {
            let p = svc.create_plan(&id, &terms.changes(), "cli", &meta).await.map_err(refused)?;
            print_plan(&p);
        }
        PlanAction::Update { id, terms } => {
            svc.update_plan(&id, &terms.changes(), "cli", &meta).await.map_err(refused)?;
            print_plan(&svc.get_plan(&id).await?);
        }
        PlanAction::Archive { id } => {
            let p = svc.archive_plan(&id, "cli", &meta).await.map_err(refused)?;
            println!("Archived {} ({}): {} teams stay on it; nobody can move to it any more.", p.name, p.id, p.teams);
        }
        PlanAction::Default { id } => {
            let p = svc.set_default_plan(&id, "cli", &meta).await.map_err(refused)?;
            println!("New teams get {} ({}).", p.name, p.id);
        }
        PlanAction::Assign { team, plan } => {
            let p = svc.assign_plan(&team, &plan, "cli", &meta).await.map_err(refused)?;
            println!("Team {team} is on {} ({}) from its next request.", p.name, p.id);
        }
    }
    Ok(())
}

/// A product's terms as options (each left out stays as it is).
#[derive(clap::Args, Debug, Default)]
pub struct ProductTerms {
    /// Its name.
    #[arg(long)]
    name: Option<String>,
    /// What it is for (empty removes it).
    #[arg(long)]
    description: Option<String>,
    /// Its docs: a path of the portal's docs (/portal/docs#tag-payments; empty removes it).
    #[arg(long)]
    docs: Option<String>,
    /// The scopes it grants keys, separated by commas (of keys.scopes).
    #[arg(long)]
    scopes: Option<String>,
    /// The plans that include it, separated by commas.
    #[arg(long)]
    plans: Option<String>,
    /// public (every team has it), on_request (asked for, then approved) or hidden (through a plan only).
    #[arg(long)]
    visibility: Option<String>,
}

impl ProductTerms {
    fn changes(self) -> keyport_core::services::billing::catalogue::ProductChanges {
        keyport_core::services::billing::catalogue::ProductChanges {
            name: self.name,
            description: self.description,
            docs_path: self.docs,
            scopes: self.scopes,
            plans: self.plans,
            visibility: self.visibility,
        }
    }
}

/// Product actions.
#[derive(Subcommand, Debug)]
pub enum ProductAction {
    /// Every product with its scopes, plans and visibility.
    List,
    /// Creates a product (`--name` and `--scopes` are required).
    Create {
        /// Its id (lowercase letters, digits, -).
        id: String,
        #[command(flatten)]
        terms: ProductTerms,
    },
    /// Changes a product (keys keep the scopes they hold).
    Update {
        /// The product's id.
        id: String,
        #[command(flatten)]
        terms: ProductTerms,
    },
    /// Takes a product out of the catalogue; it grants nothing more. Never deleted.
    Archive {
        /// The product's id.
        id: String,
    },
    /// Teams' requests for products: those waiting (--all: every one).
    Requests {
        /// Decided ones too.
        #[arg(long)]
        all: bool,
    },
    /// Approves a request: the team's keys may take the product's scopes at once.
    Approve {
        /// The request's id (see keyport products requests).
        id: String,
        /// A note for the team.
        #[arg(long)]
        note: Option<String>,
    },
    /// Denies a request, with the reason the team reads.
    Deny {
        /// The request's id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

fn print_product(p: &keyport_core::dto::billing::ProductView) {
    println!(
        "{:<16} {:<24} {:<10} scopes: {:<30} plans: {}{}",
        p.id,
        p.name,
        p.visibility.as_str(),
        p.scopes.join(" "),
        if p.plans.is_empty() { "-".to_owned() } else { p.plans.join(" ") },
        if p.archived { "  (archived)" } else { "" }
    );
}

async fn run_products(svc: &Services, action: ProductAction) -> Result<(), Box<dyn std::error::Error>> {
    let meta = keyport_core::services::audit::RequestMeta::new("cli", "keyport products");
    let refused = |e: keyport_core::CoreError| -> Box<dyn std::error::Error> {
        match e {
            keyport_core::CoreError::Conflict(m) => Box::new(Refused(m)),
            e => refusal(e, "--", "no such product or request (see keyport products list / requests)"),
        }
    };
    match action {
        ProductAction::List => {
            let list = svc.list_products().await?;
            if list.is_empty() {
                println!("No products: every scope is open to every key.");
            }
            for p in &list {
                print_product(p);
            }
        }
        ProductAction::Create { id, terms } => print_product(&svc.create_product(&id, &terms.changes(), "cli", &meta).await.map_err(refused)?),
        ProductAction::Update { id, terms } => print_product(&svc.update_product(&id, &terms.changes(), "cli", &meta).await.map_err(refused)?),
        ProductAction::Archive { id } => {
            let p = svc.archive_product(&id, "cli", &meta).await.map_err(refused)?;
            println!("Archived {} ({}): it grants nothing more; keys keep the scopes they hold.", p.name, p.id);
        }
        ProductAction::Requests { all } => {
            let list = svc.product_requests(!all).await?;
            if list.is_empty() {
                println!("No requests waiting.");
            }
            for r in &list {
                println!("{:<30} {:<9} {:<20} {:<24} {} — {}", r.id, r.status, r.product_name, r.team_name, r.requested_by, r.reason);
            }
        }
        ProductAction::Approve { id, note } => {
            let r = svc.decide_product_request(&id, true, note.as_deref(), "cli", &meta).await.map_err(refused)?;
            println!("Approved: {} has {} from now on.", r.team_name, r.product_name);
        }
        ProductAction::Deny { id, reason } => {
            let r = svc.decide_product_request(&id, false, Some(&reason), "cli", &meta).await.map_err(refused)?;
            println!("Denied: {} does not get {}; {} is emailed why.", r.team_name, r.product_name, r.requested_by);
        }
    }
    Ok(())
}

/// An invoice number as typed: `42` or `INV-000042`.
fn invoice_number(s: &str) -> Result<i64, String> {
    let digits = s.trim().trim_start_matches("INV-").trim_start_matches("inv-");
    digits.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| format!("{s:?} is not an invoice number (42 or INV-000042)"))
}

/// Invoice actions.
#[derive(Subcommand, Debug)]
pub enum InvoiceAction {
    /// Invoices, newest first (200 at most).
    List {
        /// Only these: draft, open (due), paid or void.
        #[arg(long)]
        status: Option<String>,
        /// Only this team's (its id).
        #[arg(long)]
        team: Option<String>,
    },
    /// One invoice with its lines; --pdf saves the PDF issued.
    Show {
        /// Its number (42 or INV-000042).
        #[arg(value_parser = invoice_number)]
        number: i64,
        /// Where to save its PDF.
        #[arg(long)]
        pdf: Option<std::path::PathBuf>,
    },
    /// Marks a due invoice paid (the manual provider: the money arrived).
    Pay {
        /// Its number.
        #[arg(value_parser = invoice_number)]
        number: i64,
        /// A note kept with it (a transfer reference, say).
        #[arg(long)]
        note: Option<String>,
    },
    /// Voids a due invoice; --reissue issues its correction at once with a new number.
    Void {
        /// Its number.
        #[arg(value_parser = invoice_number)]
        number: i64,
        /// Why (kept with it and shown on it).
        #[arg(long)]
        reason: String,
        /// Issue the correction: the same lines, to the billing contact as it is now.
        #[arg(long)]
        reissue: bool,
        /// With --reissue: a credit off the lines, in the invoice's currency (12.50).
        #[arg(long, requires = "reissue")]
        credit: Option<String>,
        /// What the credit is for.
        #[arg(long, requires = "credit")]
        credit_description: Option<String>,
    },
    /// Closes the month that ended now (the worker does it two minutes after a month ends).
    Close,
    /// Bills a team's month so far now (a team that leaves, say); the month's close then
    /// leaves it alone for that month.
    Issue {
        /// The team's id.
        #[arg(long)]
        team: String,
    },
}

fn print_invoice(v: &keyport_core::dto::billing::InvoiceView) {
    use keyport_core::dto::billing::{format_money, period_label};
    println!(
        "{:<12} {:<15} {:<6} {:>16}  {}  ({})",
        v.number_label(),
        period_label(&v.period),
        v.status.as_str(),
        format_money(v.total_minor, &v.currency),
        v.team_name,
        v.id
    );
}

async fn run_invoices(svc: &Services, action: InvoiceAction) -> Result<(), Box<dyn std::error::Error>> {
    use keyport_core::dto::billing::{format_money, InvoiceStatus};
    let meta = keyport_core::services::audit::RequestMeta::new("cli", "keyport invoices");
    let refused = |e: keyport_core::CoreError| -> Box<dyn std::error::Error> {
        match e {
            keyport_core::CoreError::Conflict(m) => Box::new(Refused(m)),
            e => refusal(e, "--", "no such invoice (see keyport invoices list)"),
        }
    };
    match action {
        InvoiceAction::List { status, team } => {
            let status = match status.as_deref() {
                None => None,
                Some(s) => Some(InvoiceStatus::parse(s).ok_or_else(|| Refused(format!("--status: {s:?} is not one of draft, open, paid, void")))?),
            };
            let list = svc.list_invoices(status, team.as_deref()).await?;
            if list.is_empty() {
                println!("No invoices.");
            }
            for v in &list {
                print_invoice(v);
            }
        }
        InvoiceAction::Show { number, pdf } => {
            let (v, bytes) = svc.invoice_by_number(number).await.map_err(refused)?;
            print_invoice(&v);
            println!("  to {}{}", v.bill_to.name, v.bill_to.email.as_ref().map(|e| format!(" <{e}>")).unwrap_or_default());
            for l in &v.lines {
                println!("  {:<70} {:>16}", l.description, format_money(l.amount_minor, &v.currency));
            }
            println!("  {:<70} {:>16}", "Tax", format_money(v.tax_minor, &v.currency));
            println!("  {:<70} {:>16}", "Total", format_money(v.total_minor, &v.currency));
            if let Some(r) = &v.void_reason {
                println!("  void: {r}{}", v.replaced_by.map(|n| format!(" (replaced by {})", keyport_core::dto::billing::invoice_number_label(n))).unwrap_or_default());
            }
            if let Some(path) = pdf {
                std::fs::write(&path, &bytes)?;
                println!("Saved the PDF ({} bytes) to {}.", bytes.len(), path.display());
            }
        }
        InvoiceAction::Pay { number, note } => {
            let v = svc.mark_invoice_paid(number, note.as_deref(), "cli", &meta).await.map_err(refused)?;
            println!("{} is paid ({}).", v.number_label(), format_money(v.total_minor, &v.currency));
        }
        InvoiceAction::Void { number, reason, reissue, credit, credit_description } => {
            let reissue = reissue.then_some(keyport_core::services::billing::invoices::Reissue { credit, credit_description });
            let (old, new) = svc.void_invoice(number, &reason, reissue, "cli", &meta).await.map_err(refused)?;
            println!("{} is void.", old.number_label());
            if let Some(n) = new {
                println!("Issued {} in its place: {}.", n.number_label(), format_money(n.total_minor, &n.currency));
            }
        }
        InvoiceAction::Issue { team } => {
            let n = svc.issue_now(&team, "cli").await.map_err(|e| match e {
                keyport_core::CoreError::NotFound => Box::new(Refused(format!("--team: no team {team:?}"))) as Box<dyn std::error::Error>,
                e => refused(e),
            })?;
            let (v, _) = svc.invoice_by_number(n).await?;
            println!("Issued {} to {}: {}.", v.number_label(), v.team_name, format_money(v.total_minor, &v.currency));
        }
        InvoiceAction::Close => {
            let issued = svc.close_billing_periods().await?;
            println!("{} invoices issued.", issued.len());
        }
    }
    Ok(())
}

/// API document actions.
#[derive(Subcommand, Debug)]
pub enum DocsAction {
    /// Checks an OpenAPI 3.0 or 3.1 document (YAML or JSON) and puts it in effect as the next
    /// version; a refused one changes nothing (exit status 2, with where and why).
    Import {
        /// The document's file.
        file: std::path::PathBuf,
    },
    /// Every imported version, newest first; `*` marks the one in effect.
    List,
    /// Puts the version before the one in effect back (or the one given with --to).
    Rollback {
        /// The version to put back in effect.
        #[arg(long)]
        to: Option<i64>,
    },
    /// The operator's own guides, Markdown pages shown beside the reference.
    Page {
        #[command(subcommand)]
        action: DocsPageAction,
    },
}

/// Docs guide actions.
#[derive(Subcommand, Debug)]
pub enum DocsPageAction {
    /// Adds a guide from a Markdown file, or replaces the guide of the same title.
    Add {
        /// Its title (its link is made from it: "Getting started" → #guide-getting-started).
        #[arg(long)]
        title: String,
        /// The Markdown file (CommonMark with tables; HTML in it is sanitized).
        #[arg(long)]
        file: std::path::PathBuf,
        /// Where it goes among the guides, lowest first (a new guide goes last otherwise).
        #[arg(long)]
        position: Option<i64>,
    },
    /// Every guide, in the order the docs show them.
    List,
    /// Removes a guide.
    Remove {
        /// The guide's slug, as `keyport docs page list` shows it.
        slug: String,
    },
}

/// `keyport docs page …`.
async fn run_doc_pages(svc: &Services, action: DocsPageAction, meta: &keyport_core::services::audit::RequestMeta) -> Result<(), Box<dyn std::error::Error>> {
    use keyport_core::services::provider::docs::MAX_GUIDE_BYTES;
    let refused = |e: keyport_core::CoreError| -> Box<dyn std::error::Error> {
        match e {
            keyport_core::CoreError::Conflict(m) => Box::new(Refused(m)),
            e => refusal(e, "--", "no guide has this slug (see keyport docs page list)"),
        }
    };
    match action {
        DocsPageAction::Add { title, file, position } => {
            let size = std::fs::metadata(&file).map_err(|e| Refused(format!("{}: {e}", file.display())))?.len();
            if size > MAX_GUIDE_BYTES as u64 {
                return Err(Box::new(Refused(format!("{}: {size} bytes; a guide has at most {} KB of Markdown; nothing changed", file.display(), MAX_GUIDE_BYTES / 1024))));
            }
            let bytes = std::fs::read(&file).map_err(|e| Refused(format!("{}: {e}", file.display())))?;
            let body = String::from_utf8(bytes).map_err(|_| Refused(format!("{}: not UTF-8 text; nothing changed", file.display())))?;
            let (page, created) = svc.save_doc_page(&title, &body, position, "cli", meta).await.map_err(refused)?;
            println!(
                "{} guide “{}” (position {}): on every node's docs at /portal/docs#guide-{}.",
                if created { "Added" } else { "Replaced" },
                page.title,
                page.position,
                page.slug
            );
        }
        DocsPageAction::List => {
            let pages = svc.doc_pages().await?;
            if pages.is_empty() {
                println!("No guides yet: keyport docs page add --title TITLE --file FILE.md");
            }
            for p in pages {
                println!("{:>4}  {:<40} {}  {} bytes  {} by {}", p.position, p.slug, p.title, p.body.len(), p.updated_at.format("%Y-%m-%d %H:%M"), p.updated_by);
            }
        }
        DocsPageAction::Remove { slug } => {
            let p = svc.remove_doc_page(&slug, "cli", meta).await.map_err(refused)?;
            println!("Removed guide “{}”.", p.title);
        }
    }
    Ok(())
}

/// Setting actions.
#[derive(Subcommand, Debug)]
pub enum SettingAction {
    /// Every setting, its value in effect and whether it is stored or the default.
    List,
    /// One setting's value in effect.
    Get {
        /// The setting (e.g. portal.app_name).
        key: String,
    },
    /// Checks and stores a value; a refused one changes nothing (exit status 2).
    Set {
        /// The setting (e.g. custom.primary_color).
        key: String,
        /// Its new value.
        value: String,
        /// Store it encrypted under a key derived from the server secret (shown as <encrypted>).
        #[arg(long)]
        encrypted: bool,
    },
    /// Removes a stored value: the default applies again.
    Unset {
        /// The setting.
        key: String,
    },
}

/// A command refused for its input (exit status 2), with a message that names what is wrong.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Operator token actions.
#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Create a token and print it once.
    Create {
        /// A name to recognise the token by (e.g. gateway).
        #[arg(long)]
        name: String,
        /// What it may call: verify, usage, leaks, embed, admin (comma-separated).
        #[arg(long, default_value = "verify,usage,leaks,admin")]
        scopes: String,
        /// How long it works: 90d, 12h, 2w (default: until revoked).
        #[arg(long)]
        expires: Option<String>,
    },
    /// Every token: name, scopes, created, last used, expiry (never the token).
    List,
    /// Revoke a token: refused on every node within a second.
    Revoke {
        /// The token's id (tok_…).
        id: String,
    },
}

/// `90d`, `12h`, `2w` as a duration.
fn parse_lifetime(s: &str) -> Result<chrono::Duration, Refused> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| Refused(format!("--expires: expected a number and a unit like 90d, 12h or 2w, got {s:?}")))?;
    match unit {
        "h" => Ok(chrono::Duration::hours(n)),
        "d" => Ok(chrono::Duration::days(n)),
        "w" => Ok(chrono::Duration::weeks(n)),
        _ => Err(Refused(format!("--expires: the unit is h, d or w, got {s:?}"))),
    }
}

fn init_tracing(filter: &str, format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if format == "json" {
        // The request's span (its id, method and path) on every line logged while it is served.
        fmt.json().with_current_span(true).with_span_list(false).flatten_event(true).try_init()
    } else {
        fmt.try_init()
    };
}

/// Parses the command line and runs it.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("keyport: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&settings.log, &settings.log_format);
    let command = match cli.command {
        Some(c) => c,
        // Plain `keyport` is `keyport serve`, reading KEYPORT_DEMO the same way.
        None => match std::env::var("KEYPORT_DEMO").ok().filter(|v| !v.is_empty()).map(|v| crate::config::parse_flag(&v)).transpose() {
            Ok(demo) => Command::Serve { demo: demo.unwrap_or(false) },
            Err(e) => {
                eprintln!("keyport: KEYPORT_DEMO: {e}");
                return ExitCode::from(2);
            }
        },
    };
    match run(command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyport: {e}");
            if e.downcast_ref::<Refused>().is_some() || e.downcast_ref::<crate::backup::Refusal>().is_some() { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

async fn run(cmd: Command, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        Command::Serve { demo } => {
            tracing::debug!(?settings, "settings");
            // Held while serving: `keyport restore` refuses to swap the file under a live node.
            let _serving = crate::backup::hold_serving_lock(&settings.database_url())?;
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let quota = settings.monthly_quota;
            let app = Application::build(settings).await?;
            if demo {
                let svc = app.services();
                if svc.demo_live().await?.is_some() {
                    println!("The demo is loaded: sign in at {base}/portal/login as {DEMO_EMAIL} (its password was printed when it was loaded).");
                } else {
                    load_demo(&svc, &base, quota).await?;
                }
                if let Some(mut sim) = svc.demo_live().await? {
                    // A second of the demo's traffic every second, counted like real traffic.
                    tokio::spawn(async move {
                        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
                        loop {
                            every.tick().await;
                            sim.tick(&svc);
                        }
                    });
                }
            }
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            open_database(&settings).await?;
            println!("migrations applied");
        }
        Command::Backup { file } => crate::backup::backup(&settings.database_url(), &file).await?,
        Command::Restore { file } => crate::backup::restore(&settings.database_url(), &file).await?,
        Command::Keys { action } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            match action {
                KeyAction::Pending => {
                    let keys = svc.operator_pending_keys().await?;
                    if keys.is_empty() {
                        println!("No keys are waiting for approval.");
                    }
                    for (k, team) in keys {
                        println!("{}  {:<24} {:<5} team {:<24} scopes: {}", k.id, k.name, k.environment, team, k.scopes.join(" "));
                    }
                }
                KeyAction::Approve { id, reason } => {
                    let k = svc.operator_decide_key(&id, true, &reason).await?;
                    println!("Approved {} ({}).", k.id, k.name);
                }
                KeyAction::Deny { id, reason } => {
                    let k = svc.operator_decide_key(&id, false, &reason).await?;
                    println!("Denied {} ({}).", k.id, k.name);
                }
            }
            // The requester's email goes out now, not with the next server start.
            svc.deliver_due_emails().await?;
        }
        Command::Settings { action } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            run_settings(&svc, action).await?;
        }
        Command::Docs { action } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            let meta = keyport_core::services::audit::RequestMeta::new("cli", "keyport docs");
            let refused = |e: keyport_core::CoreError| -> Box<dyn std::error::Error> {
                match e {
                    keyport_core::CoreError::Conflict(m) => Box::new(Refused(m)),
                    keyport_core::CoreError::Invalid(f) if f.field == "document" => Box::new(Refused(format!("the document was refused {}; nothing changed", f.message))),
                    e => refusal(e, "--", "no such version"),
                }
            };
            match action {
                DocsAction::Import { file } => {
                    let size = std::fs::metadata(&file).map_err(|e| Refused(format!("{}: {e}", file.display())))?.len();
                    if size > keyport_core::openapi::MAX_DOCUMENT_BYTES as u64 {
                        return Err(Box::new(Refused(format!("{}: {size} bytes; the most accepted is 5 MB; nothing changed", file.display()))));
                    }
                    let bytes = std::fs::read(&file).map_err(|e| Refused(format!("{}: {e}", file.display())))?;
                    let v = svc.import_document(&bytes, "cli", &meta).await.map_err(refused)?;
                    println!("Imported version {}: {} {} (OpenAPI {}, {} operations); in effect on every node now.", v.version, v.title, v.api_version, v.openapi, v.operations);
                }
                DocsAction::List => {
                    let versions = svc.document_versions().await?;
                    if versions.is_empty() {
                        println!("No document imported yet: keyport docs import FILE.");
                    }
                    for v in versions {
                        println!(
                            "{} v{:<4} {}  {} {}  OpenAPI {}  {} operations  {} {} bytes  by {}",
                            if v.active { "*" } else { " " },
                            v.version,
                            v.created_at.format("%Y-%m-%d %H:%M"),
                            v.title,
                            v.api_version,
                            v.openapi,
                            v.operations,
                            v.format,
                            v.bytes,
                            v.created_by
                        );
                    }
                }
                DocsAction::Rollback { to } => {
                    let v = svc.rollback_document(to, "cli", &meta).await.map_err(refused)?;
                    println!("Version {} ({} {}) is in effect again.", v.version, v.title, v.api_version);
                }
                DocsAction::Page { action } => run_doc_pages(&svc, action, &meta).await?,
            }
        }
        Command::Plans { action } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            run_plans(&svc, action).await?;
        }
        Command::Products { action } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            run_products(&svc, action).await?;
        }
        Command::Invoices { action } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            run_invoices(&svc, action).await?;
        }
        Command::Demo => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            load_demo(&svc, &base, settings.monthly_quota).await?;
            println!("Start the portal (keyport serve, or make run) to sign in.");
        }
        Command::Admin { action } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            let meta = keyport_core::services::audit::RequestMeta::new("cli", "keyport admin");
            let refused = |e| refusal(e, "", "no such account");
            match action {
                AdminAction::Grant { email } => match svc.set_site_admin("cli", &email, true, &meta).await.map_err(refused)? {
                    true => println!("{email} is now an operator admin: the console is at {base}/admin."),
                    false => println!("{email} already was an operator admin."),
                },
                AdminAction::Revoke { email } => match svc.set_site_admin("cli", &email, false, &meta).await.map_err(refused)? {
                    true => println!("{email} is no longer an operator admin (refused at /admin from the next request)."),
                    false => println!("{email} was not an operator admin."),
                },
                AdminAction::List => {
                    for email in svc.site_admins().await? {
                        println!("{email}");
                    }
                }
            }
        }
        Command::Tokens { action } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            let refused = |e| refusal(e, "--", "no token has that id (see keyport tokens list)");
            match action {
                TokenAction::Create { name, scopes, expires } => {
                    let lifetime = expires.as_deref().map(parse_lifetime).transpose()?;
                    let t = svc.create_operator_token_with(&name, &scopes, lifetime).await.map_err(refused)?;
                    eprintln!("Created operator token {} ({name}). It is shown once; store it now:", t.id);
                    println!("{}", t.token);
                }
                TokenAction::List => {
                    let when = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| t.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| none.to_owned());
                    for t in svc.list_operator_tokens().await? {
                        let state = if t.revoked_at.is_some() { "revoked" } else if t.expires_at.is_some_and(|e| e <= svc.now()) { "expired" } else { "live" };
                        println!(
                            "{}  {:<20} {:<7} scopes {:<28} created {}  last used {:<16}  expires {}",
                            t.id, t.name, state, t.scopes, when(Some(t.created_at), ""), when(t.last_used_at, "never"), when(t.expires_at, "never")
                        );
                    }
                }
                TokenAction::Revoke { id } => {
                    svc.revoke_operator_token(&id).await.map_err(refused)?;
                    println!("Revoked {id}; every node refuses it within a second.");
                }
            }
        }
    }
    Ok(())
}

/// A command's input refused by a service as a `Refused` (exit status 2): the field (after
/// `prefix`, `--` for an option) and the message, or `not_found`; other errors as they are.
fn refusal(e: keyport_core::CoreError, prefix: &str, not_found: &str) -> Box<dyn std::error::Error> {
    match e {
        keyport_core::CoreError::Invalid(f) => Box::new(Refused(format!("{prefix}{}: {}", f.field, f.message))),
        keyport_core::CoreError::NotFound => Box::new(Refused(not_found.to_owned())),
        e => Box::new(e),
    }
}

/// `keyport settings …`: a refused key or value is a `Refused` (exit status 2).
async fn run_settings(svc: &Services, action: SettingAction) -> Result<(), Box<dyn std::error::Error>> {
    use keyport_core::services::audit::RequestMeta;
    let refused = |e| refusal(e, "", "no such setting");
    let meta = RequestMeta::new("cli", "keyport settings");
    match action {
        SettingAction::List => {
            for s in svc.list_settings().await? {
                let value = if s.value.contains('\n') || s.value.len() > 60 { format!("({} bytes)", s.value.len()) } else { s.value };
                println!("{:<30} {:<40} {:<8} {}", s.key, value, s.source, s.about);
            }
        }
        SettingAction::Get { key } => {
            let view = svc.list_settings().await?.into_iter().find(|s| s.key == key);
            match view {
                Some(s) => println!("{}", s.value),
                // Only an unknown key has no row: the check says so, listing the known ones.
                None => return Err(Box::new(Refused(keyport_core::settings::check(&key, "").err().map(|e| e.to_string()).unwrap_or(key)))),
            }
        }
        SettingAction::Set { key, value, encrypted } => {
            let stored = svc.set_setting(&key, &value, encrypted, "cli", &meta).await.map_err(refused)?;
            let shown = if encrypted { "<encrypted>".to_owned() } else { stored };
            println!("{key} = {shown} (in effect on every node within a second)");
        }
        SettingAction::Unset { key } => {
            if svc.unset_setting(&key, "cli", &meta).await.map_err(refused)? {
                println!("{key} is back to its default: {}", svc.settings().get(&key).unwrap_or_default());
            } else {
                println!("{key} was not set; its default applies: {}", svc.settings().get(&key).unwrap_or_default());
            }
        }
    }
    Ok(())
}

/// Loads the demo, showing progress, and prints how to sign in.
async fn load_demo(svc: &Services, base: &str, quota: i64) -> Result<(), Box<dyn std::error::Error>> {
    eprintln!("Simulating 30 days of traffic for the demo team…");
    let started = std::time::Instant::now();
    let r = svc
        .load_demo(30, |day, days| {
            use std::io::Write;
            eprint!("\r  day {day:>2} of {days}");
            let _ = std::io::stderr().flush();
        })
        .await?;
    eprintln!();
    println!(
        "Demo loaded in {:.0} s: {} keys, {} verifications and {} served requests over 30 days.",
        started.elapsed().as_secs_f64(),
        r.keys,
        r.verifications,
        r.served
    );
    println!("Sign in at {base}/portal/login as");
    println!("  email:    {}", r.email);
    println!("  password: {}", r.password);
    println!("The password is shown once.");
    if (r.verifications as i64) > quota {
        println!(
            "The demo's traffic is above the plan quota (KEYPORT_MONTHLY_QUOTA={quota}), so the dashboard shows the quota warning;\n\
             serve with KEYPORT_MONTHLY_QUOTA=1000000 to see room left and a forecast instead."
        );
    }
    Ok(())
}
