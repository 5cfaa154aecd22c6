//! The developer's own profile: a name (checked, nothing changed on a refusal) and which
//! emails they want, honoured by the quota warnings and the expiry reminders; security
//! notices cannot be turned off.

use crate::helpers::{spawn_app_with, PASSWORD};
use keyport_core::clock::Clock;
use keyport_core::entity::{audit_event, outbox_email};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_and_email_choices_are_saved_checked_and_honoured() {
    let app = spawn_app_with(|s| s.monthly_quota = 10).await;
    let email = app.signed_in().await;
    let account = || async { app.call("account", &[]).await.json::<Value>().await.unwrap() };
    let before = account().await;
    assert_eq!((before["name"].is_null(), before["notify_quota"].as_bool(), before["notify_expiry"].as_bool(), before["notify_news"].as_bool()), (true, Some(true), Some(true), Some(false)), "{before}");

    // Refused: too long, two lines. Nothing changes.
    for bad in ["x".repeat(81), "Ann\nSmith".to_owned()] {
        let res = app.call("account/profile", &[("name", bad.as_str()), ("quota", "on")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(res.json::<Value>().await.unwrap()["Invalid"]["field"], "name");
    }
    assert_eq!(account().await["notify_expiry"], true, "nothing changed");

    // Saved: the name, quota warnings and reminders off (unticked boxes are absent).
    assert_eq!(app.call("account/profile", &[("name", "  Ann Smith  "), ("news", "on")]).await.status(), StatusCode::OK);
    let after = account().await;
    assert_eq!((after["name"].as_str(), after["notify_quota"].as_bool(), after["notify_expiry"].as_bool(), after["notify_news"].as_bool()), (Some("Ann Smith"), Some(false), Some(false), Some(true)));
    let page = app.page("/portal/settings").await.text().await.unwrap();
    assert!(page.contains("value=\"Ann Smith\"") && page.contains("always sent"), "the settings page shows it");
    let audited = audit_event::Entity::find().filter(audit_event::Column::Action.eq("profile.changed")).all(&app.services.db).await.unwrap();
    assert_eq!(audited.len(), 1, "one change, one row");

    // Honoured: no quota warning and no expiry reminder for this owner.
    let key = app.create_key("Busy", "live", "30").await;
    let token = app.operator_token().await;
    for _ in 0..10 {
        app.verify(&token, key.secret.expose()).await;
    }
    app.eventually("10 counted", || async { app.usage().await.month_requests == 10 }).await;
    app.services.check_quota_alerts().await.unwrap();
    app.clock.advance(key.key.expires_at.unwrap() - chrono::Duration::days(7) + chrono::Duration::hours(1) - app.clock.now());
    assert_eq!(app.services.check_expiry_reminders().await.unwrap(), 0);
    let sent = outbox_email::Entity::find().filter(outbox_email::Column::ToAddress.eq(email.as_str())).all(&app.services.db).await.unwrap();
    assert!(sent.iter().all(|e| e.kind != "quota_alert" && e.kind != "key_expiring"), "{:?}", sent.iter().map(|e| &e.kind).collect::<Vec<_>>());

    // Security notices still go: a password change is emailed.
    let res = app.call("account/password", &[("current_password", PASSWORD), ("new_password", "a brand new passphrase 42"), ("confirm_password", "a brand new passphrase 42")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let changed = outbox_email::Entity::find().filter(outbox_email::Column::ToAddress.eq(email.as_str())).filter(outbox_email::Column::Kind.eq("password_changed")).all(&app.services.db).await.unwrap();
    assert_eq!(changed.len(), 1);
}
