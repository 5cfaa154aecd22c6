//! Plans at work: the team's plan quota is enforced at verify (a hard stop is never exceeded,
//! under concurrency and across a restart), an overage plan lets requests through and counts
//! what they cost, the plan's rate-limit cap and key limit apply, and a feature the plan lacks
//! is refused with its upgrade prompt. The billing page shows all of it.

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use keyport_core::dto::billing::BillingView;
use keyport_core::services::audit::RequestMeta;
use keyport_core::services::plans::PlanChanges;
use reqwest::StatusCode;
use serde_json::Value;

fn terms(name: &str, included: &str) -> PlanChanges {
    PlanChanges { name: Some(name.into()), included: Some(included.into()), features: Some("live_keys request_log usage_export".into()), ..Default::default() }
}

/// Creates a plan and puts the signed-in user's team on it; returns the team id.
async fn on_plan(app: &TestApp, id: &str, changes: PlanChanges) -> String {
    let meta = RequestMeta::default();
    app.services.create_plan(id, &changes, "test", &meta).await.expect("plan created");
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = s["team"]["id"].as_str().unwrap().to_owned();
    app.services.assign_plan(&team, id, "test", &meta).await.expect("team moved");
    team
}

async fn key(app: &TestApp, env: &str, ratelimit: &str) -> String {
    let res = app.call("keys/create", &[("name", "plan"), ("environment", env), ("expiry", "never"), ("ratelimit", ratelimit)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    res.json::<keyport_core::dto::CreatedKey>().await.unwrap().secret.expose().to_owned()
}

async fn billing(app: &TestApp) -> BillingView {
    let res = app.call("billing/view", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_stop_plan_admits_exactly_its_included_requests_under_64_callers_and_a_restart() {
    let mut app = spawn_app().await;
    app.signed_in().await;
    on_plan(&app, "starter", terms("Starter", "300")).await;
    // Two keys of the team share the plan's requests.
    let (a, b) = (key(&app, "live", "1000").await, key(&app, "test", "1000").await);
    let token = app.operator_token().await;
    let first = app.burst(&token, &a, 120).await + app.burst(&token, &b, 80).await;
    assert_eq!(first, 200);
    app.restart().await;
    let second = app.burst(&token, &a, 80).await + app.burst(&token, &b, 80).await;
    assert_eq!(first + second, 300, "exactly the plan's included requests, across the restart");
    let v = app.verify(&token, &b).await;
    assert_eq!(v["code"], "USAGE_EXCEEDED");
    assert_eq!((v["quota"]["limit"].as_i64(), v["quota"]["remaining"].as_i64()), (Some(300), Some(0)));
    // Raising the plan's requests lifts the stop from the next request, on every key.
    app.services.update_plan("starter", &PlanChanges { included: Some("301".into()), ..Default::default() }, "test", &RequestMeta::default()).await.unwrap();
    assert_eq!(app.verify(&token, &a).await["code"], "VALID");
    assert_eq!(app.verify(&token, &a).await["code"], "USAGE_EXCEEDED");
    app.services.flush_usage().await.unwrap();
    let b = billing(&app).await;
    assert_eq!((b.plan.id.as_str(), b.plan.included_requests, b.used_requests), ("starter", 301, 301));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_quota_refused_by_its_team_plan_gives_its_units_back() {
    let app = spawn_app().await;
    app.signed_in().await;
    on_plan(&app, "tiny", terms("Tiny", "3")).await;
    let res = app.call("keys/create", &[("name", "q"), ("environment", "live"), ("expiry", "never"), ("quota", "10")]).await;
    let k = res.json::<keyport_core::dto::CreatedKey>().await.unwrap().secret.expose().to_owned();
    let token = app.operator_token().await;
    for _ in 0..3 {
        assert_eq!(app.verify(&token, &k).await["code"], "VALID");
    }
    let v = app.verify(&token, &k).await;
    assert_eq!(v["code"], "USAGE_EXCEEDED", "{v}");
    assert_eq!(v["quota"]["limit"], 3, "the plan's quota is the one that refused");
    app.services.update_plan("tiny", &PlanChanges { overage: Some("0.10".into()), ..Default::default() }, "test", &RequestMeta::default()).await.unwrap();
    let v = app.verify(&token, &k).await;
    assert_eq!(v["code"], "VALID");
    assert_eq!((v["quota"]["limit"].as_i64(), v["quota"]["used"].as_i64()), (Some(10), Some(4)), "the refused requests spent nothing of the key's own quota");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overage_plan_lets_requests_through_and_prices_them_per_thousand() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mut t = terms("Growth", "10");
    t.price = Some("29".into());
    t.overage = Some("2.00".into());
    on_plan(&app, "growth", t).await;
    let k = key(&app, "live", "1000").await;
    let token = app.operator_token().await;
    assert_eq!(app.burst(&token, &k, 510).await, 510, "nothing is refused past the included requests");
    app.services.flush_usage().await.unwrap();
    let b = billing(&app).await;
    assert_eq!(b.used_requests, 510);
    // 500 past the included 10, at USD 2.00 per 1,000: USD 1.00.
    assert_eq!(b.overage_so_far(), 100);
    assert_eq!(b.plan.price_label(), "USD 29.00 / month");
    let page = app.page("/portal/billing").await.text().await.unwrap();
    assert!(page.contains("Growth") && page.contains("500 requests past the included ones so far: USD 1.00"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_caps_rate_limits_and_keys_at_creation_and_at_verify() {
    let app = spawn_app().await;
    app.signed_in().await;
    // A key made before the plan changed keeps its own limit in the database, but verify
    // applies the plan's cap from the next request.
    let early = key(&app, "live", "100").await;
    let mut t = terms("Capped", "1000");
    t.ratelimit_cap = Some("5".into());
    t.max_keys = Some("2".into());
    on_plan(&app, "capped", t).await;
    let token = app.operator_token().await;
    for i in 0..5 {
        assert_eq!(app.verify(&token, &early).await["code"], "VALID", "request {i}");
    }
    let v = app.verify(&token, &early).await;
    assert_eq!((v["code"].as_str(), v["ratelimit"]["limit"].as_i64()), (Some("RATE_LIMITED"), Some(5)));
    // Creating above the cap is refused on the field; the form offers the cap.
    let res = app.call("keys/create", &[("name", "fast"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "6")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("ratelimit"));
    let options: Value = app.call("keys/options", &[]).await.json().await.unwrap();
    assert_eq!((options["max_ratelimit"].as_i64(), options["max_keys"].as_u64(), options["plan_name"].as_str()), (Some(5), Some(2), Some("Capped")));
    key(&app, "live", "5").await;
    let res = app.call("keys/create", &[("name", "third"), ("environment", "test"), ("expiry", "never")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "the plan allows two working keys");
    assert_eq!(app.list_keys().await.len(), 2, "the refused key was not made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_the_plan_lacks_are_refused_with_the_way_to_upgrade() {
    let app = spawn_app().await;
    app.signed_in().await;
    let test_key = {
        let res = app.call("keys/create", &[("name", "t"), ("environment", "test"), ("expiry", "never")]).await;
        res.json::<keyport_core::dto::CreatedKey>().await.unwrap().key.id
    };
    on_plan(&app, "sandbox", PlanChanges { name: Some("Sandbox".into()), included: Some("100".into()), ..Default::default() }).await;
    let res = app.call("keys/create", &[("name", "l"), ("environment", "live"), ("expiry", "never")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("Live keys are not part of the Sandbox plan"));
    key(&app, "test", "").await;
    let log: Value = app.call("keys/requests", &[("id", &test_key), ("filter", "all")]).await.json().await.unwrap();
    assert_eq!((log["locked"].as_str(), log["entries"].as_array().map(Vec::len)), (Some("Sandbox"), Some(0)));
    let page = app.page(&format!("/portal/keys/{test_key}")).await.text().await.unwrap();
    assert!(page.contains("Your Sandbox plan does not include the request log.") && page.contains("href=\"/portal/billing\""), "{page}");
    let csv = app.page("/portal/usage.csv?range=24h&granularity=hour").await;
    assert_eq!(csv.status(), StatusCode::PAYMENT_REQUIRED);
    assert!(csv.text().await.unwrap().contains("Usage export is not part of the Sandbox plan"));
    let keys_page = app.page("/portal/keys").await.text().await.unwrap();
    assert!(keys_page.contains("Your Sandbox plan does not include live keys."), "the create form says why live is off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_billing_page_shows_the_plan_its_use_and_the_others_with_the_difference() {
    let app = spawn_app_with(|s| s.monthly_quota = 2_000).await;
    app.signed_in().await;
    let meta = RequestMeta::default();
    let mut pro = terms("Pro", "1000000");
    pro.price = Some("49".into());
    pro.description = Some("For production traffic.".into());
    app.services.create_plan("pro", &pro, "test", &meta).await.unwrap();
    let mut hidden = terms("Partner", "5");
    hidden.visibility = Some("hidden".into());
    app.services.create_plan("partner", &hidden, "test", &meta).await.unwrap();
    let b = billing(&app).await;
    assert_eq!((b.plan.id.as_str(), b.plan.included_requests, b.plan.price_minor), ("free", 2_000, 0), "the default plan comes from KEYPORT_MONTHLY_QUOTA");
    assert_eq!(b.choices.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["pro"], "hidden plans are not offered");
    let page = app.page("/portal/billing").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for needle in ["Current plan", "Free", "2,000 / month", "Requests past the included ones are refused", "Pro", "USD 49.00 / month", "USD 49.00 more a month than Free", "For production traffic."] {
        assert!(html.contains(needle), "{needle}: {html}");
    }
    assert!(!html.contains("Partner"));
    // A viewer sees the plan too.
    let viewer = app.new_user().await;
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    app.add_member(s["team"]["id"].as_str().unwrap(), &viewer.id, "viewer").await;
    app.act_as(&viewer);
    app.switch_to(s["team"]["id"].as_str().unwrap()).await;
    assert_eq!(billing(&app).await.plan.id, "free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_default_plan_moves_new_teams_only_and_archived_plans_take_nobody() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    app.signed_in().await;
    app.services.create_plan("basic", &terms("Basic", "50"), "test", &meta).await.unwrap();
    app.services.set_default_plan("basic", "test", &meta).await.unwrap();
    assert_eq!(billing(&app).await.plan.id, "free", "a team that was on the old default stays there");
    let newcomer = app.new_user().await;
    app.act_as(&newcomer);
    assert_eq!(billing(&app).await.plan.id, "basic");
    let free = app.services.get_plan("free").await.unwrap();
    assert_eq!(free.teams, 1);
    app.services.archive_plan("free", "test", &meta).await.unwrap();
    let err = app.services.assign_plan(&newcomer.team_id, "free", "test", &meta).await.unwrap_err();
    assert!(matches!(err, keyport_core::CoreError::Conflict(_)), "{err:?}");
    let err = app.services.archive_plan("basic", "test", &meta).await.unwrap_err();
    assert!(matches!(err, keyport_core::CoreError::Conflict(_)), "the default plan is not archived: {err:?}");
    // Every plan change is in the trail: the team's move in the team's, the operator's edits site-wide.
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let saved = keyport_core::entity::audit_event::Entity::find()
        .filter(keyport_core::entity::audit_event::Column::Action.eq("plan.saved"))
        .count(&app.services.db)
        .await
        .unwrap();
    assert_eq!(saved, 2, "created basic, made it the default");
}

/// The 10th of a month at midnight, UTC, no earlier than now (this month's or the next's).
fn a_tenth(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::{Datelike, TimeZone};
    let this = chrono::Utc.with_ymd_and_hms(now.year(), now.month(), 10, 0, 0, 0).unwrap();
    if this >= now { this } else { keyport_core::services::quota::next_month(now) + chrono::Duration::days(9) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_on_day_ten_is_charged_for_the_rest_of_the_month_and_a_downgrade_waits_for_its_end() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    let mut basic = terms("Basic", "5000");
    basic.price = Some("9".into());
    let mut pro = terms("Pro", "1000000");
    pro.price = Some("49".into());
    app.services.create_plan("basic", &basic, "test", &meta).await.unwrap();
    app.services.create_plan("pro", &pro, "test", &meta).await.unwrap();
    let tenth = a_tenth(app.services.now());
    app.clock.advance(tenth - app.services.now());
    let email = app.signed_in().await;
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = s["team"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call("billing/change", &[("plan", "basic")]).await.status(), StatusCode::OK, "free → basic: dearer, at once");
    // What the confirmation says, before the upgrade: the same figure the server charges.
    let before = billing(&app).await;
    let pro_view = before.choices.iter().find(|c| c.id == "pro").unwrap().clone();
    let (start, end) = (before.period_start, before.period_end);
    let expected = {
        let (left, total) = ((end - tenth).num_seconds() as i128, (end - start).num_seconds() as i128);
        // 4,000 minor units for the share of the month left, rounded half up once.
        ((4000 * left * 2 + total) / (2 * total)) as i64
    };
    let said = before.change_terms(&pro_view);
    assert!(said.contains(&keyport_core::dto::billing::format_money(expected, "USD")) && said.contains("starts now"), "{said}");
    let page = app.page("/portal/billing").await.text().await.unwrap();
    assert!(page.contains("Switch to Pro") && page.contains(&said), "the dialog states it");
    let res = app.call("billing/change", &[("plan", "pro")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let done: Value = res.json().await.unwrap();
    assert_eq!((done["applied"].as_bool(), done["charge_minor"].as_i64()), (Some(true), Some(expected)));
    let after = billing(&app).await;
    assert_eq!(after.plan.id, "pro");
    // Basic's own proration (0 → 900 on the same day) plus Pro's difference.
    let basic_charge = {
        let (left, total) = ((end - tenth).num_seconds() as i128, (end - start).num_seconds() as i128);
        ((900 * left * 2 + total) / (2 * total)) as i64
    };
    assert_eq!(after.charges, basic_charge + expected);
    // The team's keys verify under Pro at once.
    let k = key(&app, "live", "1000").await;
    let token = app.operator_token().await;
    assert_eq!(app.verify(&token, &k).await["quota"]["limit"], 1_000_000);

    // On the 20th, back down to Basic: it waits for the month's end; calling it off keeps Pro.
    app.clock.advance(chrono::Duration::days(10));
    let res: Value = app.call("billing/change", &[("plan", "basic")]).await.json().await.unwrap();
    assert_eq!((res["applied"].as_bool(), res["charge_minor"].as_i64()), (Some(false), Some(0)));
    let b = billing(&app).await;
    assert_eq!((b.plan.id.as_str(), b.scheduled.as_deref(), b.cancelling), ("pro", Some("Basic"), false));
    assert_eq!(b.charges, basic_charge + expected, "a downgrade charges nothing and refunds nothing");
    assert!(app.page("/portal/billing").await.text().await.unwrap().contains("Your team moves to Basic on"));
    assert_eq!(app.call("billing/keep", &[]).await.status(), StatusCode::OK);
    assert_eq!(billing(&app).await.scheduled, None);
    assert_eq!(app.call("billing/keep", &[]).await.status(), StatusCode::CONFLICT, "nothing is scheduled any more");
    assert_eq!(app.call("billing/change", &[("plan", "basic")]).await.status(), StatusCode::OK);
    // Refusals: the current plan, an unknown or hidden one.
    assert_eq!(app.call("billing/change", &[("plan", "pro")]).await.status(), StatusCode::CONFLICT);
    assert_eq!(app.call("billing/change", &[("plan", "nope")]).await.status(), StatusCode::BAD_REQUEST);

    // The month ends: the scheduled change applies (once, whichever node or worker does it).
    app.clock.advance(b.period_end - app.services.now() + chrono::Duration::minutes(1));
    app.services.apply_scheduled_plan_changes().await.unwrap();
    assert_eq!(app.services.apply_scheduled_plan_changes().await.unwrap(), 0);
    app.login(&email, crate::helpers::PASSWORD).await;
    let b = billing(&app).await;
    assert_eq!((b.plan.id.as_str(), b.scheduled.as_deref(), b.charges), ("basic", None, 0));
    let (_, plan) = app.services.team_plan(&app.services.db, &team).await.unwrap();
    assert_eq!(plan.id, "basic");
    app.eventually("the keys verify under Basic", || async { app.verify(&token, &k).await["quota"]["limit"] == 5000 }).await;
    // Cancelling goes to the default plan at the month's end.
    let res: Value = app.call("billing/cancel", &[]).await.json().await.unwrap();
    assert_eq!((res["plan"].as_str(), res["applied"].as_bool()), (Some("Free"), Some(false)));
    let b = billing(&app).await;
    assert!(b.cancelling && b.scheduled.as_deref() == Some("Free"));
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let changes = keyport_core::entity::audit_event::Entity::find()
        .filter(keyport_core::entity::audit_event::Column::Action.eq("plan.changed"))
        .filter(keyport_core::entity::audit_event::Column::TeamId.eq(&team))
        .count(&app.services.db)
        .await
        .unwrap();
    assert_eq!(changes, 7, "every change, scheduled one and call-off in the team's trail");
}
