//! The portal protects itself: server function calls are limited per session and per
//! address, key creation and invitations more tightly; a refusal is a 429 with Retry-After
//! that the UI can explain, and nothing the refused call asked for happens.

use crate::helpers::spawn_app_with;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn calls_over_the_limit_get_429_with_retry_after_and_key_creation_is_limited_sooner() {
    // 24 calls a minute per session: key creation gets 2, an address 6 of those.
    let app = spawn_app_with(|s| s.portal_ratelimit_per_minute = 24).await;
    let dev = app.new_user().await;
    app.act_as(&dev);
    let create = || app.call("keys/create", &[("name", "Bulk"), ("environment", "test"), ("expiry", "never")]);
    assert_eq!(create().await.status(), StatusCode::OK);
    assert_eq!(create().await.status(), StatusCode::OK);
    let res = create().await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["TooManyAttempts"]["retry_after"], wait, "the UI's own error, which says when to try again");
    assert_eq!(app.list_keys().await.len(), 2, "the refused call created nothing");
    // Another session from the same address still has its own allowance.
    let other = app.new_user().await;
    let res = app.call_as(&other.cookie, "keys/create", &[("name", "Mine"), ("environment", "test"), ("expiry", "never")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    // A plain form (no JavaScript) gets a page that says the same, with a way back.
    let res = app
        .client()
        .post(format!("{}/api/keys/create", app.base))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .header("referer", format!("{}/portal/keys?x=1", app.base))
        .header("cookie", format!("__Host-keyport_session={}", dev.cookie))
        .form(&[("name", "Bulk"), ("environment", "test"), ("expiry", "never")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Try again in") && html.contains("href=\"/portal/keys\""), "{html}");
    // Every other call counts against the general limit.
    let mut refused = None;
    for i in 0..40 {
        if app.call("keys/list", &[]).await.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(i);
            break;
        }
    }
    assert!(refused.is_some_and(|i| i < 24), "the session's 24 calls ran out: {refused:?}");
    // The next minute starts afresh.
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(app.call("keys/list", &[]).await.status(), StatusCode::OK);
    assert_eq!(create().await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn random_session_cookies_from_one_address_cost_at_most_the_address_limit() {
    let app = spawn_app_with(|s| s.portal_ratelimit_per_minute = 20).await;
    let before = app.services.portal_limiter.len();
    let mut limited = 0;
    for i in 0..300 {
        let res = app.call_as(&format!("forged-{i}"), "session", &[]).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    // 5 × 20 calls per address per minute; past that nothing new is tracked.
    assert_eq!(limited, 200);
    assert!(app.services.portal_limiter.len() - before <= 101, "tracked {}", app.services.portal_limiter.len());
}
