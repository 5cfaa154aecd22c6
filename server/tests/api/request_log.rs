//! The per-key request log: verify answers and served requests with endpoint, outcome,
//! latency and the client address the operator sends; the same on every node, filterable,
//! bounded to the newest 500 per key and 7 days; a bad address is refused and counts nothing.

use crate::helpers::{spawn_app, TestApp};
use keyport_core::dto::{CreatedKey, RequestLogView};
use keyport_core::services::verify::VerifyInput;
use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::json;

async fn log_at(app: &TestApp, base: &str, key_id: &str, filter: &str) -> RequestLogView {
    let res = app
        .client()
        .post(format!("{base}/api/keys/requests"))
        .header("sec-fetch-site", "same-origin")
        .header(COOKIE, format!("__Host-keyport_session={}", app.session_cookie().unwrap()))
        .form(&[("id", key_id), ("filter", filter)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_kinds_of_request_show_with_their_addresses_alike_on_two_nodes_and_filter_by_outcome() {
    let app = spawn_app().await;
    let other = app.second_node().await;
    app.signed_in().await;
    let res = app.call("keys/create", &[("name", "Prod"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "2")]).await;
    let key: CreatedKey = res.json().await.unwrap();
    let token = app.operator_token().await;

    // Verified on this node (the third over the limit), served requests reported on the other.
    for _ in 0..3 {
        let body = json!({ "key": key.secret.expose(), "endpoint": "GET /payments", "ip": "203.0.113.7" }).to_string();
        app.verify_raw(Some(&token), body).await;
    }
    let events: Vec<_> = [(200, 12.0), (404, 3.0), (503, 250.0)]
        .iter()
        .map(|(status, ms)| json!({ "key_id": key.key.id, "endpoint": "POST /payments", "status": status, "latency_ms": ms, "ip": "2001:DB8:0:0::1" }))
        .collect();
    let res = app.client().post(format!("{}/v1/usage", other.base)).bearer_auth(&token).json(&json!({ "events": events })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    app.eventually("both nodes flushed their part", || async { log_at(&app, &app.base, &key.key.id, "all").await.entries.len() == 6 }).await;
    let here = log_at(&app, &app.base, &key.key.id, "all").await;
    let there = log_at(&app, &other.base, &key.key.id, "all").await;
    assert_eq!(here, there, "every node shows the same log");
    assert_eq!(here.kept, 6);
    let verified: Vec<_> = here.entries.iter().filter(|e| !e.served).collect();
    assert_eq!(verified.iter().map(|e| e.outcome.as_str()).collect::<Vec<_>>(), ["RATE_LIMITED", "VALID", "VALID"], "newest first");
    assert!(verified.iter().all(|e| e.ip.as_deref() == Some("203.0.113.7") && e.endpoint.as_deref() == Some("GET /payments") && e.latency_ms.is_none()));
    let served: Vec<_> = here.entries.iter().filter(|e| e.served).collect();
    assert_eq!(served.len(), 3);
    assert!(served.iter().all(|e| e.ip.as_deref() == Some("2001:db8::1")), "addresses in their canonical form: {served:?}");
    assert!(served.iter().any(|e| e.outcome == "503" && e.latency_ms == Some(250.0) && !e.ok));

    let outcomes = |v: RequestLogView| {
        let mut o: Vec<String> = v.entries.into_iter().map(|e| e.outcome).collect();
        o.sort();
        o
    };
    assert_eq!(outcomes(log_at(&app, &app.base, &key.key.id, "ok").await), ["200", "VALID", "VALID"]);
    assert_eq!(outcomes(log_at(&app, &app.base, &key.key.id, "refused").await), ["RATE_LIMITED"]);
    assert_eq!(outcomes(log_at(&app, &other.base, &key.key.id, "4xx").await), ["404"]);
    assert_eq!(outcomes(log_at(&app, &other.base, &key.key.id, "5xx").await), ["503"]);
    assert_eq!(log_at(&app, &app.base, &key.key.id, "nonsense").await.entries.len(), 6, "an unknown filter lists everything");

    // The key's page draws it.
    let page = app.page(&format!("/portal/keys/{}?log=5xx", key.key.id)).await.text().await.unwrap();
    assert!(page.contains("Request log") && page.contains("2001:db8::1") && page.contains("250 ms"), "the page shows the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_address_is_refused_and_counts_nothing() {
    let app = spawn_app().await;
    app.signed_in().await;
    let key = app.create_key("Prod", "live", "never").await;
    let token = app.operator_token().await;
    for bad in ["not an ip", "999.1.1.1", "", "203.0.113.7; DROP"] {
        let body = json!({ "key": key.secret.expose(), "ip": bad }).to_string();
        let res = app.verify_raw(Some(&token), body).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(res.text().await.unwrap().contains("`ip`"));
        let events = json!({ "events": [{ "key_id": key.key.id, "status": 200, "latency_ms": 1, "ip": bad }] });
        let res = app.client().post(format!("{}/v1/usage", app.base)).bearer_auth(&token).json(&events).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
    }
    app.services.flush_request_log().await.unwrap();
    assert_eq!(log_at(&app, &app.base, &key.key.id, "all").await.kept, 0);
    assert_eq!(app.usage().await.month_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_keeps_the_newest_500_per_key_and_seven_days() {
    let app = spawn_app().await;
    app.signed_in().await;
    let busy = app.create_key("Busy", "live", "never").await;
    let quiet = app.create_key("Quiet", "live", "never").await;
    let scopes: Vec<String> = Vec::new();
    for i in 0..620 {
        let endpoint = format!("GET /items/{i}");
        let input = VerifyInput { key: busy.secret.expose(), scopes: &scopes, cost: 0, endpoint: Some(&endpoint), ip: None };
        app.services.verify(input).await.unwrap();
        // Flushed in several batches, as the worker would.
        if i % 200 == 199 {
            app.services.flush_request_log().await.unwrap();
        }
    }
    app.services.verify(VerifyInput::key(quiet.secret.expose())).await.unwrap();
    app.services.flush_request_log().await.unwrap();
    let log = log_at(&app, &app.base, &busy.key.id, "all").await;
    assert_eq!(log.kept, 500, "the newest 500");
    assert_eq!(log.entries[0].endpoint.as_deref(), Some("GET /items/619"), "newest first");
    assert_eq!(log.entries.len(), keyport_core::services::usage::request_log::SHOWN as usize);
    assert_eq!(log_at(&app, &app.base, &quiet.key.id, "all").await.kept, 1, "another key keeps its own");

    app.clock.advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    assert!(app.services.prune_request_log().await.unwrap() >= 501);
    assert_eq!(log_at(&app, &app.base, &busy.key.id, "all").await.kept, 0);
}
