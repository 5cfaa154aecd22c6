//! The provider's admin console: who may use it (everyone else gets 404), and acting for
//! customers — keys, suspensions — audited as the provider.

use crate::helpers::{spawn_app, TestApp, User, PASSWORD};
use keyport_core::services::audit::RequestMeta;
use reqwest::StatusCode;
use serde_json::Value;

/// Makes `user` an operator admin, as `keyport admin grant` does.
async fn grant(app: &TestApp, user: &User) {
    assert!(app.services.set_site_admin("cli", &user.email, true, &RequestMeta::default()).await.unwrap());
}

/// Every admin server function with arguments that would work for an admin, naming real
/// objects (so a 404 can only mean "not an admin").
fn admin_calls(fx: &Fixture) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let s = |v: &str| v.to_owned();
    vec![
        ("admin/me", vec![]),
        ("admin/developers", vec![("q", s("")), ("status", s("")), ("since", s(""))]),
        ("admin/developer", vec![("id", fx.customer.id.clone())]),
        ("admin/developer/suspend", vec![("id", fx.customer.id.clone()), ("reason", s(""))]),
        ("admin/developer/reactivate", vec![("id", fx.customer.id.clone())]),
        ("admin/site-admin", vec![("email", fx.customer.email.clone()), ("grant", s("false"))]),
        ("admin/teams", vec![("q", s("")), ("status", s(""))]),
        ("admin/team", vec![("id", fx.customer.team_id.clone())]),
        ("admin/team/suspend", vec![("id", fx.customer.team_id.clone()), ("reason", s(""))]),
        ("admin/team/reactivate", vec![("id", fx.customer.team_id.clone())]),
        ("admin/team/plan", vec![("id", fx.customer.team_id.clone()), ("plan", s("nope"))]),
        ("admin/keys", vec![("status", s(""))]),
        ("admin/keys/create", vec![("team_id", fx.customer.team_id.clone()), ("name", s("")), ("environment", s("test")), ("expiry", s("never"))]),
        ("admin/keys/act", vec![("key_id", fx.key_id.clone()), ("act", s("nothing"))]),
        ("admin/keys/decide", vec![("key_id", fx.key_id.clone()), ("decision", s("deny")), ("reason", s(""))]),
        ("admin/outbox", vec![]),
        ("admin/audit", vec![("action", s("")), ("actor", s("")), ("from", s("")), ("to", s("")), ("team", s(""))]),
        ("admin/settings", vec![]),
        ("admin/settings/set", vec![("key", s("portal.app_name")), ("value", s(""))]),
        ("admin/settings/unset", vec![("key", s("no.such"))]),
        ("admin/tokens", vec![]),
        ("admin/tokens/create", vec![("name", s("")), ("expires", s("never"))]),
        ("admin/tokens/revoke", vec![("id", fx.token_id.clone())]),
        ("admin/billing", vec![]),
        ("admin/products/decide", vec![("request_id", s("pa_nope")), ("decision", s("deny")), ("reason", s(""))]),
        ("admin/invoices/pay", vec![("number", s("0")), ("note", s(""))]),
        ("admin/invoices/void", vec![("number", s("0")), ("reason", s(""))]),
        ("admin/plans/save", vec![("mode", s("update")), ("id", s("free")), ("name", s("")), ("description", s("")), ("price", s("")), ("currency", s("")),
            ("included", s("")), ("overage", s("")), ("ratelimit_cap", s("")), ("max_keys", s("")), ("trial_days", s("")), ("visibility", s(""))]),
        ("admin/plans/archive", vec![("id", s("free"))]),
        ("admin/plans/default", vec![("id", s("free"))]),
        ("admin/products/save", vec![("mode", s("update")), ("id", s("probe")), ("name", s("")), ("description", s("")), ("docs_path", s("")), ("visibility", s(""))]),
        ("admin/products/archive", vec![("id", s("probe"))]),
    ]
}

struct Fixture {
    admin: User,
    customer: User,
    key_id: String,
    token_id: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let admin = app.new_user().await;
    grant(app, &admin).await;
    let customer = app.new_user().await;
    let res = app.call_as(&customer.cookie, "keys/create", &[("name", "Customer key"), ("environment", "test"), ("expiry", "never")]).await;
    let key_id = res.json::<Value>().await.unwrap()["key"]["id"].as_str().unwrap().to_owned();
    let token_id = app.services.create_operator_token("probe").await.unwrap().id;
    let scope = app.services.settings().scopes.first().cloned().expect("the test install has scopes");
    let product = keyport_core::services::catalogue::ProductChanges { name: Some("Probe".into()), scopes: Some(scope), ..Default::default() };
    app.services.create_product("probe", &product, "cli", &RequestMeta::default()).await.unwrap();
    Fixture { admin, customer, key_id, token_id }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_server_function_is_not_found_for_anyone_but_an_operator_admin() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    // A team owner with every team right is still nobody here.
    let owner = app.new_user().await;
    let calls = admin_calls(&fx);
    assert_eq!(calls.len(), 32, "every admin server function is probed");
    for (endpoint, args) in &calls {
        let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (who, cookie) in [("anonymous", "none"), ("a team owner", owner.cookie.as_str()), ("the customer", fx.customer.cookie.as_str())] {
            let res = app.call_as(cookie, endpoint, &form).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{endpoint} as {who}");
        }
        let res = app.call_as(&fx.admin.cookie, endpoint, &form).await;
        assert_ne!(res.status(), StatusCode::NOT_FOUND, "{endpoint} as the admin: {}", res.text().await.unwrap());
    }
    // Nothing the refused callers sent changed anything: the customer is no admin, not
    // suspended, and their key works.
    let dev: Value = app.call_as(&fx.admin.cookie, "admin/developer", &[("id", &fx.customer.id)]).await.json().await.unwrap();
    assert_eq!(dev["row"]["site_admin"], false);
    assert!(dev["row"]["suspended_at"].is_null());
    // The CSV export is the console's too.
    for cookie in ["none", owner.cookie.as_str()] {
        let res = app.client().get(format!("{}/admin/audit.csv", app.base)).header("cookie", format!("__Host-keyport_session={cookie}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let res = app.client().get(format!("{}/admin/audit.csv", app.base)).header("cookie", format!("__Host-keyport_session={}", fx.admin.cookie)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("time_utc,actor,action"), "{csv}");
    assert!(csv.contains("admin.granted"), "the grant is in the whole trail: {csv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_whose_role_is_taken_away_is_refused_at_once() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    assert_eq!(app.call_as(&fx.admin.cookie, "admin/teams", &[("q", ""), ("status", "")]).await.status(), StatusCode::OK);
    // An admin may not demote themselves from the console (the CLI or another admin can).
    let res = app.call_as(&fx.admin.cookie, "admin/site-admin", &[("email", &fx.admin.email), ("grant", "false")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(app.services.set_site_admin("cli", &fx.admin.email, false, &RequestMeta::default()).await.unwrap());
    assert_eq!(app.call_as(&fx.admin.cookie, "admin/teams", &[("q", ""), ("status", "")]).await.status(), StatusCode::NOT_FOUND);
    // Granting an unknown address names the field and changes nothing.
    let err = app.services.set_site_admin("cli", "nobody@example.com", true, &RequestMeta::default()).await.unwrap_err();
    assert!(err.to_string().contains("email"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_lists_and_filters_developers_teams_and_keys() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let a = &fx.admin.cookie;
    let all: Vec<Value> = app.call_as(a, "admin/developers", &[("q", ""), ("status", ""), ("since", "")]).await.json().await.unwrap();
    assert!(all.iter().any(|d| d["email"] == fx.customer.email.as_str()));
    let part = &fx.customer.email[..12];
    let found: Vec<Value> = app.call_as(a, "admin/developers", &[("q", part), ("status", ""), ("since", "")]).await.json().await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["teams"], 1);
    let admins: Vec<Value> = app.call_as(a, "admin/developers", &[("q", ""), ("status", "admin"), ("since", "")]).await.json().await.unwrap();
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0]["email"], fx.admin.email.as_str());
    for (field, form) in [("status", [("q", ""), ("status", "gone"), ("since", "")]), ("since", [("q", ""), ("status", ""), ("since", "yesterday")])] {
        let res = app.call_as(a, "admin/developers", &form).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.json::<Value>().await.unwrap()["Invalid"]["field"], field);
    }
    let dev: Value = app.call_as(a, "admin/developer", &[("id", &fx.customer.id)]).await.json().await.unwrap();
    assert_eq!(dev["keys"][0]["key"]["id"], fx.key_id.as_str());
    assert!(dev["keys"][0]["key"]["masked"].as_str().unwrap().contains('…'), "keys are masked");
    assert_eq!(dev["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(dev["teams"][0]["role"], "owner");
    let team: Value = app.call_as(a, "admin/team", &[("id", &fx.customer.team_id)]).await.json().await.unwrap();
    assert_eq!(team["members"][0]["email"], fx.customer.email.as_str());
    assert_eq!(team["row"]["live_keys"], 1);
    let keys: Vec<Value> = app.call_as(a, "admin/keys", &[("status", "live")]).await.json().await.unwrap();
    assert!(keys.iter().any(|k| k["key"]["id"] == fx.key_id.as_str() && k["team_id"] == fx.customer.team_id.as_str()));
    let revoked: Vec<Value> = app.call_as(a, "admin/keys", &[("status", "revoked")]).await.json().await.unwrap();
    assert!(revoked.is_empty());
    assert_eq!(app.call_as(a, "admin/developer", &[("id", "usr_missing")]).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suspended_developer_loses_every_session_and_is_told_why_at_sign_in() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let a = &fx.admin.cookie;
    // A reason is required; nothing changes without one.
    let res = app.call_as(a, "admin/developer/suspend", &[("id", &fx.customer.id), ("reason", "  ")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.call_as(&fx.customer.cookie, "session", &[]).await.status(), StatusCode::OK);
    // Admins cannot suspend themselves.
    let res = app.call_as(a, "admin/developer/suspend", &[("id", &fx.admin.id), ("reason", "test")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app.call_as(a, "admin/developer/suspend", &[("id", &fx.customer.id), ("reason", "Unpaid invoices")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    // The session is gone at once.
    let session: Value = app.call_as(&fx.customer.cookie, "session", &[]).await.json().await.unwrap();
    assert!(session.is_null(), "{session}");
    // The right password gets the reason; a wrong one the usual answer (nobody else learns
    // of the suspension).
    let res = app.login(&fx.customer.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = res.text().await.unwrap();
    assert!(body.contains("suspended") && body.contains("Unpaid invoices"), "{body}");
    let res = app.login(&fx.customer.email, "not the password at all").await;
    let body = res.text().await.unwrap();
    assert!(!body.contains("suspended"), "{body}");
    // Their keys keep working: suspending a person is not suspending their team.
    let res = app.call_as(a, "admin/developer/reactivate", &[("id", &fx.customer.id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.login(&fx.customer.email, PASSWORD).await.status(), StatusCode::OK);
    let trail: Vec<Value> = app.call_as(a, "admin/audit", &[("action", "developer.suspended"), ("actor", ""), ("from", ""), ("to", ""), ("team", "")]).await.json().await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0]["actor"], fx.admin.email.as_str());
    assert_eq!(trail[0]["by_provider"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suspended_team_s_keys_verify_as_team_suspended_on_every_node_until_reactivated() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let other = app.second_node().await;
    let token = app.operator_token().await;
    app.act_as(&fx.customer);
    let created = app.create_key("Production", "test", "never").await;
    let secret = created.secret.expose().to_owned();
    let verify_on = |base: String| {
        let (client, token, secret) = (app.client().clone(), token.clone(), secret.clone());
        async move {
            let res = client.post(format!("{base}/v1/keys/verify")).bearer_auth(&token).json(&serde_json::json!({ "key": secret })).send().await.unwrap();
            res.json::<Value>().await.unwrap()["code"].as_str().unwrap().to_owned()
        }
    };
    // Both nodes have the key cached.
    assert_eq!(verify_on(app.base.clone()).await, "VALID");
    assert_eq!(verify_on(other.base.clone()).await, "VALID");
    let res = app.call_as(&fx.admin.cookie, "admin/team/suspend", &[("id", &fx.customer.team_id), ("reason", "Abuse report #42")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    assert_eq!(verify_on(app.base.clone()).await, "TEAM_SUSPENDED");
    app.eventually("the other node sees the suspension", || {
        let v = verify_on(other.base.clone());
        async move { v.await == "TEAM_SUSPENDED" }
    })
    .await;
    // Twice is refused; the team's own trail shows the provider did it.
    let res = app.call_as(&fx.admin.cookie, "admin/team/suspend", &[("id", &fx.customer.team_id), ("reason", "again")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let trail: Vec<Value> = app.call_as(&fx.customer.cookie, "audit/list", &[("action", "team.suspended"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0]["by_provider"], true);
    assert!(trail[0]["detail"].as_str().unwrap().contains("Abuse report #42"));
    let res = app.call_as(&fx.admin.cookie, "admin/team/reactivate", &[("id", &fx.customer.team_id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(verify_on(app.base.clone()).await, "VALID");
    app.eventually("the other node sees the reactivation", || {
        let v = verify_on(other.base.clone());
        async move { v.await == "VALID" }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_provider_creates_disables_and_revokes_a_customer_s_key_and_the_team_sees_it_was_the_provider() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let a = &fx.admin.cookie;
    let res = app.call_as(a, "admin/keys/create", &[("team_id", &fx.customer.team_id), ("name", ""), ("environment", "test"), ("expiry", "never")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "the team's own validation applies");
    let res = app
        .call_as(a, "admin/keys/create", &[("team_id", &fx.customer.team_id), ("name", "Made by support"), ("environment", "test"), ("expiry", "never"), ("scope[]", "payments:read")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let created: Value = res.json().await.unwrap();
    let new_id = created["key"]["id"].as_str().unwrap().to_owned();
    assert!(created["secret"].as_str().unwrap().starts_with("kp_test_"), "a script's call gets the key once");
    assert_eq!(created["key"]["scopes"][0], "payments:read");
    app.act_as(&fx.customer);
    assert!(app.list_keys().await.iter().any(|k| k.id == new_id), "the key is the team's");
    for (act, status) in [("disable", "disabled"), ("enable", "active"), ("revoke", "revoked")] {
        let res = app.call_as(a, "admin/keys/act", &[("key_id", &fx.key_id), ("act", act)]).await;
        assert_eq!(res.status(), StatusCode::OK, "{act}");
        assert_eq!(res.json::<Value>().await.unwrap()["status"], status, "{act}");
    }
    let res = app.call_as(a, "admin/keys/act", &[("key_id", &fx.key_id), ("act", "explode")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let trail: Vec<Value> = app.call_as(&fx.customer.cookie, "audit/list", &[("action", ""), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    let by_provider: Vec<&str> = trail.iter().filter(|e| e["by_provider"] == true).map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(by_provider, ["key.revoked", "key.enabled", "key.disabled", "key.created"], "{trail:?}");
    assert!(trail.iter().filter(|e| e["by_provider"] == true).all(|e| e["actor"] == fx.admin.email.as_str()));
    assert!(trail.iter().any(|e| e["action"] == "key.created" && e["by_provider"] == false), "the customer's own key stays theirs");
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_and_tokens_from_the_console_are_checked_like_the_cli_s() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let a = &fx.admin.cookie;
    let res = app.call_as(a, "admin/settings/set", &[("key", "custom.primary_color"), ("value", "red; background: url(x)")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.services.settings().primary_color, None, "nothing changed");
    let res = app.call_as(a, "admin/settings/set", &[("key", "portal.app_name"), ("value", "Acme Developers")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rows: Vec<Value> = app.call_as(a, "admin/settings", &[]).await.json().await.unwrap();
    let row = rows.iter().find(|r| r["key"] == "portal.app_name").unwrap();
    assert_eq!((row["value"].as_str(), row["source"].as_str()), (Some("Acme Developers"), Some("stored")));
    let trail: Vec<Value> = app.call_as(a, "admin/audit", &[("action", "setting.changed"), ("actor", ""), ("from", ""), ("to", ""), ("team", "")]).await.json().await.unwrap();
    assert_eq!(trail[0]["actor"], fx.admin.email.as_str());
    assert_eq!(app.call_as(a, "admin/settings/unset", &[("key", "portal.app_name")]).await.status(), StatusCode::OK);
    // Tokens: made (shown once), listed without the secret, revoked.
    let res = app.call_as(a, "admin/tokens/create", &[("name", "gateway"), ("scope[]", "verify"), ("expires", "30")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let t: Value = res.json().await.unwrap();
    let (id, token) = (t["id"].as_str().unwrap().to_owned(), t["token"].as_str().unwrap().to_owned());
    assert!(token.starts_with(keyport_core::services::tokens::TOKEN_PREFIX), "{token}");
    let listed = app.call_as(a, "admin/tokens", &[]).await.text().await.unwrap();
    assert!(listed.contains(&id) && !listed.contains(&token), "{listed}");
    let res = app.call_as(a, "admin/tokens/create", &[("name", "x"), ("scope[]", "verify"), ("expires", "forever")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let verify = |tok: String| {
        let app = &app;
        async move { app.verify_raw(Some(&tok), serde_json::json!({ "key": "kp_test_x" }).to_string()).await.status() }
    };
    assert_ne!(verify(token.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.call_as(a, "admin/tokens/revoke", &[("id", &id)]).await.status(), StatusCode::OK);
    assert_eq!(verify(token).await, StatusCode::UNAUTHORIZED);
}
