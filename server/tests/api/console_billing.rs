//! The console's billing forms, through their server functions as the browser posts them:
//! a plan created, refused, changed (unticked features cleared), made the default and
//! archived; a product likewise; a due invoice voided and its correction issued with a
//! credit. A refusal names its field and changes nothing; every change is audited.

use crate::helpers::{spawn_app, spawn_app_with, TestApp, User};
use keyport_core::dto::billing::{InvoiceStatus, ProductVisibility};
use keyport_core::services::audit::RequestMeta;
use keyport_core::services::plans::PlanChanges;
use reqwest::StatusCode;
use serde_json::Value;

async fn admin(app: &TestApp) -> User {
    let a = app.new_user().await;
    assert!(app.services.set_site_admin("cli", &a.email, true, &RequestMeta::default()).await.unwrap());
    a
}

/// Posts a console form; returns the refused field, or `None` when it went through.
async fn post(app: &TestApp, who: &User, endpoint: &str, form: &[(&str, &str)]) -> Option<String> {
    let res = app.call_as(&who.cookie, endpoint, form).await;
    let status = res.status();
    if status.is_success() || status.is_redirection() {
        return None;
    }
    let body: Value = res.json().await.unwrap();
    assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::CONFLICT, "{endpoint}: {status} {body}");
    Some(body["Invalid"]["field"].as_str().map_or_else(|| format!("{status}"), str::to_owned))
}

fn plan_form<'a>(mode: &'a str, id: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("mode", mode), ("id", id), ("name", "Growth"), ("description", "For teams in production"), ("price", "29.00"), ("currency", "usd"),
        ("included", "50,000"), ("overage", "0.40"), ("ratelimit_cap", ""), ("max_keys", "10"), ("feature[]", "live_keys"), ("feature[]", "request_log"),
        ("other_features", "beta_api"), ("trial_days", "7"), ("visibility", "public"),
    ];
    for (k, v) in extra {
        if let Some(slot) = f.iter_mut().find(|(fk, _)| fk == k) {
            slot.1 = v;
        } else {
            f.push((k, v));
        }
    }
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_creates_changes_defaults_and_archives_a_plan_and_refuses_bad_terms_unchanged() {
    let app = spawn_app().await;
    let ops = admin(&app).await;
    assert_eq!(post(&app, &ops, "admin/plans/save", &plan_form("create", "growth", &[])).await, None);
    let p = app.services.get_plan("growth").await.unwrap();
    assert_eq!((p.name.as_str(), p.price_minor, p.currency.as_str(), p.included_requests, p.overage_per_1000_minor), ("Growth", 2900, "USD", 50_000, Some(40)));
    assert_eq!((p.ratelimit_cap, p.max_keys, p.trial_days, p.features.clone()), (None, Some(10), 7, vec!["beta_api".to_owned(), "live_keys".into(), "request_log".into()]));

    // Refusals name the field and change nothing.
    for (form, field) in [
        (plan_form("create", "growth", &[]), "id"),
        (plan_form("create", "new", &[]), "id"),
        (plan_form("create", "Bad Id", &[]), "id"),
        (plan_form("delete", "growth", &[]), "mode"),
        (plan_form("update", "growth", &[("price", "29.999")]), "price"),
        (plan_form("update", "growth", &[("overage", "sometimes")]), "overage"),
        (plan_form("update", "growth", &[("max_keys", "0")]), "max-keys"),
        (plan_form("update", "growth", &[("other_features", "Not A Flag")]), "features"),
        (plan_form("update", "growth", &[("visibility", "secret")]), "visibility"),
        (plan_form("update", "growth", &[("name", " ")]), "name"),
    ] {
        assert_eq!(post(&app, &ops, "admin/plans/save", &form).await.as_deref(), Some(field), "{form:?}");
    }
    assert_eq!(app.services.get_plan("growth").await.unwrap(), p, "the refusals changed nothing");

    // Changed: the boxes left unticked are cleared, blank caps are none.
    let mut form = plan_form("update", "growth", &[("included", "60000"), ("overage", "stop"), ("max_keys", ""), ("other_features", "")]);
    form.retain(|(k, _)| *k != "feature[]");
    form.push(("feature[]", "usage_export"));
    assert_eq!(post(&app, &ops, "admin/plans/save", &form).await, None);
    let p = app.services.get_plan("growth").await.unwrap();
    assert_eq!((p.included_requests, p.overage_per_1000_minor, p.max_keys, p.features.clone()), (60_000, None, None, vec!["usage_export".to_owned()]));

    // The default moves; the default cannot be archived or hidden; another plan is archived once.
    assert_eq!(post(&app, &ops, "admin/plans/default", &[("id", "growth")]).await, None);
    assert!(app.services.get_plan("growth").await.unwrap().is_default);
    assert_eq!(post(&app, &ops, "admin/plans/archive", &[("id", "growth")]).await.as_deref(), Some("409 Conflict"));
    assert_eq!(post(&app, &ops, "admin/plans/save", &plan_form("update", "growth", &[("visibility", "hidden")])).await.as_deref(), Some("409 Conflict"));
    assert_eq!(post(&app, &ops, "admin/plans/archive", &[("id", "free")]).await, None);
    assert!(app.services.get_plan("free").await.unwrap().archived);
    assert_eq!(post(&app, &ops, "admin/plans/archive", &[("id", "free")]).await.as_deref(), Some("409 Conflict"), "archived once");
    assert_eq!(post(&app, &ops, "admin/plans/default", &[("id", "free")]).await.as_deref(), Some("409 Conflict"), "an archived plan is never the default");

    // The pages: the list links each plan to its form, which shows its terms; `new` is the blank form.
    app.act_as(&ops);
    let list = app.page("/admin/billing").await.text().await.unwrap();
    assert!(list.contains("href=\"/admin/billing/plans/growth\"") && list.contains("href=\"/admin/billing/plans/new\""), "{list}");
    let page = app.page("/admin/billing/plans/growth").await.text().await.unwrap();
    assert!(page.contains("value=\"60,000\"") && page.contains("value=\"29.00\"") && page.contains("Save plan"), "{page}");
    assert!(app.page("/admin/billing/plans/new").await.text().await.unwrap().contains("Create plan"));

    // A team moved to a plan from its console page: at once, audited in its trail.
    let customer = app.new_user().await;
    assert!(app.page(&format!("/admin/teams/{}", customer.team_id)).await.text().await.unwrap().contains("Plan (now Growth)"));
    assert_eq!(post(&app, &ops, "admin/team/plan", &[("id", &customer.team_id), ("plan", "nope")]).await.as_deref(), Some("plan"));
    assert_eq!(post(&app, &ops, "admin/team/plan", &[("id", &customer.team_id), ("plan", "free")]).await.as_deref(), Some("409 Conflict"), "archived");
    app.services.create_plan("vip", &PlanChanges { name: Some("VIP".into()), included: Some("9000000".into()), visibility: Some("hidden".into()), ..Default::default() }, "cli", &RequestMeta::default()).await.unwrap();
    assert_eq!(post(&app, &ops, "admin/team/plan", &[("id", &customer.team_id), ("plan", "vip")]).await, None);
    let (_, on) = app.services.team_plan(&app.services.db, &customer.team_id).await.unwrap();
    assert_eq!(on.id, "vip");
    assert_eq!(app.page("/admin/billing/plans/nope").await.status(), StatusCode::NOT_FOUND);

    use keyport_core::entity::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let saved = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("plan.saved"))
        .filter(audit_event::Column::ActorEmail.eq(&ops.email))
        .count(&app.services.db)
        .await
        .unwrap();
    assert_eq!(saved, 3, "created, changed and made the default, by the admin (refusals left nothing)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_creates_changes_and_archives_a_product() {
    let app = spawn_app_with(|s| s.scopes = vec!["payments:read".into(), "payments:write".into(), "misc:ping".into()]).await;
    let ops = admin(&app).await;
    let meta = RequestMeta::default();
    app.services.create_plan("pay", &PlanChanges { name: Some("Pay".into()), included: Some("1000".into()), ..Default::default() }, "cli", &meta).await.unwrap();
    let form = |mode: &'static str, extra: &[(&'static str, &'static str)]| {
        let mut f = vec![("mode", mode), ("id", "payments"), ("name", "Payments API"), ("description", "Charge cards"), ("docs_path", "/portal/docs#tag-payments"), ("visibility", "on_request")];
        f.extend_from_slice(extra);
        f
    };
    for (f, field) in [
        (form("create", &[]), "scopes"),
        (form("create", &[("scope[]", "nope:scope")]), "scopes"),
        (form("create", &[("scope[]", "payments:read"), ("plan[]", "nope")]), "plans"),
        (form("create", &[("scope[]", "payments:read"), ("docs_path", "https://evil.example")]), "docs"),
    ] {
        // A second docs_path overrides the first in the form's order; take the last.
        let mut f = f;
        if f.iter().filter(|(k, _)| *k == "docs_path").count() > 1 {
            let first = f.iter().position(|(k, _)| *k == "docs_path").unwrap();
            f.remove(first);
        }
        assert_eq!(post(&app, &ops, "admin/products/save", &f).await.as_deref(), Some(field), "{f:?}");
    }
    assert!(app.services.list_products().await.unwrap().is_empty(), "the refusals changed nothing");

    assert_eq!(post(&app, &ops, "admin/products/save", &form("create", &[("scope[]", "payments:read"), ("plan[]", "pay")])).await, None);
    assert_eq!(post(&app, &ops, "admin/products/save", &form("create", &[("scope[]", "payments:read")])).await.as_deref(), Some("id"), "its id is taken");
    assert_eq!(post(&app, &ops, "admin/products/save", &form("update", &[("scope[]", "payments:read"), ("scope[]", "payments:write")])).await, None);
    let p = &app.services.list_products().await.unwrap()[0];
    assert_eq!((p.scopes.clone(), p.plans.clone(), p.visibility), (vec!["payments:read".to_owned(), "payments:write".into()], Vec::<String>::new(), ProductVisibility::OnRequest));

    app.act_as(&ops);
    let page = app.page("/admin/billing/products/payments").await.text().await.unwrap();
    assert!(page.contains("Save product") && page.contains("Archive product"), "{page}");
    assert_eq!(post(&app, &ops, "admin/products/archive", &[("id", "payments")]).await, None);
    assert!(app.services.list_products().await.unwrap()[0].archived);
    assert_eq!(post(&app, &ops, "admin/products/archive", &[("id", "payments")]).await.as_deref(), Some("409 Conflict"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_voids_a_due_invoice_and_issues_its_correction_with_a_credit() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    app.services.create_plan("pro", &PlanChanges { name: Some("Pro".into()), price: Some("49".into()), included: Some("1000".into()), ..Default::default() }, "test", &meta).await.unwrap();
    app.signed_in().await;
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = s["team"]["id"].as_str().unwrap().to_owned();
    app.call("billing/change", &[("plan", "pro")]).await;
    assert_eq!(app.services.issue_now(&team, "test").await.unwrap(), 1);
    let (inv, _) = app.services.invoice_by_number(1).await.unwrap();
    let ops = admin(&app).await;

    for (form, field) in [
        (vec![("number", "1"), ("reason", "")], "reason"),
        (vec![("number", "1"), ("reason", "goodwill"), ("reissue", "on"), ("credit", "-1")], "credit"),
        (vec![("number", "1"), ("reason", "goodwill"), ("reissue", "on"), ("credit", "0")], "credit"),
        (vec![("number", "1"), ("reason", "goodwill"), ("reissue", "on"), ("credit", "1.005")], "credit"),
        (vec![("number", "1"), ("reason", "goodwill"), ("reissue", "on"), ("credit", "100000")], "credit"),
    ] {
        assert_eq!(post(&app, &ops, "admin/invoices/void", &form).await.as_deref(), Some(field), "{form:?}");
    }
    assert_eq!(app.services.invoice_by_number(1).await.unwrap().0.status, InvoiceStatus::Open, "the refusals changed nothing");
    assert!(app.services.invoice_by_number(2).await.is_err(), "and spent no number");

    let form = [("number", "1"), ("reason", "billed the wrong company"), ("reissue", "on"), ("credit", "5.00"), ("credit_description", "Sorry for the trouble")];
    assert_eq!(post(&app, &ops, "admin/invoices/void", &form).await, None);
    let (old, _) = app.services.invoice_by_number(1).await.unwrap();
    let (new, _) = app.services.invoice_by_number(2).await.unwrap();
    assert_eq!((old.status, old.void_reason.as_deref(), old.replaced_by), (InvoiceStatus::Void, Some("billed the wrong company"), Some(2)));
    assert_eq!((new.status, new.replaces, new.subtotal_minor), (InvoiceStatus::Open, Some(1), inv.subtotal_minor - 500));
    assert!(new.lines.iter().any(|l| l.description == "Sorry for the trouble" && l.amount_minor == -500));
    assert_eq!(post(&app, &ops, "admin/invoices/void", &[("number", "1"), ("reason", "again")]).await.as_deref(), Some("409 Conflict"), "void once");
    // Without the box ticked, a void issues nothing.
    assert_eq!(post(&app, &ops, "admin/invoices/void", &[("number", "2"), ("reason", "waived"), ("credit", "1.00")]).await, None);
    assert_eq!(app.services.invoice_by_number(2).await.unwrap().0.status, InvoiceStatus::Void);
    assert!(app.services.invoice_by_number(3).await.is_err());
}
