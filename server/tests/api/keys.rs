//! Creating, listing and revoking keys, and team isolation.

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use keyport_core::dto::{CreatedKey, KeyStatus, KeyView};
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

async fn create_full(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.call("keys/create", form).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_created_with_description_scopes_limit_quota_and_a_date() {
    let app = spawn_app().await;
    app.signed_in().await;
    let opts: serde_json::Value = app.call("keys/options", &[]).await.json().await.unwrap();
    assert_eq!(opts["scopes"], serde_json::json!(["payments:read", "payments:write", "invoices:read", "invoices:write"]));
    assert_eq!(opts["default_scopes"], serde_json::json!(["payments:read", "invoices:read"]));
    assert_eq!(opts["max_keys"], 20);
    let day = (app.services.now() + chrono::Duration::days(10)).format("%Y-%m-%d").to_string();
    let res = create_full(&app, &[
        ("name", "Billing sync"), ("description", "Nightly invoice export"), ("environment", "live"),
        ("scopes", "invoices:read, payments:read"), ("expiry", &day), ("ratelimit", "120"), ("quota", "50,000"),
    ]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let created: CreatedKey = res.json().await.unwrap();
    let k = created.key;
    assert_eq!(k.description.as_deref(), Some("Nightly invoice export"));
    assert_eq!(k.scopes, ["invoices:read", "payments:read"]);
    assert_eq!(k.ratelimit_per_minute, 120);
    assert_eq!(k.monthly_quota, Some(50_000));
    assert_eq!(k.expires_at.unwrap().format("%Y-%m-%d").to_string(), day, "the chosen day");
    assert_eq!(k.expires_at.unwrap().format("%H:%M:%S").to_string(), "23:59:59", "to its end");
    let got: KeyView = app.call("keys/get", &[("id", &k.id)]).await.json().await.unwrap();
    let me: Value = app.call("session", &[]).await.json().await.unwrap();
    assert_eq!(got.created_by_email.as_deref(), me["user"]["email"].as_str(), "its page names who created it");
    assert_eq!(KeyView { created_by_email: None, ..got }, k);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_field_by_field_and_the_key_limit_holds() {
    let app = spawn_app_with(|s| s.max_keys_per_team = 2).await;
    app.signed_in().await;
    let base = [("name", "k"), ("environment", "test"), ("expiry", "never")];
    for (field, value) in [
        ("scopes", "admin:everything"), ("ratelimit", "0"), ("ratelimit", "1001"), ("ratelimit", "fast"),
        ("quota", "-1"), ("expiry", "2001-01-01"), ("expiry", "soon"), ("description", &"d".repeat(281)),
    ] {
        let mut form: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| *k != field).collect();
        form.push((field, value));
        let res = create_full(&app, &form).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{field}={value}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], field, "{field}={value}");
    }
    assert!(app.list_keys().await.is_empty(), "nothing was created");
    app.create_key("one", "test", "never").await;
    let two = app.create_key("two", "test", "never").await;
    let res = create_full(&app, &base).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("the most allowed"));
    // Revoking one makes room.
    app.call("keys/revoke", &[("id", &two.key.id)]).await;
    assert_eq!(create_full(&app, &base).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_disable_enable_and_regenerate_apply_on_the_next_verify() {
    let app = spawn_app().await;
    app.signed_in().await;
    let token = app.operator_token().await;
    let created = create_full(&app, &[("name", "Worker"), ("environment", "live"), ("expiry", "never"), ("scopes", "payments:read")])
        .await
        .json::<CreatedKey>()
        .await
        .unwrap();
    let key = created.secret.expose().to_owned();
    let id = created.key.id.clone();
    let verify = |scopes: serde_json::Value| {
        let app = &app;
        let token = token.clone();
        let key = key.clone();
        async move {
            let body = serde_json::json!({ "key": key, "scopes": scopes }).to_string();
            app.verify_raw(Some(&token), body).await.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(verify(serde_json::json!(["payments:read"])).await["code"], "VALID");
    assert_eq!(verify(serde_json::json!(["payments:write"])).await["code"], "INSUFFICIENT_SCOPES");

    // Edit: the new scopes and name are seen at once (the cache was refreshed).
    let edit = [("id", id.as_str()), ("name", "Worker v2"), ("description", "payments"), ("scopes", "payments:read payments:write"), ("ratelimit", "10"), ("quota", "")];
    assert_eq!(app.call("keys/update", &edit).await.status(), StatusCode::OK);
    let v = verify(serde_json::json!(["payments:write"])).await;
    assert_eq!(v["code"], "VALID");
    assert_eq!(v["name"], "Worker v2");
    assert_eq!(v["ratelimit"]["limit"], 10);
    let bad = [("id", id.as_str()), ("name", ""), ("description", ""), ("scopes", ""), ("ratelimit", "10"), ("quota", "")];
    assert_eq!(app.call("keys/update", &bad).await.status(), StatusCode::BAD_REQUEST);

    // Disable, then enable.
    assert_eq!(app.call("keys/disable", &[("id", &id)]).await.status(), StatusCode::OK);
    assert_eq!(verify(serde_json::json!([])).await["code"], "DISABLED");
    assert_eq!(app.list_keys().await[0].status, KeyStatus::Disabled);
    assert_eq!(app.call("keys/enable", &[("id", &id)]).await.status(), StatusCode::OK);
    assert_eq!(verify(serde_json::json!([])).await["code"], "VALID");

    // Regenerate: same key id and settings, new secret; the old one is dead at once.
    let res = app.call("keys/regenerate", &[("id", &id)]).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let fresh: CreatedKey = res.json().await.unwrap();
    assert_eq!(fresh.key.id, id);
    assert_eq!(fresh.key.scopes, ["payments:read", "payments:write"]);
    assert_ne!(fresh.secret.expose(), key);
    assert_eq!(verify(serde_json::json!([])).await["code"], "NOT_FOUND");
    assert_eq!(app.verify(&token, fresh.secret.expose()).await["code"], "VALID");

    // Revoked keys change no more.
    app.call("keys/revoke", &[("id", &id)]).await;
    assert_eq!(app.call("keys/enable", &[("id", &id)]).await.status(), StatusCode::CONFLICT);
    assert_eq!(app.call("keys/regenerate", &[("id", &id)]).await.status(), StatusCode::CONFLICT);
    let rows: serde_json::Value = app.call("audit/list", &[("action", ""), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    let actions: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["key.revoked", "key.regenerated", "key.enabled", "key.disabled", "key.edited", "key.created"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_keeps_the_old_key_working_through_its_grace_and_shares_the_quota() {
    let app = spawn_app().await;
    app.signed_in().await;
    let token = app.operator_token().await;
    let old: CreatedKey = create_full(&app, &[("name", "Prod"), ("environment", "live"), ("expiry", "never"), ("quota", "10"), ("scopes", "payments:read")])
        .await
        .json()
        .await
        .unwrap();
    for _ in 0..4 {
        assert_eq!(app.verify(&token, old.secret.expose()).await["code"], "VALID");
    }
    assert_eq!(app.call("keys/rotate", &[("id", &old.key.id), ("grace", "2d")]).await.status(), StatusCode::BAD_REQUEST);
    let res = app.call("keys/rotate", &[("id", &old.key.id), ("grace", "1h")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let new: CreatedKey = res.json().await.unwrap();
    assert_ne!(new.key.id, old.key.id);
    assert_eq!((new.key.name.as_str(), new.key.scopes.clone(), new.key.monthly_quota), ("Prod", vec!["payments:read".to_owned()], Some(10)));
    assert_eq!(app.call("keys/rotate", &[("id", &old.key.id), ("grace", "1h")]).await.status(), StatusCode::CONFLICT, "rotated once");

    // During the grace both work, and they draw on one quota: 4 used, 6 left between them.
    let v = app.verify(&token, old.secret.expose()).await;
    assert_eq!((v["code"].as_str(), v["quota"]["used"].as_i64()), (Some("VALID"), Some(5)));
    let v = app.verify(&token, new.secret.expose()).await;
    assert_eq!((v["code"].as_str(), v["quota"]["used"].as_i64()), (Some("VALID"), Some(6)));
    let listed = app.list_keys().await;
    let old_view = listed.iter().find(|k| k.id == old.key.id).unwrap();
    assert_eq!(old_view.status, KeyStatus::InGrace);
    assert_eq!(old_view.grace_until, Some(app.services.now() + chrono::Duration::hours(1)));

    // After the grace the old key is refused, the new one carries on.
    app.clock.advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    assert_eq!(app.verify(&token, old.secret.expose()).await["code"], "REVOKED");
    assert_eq!(app.verify(&token, new.secret.expose()).await["code"], "VALID");
    assert_eq!(app.list_keys().await.iter().find(|k| k.id == old.key.id).unwrap().status, KeyStatus::Revoked);

    // Rotating with no grace refuses the old key at once.
    let res = app.call("keys/rotate", &[("id", &new.key.id), ("grace", "now")]).await;
    let newest: CreatedKey = res.json().await.unwrap();
    assert_eq!(app.verify(&token, new.secret.expose()).await["code"], "REVOKED");
    assert_eq!(app.verify(&token, newest.secret.expose()).await["code"], "VALID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_on_one_node_is_refused_by_another_node_sharing_the_database() {
    let app = spawn_app().await;
    app.signed_in().await;
    let token = app.operator_token().await;
    let key = app.create_key("Shared", "live", "never").await;
    let other = app.second_node().await;
    let verify_on_other = || async {
        let res = app
            .client()
            .post(format!("{}/v1/keys/verify", other.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "key": key.secret.expose() }))
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["code"].as_str().unwrap().to_owned()
    };
    assert_eq!(verify_on_other().await, "VALID");
    assert_eq!(verify_on_other().await, "VALID", "warm in the other node's cache");
    let revoked = std::time::Instant::now();
    assert_eq!(app.call("keys/revoke", &[("id", &key.key.id)]).await.status(), StatusCode::OK);
    assert_eq!(app.verify(&token, key.secret.expose()).await["code"], "REVOKED", "at once on this node");
    let mut code = verify_on_other().await;
    for _ in 0..200 {
        if code == "REVOKED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        code = verify_on_other().await;
    }
    assert_eq!(code, "REVOKED", "the other node learned of the revocation");
    eprintln!("other node refused the key {} ms after the revoke (sync every 250 ms)", revoked.elapsed().as_millis());
    assert!(other.services.verifier.db_lookups() >= 2, "it re-read the key after forgetting it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_that_need_approval_wait_until_an_admin_decides_and_the_requester_is_told() {
    let app = spawn_app_with(|s| {
        s.approval_live = true;
        s.approval_scopes = vec!["payments:write".into()];
        s.approval_by = "team".into();
    })
    .await;
    let owner = app.new_user().await;
    app.act_as(&owner);
    let team = app.call("teams/create", &[("name", "Payments"), ("description", "")]).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let dev = app.new_user().await;
    app.add_member(&team, &dev.id, "member").await;
    app.act_as(&dev);
    app.switch_to(&team).await;
    let token = app.operator_token().await;

    // A test key without the sensitive scope works at once; a live one waits.
    let test_key: CreatedKey = create_full(&app, &[("name", "Sandbox"), ("environment", "test"), ("expiry", "never"), ("scopes", "payments:read")]).await.json().await.unwrap();
    assert_eq!(test_key.key.status, KeyStatus::Active);
    assert_eq!(app.verify(&token, test_key.secret.expose()).await["code"], "VALID");
    let live: CreatedKey = create_full(&app, &[("name", "Charges"), ("environment", "live"), ("expiry", "never"), ("scopes", "payments:read")]).await.json().await.unwrap();
    assert_eq!(live.key.status, KeyStatus::PendingApproval);
    assert_eq!(app.verify(&token, live.secret.expose()).await["code"], "PENDING_APPROVAL");
    let scoped: CreatedKey = create_full(&app, &[("name", "Refunds"), ("environment", "test"), ("expiry", "never"), ("scopes", "payments:write")]).await.json().await.unwrap();
    assert_eq!(scoped.key.status, KeyStatus::PendingApproval);
    assert_eq!(app.call("keys/approve", &[("id", &live.key.id), ("reason", "")]).await.status(), StatusCode::FORBIDDEN, "members do not decide");

    // The owner sees the queue (and was emailed), approves one and denies the other.
    app.act_as(&owner);
    let queue: Vec<KeyView> = app.call("keys/pending", &[]).await.json().await.unwrap();
    assert_eq!(queue.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), ["Charges", "Refunds"]);
    assert_eq!(app.call("keys/approve", &[("id", &live.key.id), ("reason", "")]).await.status(), StatusCode::OK);
    assert_eq!(app.verify(&token, live.secret.expose()).await["code"], "VALID");
    assert_eq!(app.call("keys/deny", &[("id", &scoped.key.id), ("reason", " ")]).await.status(), StatusCode::BAD_REQUEST, "a denial needs a reason");
    assert_eq!(app.call("keys/deny", &[("id", &scoped.key.id), ("reason", "Refunds need a separate contract")]).await.status(), StatusCode::OK);
    assert_eq!(app.verify(&token, scoped.secret.expose()).await["code"], "REVOKED");
    assert_eq!(app.call("keys/approve", &[("id", &scoped.key.id), ("reason", "")]).await.status(), StatusCode::CONFLICT, "decided once");
    let denied: KeyView = app.call("keys/get", &[("id", &scoped.key.id)]).await.json().await.unwrap();
    assert_eq!((denied.status, denied.approval_note.as_deref()), (KeyStatus::Denied, Some("Refunds need a separate contract")));

    // Emails: two requests to the owner, two decisions to the developer.
    let mut emails: Vec<Value> = Vec::new();
    for _ in 0..100 {
        emails = app.call("outbox/list", &[]).await.json().await.unwrap();
        if emails.len() >= 4 && emails.iter().all(|e| e["status"] == "logged") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let to = |who: &str, subject: &str| emails.iter().filter(|e| e["to"] == who && e["subject"].as_str().unwrap().contains(subject)).count();
    assert_eq!(to(&owner.email, "waiting for your approval"), 2);
    assert_eq!(to(&dev.email, "was approved"), 1);
    assert_eq!(to(&dev.email, "was denied"), 1);

    // The operator decides too, for any team.
    app.act_as(&dev);
    let third: CreatedKey = create_full(&app, &[("name", "Batch"), ("environment", "live"), ("expiry", "never")]).await.json().await.unwrap();
    let pending = app.services.operator_pending_keys().await.unwrap();
    assert_eq!(pending.len(), 1);
    app.services.operator_decide_key(&third.key.id, true, "").await.unwrap();
    assert_eq!(app.verify(&token, third.secret.expose()).await["code"], "VALID");
}
