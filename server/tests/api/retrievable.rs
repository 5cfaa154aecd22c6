//! Retrievable keys (`keys.retrievable`): off by default (shown once, only a hash stored);
//! when on, the key is stored sealed, never in the clear anywhere in the database, and its
//! page reveals or copies it after the password, per session, for a few minutes, audited;
//! turning the setting down, revoking or rotating away forgets the sealed copy.

use crate::helpers::{captured_logs, spawn_app, TestApp, PASSWORD};
use keyport_core::dto::CreatedKey;
use keyport_core::entity::{api_key, audit_event};
use keyport_core::services::audit::RequestMeta;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

async fn retrieve(app: &TestApp, id: &str, purpose: &str, proof: Option<&str>) -> reqwest::Response {
    let mut form = vec![("id", id), ("purpose", purpose)];
    if let Some(p) = proof {
        form.push(("proof", p));
    }
    app.call("keys/secret", &form).await
}

async fn field_of(res: reqwest::Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["Invalid"]["field"].as_str().unwrap_or_default().to_owned()
}

async fn sealed(app: &TestApp, id: &str) -> Option<String> {
    api_key::Entity::find_by_id(id.to_owned()).one(&app.services.db).await.unwrap().unwrap().sealed_secret
}

async fn audited(app: &TestApp, action: &str) -> usize {
    audit_event::Entity::find().filter(audit_event::Column::Action.eq(action)).all(&app.services.db).await.unwrap().len()
}

async fn set(app: &TestApp, value: &str) {
    app.services.set_setting("keys.retrievable", value, false, "cli", &RequestMeta::default()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_key_is_shown_once_and_cannot_be_retrieved() {
    let app = spawn_app().await;
    app.signed_in().await;
    let k = app.create_key("Prod", "live", "never").await;
    assert!(!k.key.retrievable);
    assert!(sealed(&app, &k.key.id).await.is_none(), "only the hash is stored");
    let res = retrieve(&app, &k.key.id, "reveal", Some(PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("shown once"));
    assert_eq!(app.database_holds(k.secret.expose()).await, 0);
    let page = app.page(&format!("/portal/keys/{}", k.key.id)).await.text().await.unwrap();
    assert!(!page.contains("Copy key") && !page.contains("Reveal key"), "no retrieval on the page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrievable_key_is_sealed_and_revealed_or_copied_after_the_password_audited_per_session() {
    let app = spawn_app().await;
    set(&app, "all").await;
    let me = app.signed_in().await;
    let k = app.create_key("Prod", "live", "never").await;
    let secret = k.secret.expose().to_owned();
    assert!(k.key.retrievable);
    let stored = sealed(&app, &k.key.id).await.expect("kept sealed");
    assert!(!stored.contains(&secret) && !stored.contains(&secret[8..]), "sealed, not encoded");
    assert_eq!(app.database_holds(&secret).await, 0, "no plaintext key anywhere in the database");
    assert_eq!(app.database_holds(&secret[secret.len() - 20..]).await, 0, "not even a part of it");
    assert!(!captured_logs().contains(&secret), "nor in the log");
    let page = app.page(&format!("/portal/keys/{}", k.key.id)).await.text().await.unwrap();
    assert!(page.contains("Copy key") && page.contains("Reveal key") && !page.contains(&secret), "masked on the page");

    // Not without confirming; a wrong password is refused; nothing is audited.
    assert_eq!(field_of(retrieve(&app, &k.key.id, "reveal", None).await).await, "proof");
    let wrong = retrieve(&app, &k.key.id, "reveal", Some("not my password")).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(field_of(wrong).await, "proof");
    assert_eq!(field_of(retrieve(&app, &k.key.id, "print", Some(PASSWORD)).await).await, "purpose");
    assert_eq!(audited(&app, "key.revealed").await + audited(&app, "key.copied").await, 0);

    // The password: revealed, never cached; then copied without asking again (this session).
    let res = retrieve(&app, &k.key.id, "reveal", Some(PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert_eq!(res.json::<Value>().await.unwrap(), Value::String(secret.clone()));
    let res = retrieve(&app, &k.key.id, "copy", None).await;
    assert_eq!(res.json::<Value>().await.unwrap(), Value::String(secret.clone()));
    assert_eq!((audited(&app, "key.revealed").await, audited(&app, "key.copied").await), (1, 1));
    let token = app.operator_token().await;
    assert_eq!(app.verify(&token, &secret).await["code"], "VALID", "what comes back is the working key");

    // Another browser of the same person confirms for itself.
    let mine = app.session_cookie();
    app.set_session_cookie(None);
    assert_eq!(app.login(&me, PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(field_of(retrieve(&app, &k.key.id, "copy", None).await).await, "proof");
    app.set_session_cookie(mine);
    // Ten minutes later this one asks again too.
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(field_of(retrieve(&app, &k.key.id, "copy", None).await).await, "proof");

    // A viewer of the team cannot retrieve it, whatever they confirm.
    let viewer = app.new_user().await;
    let owner_team: Value = app.call("session", &[]).await.json().await.unwrap();
    app.add_member(owner_team["team"]["id"].as_str().unwrap(), &viewer.id, "viewer").await;
    app.act_as(&viewer);
    app.switch_to(owner_team["team"]["id"].as_str().unwrap()).await;
    let refused = retrieve(&app, &k.key.id, "reveal", Some(PASSWORD)).await;
    assert!(refused.status() == StatusCode::FORBIDDEN || refused.status() == StatusCode::NOT_FOUND, "{}", refused.status());
    assert!(!refused.text().await.unwrap().contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_revocation_and_turning_the_setting_down_forget_what_no_longer_may_be_shown() {
    let app = spawn_app().await;
    set(&app, "test").await;
    app.signed_in().await;
    let live = app.create_key("Prod", "live", "never").await;
    assert!(!live.key.retrievable, "test: live keys stay shown-once");
    let test = app.create_key("Sandbox", "test", "never").await;
    assert!(test.key.retrievable);

    // A rotation seals the new key; the old one is not shown past its grace.
    let res = app.call("keys/rotate", &[("id", &test.key.id), ("grace", "now")]).await;
    let rotated: CreatedKey = res.json().await.unwrap();
    assert!(rotated.key.retrievable && sealed(&app, &test.key.id).await.is_none(), "the replaced key's copy is gone");
    let res = retrieve(&app, &rotated.key.id, "reveal", Some(PASSWORD)).await;
    assert_eq!(res.json::<Value>().await.unwrap(), Value::String(rotated.secret.expose().to_owned()));
    // Regenerating seals the new secret in place of the old.
    let res = app.call("keys/regenerate", &[("id", &rotated.key.id)]).await;
    let regenerated: CreatedKey = res.json().await.unwrap();
    let res = retrieve(&app, &rotated.key.id, "copy", None).await;
    assert_eq!(res.json::<Value>().await.unwrap(), Value::String(regenerated.secret.expose().to_owned()));

    // Revoked: forgotten.
    let other = app.create_key("Other", "test", "never").await;
    assert_eq!(app.call("keys/revoke", &[("id", &other.key.id)]).await.status(), StatusCode::OK);
    assert!(sealed(&app, &other.key.id).await.is_none());
    assert_eq!(retrieve(&app, &other.key.id, "reveal", None).await.status(), StatusCode::CONFLICT);

    // Turned off: every sealed key is forgotten at once, and nothing is shown any more.
    set(&app, "never").await;
    assert!(sealed(&app, &rotated.key.id).await.is_none());
    assert_eq!(retrieve(&app, &rotated.key.id, "reveal", None).await.status(), StatusCode::CONFLICT);
    assert!(!app.call("keys/get", &[("id", &rotated.key.id)]).await.json::<Value>().await.unwrap()["retrievable"].as_bool().unwrap());
}
