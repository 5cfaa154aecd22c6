//! Settings changed while Keyport runs: checked before they are stored, audited, in effect on
//! a second node within a second, and what they change.

use crate::helpers::spawn_app;
use keyport_core::services::audit::RequestMeta;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_bad_value_changes_nothing_and_names_the_setting() {
    let app = spawn_app().await;
    let svc = app.services.clone();
    let meta = RequestMeta::default();
    svc.set_setting("custom.primary_color", "#4f46e5", false, "cli", &meta).await.unwrap();
    for (key, bad) in [("custom.primary_color", "blue"), ("keys.max_ratelimit", "-1"), ("keys.default_scopes", "nope:none"), ("no.such", "1")] {
        let e = svc.set_setting(key, bad, false, "cli", &meta).await.expect_err(bad);
        assert!(e.to_string().contains(key) || format!("{e:?}").contains(key), "{e:?} names {key}");
    }
    assert_eq!(svc.settings().primary_color.as_deref(), Some("#4f46e5"), "the refused values changed nothing");
    assert_eq!(svc.settings().max_ratelimit_per_minute, svc.config.max_ratelimit_per_minute);
    let audited = keyport_core::entity::audit_event::Entity::find()
        .filter(keyport_core::entity::audit_event::Column::Action.eq("setting.changed"))
        .all(&svc.db).await.unwrap();
    assert_eq!(audited.len(), 1, "one change, one audit row");
    assert_eq!(audited[0].detail.as_deref(), Some("custom.primary_color = #4f46e5"));
    assert_eq!(audited[0].team_id, None, "site-wide, in no team's trail");
}

#[tokio::test]
async fn a_setting_changed_on_one_node_is_in_effect_on_another_within_a_second() {
    let app = spawn_app().await;
    let other = app.second_node().await;
    let meta = RequestMeta::default();
    app.services.set_setting("keys.max_per_team", "3", false, "cli", &meta).await.unwrap();
    let started = Instant::now();
    while other.services.settings().max_active_keys != 3 {
        assert!(started.elapsed() < Duration::from_secs(1), "the second node still has {}", other.services.settings().max_active_keys);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And it is the policy keys are held to there.
    let owner = app.new_user().await;
    app.act_as(&owner);
    for i in 0..3 {
        app.create_key(&format!("k{i}"), "live", "never").await;
    }
    let res = other.services.create_key(
        &other.services.authenticate(&owner.cookie).await.unwrap().unwrap(),
        keyport_core::services::keys::KeyInput { name: "fourth", description: "", environment: "live", scopes: "", expiry: "never", ratelimit: "", quota: "" },
        &meta,
    ).await;
    assert!(res.is_err(), "the fourth key is refused on the second node");
    app.services.unset_setting("keys.max_per_team", "cli", &meta).await.unwrap();
    let started = Instant::now();
    while other.services.settings().max_active_keys == 3 {
        assert!(started.elapsed() < Duration::from_secs(1), "unset reaches the second node too");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_encrypted_setting_is_sealed_at_rest_and_shown_as_encrypted() {
    let app = spawn_app().await;
    let svc = app.services.clone();
    svc.set_setting("portal.app_name", "Sealed Portal", true, "cli", &RequestMeta::default()).await.unwrap();
    let row = keyport_core::entity::setting::Entity::find_by_id("portal.app_name").one(&svc.db).await.unwrap().unwrap();
    assert!(row.encrypted && !row.value.contains("Sealed"), "stored sealed: {}", row.value);
    assert_eq!(svc.settings().app_name, "Sealed Portal", "in effect in the clear");
    let listed = svc.list_settings().await.unwrap().into_iter().find(|s| s.key == "portal.app_name").unwrap();
    assert_eq!((listed.value.as_str(), listed.source), ("<encrypted>", "stored"));
}


#[tokio::test]
async fn a_key_lifetime_limit_refuses_keys_that_live_longer() {
    let app = spawn_app().await;
    app.signed_in().await;
    app.services.set_setting("keys.max_lifetime_days", "90", false, "cli", &RequestMeta::default()).await.unwrap();
    for expiry in ["never", "180"] {
        let res = app.call("keys/create", &[("name", "long"), ("environment", "live"), ("expiry", expiry)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{expiry}");
        assert!(res.text().await.unwrap().contains("at most 90 days"));
    }
    let res = app.call("keys/create", &[("name", "short"), ("environment", "live"), ("expiry", "30")]).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_up_follows_the_mode_and_the_allowed_domains_while_invitations_still_work() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    let svc = app.services.clone();
    svc.set_setting("signup.mode", "invite_only", false, "cli", &meta).await.unwrap();
    let res = app.register(&crate::helpers::email(), crate::helpers::PASSWORD).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("by invitation"));
    svc.set_setting("signup.mode", "closed", false, "cli", &meta).await.unwrap();
    assert!(app.register(&crate::helpers::email(), crate::helpers::PASSWORD).await.text().await.unwrap().contains("closed"));
    svc.set_setting("signup.mode", "open", false, "cli", &meta).await.unwrap();
    svc.set_setting("signup.allowed_email_domains", "acme.example", false, "cli", &meta).await.unwrap();
    let res = app.register("someone@example.com", crate::helpers::PASSWORD).await;
    assert!(res.text().await.unwrap().contains("acme.example only"));
    let res = app.register(&format!("dev-{}@acme.example", keyport_core::crypto::random_base62(8).to_lowercase()), crate::helpers::PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK, "an address at the allowed domain signs up");
}
