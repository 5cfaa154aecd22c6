//! Embed sessions: the provider's backend makes a one-time link; opening it signs the
//! developer in with a partitioned cookie of its own; every refusal.

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn embed_token(app: &TestApp) -> String {
    app.services.create_operator_token_with("provider site", "embed", None).await.unwrap().token
}

async fn ask(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client().post(format!("{}/v1/embed/sessions", app.base)).bearer_auth(token).json(&body).send().await.unwrap()
}

/// Opens a link as the iframe would, without following the redirect: (status, location,
/// the embed cookie's value and attributes).
async fn open(app: &TestApp, url: &str) -> (StatusCode, Option<String>, Option<String>) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // The link names the configured base URL; the test server listens on its own port.
    let path = &url[url.find("/portal/embed/").expect("an embed link")..];
    let res = client.get(format!("{}{path}", app.base)).header("accept", "text/html").send().await.unwrap();
    let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).find(|c| c.starts_with("__Host-keyport_embed="));
    (res.status(), location, cookie)
}

async fn session_with_embed_cookie(app: &TestApp, cookie: &str) -> Value {
    let value = cookie.split(';').next().unwrap();
    app.client()
        .post(format!("{}/api/session", app.base))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", value)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_embed_link_signs_a_new_developer_into_the_provider_s_team_once_with_a_partitioned_cookie() {
    let app = spawn_app().await;
    let token = embed_token(&app).await;
    let body = json!({ "email": "ada@customer.example", "external_id": "user-1", "team": { "external_id": "acct-9", "name": "Acme" }, "role": "admin", "return_to": "/portal/keys" });
    let res = ask(&app, &token, body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let link: Value = res.json().await.unwrap();
    let url = link["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/portal/embed/", app.services.settings().base_url)), "{url}");
    let token_part = url.rsplit('/').next().unwrap();
    assert!(token_part.len() >= 43, "256 bits: {token_part}");
    let expires = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires.with_timezone(&chrono::Utc) <= app.services.now() + chrono::Duration::minutes(5));
    let (status, location, cookie) = open(&app, &url).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/portal/keys"));
    let cookie = cookie.expect("an embed cookie");
    for attr in ["Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    let session = session_with_embed_cookie(&app, &cookie).await;
    assert_eq!(session["user"]["email"], "ada@customer.example");
    assert_eq!(session["team"]["name"], "Acme");
    assert_eq!(session["role"], "owner", "whoever brings a new team owns it");
    // Once only.
    let (status, _, cookie) = open(&app, &url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(cookie.is_none());
    // The same developer again: found by their id, same account, same team, no duplicate.
    let res = ask(&app, &token, body).await;
    let url = res.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_owned();
    let (_, _, cookie) = open(&app, &url).await;
    let again = session_with_embed_cookie(&app, &cookie.unwrap()).await;
    assert_eq!(again["user"]["id"], session["user"]["id"]);
    assert_eq!(again["team"]["id"], session["team"]["id"]);
    // A colleague joins the provider's team with the role the provider gives.
    let res = ask(&app, &token, json!({ "email": "bob@customer.example", "team": { "external_id": "acct-9", "name": "Acme" }, "role": "viewer" })).await;
    let url = res.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_owned();
    let (_, _, cookie) = open(&app, &url).await;
    let bob = session_with_embed_cookie(&app, &cookie.unwrap()).await;
    assert_eq!((bob["team"]["id"].clone(), bob["role"].clone()), (session["team"]["id"].clone(), json!("viewer")));
    // An account made here has no password: signing in with one never works.
    let res = app.login("ada@customer.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Nor can one be set by a reset link: the provider's site owns the way in. The form
    // answers as for any address, and nothing is sent.
    assert_eq!(app.call("account/forgot", &[("email", "ada@customer.example")]).await.status(), StatusCode::OK);
    app.call("account/forgot", &[("email", "ann-unmanaged@customer.example")]).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let logs = crate::helpers::captured_logs();
    let to_ada = logs.split("email to ").filter(|m| m.starts_with("ada@customer.example ")).collect::<Vec<_>>();
    assert!(to_ada.iter().all(|m| !m.contains("/portal/reset/")), "no reset link for a managed account");
    assert!(logs.contains("password reset asked for an account managed by the provider's site"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_account_is_found_by_email_and_a_link_expires_after_five_minutes() {
    let app = spawn_app().await;
    let token = embed_token(&app).await;
    let dev = app.new_user().await;
    let res = ask(&app, &token, json!({ "email": dev.email, "external_id": "u-77" })).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let url = res.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_owned();
    let (_, location, cookie) = open(&app, &url).await;
    assert_eq!(location.as_deref(), Some("/portal"));
    let session = session_with_embed_cookie(&app, &cookie.unwrap()).await;
    assert_eq!(session["user"]["id"], dev.id.as_str());
    assert_eq!(session["team"]["id"], dev.team_id.as_str(), "no team asked for: their first team");
    // The address now belongs to u-77: another provider id for it is a conflict.
    let res = ask(&app, &token, json!({ "email": dev.email, "external_id": "u-78" })).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // Their own password still works at the top level.
    assert_eq!(app.login(&dev.email, PASSWORD).await.status(), StatusCode::OK);
    let res = ask(&app, &token, json!({ "email": dev.email })).await;
    let url = res.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_owned();
    app.clock.advance(chrono::Duration::minutes(5) + chrono::Duration::seconds(1));
    assert_eq!(open(&app, &url).await.0, StatusCode::NOT_FOUND);
    // The minute worker's cleanup keeps dead links a day, then deletes them.
    assert_eq!(app.services.prune_embed_links().await.unwrap(), 0, "kept a day past expiry");
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(app.services.prune_embed_links().await.unwrap(), 2, "both links of this test");
}

#[tokio::test(flavor = "multi_thread")]
async fn embed_sessions_need_the_embed_scope_and_a_well_formed_request() {
    let app = spawn_app().await;
    let verify_only = app.services.create_operator_token_with("gateway", "verify", None).await.unwrap().token;
    let res = ask(&app, &verify_only, json!({ "email": "a@b.example" })).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "missing_scope");
    let res = app.client().post(format!("{}/v1/embed/sessions", app.base)).json(&json!({ "email": "a@b.example" })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let token = embed_token(&app).await;
    for (body, field) in [
        (json!({ "email": "not an address" }), "email"),
        (json!({ "email": "a@b.example", "return_to": "https://evil.example/portal" }), "return_to"),
        (json!({ "email": "a@b.example", "return_to": "//evil.example" }), "return_to"),
        (json!({ "email": "a@b.example", "team": { "external_id": "t", "name": "T" }, "role": "god" }), "role"),
        (json!({ "email": "a@b.example", "role": "admin" }), "role"),
        (json!({ "email": "a@b.example", "external_id": "" }), "external_id"),
        (json!({ "email": "a@b.example", "team": { "external_id": "t", "name": "" } }), "team.name"),
        (json!({ "email": "a@b.example", "surprise": true }), "surprise"),
    ] {
        let res = ask(&app, &token, body.clone()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let msg = res.json::<Value>().await.unwrap()["error"]["message"].as_str().unwrap().to_owned();
        assert!(msg.contains(field), "{body}: {msg}");
    }
    // Nothing was created by the refused requests.
    use keyport_core::entity::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    assert!(user::Entity::find().filter(user::Column::Email.eq("a@b.example")).one(&app.services.db).await.unwrap().is_none());
    // A made-up link is refused like a used one.
    assert_eq!(open(&app, &format!("{}/portal/embed/{}", app.base, "x".repeat(43))).await.0, StatusCode::NOT_FOUND);
}
