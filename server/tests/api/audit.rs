//! The audit trail records each action once, in the same transaction, without secrets.

use crate::helpers::{spawn_app, PASSWORD};
use keyport_core::entity::audit_event;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, QueryOrder};

/// The audit list without filters.
const AUDIT_ALL: [(&str, &str); 4] = [("action", ""), ("actor", ""), ("from", ""), ("to", "")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_recorded_action_has_exactly_one_row_and_no_secret_in_the_trail_or_the_logs() {
    let app = spawn_app().await;
    let email = app.signed_in().await;
    app.set_session_cookie(None);
    let wrong = "canary-wrong-password-1234";
    assert_eq!(app.login(&email, wrong).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&email, PASSWORD).await.status(), StatusCode::OK);
    let owner = app.session_cookie().unwrap();
    let key = app.create_key("Audited", "live", "never").await;
    assert_eq!(app.call("keys/revoke", &[("id", &key.key.id)]).await.status(), StatusCode::OK);
    let res = app.call("teams/create", &[("name", "Audited team"), ("description", "")]).await;
    let team = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call("team/update", &[("name", "Audited squad"), ("description", "")]).await.status(), StatusCode::OK);

    // An invitation accepted by someone new, whose role then changes and who is removed.
    let invitee = crate::helpers::email();
    let invitee_password = "canary-invitee-passphrase-5678";
    let ok = |r: reqwest::Response| assert!(r.status().is_success(), "{}", r.status());
    ok(app.call("invitations/create", &[("email", &invitee), ("role", "member"), ("message", "")]).await);
    let token = crate::helpers::logged_link_tokens(&invitee, "/portal/invite/", 1).await.remove(0);
    // The one-time link reached its recipient only: not the outbox page, not a stored body.
    let outbox = app.call("outbox/list", &[]).await.text().await.unwrap();
    assert!(outbox.contains(&invitee) && !outbox.contains(&token), "the outbox page shows the invitation link");
    let stored = format!("{:?}", keyport_core::entity::outbox_email::Entity::find().all(&app.services.db).await.unwrap());
    assert!(!stored.contains(&token), "a stored email holds the invitation link");
    app.set_session_cookie(None);
    ok(app.call("invitations/accept-signup", &[("token", &token), ("password", invitee_password)]).await);
    let invitee_id = app.call("session", &[]).await.json::<serde_json::Value>().await.unwrap()["user"]["id"].as_str().unwrap().to_owned();
    app.set_session_cookie(Some(owner.clone()));
    ok(app.call("team/change-role", &[("user_id", &invitee_id), ("role", "viewer")]).await);
    let res = app.call("invitations/create", &[("email", "later@example.com"), ("role", "viewer"), ("message", "")]).await;
    let later = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    ok(app.call("invitations/revoke", &[("id", &later)]).await);
    ok(app.call("team/remove", &[("user_id", &invitee_id)]).await);
    // Someone who leaves on their own.
    let leaver = app.new_user().await;
    app.add_member(&team, &leaver.id, "member").await;
    app.act_as(&leaver);
    app.switch_to(&team).await;
    ok(app.call("team/leave", &[]).await);

    let rows = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::CreatedAt)
        .order_by_asc(audit_event::Column::Id)
        .all(&app.services.db)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "sign_in_failed", "sign_in", "key.created", "key.revoked", "team.created", "team.updated",
            "invitation.sent", "invitation.accepted", "member.role_changed", "invitation.sent",
            "invitation.revoked", "member.removed", "member.left",
        ]
    );
    let created = &rows[2];
    assert_eq!(created.object_type.as_deref(), Some("key"));
    assert_eq!(created.object_id.as_deref(), Some(key.key.id.as_str()));
    assert_eq!(created.actor_email.as_deref(), Some(email.as_str()));
    assert_eq!(created.ip, "127.0.0.1");
    assert!(created.team_id.is_some());
    assert_eq!(rows[0].actor_user_id, None, "a failed sign-in names no user");
    assert_eq!(rows[7].actor_email.as_deref(), Some(invitee.as_str()), "the invitee accepted");
    assert_eq!(rows[7].team_id.as_deref(), Some(team.as_str()));
    assert!(rows[5..].iter().all(|r| r.team_id.as_deref() == Some(team.as_str())));

    let everything = format!("{rows:?}");
    // Every email (the key-created one included) is written and delivered before the logs
    // are read: both parts of each are in the outbox rows, its text in the log.
    app.eventually("every email is delivered", || async {
        let mails = keyport_core::entity::outbox_email::Entity::find().all(&app.services.db).await.unwrap();
        mails.iter().any(|m| m.kind == "key_created") && mails.iter().all(|m| m.sent_at.is_some())
    })
    .await;
    let mails = keyport_core::entity::outbox_email::Entity::find().all(&app.services.db).await.unwrap();
    assert!(mails.iter().all(|m| m.html_body.is_some()), "each email has its HTML part");
    let created_mail = mails.iter().find(|m| m.kind == "key_created").unwrap();
    assert!(created_mail.body.contains("\"Audited\"") && created_mail.to_address == email, "the key-created email names the key, to its creator");
    let mails = format!("{mails:?}");
    let logs = crate::helpers::captured_logs();
    assert!(logs.contains("invitation sent"), "the log capture works");
    // The part of the key the portal never shows again (between the masked start and end).
    let full = key.secret.expose();
    let hidden = &full[key.key.masked.find('…').unwrap()..full.len() - 4];
    for secret in [wrong, PASSWORD, invitee_password, full, hidden] {
        assert!(!everything.contains(secret), "audit trail leaks a secret");
        assert!(!logs.contains(secret), "the logs leak a secret");
        assert!(!mails.contains(secret), "an email (text or HTML part, stored) holds a secret");
    }
    assert!(!everything.contains(&token), "the invitation token is not in the trail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_read_and_export_their_teams_trail_and_nobody_elses() {
    let app = spawn_app().await;
    let email = app.signed_in().await;
    app.login(&email, PASSWORD).await;
    let key = app.create_key("Exported", "live", "never").await;
    let rows: serde_json::Value = app.call("audit/list", &AUDIT_ALL).await.json().await.unwrap();
    let actions: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["key.created", "sign_in"], "newest first, member sign-ins included");
    let only: serde_json::Value = app.call("audit/list", &[("action", "sign_in"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    assert_eq!(only.as_array().unwrap().len(), 1);

    let csv = app.page("/portal/audit.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("time_utc,actor,action,object,detail,ip,user_agent\r\n"));
    assert!(body.contains(&format!("\"key {}\"", key.key.id)));
    assert_eq!(body.lines().count(), 3);

    // Another user sees none of it.
    app.set_session_cookie(None);
    app.signed_in().await;
    let rows: serde_json::Value = app.call("audit/list", &AUDIT_ALL).await.json().await.unwrap();
    assert!(rows.as_array().unwrap().is_empty());
    app.set_session_cookie(None);
    assert_eq!(app.page("/portal/audit.csv").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.call("audit/list", &AUDIT_ALL).await.status(), StatusCode::UNAUTHORIZED);
}
