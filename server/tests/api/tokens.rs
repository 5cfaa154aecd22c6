//! Operator tokens: scopes per route, expiry, revocation on every node within a second.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_token_calls_only_the_routes_its_scopes_allow() {
    let app = spawn_app().await;
    app.signed_in().await;
    let key = app.create_key("k", "live", "never").await;
    let usage_only = app.services.create_operator_token_with("collector", "usage", None).await.unwrap().token;
    let res = app.verify_raw(Some(&usage_only), format!("{{\"key\":\"{}\"}}", key.secret.expose())).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "missing_scope");
    assert!(body["error"]["message"].as_str().unwrap().contains("`verify`"), "names the scope: {body}");
    let usage = app.client().post(format!("{}/v1/usage", app.base)).bearer_auth(&usage_only)
        .json(&serde_json::json!({"events": [{"key_id": key.key.id, "endpoint": "GET /x", "status": 200, "latency_ms": 5}]})).send().await.unwrap();
    assert_eq!(usage.status(), StatusCode::ACCEPTED, "its own route works");
    let metrics = app.client().get(format!("{}/v1/metrics", app.base)).bearer_auth(&usage_only).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::FORBIDDEN, "metrics need admin");

    for bad in ["", "verify,nope", "  "] {
        assert!(app.services.create_operator_token_with("x", bad, None).await.is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn an_expired_or_revoked_token_is_refused_on_every_node_within_a_second() {
    let app = spawn_app().await;
    app.signed_in().await;
    let key = app.create_key("k", "live", "never").await;
    let other = app.second_node().await;
    let made = app.services.create_operator_token_with("gateway", "verify", Some(chrono::Duration::days(1))).await.unwrap();
    let verify_on = |base: String, token: String| {
        let client = app.client().clone();
        let body = format!("{{\"key\":\"{}\"}}", key.secret.expose());
        async move {
            client.post(format!("{base}/v1/keys/verify")).bearer_auth(token).header("content-type", "application/json").body(body).send().await.unwrap().status()
        }
    };
    assert_eq!(verify_on(other.base.clone(), made.token.clone()).await, StatusCode::OK, "a token made on one node works on another at once");
    app.services.revoke_operator_token(&made.id).await.unwrap();
    assert_eq!(verify_on(app.base.clone(), made.token.clone()).await, StatusCode::UNAUTHORIZED, "refused at once where revoked");
    let started = Instant::now();
    while verify_on(other.base.clone(), made.token.clone()).await != StatusCode::UNAUTHORIZED {
        assert!(started.elapsed() < Duration::from_secs(1), "the other node still accepts it");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    let short = app.services.create_operator_token_with("short", "verify", Some(chrono::Duration::hours(1))).await.unwrap();
    assert_eq!(verify_on(app.base.clone(), short.token.clone()).await, StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(verify_on(app.base.clone(), short.token.clone()).await, StatusCode::UNAUTHORIZED, "expired");
    let listed = app.services.list_operator_tokens().await.unwrap();
    let gateway = listed.iter().find(|t| t.id == made.id).unwrap();
    assert!(gateway.revoked_at.is_some() && gateway.last_used_at.is_some() && gateway.scopes == "verify", "{gateway:?}");
}
