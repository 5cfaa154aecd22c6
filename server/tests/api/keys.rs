//! Creating, listing and revoking keys, and team isolation.

use crate::helpers::spawn_app;
use keyport_core::dto::KeyStatus;
use keyport_core::key::{Environment, WellFormedKey};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_key_is_returned_once_and_listed_only_masked() {
    let app = spawn_app().await;
    app.signed_in().await;
    let res = app.call("keys/create", &[("name", "Production"), ("environment", "live"), ("expiry", "90")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: keyport_core::dto::CreatedKey = res.json().await.unwrap();
    let secret = created.secret.expose().to_owned();
    let parsed = WellFormedKey::parse(&secret).expect("well-formed");
    assert_eq!(parsed.environment(), Environment::Live);
    assert!(secret.starts_with("kp_live_"));
    assert_eq!(created.key.masked, format!("{}…{}", &secret[..12], &secret[secret.len() - 4..]));
    let expires = created.key.expires_at.unwrap();
    assert_eq!((expires - created.key.created_at).num_days(), 90);

    let raw = app.call("keys/list", &[]).await.text().await.unwrap();
    assert!(!raw.contains(&secret), "the list never carries the secret");
    let list = app.list_keys().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Production");
    assert_eq!(list[0].status, KeyStatus::Active);
    assert!(list[0].last_used_at.is_none());

    app.clock.advance(chrono::Duration::seconds(1));
    let test_key = app.create_key("Staging", "test", "never").await;
    assert!(test_key.secret.expose().starts_with("kp_test_"));
    assert!(test_key.key.expires_at.is_none());
    assert_eq!(app.list_keys().await[0].name, "Staging", "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_key_input_gets_field_errors_and_creates_nothing() {
    let app = spawn_app().await;
    app.signed_in().await;
    let long = "n".repeat(65);
    for (name, env, expiry, field) in [
        ("", "live", "never", "name"),
        ("   ", "live", "never", "name"),
        (long.as_str(), "live", "never", "name"),
        ("ok", "prod", "never", "environment"),
        ("ok", "live", "7", "expiry"),
    ] {
        let res = app.call("keys/create", &[("name", name), ("environment", env), ("expiry", expiry)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{field}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], field);
    }
    let missing = app.call("keys/create", &[("name", "no env")]).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert!(app.list_keys().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_marks_the_key_revoked_and_is_idempotent() {
    let app = spawn_app().await;
    app.signed_in().await;
    let k = app.create_key("CI", "test", "30").await;
    let res = app.call("keys/revoke", &[("id", &k.key.id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list = app.list_keys().await;
    assert_eq!(list[0].status, KeyStatus::Revoked);
    assert!(list[0].revoked_at.is_some());
    assert_eq!(app.call("keys/revoke", &[("id", &k.key.id)]).await.status(), StatusCode::OK);
    assert_eq!(app.call("keys/revoke", &[("id", "key_nope")]).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_key_is_invisible_and_cannot_be_revoked() {
    let app = spawn_app().await;
    app.signed_in().await;
    let alice_key = app.create_key("Alice's", "live", "never").await;
    let alice = app.session_cookie();
    app.set_session_cookie(None);
    app.signed_in().await;
    assert!(app.list_keys().await.is_empty(), "Bob sees none of Alice's keys");
    let res = app.call("keys/revoke", &[("id", &alice_key.key.id)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "indistinguishable from a missing key");
    app.set_session_cookie(alice);
    assert_eq!(app.list_keys().await[0].status, KeyStatus::Active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_functions_require_a_session() {
    let app = spawn_app().await;
    for (ep, form) in [
        ("keys/list", vec![]),
        ("keys/create", vec![("name", "x"), ("environment", "live"), ("expiry", "never")]),
        ("keys/revoke", vec![("id", "key_x")]),
        ("usage/summary", vec![]),
    ] {
        assert_eq!(app.call(ep, &form).await.status(), StatusCode::UNAUTHORIZED, "{ep}");
    }
    app.set_session_cookie(Some("forged-token".into()));
    assert_eq!(app.call("keys/list", &[]).await.status(), StatusCode::UNAUTHORIZED);
}
