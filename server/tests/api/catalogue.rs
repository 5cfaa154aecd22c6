//! The API catalogue: a product offered on request is asked for with a reason, approved by
//! the operator, and the team's keys gain its scopes; a denial carries its reason; a key
//! cannot hold a scope of a product its team lacks, while scopes of no product stay open and
//! a plan that includes a product grants it.

use crate::helpers::{logged_to, spawn_app_with};
use keyport_core::dto::billing::ProductAccessStatus;
use keyport_core::services::audit::RequestMeta;
use keyport_core::services::billing::catalogue::ProductChanges;
use keyport_core::services::plans::PlanChanges;
use reqwest::StatusCode;
use serde_json::Value;

fn product(name: &str, scopes: &str, visibility: &str) -> ProductChanges {
    ProductChanges { name: Some(name.into()), scopes: Some(scopes.into()), visibility: Some(visibility.into()), docs_path: Some("/portal/docs#tag-payments".into()), ..Default::default() }
}

async fn create(app: &crate::helpers::TestApp, scopes: &str) -> reqwest::Response {
    app.call("keys/create", &[("name", "k"), ("environment", "test"), ("expiry", "never"), ("scopes", scopes)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_on_request_is_asked_for_approved_or_denied_and_keys_hold_only_what_the_team_has() {
    let app = spawn_app_with(|s| s.scopes = vec!["payments:read".into(), "payments:write".into(), "reports:read".into(), "misc:ping".into()]).await;
    let meta = RequestMeta::default();
    let email = app.signed_in().await;
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = s["team"]["id"].as_str().unwrap().to_owned();
    // No products: every scope is open.
    assert_eq!(create(&app, "payments:write").await.status(), StatusCode::OK);

    app.services.create_product("payments", &product("Payments API", "payments:read, payments:write", "on_request"), "cli", &meta).await.unwrap();
    app.services.create_product("reports", &product("Reports API", "reports:read", "public"), "cli", &meta).await.unwrap();
    // Refusals of the operator's input change nothing.
    assert!(app.services.create_product("Bad Id", &product("X", "misc:ping", "public"), "cli", &meta).await.is_err());
    assert!(app.services.create_product("x", &product("X", "nope:scope", "public"), "cli", &meta).await.is_err());
    assert!(app.services.create_product("y", &ProductChanges { docs_path: Some("https://evil.example".into()), ..product("Y", "misc:ping", "public") }, "cli", &meta).await.is_err());
    assert!(app.services.create_product("z", &ProductChanges { plans: Some("nope".into()), ..product("Z", "misc:ping", "public") }, "cli", &meta).await.is_err());
    assert_eq!(app.services.list_products().await.unwrap().len(), 2);

    // The team lacks Payments: its scopes are refused, naming the product; others are fine.
    let res = create(&app, "payments:read").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("Payments API"), "the refusal names the product");
    assert_eq!(create(&app, "reports:read misc:ping").await.status(), StatusCode::OK, "a public product's scopes and a scope of no product");
    let options: Value = app.call("keys/options", &[]).await.json().await.unwrap();
    let offered: Vec<&str> = options["scopes"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(offered, vec!["payments:read", "payments:write", "reports:read", "misc:ping"].into_iter().filter(|s| !s.starts_with("payments")).collect::<Vec<_>>(), "the form offers what the team may hold");
    let c: keyport_core::dto::billing::CatalogueView = app.call("catalogue/list", &[]).await.json().await.unwrap();
    assert_eq!(c.entries.len(), 2);
    assert!(matches!(c.entries.iter().find(|e| e.product.id == "payments").unwrap().status, ProductAccessStatus::Available));
    assert!(matches!(c.entries.iter().find(|e| e.product.id == "reports").unwrap().status, ProductAccessStatus::Included { .. }));

    // Asked for with a reason (too short is refused), once.
    assert_eq!(app.call("catalogue/request", &[("product", "payments"), ("reason", "pls")]).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.call("catalogue/request", &[("product", "reports"), ("reason", "we need the reports")]).await.status(), StatusCode::BAD_REQUEST, "a public product is not asked for");
    assert_eq!(app.call("catalogue/request", &[("product", "payments"), ("reason", "Charging our customers' cards")]).await.status(), StatusCode::OK);
    assert_eq!(app.call("catalogue/request", &[("product", "payments"), ("reason", "Charging our customers' cards")]).await.status(), StatusCode::CONFLICT, "waiting already");
    let waiting = app.services.product_requests(true).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!((waiting[0].team_id.as_str(), waiting[0].reason.as_str(), waiting[0].requested_by.as_str()), (team.as_str(), "Charging our customers' cards", email.as_str()));

    // Denied: a reason is required, the team reads it, keys stay refused; asked again, approved.
    assert!(app.services.decide_product_request(&waiting[0].id, false, None, "ops@example.com", &meta).await.is_err());
    app.services.decide_product_request(&waiting[0].id, false, Some("Tell us your monthly volume first"), "ops@example.com", &meta).await.unwrap();
    assert!(app.services.decide_product_request(&waiting[0].id, true, None, "ops@example.com", &meta).await.is_err(), "decided once");
    let c: keyport_core::dto::billing::CatalogueView = app.call("catalogue/list", &[]).await.json().await.unwrap();
    match &c.entries.iter().find(|e| e.product.id == "payments").unwrap().status {
        ProductAccessStatus::Denied { reason } => assert_eq!(reason, "Tell us your monthly volume first"),
        other => panic!("{other:?}"),
    }
    assert!(app.page("/portal/catalogue").await.text().await.unwrap().contains("Not approved: Tell us your monthly volume first"));
    app.eventually("the denial is emailed", || async { logged_to(&email).iter().any(|m| m.contains("Payments API") && m.contains("not approved")) }).await;
    assert_eq!(create(&app, "payments:read").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.call("catalogue/request", &[("product", "payments"), ("reason", "About 40,000 charges a month")]).await.status(), StatusCode::OK);
    // This time the provider approves in the console.
    let again = app.services.product_requests(true).await.unwrap();
    let mine = app.session_cookie().unwrap();
    let ops = app.new_user().await;
    assert!(app.services.set_site_admin("cli", &ops.email, true, &meta).await.unwrap());
    let console = app.call_as(&ops.cookie, "admin/billing", &[]).await;
    let console: keyport_core::dto::billing::AdminBillingView = console.json().await.unwrap();
    assert_eq!(console.requests.len(), 1);
    assert_eq!(console.requests[0].reason, "About 40,000 charges a month");
    let res = app.call_as(&ops.cookie, "admin/products/decide", &[("request_id", again[0].id.as_str()), ("decision", "deny"), ("reason", "")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "a denial needs its reason");
    let res = app.call_as(&ops.cookie, "admin/products/decide", &[("request_id", again[0].id.as_str()), ("decision", "approve"), ("reason", "Welcome aboard")]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    app.set_session_cookie(Some(mine));
    let res = create(&app, "payments:read payments:write").await;
    assert_eq!(res.status(), StatusCode::OK, "the keys gain the product's scopes at once");
    let page = app.page("/portal/catalogue").await.text().await.unwrap();
    assert!(page.contains("Your team has it (approved)") && page.contains("Payments API docs"), "{page}");

    // Another team has not asked: refused; a plan that includes the product grants it.
    let other = app.new_user().await;
    app.act_as(&other);
    assert_eq!(create(&app, "payments:read").await.status(), StatusCode::BAD_REQUEST);
    app.services.create_plan("pay", &PlanChanges { name: Some("Pay".into()), included: Some("1000".into()), features: Some("live_keys".into()), ..Default::default() }, "cli", &meta).await.unwrap();
    app.services.update_product("payments", &ProductChanges { plans: Some("pay".into()), ..Default::default() }, "cli", &meta).await.unwrap();
    app.services.assign_plan(&other.team_id, "pay", "cli", &meta).await.unwrap();
    assert_eq!(create(&app, "payments:read").await.status(), StatusCode::OK, "through the plan");
    // Archived, the product grants nothing more (its scopes are open again, being of no product).
    app.services.archive_product("payments", "cli", &meta).await.unwrap();
    let c: keyport_core::dto::billing::CatalogueView = app.call("catalogue/list", &[]).await.json().await.unwrap();
    assert_eq!(c.entries.len(), 1, "archived products leave the catalogue");
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let trail = keyport_core::entity::audit_event::Entity::find()
        .filter(keyport_core::entity::audit_event::Column::TeamId.eq(&team))
        .filter(keyport_core::entity::audit_event::Column::Action.is_in(["product.requested", "product.approved", "product.denied"]))
        .count(&app.services.db)
        .await
        .unwrap();
    assert_eq!(trail, 4, "two requests, a denial and an approval in the team's trail");
}
