//! `POST /v1/keys/verify`: every code, limits, headers, usage.

use crate::helpers::{spawn_app, spawn_app_with};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_key_verifies_with_its_identity_and_rate_limit_headers() {
    let app = spawn_app().await;
    app.signed_in().await;
    let k = app.create_key("Gateway", "live", "never").await;
    let token = app.operator_token().await;
    let res = app.verify_raw(Some(&token), serde_json::json!({ "key": k.secret.expose() }).to_string()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-ratelimit-limit"], "60");
    assert_eq!(res.headers()["x-ratelimit-remaining"], "59");
    assert!(res.headers().contains_key("x-ratelimit-reset"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["valid"], true);
    assert_eq!(body["code"], "VALID");
    assert_eq!(body["key_id"], k.key.id.as_str());
    assert!(body["team_id"].as_str().unwrap().starts_with("team_"));
    assert_eq!(body["environment"], "live");
    assert_eq!(body["ratelimit"]["limit"], 60);
    assert_eq!(body["ratelimit"]["remaining"], 59);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_mistyped_keys_are_invalid_format_and_unknown_ones_not_found() {
    let app = spawn_app().await;
    app.signed_in().await;
    let k = app.create_key("Gateway", "live", "never").await;
    let token = app.operator_token().await;
    let secret = k.secret.expose();
    let mut typo = secret.to_owned().into_bytes();
    typo[12] = if typo[12] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    for bad in ["", "hello", "kp_live_short", typo.as_str()] {
        let body = app.verify(&token, bad).await;
        assert_eq!(body["code"], "INVALID_FORMAT", "{bad}");
        assert_eq!(body["valid"], false);
    }
    let lookups = app.services.verifier.db_lookups();
    // A well-formed key that was never issued.
    let unknown = keyport_core::key::assemble(keyport_core::key::Environment::Live, &"Z".repeat(22));
    let body = app.verify(&token, &unknown).await;
    assert_eq!(body["code"], "NOT_FOUND");
    assert_eq!(app.services.verifier.db_lookups(), lookups + 1, "format failures never reach the database");
    app.verify(&token, &unknown).await;
    assert_eq!(app.services.verifier.db_lookups(), lookups + 1, "unknown keys are cached as missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_refused_on_the_very_next_verify() {
    let app = spawn_app().await;
    app.signed_in().await;
    let k = app.create_key("Gateway", "live", "never").await;
    let token = app.operator_token().await;
    assert_eq!(app.verify(&token, k.secret.expose()).await["code"], "VALID");
    assert_eq!(app.call("keys/revoke", &[("id", &k.key.id)]).await.status(), StatusCode::OK);
    let body = app.verify(&token, k.secret.expose()).await;
    assert_eq!(body["code"], "REVOKED");
    assert_eq!(body["valid"], false);
    assert_eq!(body["key_id"], k.key.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_past_its_expiry_is_expired() {
    let app = spawn_app().await;
    app.signed_in().await;
    let k = app.create_key("Temp", "test", "30").await;
    let token = app.operator_token().await;
    assert_eq!(app.verify(&token, k.secret.expose()).await["code"], "VALID");
    app.clock.advance(chrono::Duration::days(30) - chrono::Duration::seconds(1));
    assert_eq!(app.verify(&token, k.secret.expose()).await["code"], "VALID");
    app.clock.advance(chrono::Duration::seconds(1));
    let body = app.verify(&token, k.secret.expose()).await;
    assert_eq!(body["code"], "EXPIRED");
    assert!(body["expires_at"].as_str().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_five_concurrent_calls_give_exactly_sixty_valid_and_five_rate_limited() {
    let app = spawn_app().await;
    app.signed_in().await;
    let k = app.create_key("Busy", "live", "never").await;
    let token = app.operator_token().await;
    let calls = (0..65).map(|_| app.verify_raw(Some(&token), serde_json::json!({ "key": k.secret.expose() }).to_string()));
    let responses = join_all(calls).await;
    let mut valid = 0;
    let mut limited = 0;
    for res in responses {
        let retry_after = res.headers().get("retry-after").cloned();
        let body: Value = res.json().await.unwrap();
        match body["code"].as_str().unwrap() {
            "VALID" => valid += 1,
            "RATE_LIMITED" => {
                limited += 1;
                assert!(retry_after.is_some(), "Retry-After on refusals");
                assert_eq!(body["ratelimit"]["remaining"], 0);
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((valid, limited), (60, 5));
    // The next window admits again.
    app.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(app.verify(&token, k.secret.expose()).await["code"], "VALID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_needs_a_valid_operator_token() {
    let app = spawn_app().await;
    let body = serde_json::json!({ "key": "kp_live_x" }).to_string();
    for token in [None, Some("wrong"), Some("kpr_notarealtokenatall")] {
        let res = app.verify_raw(token, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "unauthorized");
    }
    // A session cookie is not an operator token.
    app.signed_in().await;
    let res = app
        .client()
        .post(format!("{}/v1/keys/verify", app.base))
        .header("cookie", format!("__Host-keyport_session={}", app.session_cookie().unwrap()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_a_400_json_error() {
    let app = spawn_app().await;
    let token = app.operator_token().await;
    let too_many: Vec<String> = (0..51).map(|i| format!("s:{i}")).collect();
    let bodies = [
        "".to_owned(), "not json".into(), "{}".into(), "{\"key\": 5}".into(), "[]".into(),
        serde_json::json!({ "key": "kp_x", "cost": -1 }).to_string(),
        serde_json::json!({ "key": "kp_x", "cost": 1001 }).to_string(),
        serde_json::json!({ "key": "kp_x", "cost": 1.5 }).to_string(),
        serde_json::json!({ "key": "kp_x", "scopes": "payments:read" }).to_string(),
        serde_json::json!({ "key": "kp_x", "scopes": too_many }).to_string(),
        serde_json::json!({ "key": "kp_x", "endpoint": "e".repeat(257) }).to_string(),
        serde_json::json!({ "key": "kp_x", "sopes": ["typo"] }).to_string(),
    ];
    for body in bodies {
        let res = app.verify_raw(Some(&token), body.clone()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "bad_request");
    }
    let huge = serde_json::json!({ "key": "k".repeat(100_000) }).to_string();
    let res = app.verify_raw(Some(&token), huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifications_reach_the_dashboard_usage_and_last_used() {
    let app = spawn_app().await;
    app.signed_in().await;
    let k = app.create_key("Counted", "live", "never").await;
    let token = app.operator_token().await;
    assert_eq!(app.usage().await.month_requests, 0);
    for _ in 0..3 {
        assert_eq!(app.verify(&token, k.secret.expose()).await["code"], "VALID");
    }
    app.eventually("usage is flushed", || async { app.usage().await.month_requests == 3 }).await;
    let u = app.usage().await;
    assert_eq!(u.month_quota, 10_000);
    assert_eq!(u.rate_limit, 60);
    assert_eq!(u.rate_per_minute, 3);
    assert_eq!(u.active_keys, 1);
    assert!(app.list_keys().await[0].last_used_at.is_some());
    // Another user's dashboard does not see these numbers.
    app.set_session_cookie(None);
    app.signed_in().await;
    assert_eq!(app.usage().await.month_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_costly_request_uses_that_many_units_and_a_refusal_uses_none() {
    let app = spawn_app().await;
    app.signed_in().await;
    let res = app.call("keys/create", &[("name", "k"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "10"), ("scopes", "payments:read")]).await;
    let key: keyport_core::dto::CreatedKey = res.json().await.unwrap();
    let token = app.operator_token().await;
    let call = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move { app.verify_raw(Some(&token), body.to_string()).await.json::<Value>().await.unwrap() }
    };
    let k = key.secret.expose();
    let v = call(serde_json::json!({ "key": k, "cost": 7, "endpoint": "POST /payments" })).await;
    assert_eq!((v["code"].as_str(), v["ratelimit"]["remaining"].as_u64()), (Some("VALID"), Some(3)));
    assert_eq!(v["scopes"], serde_json::json!(["payments:read"]));
    // Missing scope: refused before the limiter, so nothing is consumed.
    let v = call(serde_json::json!({ "key": k, "scopes": ["payments:write"], "cost": 1 })).await;
    assert_eq!(v["code"], "INSUFFICIENT_SCOPES");
    assert!(v["ratelimit"].is_null());
    // Too costly for what is left: refused, nothing consumed.
    let v = call(serde_json::json!({ "key": k, "cost": 4 })).await;
    assert_eq!((v["code"].as_str(), v["ratelimit"]["remaining"].as_u64()), (Some("RATE_LIMITED"), Some(3)));
    // Cost 0 checks without consuming; then the last three fit.
    let v = call(serde_json::json!({ "key": k, "cost": 0 })).await;
    assert_eq!((v["code"].as_str(), v["ratelimit"]["remaining"].as_u64()), (Some("VALID"), Some(3)));
    let v = call(serde_json::json!({ "key": k, "cost": 3, "scopes": ["payments:read"] })).await;
    assert_eq!((v["code"].as_str(), v["ratelimit"]["remaining"].as_u64()), (Some("VALID"), Some(0)));
}

async fn key_with(app: &crate::helpers::TestApp, form: &[(&str, &str)]) -> String {
    let mut all = vec![("name", "quota"), ("environment", "live"), ("expiry", "never")];
    all.extend_from_slice(form);
    let res = app.call("keys/create", &all).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<keyport_core::dto::CreatedKey>().await.unwrap().secret.expose().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monthly_quota_admits_exactly_its_size_then_usage_exceeded_until_next_month() {
    let app = spawn_app().await;
    app.signed_in().await;
    let key = key_with(&app, &[("quota", "5"), ("ratelimit", "100")]).await;
    let token = app.operator_token().await;
    for i in 1..=5 {
        let v = app.verify(&token, &key).await;
        assert_eq!(v["code"], "VALID", "request {i}");
        assert_eq!(v["quota"]["used"], i);
        assert_eq!(v["quota"]["remaining"], 5 - i);
    }
    let v = app.verify(&token, &key).await;
    assert_eq!(v["code"], "USAGE_EXCEEDED");
    assert_eq!(v["valid"], false);
    assert_eq!((v["quota"]["limit"].as_i64(), v["quota"]["remaining"].as_i64()), (Some(5), Some(0)));
    assert_eq!(v["ratelimit"]["remaining"], 95, "the refused request gave its rate-limit unit back");
    let resets: chrono::DateTime<chrono::Utc> = v["quota"]["resets_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(resets, keyport_core::services::quota::next_month(app.services.now()));
    // A new month, a new quota.
    app.clock.advance(resets - app.services.now() + chrono::Duration::seconds(1));
    let v = app.verify(&token, &key).await;
    assert_eq!((v["code"].as_str(), v["quota"]["used"].as_i64()), (Some("VALID"), Some(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_of_500_under_64_callers_and_a_restart_admits_exactly_500() {
    let mut app = spawn_app().await;
    app.signed_in().await;
    let key = key_with(&app, &[("quota", "500"), ("ratelimit", "1000")]).await;
    let token = app.operator_token().await;
    let first = app.burst(&token, &key, 300).await;
    assert_eq!(first, 300);
    app.restart().await;
    let second = app.burst(&token, &key, 400).await;
    assert_eq!(first + second, 500, "exactly the quota, across the restart");
    assert_eq!(app.verify(&token, &key).await["code"], "USAGE_EXCEEDED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_key_is_verified_without_any_database_query() {
    let app = spawn_app().await;
    app.signed_in().await;
    let plain = key_with(&app, &[("ratelimit", "1000")]).await;
    let quota = key_with(&app, &[("ratelimit", "1000"), ("quota", "100000")]).await;
    let token = app.operator_token().await;
    // Creating the keys logged changes for other nodes; once this node's sync has seen them
    // too, nothing invalidates the warm entries below.
    let last_change = {
        use sea_orm::{EntityTrait, QueryOrder};
        keyport_core::entity::key_change::Entity::find()
            .order_by_desc(keyport_core::entity::key_change::Column::Id)
            .one(&app.services.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    app.eventually("the cache sync caught up", || async { app.services.verifier.synced_to() >= last_change }).await;
    let queries = || async {
        let res = app.client().get(format!("{}/v1/metrics", app.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        let line = text.lines().find(|l| l.starts_with("keyport_verify_db_queries_total ")).unwrap();
        line.split(' ').nth(1).unwrap().parse::<u64>().unwrap()
    };
    app.verify(&token, &plain).await;
    let before = queries().await;
    for _ in 0..200 {
        assert_eq!(app.verify(&token, &plain).await["code"], "VALID");
    }
    assert_eq!(queries().await - before, 0, "a warm key costs no database query");
    // A quota key spends from its lease: one block (a twentieth, here 1000 units) per lease.
    app.verify(&token, &quota).await;
    let before = queries().await;
    for _ in 0..200 {
        assert_eq!(app.verify(&token, &quota).await["code"], "VALID");
    }
    assert_eq!(queries().await - before, 0, "within a lease, no query either");
    assert_eq!(app.client().get(format!("{}/v1/metrics", app.base)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_report_revokes_real_keys_tells_the_owners_and_reveals_nothing() {
    let app = spawn_app().await;
    let owner = app.signed_in().await;
    let leaked = app.create_key("Leaky", "live", "never").await;
    let safe = app.create_key("Safe", "live", "never").await;
    let token = app.operator_token().await;
    let post = |body: String, auth: bool| {
        let app = &app;
        let token = token.clone();
        async move {
            let mut req = app.client().post(format!("{}/v1/keys/leaked", app.base)).header("content-type", "application/json").body(body);
            if auth {
                req = req.bearer_auth(token);
            }
            req.send().await.unwrap()
        }
    };
    let fake = keyport_core::key::assemble(keyport_core::key::Environment::Live, &"A".repeat(22));
    let report = serde_json::json!([
        { "token": leaked.secret.expose(), "type": "keyport_live_key", "url": "https://github.com/acme/app/blob/main/.env", "source": "content" },
        { "token": fake, "type": "keyport_live_key", "url": "https://example.com/paste", "source": "content" },
        { "token": "not-a-key-at-all" },
    ])
    .to_string();
    let res = post(report.clone(), true).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "received": 3 }), "the same answer whatever was real");

    assert_eq!(app.verify(&token, leaked.secret.expose()).await["code"], "REVOKED");
    assert_eq!(app.verify(&token, safe.secret.expose()).await["code"], "VALID");
    let rows: Value = app.call("audit/list", &[("action", "key.leak_revoked"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert!(rows[0]["detail"].as_str().unwrap().contains("https://github.com/acme/app/blob/main/.env"));
    let mut emails = Vec::new();
    for _ in 0..100 {
        emails = app.call("outbox/list", &[]).await.json::<Vec<Value>>().await.unwrap();
        // Only the leak report, not the key-created emails before it.
        emails.retain(|e| e["subject"].as_str().unwrap().contains("found in public"));
        if emails.iter().any(|e| e["status"] == "logged") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["to"], owner.as_str());
    assert!(emails[0]["subject"].as_str().unwrap().contains("Leaky"));
    assert!(!emails[0]["body"].as_str().unwrap().contains(leaked.secret.expose()), "the email shows the key masked");

    // Reporting again changes nothing and answers the same.
    assert_eq!(post(report, true).await.status(), StatusCode::ACCEPTED);
    let rows: Value = app.call("audit/list", &[("action", "key.leak_revoked"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    // Refusals.
    assert_eq!(post("[]".into(), false).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post("{\"token\": 1}".into(), true).await.status(), StatusCode::BAD_REQUEST);
    let too_many: Vec<Value> = (0..1001).map(|_| serde_json::json!({ "token": "x" })).collect();
    assert_eq!(post(serde_json::to_string(&too_many).unwrap(), true).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_page_shows_its_last_hour_and_latest_answers() {
    let app = spawn_app().await;
    app.signed_in().await;
    let res = app.call("keys/create", &[("name", "k"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "2")]).await;
    let key: keyport_core::dto::CreatedKey = res.json().await.unwrap();
    let token = app.operator_token().await;
    for _ in 0..3 {
        let body = serde_json::json!({ "key": key.secret.expose(), "endpoint": "GET /payments" }).to_string();
        app.verify_raw(Some(&token), body).await;
    }
    let activity = || async {
        app.call("keys/activity", &[("id", &key.key.id)]).await.json::<keyport_core::dto::KeyActivity>().await.unwrap()
    };
    app.eventually("the minute is flushed", || async {
        let a = activity().await;
        a.valid.iter().sum::<i64>() == 2 && a.refused.iter().sum::<i64>() == 1
    })
    .await;
    let a = activity().await;
    assert_eq!((a.valid.len(), a.refused[59]), (60, 1), "the current minute is the last bar");
    let log = || async { app.call("keys/requests", &[("id", &key.key.id)]).await.json::<keyport_core::dto::RequestLogView>().await.unwrap() };
    app.eventually("the request log is flushed", || async { log().await.entries.len() == 3 }).await;
    let log = log().await;
    let codes: Vec<&str> = log.entries.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(codes, ["RATE_LIMITED", "VALID", "VALID"], "newest first");
    assert!(log.entries.iter().all(|r| r.endpoint.as_deref() == Some("GET /payments")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_callers_against_a_limit_of_100_per_minute_get_exactly_100() {
    let app = spawn_app().await;
    app.signed_in().await;
    let res = app.call("keys/create", &[("name", "Hot"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "100")]).await;
    let key: keyport_core::dto::CreatedKey = res.json().await.unwrap();
    let token = app.operator_token().await;
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
    let calls = (0..300).map(|_| {
        let sem = sem.clone();
        let (app, token, key) = (&app, &token, key.secret.expose());
        async move {
            let _p = sem.acquire().await.unwrap();
            app.verify(token, key).await["code"] == "VALID"
        }
    });
    let valid = join_all(calls).await.into_iter().filter(|v| *v).count();
    assert_eq!(valid, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_counts_each_answer_code_endpoint_and_cost_per_minute() {
    use keyport_core::entity::{usage_minute, usage_minute_detail};
    use sea_orm::EntityTrait;
    let app = spawn_app().await;
    app.signed_in().await;
    let res = app.call("keys/create", &[("name", "k"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "10"), ("scopes", "payments:read")]).await;
    let key: keyport_core::dto::CreatedKey = res.json().await.unwrap();
    let token = app.operator_token().await;
    let k = key.secret.expose();
    for body in [
        serde_json::json!({ "key": k, "cost": 4, "endpoint": "POST /charges" }),
        serde_json::json!({ "key": k, "cost": 5, "endpoint": "POST /charges" }),
        serde_json::json!({ "key": k, "endpoint": "GET /payments" }),
        serde_json::json!({ "key": k, "cost": 1, "endpoint": "GET /payments" }),
        serde_json::json!({ "key": k, "scopes": ["payments:write"] }),
    ] {
        app.verify_raw(Some(&token), body.to_string()).await;
    }
    app.eventually("usage flushed", || async {
        usage_minute::Entity::find().all(&app.services.db).await.unwrap().iter().map(|r| r.valid + r.refused).sum::<i64>() == 5
    })
    .await;
    let minute = usage_minute::Entity::find().one(&app.services.db).await.unwrap().unwrap();
    assert_eq!((minute.valid, minute.refused, minute.cost), (3, 2, 10), "units of valid requests only");
    let mut details: Vec<(String, String, i64)> = usage_minute_detail::Entity::find()
        .all(&app.services.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.dimension, d.name, d.count))
        .collect();
    details.sort();
    let expected: Vec<(String, String, i64)> = [
        ("code", "INSUFFICIENT_SCOPES", 1), ("code", "RATE_LIMITED", 1), ("code", "VALID", 3),
        ("endpoint", "GET /payments", 2), ("endpoint", "POST /charges", 2),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
    .collect();
    assert_eq!(details, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_requests_reported_by_the_backend_become_per_minute_rows_with_a_latency_histogram() {
    use keyport_core::entity::{usage_minute_http, usage_minute_latency};
    use keyport_core::histogram::Histogram;
    use sea_orm::EntityTrait;
    let app = spawn_app().await;
    app.signed_in().await;
    let key = app.create_key("Backend", "live", "never").await;
    let token = app.operator_token().await;
    let post = |body: Value, auth: bool| {
        let app = &app;
        let token = token.clone();
        async move {
            let mut req = app.client().post(format!("{}/v1/usage", app.base)).json(&body);
            if auth {
                req = req.bearer_auth(token);
            }
            req.send().await.unwrap()
        }
    };
    let id = key.key.id.as_str();
    let mut events: Vec<Value> = (1..=100)
        .map(|i| serde_json::json!({ "key_id": id, "endpoint": "GET /payments", "status": if i % 10 == 0 { 503 } else { 200 }, "latency_ms": i }))
        .collect();
    events.push(serde_json::json!({ "key": key.secret.expose(), "endpoint": "POST /charges", "status": 404, "latency_ms": 3.5 }));
    events.push(serde_json::json!({ "key": key.secret.expose(), "status": 302, "latency_ms": 1 }));
    events.push(serde_json::json!({ "key_id": "key_doesnotexist", "status": 200, "latency_ms": 1 }));
    let res = post(serde_json::json!({ "events": events }), true).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({ "accepted": 102, "unknown_keys": 1 }));

    app.eventually("served requests flushed", || async {
        usage_minute_http::Entity::find().all(&app.services.db).await.unwrap().iter().map(|r| r.requests).sum::<i64>() == 102
    })
    .await;
    let rows = usage_minute_http::Entity::find().all(&app.services.db).await.unwrap();
    let payments = rows.iter().find(|r| r.endpoint == "GET /payments").unwrap();
    assert_eq!((payments.requests, payments.s2xx, payments.s5xx, payments.latency_ms_sum), (100, 90, 10, 5050));
    let charges = rows.iter().find(|r| r.endpoint == "POST /charges").unwrap();
    assert_eq!((charges.s4xx, charges.latency_ms_sum), (1, 4));
    assert_eq!(rows.iter().find(|r| r.endpoint.is_empty()).unwrap().s3xx, 1, "no endpoint named");
    let mut hist = Histogram::default();
    for b in usage_minute_latency::Entity::find().all(&app.services.db).await.unwrap().iter().filter(|b| b.endpoint == "GET /payments") {
        hist.0[b.bucket as usize] += b.count as u64;
    }
    assert_eq!(hist.count(), 100);
    let p95 = hist.quantile(0.95).unwrap();
    assert!((p95 - 95.0).abs() / 95.0 <= keyport_core::histogram::RELATIVE_ERROR + 0.01, "p95 {p95}");

    // A batch with one bad event is refused whole; no token, no entry.
    for bad in [
        serde_json::json!({ "events": [{ "key_id": id, "status": 200, "latency_ms": 1 }, { "key_id": id, "status": 700, "latency_ms": 1 }] }),
        serde_json::json!({ "events": [{ "key_id": id, "key": "kp_x", "status": 200, "latency_ms": 1 }] }),
        serde_json::json!({ "events": [{ "status": 200, "latency_ms": 1 }] }),
        serde_json::json!({ "events": [{ "key_id": id, "status": 200, "latency_ms": -1 }] }),
        serde_json::json!({ "events": [{ "key_id": id, "status": 200, "latency_ms": 1, "extra": true }] }),
        serde_json::json!([]),
    ] {
        assert_eq!(post(bad.clone(), true).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let too_many: Vec<Value> = (0..1001).map(|_| serde_json::json!({ "key_id": id, "status": 200, "latency_ms": 1 })).collect();
    assert_eq!(post(serde_json::json!({ "events": too_many }), true).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(post(serde_json::json!({ "events": [] }), false).await.status(), StatusCode::UNAUTHORIZED);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let total: i64 = usage_minute_http::Entity::find().all(&app.services.db).await.unwrap().iter().map(|r| r.requests).sum();
    assert_eq!(total, 102, "refused batches counted nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_hours_and_days_are_rolled_up_once_and_old_minutes_expire() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app_with(|s| s.minute_retention_days = 1).await;
    app.signed_in().await;
    let key = app.create_key("Rolled", "live", "never").await;
    let token = app.operator_token().await;
    let sum = |sql: &'static str| {
        let app = &app;
        async move {
            let db = &app.services.db;
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get::<Option<i64>>("", "s").unwrap().unwrap_or(0)
        }
    };
    // The two minutes start five minutes into an hour, so they share one hour row whatever
    // the time the test runs at (run at 02:59, they straddled 03:00).
    {
        use chrono::Timelike;
        let minute = i64::from(app.services.now().minute());
        app.clock.advance(chrono::Duration::minutes(60 - minute + 5));
    }
    // Two minutes of traffic: 3 verifications and 2 served requests, then 1 and 1.
    for (verifies, served) in [(3, 2), (1, 1)] {
        for _ in 0..verifies {
            app.verify(&token, key.secret.expose()).await;
        }
        let events: Vec<Value> = (0..served).map(|_| serde_json::json!({ "key_id": key.key.id, "endpoint": "GET /x", "status": 200, "latency_ms": 40 })).collect();
        app.client().post(format!("{}/v1/usage", app.base)).bearer_auth(&token).json(&serde_json::json!({ "events": events })).send().await.unwrap();
        app.clock.advance(chrono::Duration::minutes(1));
    }
    app.eventually("minutes flushed", || async {
        sum("SELECT CAST(SUM(valid) AS BIGINT) AS s FROM usage_minutes").await == 4 && sum("SELECT CAST(SUM(requests) AS BIGINT) AS s FROM usage_minute_http").await == 3
    })
    .await;

    // Two hours on, the hour is rolled; rolling again adds nothing.
    app.clock.advance(chrono::Duration::hours(2));
    app.services.roll_up(app.services.now()).await.unwrap();
    app.services.roll_up(app.services.now()).await.unwrap();
    assert_eq!(sum("SELECT CAST(SUM(valid) AS BIGINT) AS s FROM usage_key_hours").await, 4);
    assert_eq!(sum("SELECT CAST(SUM(requests) AS BIGINT) AS s FROM usage_key_hours").await, 3);
    assert_eq!(sum("SELECT CAST(SUM(requests) AS BIGINT) AS s FROM usage_endpoint_hours WHERE endpoint = 'GET /x'").await, 3);
    assert_eq!(sum("SELECT COUNT(*) AS s FROM usage_key_hours").await, 1, "both minutes in one hour row");

    // Two days on, the day is rolled and (retention: one day here) the minutes are gone; the
    // dashboard's month still counts them, from the day row.
    let traffic_at = app.services.now() - chrono::Duration::hours(2);
    app.clock.advance(chrono::Duration::days(2));
    app.services.roll_up(app.services.now()).await.unwrap();
    assert_eq!(sum("SELECT CAST(SUM(valid) AS BIGINT) AS s FROM usage_key_days").await, 4);
    assert_eq!(sum("SELECT CAST(SUM(requests) AS BIGINT) AS s FROM usage_endpoint_days").await, 3);
    assert_eq!(sum("SELECT COUNT(*) AS s FROM usage_minutes").await, 0);
    let same_month = keyport_core::services::usage::month_start(app.services.now()) <= traffic_at;
    assert_eq!(app.usage().await.month_requests, if same_month { 4 } else { 0 });
    app.clock.advance(chrono::Duration::days(6));
    app.services.roll_up(app.services.now()).await.unwrap();
    assert_eq!(sum("SELECT COUNT(*) AS s FROM usage_minutes").await, 0);
    assert_eq!(sum("SELECT COUNT(*) AS s FROM usage_minute_latency").await, 0);
    assert_eq!(sum("SELECT CAST(SUM(valid) AS BIGINT) AS s FROM usage_key_hours").await, 4);
    assert_eq!(sum("SELECT CAST(SUM(valid) AS BIGINT) AS s FROM usage_key_days").await, 4);
}
