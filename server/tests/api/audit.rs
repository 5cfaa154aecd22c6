//! The audit trail records each action once, in the same transaction, without secrets.

use crate::helpers::{spawn_app, PASSWORD};
use keyport_core::entity::audit_event;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, QueryOrder};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_recorded_action_has_exactly_one_row_and_no_secret_anywhere() {
    let app = spawn_app().await;
    let email = app.signed_in().await;
    app.set_session_cookie(None);
    let wrong = "canary-wrong-password-1234";
    assert_eq!(app.login(&email, wrong).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&email, PASSWORD).await.status(), StatusCode::OK);
    let key = app.create_key("Audited", "live", "never").await;
    assert_eq!(app.call("keys/revoke", &[("id", &key.key.id)]).await.status(), StatusCode::OK);
    assert_eq!(app.call("teams/create", &[("name", "Audited team"), ("description", "")]).await.status(), StatusCode::OK);

    let rows = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::CreatedAt)
        .order_by_asc(audit_event::Column::Id)
        .all(&app.services.db)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["sign_in_failed", "sign_in", "key.created", "key.revoked", "team.created"]);
    let created = &rows[2];
    assert_eq!(created.object_type.as_deref(), Some("key"));
    assert_eq!(created.object_id.as_deref(), Some(key.key.id.as_str()));
    assert_eq!(created.actor_email.as_deref(), Some(email.as_str()));
    assert_eq!(created.ip, "127.0.0.1");
    assert!(created.team_id.is_some());
    assert_eq!(rows[0].actor_user_id, None, "a failed sign-in names no user");
    let everything = format!("{rows:?}");
    for secret in [wrong, PASSWORD, key.secret.expose()] {
        assert!(!everything.contains(secret), "audit trail leaks a secret");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_read_and_export_their_teams_trail_and_nobody_elses() {
    let app = spawn_app().await;
    let email = app.signed_in().await;
    app.login(&email, PASSWORD).await;
    let key = app.create_key("Exported", "live", "never").await;
    let rows: serde_json::Value = app.call("audit/list", &[("action", "")]).await.json().await.unwrap();
    let actions: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["key.created", "sign_in"], "newest first, member sign-ins included");
    let only: serde_json::Value = app.call("audit/list", &[("action", "sign_in")]).await.json().await.unwrap();
    assert_eq!(only.as_array().unwrap().len(), 1);

    let csv = app.page("/portal/audit.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("time_utc,actor,action,object,ip,user_agent\r\n"));
    assert!(body.contains(&format!("\"key {}\"", key.key.id)));
    assert_eq!(body.lines().count(), 3);

    // Another user sees none of it.
    app.set_session_cookie(None);
    app.signed_in().await;
    let rows: serde_json::Value = app.call("audit/list", &[("action", "")]).await.json().await.unwrap();
    assert!(rows.as_array().unwrap().is_empty());
    app.set_session_cookie(None);
    assert_eq!(app.page("/portal/audit.csv").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.call("audit/list", &[("action", "")]).await.status(), StatusCode::UNAUTHORIZED);
}
