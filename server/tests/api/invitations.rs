//! Invitations end to end: the email over real SMTP, the link, joining; and every refusal.

use crate::helpers::{spawn_app, TestApp, User, PASSWORD};
use crate::smtp::SmtpSink;
use keyport_core::entity::outbox_email;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

async fn invite(app: &TestApp, email: &str, role: &str) -> reqwest::Response {
    app.call("invitations/create", &[("email", email), ("role", role), ("message", "")]).await
}

/// The token of the newest invitation email to `to`, read from the server log (the log
/// transport is the delivery without SMTP; the outbox page never shows the link).
async fn token_from_outbox(_app: &TestApp, to: &str) -> String {
    logged_tokens(to, 1).await.remove(0)
}

/// The tokens of the logged invitation emails to `to`, newest first, once there are `n`.
async fn logged_tokens(to: &str, n: usize) -> Vec<String> {
    let mut t = crate::helpers::logged_link_tokens(to, "/portal/invite/", n).await;
    t.reverse();
    t
}

async fn session(app: &TestApp) -> Value {
    app.call("session", &[]).await.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_travels_over_smtp_and_its_link_signs_up_a_new_member_with_the_invited_role() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = crate::helpers::spawn_app_with_smtp(url).await;
    let owner = app.new_user().await;
    app.act_as(&owner);
    let team: Value = app.call("teams/create", &[("name", "Acme Payments"), ("description", "")]).await.json().await.unwrap();
    let invitee = crate::helpers::email();
    let res = app.call("invitations/create", &[("email", &invitee), ("role", "viewer"), ("message", "Welcome aboard!\nSee you Monday.")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let inv: Value = res.json().await.unwrap();
    assert_eq!(inv["role"], "viewer");
    assert!(inv.get("token").is_none(), "the token is only in the email");

    // The owner's welcome, then the invitation.
    let mail = sink.wait_for(2).await.into_iter().find(|m| m.to == [invitee.clone()]).expect("the invitation");
    assert_eq!(mail.header("Subject").unwrap(), format!("{} invited you to Acme Payments on Keyport", owner.email));
    let text = mail.text();
    assert!(text.contains("> Welcome aboard!") && text.contains("as viewer"), "{text}");
    let token = mail.invitation_token().expect("a link in the email");
    assert!(token.len() >= 43, "at least 256 bits, base64url");
    assert!(text.contains(&format!("{}/portal/invite/{token}", app.base)));

    // The stored copy never held the link.
    let invitation = || outbox_email::Entity::find().filter(outbox_email::Column::Kind.eq("invitation")).one(&app.services.db);
    app.eventually("the outbox records the delivery", || async { invitation().await.unwrap().is_some_and(|r| r.sent_at.is_some()) }).await;
    let stored = invitation().await.unwrap().unwrap();
    assert_eq!(stored.transport.as_deref(), Some("smtp"));
    let placeholder = keyport_core::services::outbox::LINK_PLACEHOLDER;
    let html = stored.html_body.as_deref().expect("an HTML part");
    assert!(!stored.body.contains(&token) && stored.body.contains(placeholder));
    assert!(!html.contains(&token) && html.contains(placeholder));
    // Both parts got the link on the way out.
    assert!(mail.is_multipart());
    assert!(mail.part("text/html").unwrap().contains(&format!("href=\"{}/portal/invite/{token}\"", app.base)));

    // The link, in a fresh browser: see the invitation, sign up, and land in the team.
    app.set_session_cookie(None);
    let preview: Value = app.call("invitations/preview", &[("token", &token)]).await.json().await.unwrap();
    assert_eq!(preview["team_name"], "Acme Payments");
    assert_eq!(preview["email"], invitee.as_str());
    assert_eq!(preview["state"], "pending");
    assert_eq!(app.page(&format!("/portal/invite/{token}")).await.status(), StatusCode::OK);
    let res = app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD)]).await;
    assert!(res.status().is_success(), "{}", res.status());
    let s = session(&app).await;
    assert_eq!(s["user"]["email"], invitee.as_str());
    assert_eq!(s["team"]["id"], team["id"]);
    assert_eq!(s["role"], "viewer");
    assert_eq!(s["teams"].as_array().unwrap().len(), 2, "their own personal team as well");

    // The link is spent; the owner sees the new member and no pending invitation.
    app.set_session_cookie(None);
    let res = app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    app.act_as(&owner);
    let members: Value = app.call("team/members", &[]).await.json().await.unwrap();
    assert!(members.as_array().unwrap().iter().any(|m| m["email"] == invitee.as_str() && m["role"] == "viewer"));
    let pending: Value = app.call("invitations/list", &[]).await.json().await.unwrap();
    assert!(pending.as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_used_revoked_unknown_and_wrong_email_links_are_refused() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let existing = app.new_user().await;
    let stranger = app.new_user().await;
    app.act_as(&owner);

    // Wrong email: someone else signed in cannot use it; the right account can.
    assert_eq!(invite(&app, &existing.email, "member").await.status(), StatusCode::OK);
    let token = token_from_outbox(&app, &existing.email).await;
    let res = app.call_as(&stranger.cookie, "invitations/accept", &[("token", &token)]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains(&existing.email));
    let res = app.call_as(&existing.cookie, "invitations/accept", &[("token", &token)]).await;
    assert!(res.status().is_success(), "{}", res.status());
    // Used.
    assert_eq!(app.call_as(&existing.cookie, "invitations/accept", &[("token", &token)]).await.status(), StatusCode::CONFLICT);

    // Revoked.
    let revoked_for = crate::helpers::email();
    let inv: Value = invite(&app, &revoked_for, "viewer").await.json().await.unwrap();
    let token = token_from_outbox(&app, &revoked_for).await;
    assert_eq!(app.call("invitations/revoke", &[("id", inv["id"].as_str().unwrap())]).await.status(), StatusCode::OK);
    app.set_session_cookie(None);
    let preview: Value = app.call("invitations/preview", &[("token", &token)]).await.json().await.unwrap();
    assert_eq!(preview["state"], "revoked");
    assert_eq!(app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD)]).await.status(), StatusCode::CONFLICT);
    app.act_as(&owner);

    // Expired after seven days.
    let late = crate::helpers::email();
    invite(&app, &late, "viewer").await;
    let token = token_from_outbox(&app, &late).await;
    app.clock.advance(chrono::Duration::days(7) + chrono::Duration::seconds(1));
    app.set_session_cookie(None);
    let preview: Value = app.call("invitations/preview", &[("token", &token)]).await.json().await.unwrap();
    assert_eq!(preview["state"], "expired");
    assert_eq!(app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD)]).await.status(), StatusCode::CONFLICT);

    // Unknown.
    assert_eq!(app.call("invitations/preview", &[("token", "not-a-real-token")]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.call("invitations/accept-signup", &[("token", "x".repeat(300).as_str()), ("password", PASSWORD)]).await.status(), StatusCode::NOT_FOUND);
    let page = app.page("/portal/invite/not-a-real-token").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("This invitation link is not valid"), "the page explains");

    // None of the refused people joined.
    app.act_as(&owner);
    let members: Value = app.call("team/members", &[]).await.json().await.unwrap();
    let emails: Vec<&str> = members.as_array().unwrap().iter().map(|m| m["email"].as_str().unwrap()).collect();
    assert_eq!(emails, [owner.email.as_str(), existing.email.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_replaces_the_link_and_inviting_reveals_nothing_about_accounts() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let existing = app.new_user().await;
    app.act_as(&owner);
    let a: Value = invite(&app, &existing.email, "member").await.json().await.unwrap();
    let b: Value = invite(&app, &crate::helpers::email(), "member").await.json().await.unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b), "same answer whether or not the address has an account");

    let old = token_from_outbox(&app, &existing.email).await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(app.call("invitations/resend", &[("id", id)]).await.status(), StatusCode::CONFLICT, "not twice within a minute");
    app.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(app.call("invitations/resend", &[("id", id)]).await.status(), StatusCode::OK);
    let new = logged_tokens(&existing.email, 2).await.remove(0);
    assert_ne!(new, old);
    assert_eq!(app.call_as(&existing.cookie, "invitations/accept", &[("token", &old)]).await.status(), StatusCode::NOT_FOUND, "the old link is dead");
    assert!(app.call_as(&existing.cookie, "invitations/accept", &[("token", &new)]).await.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_validated_and_change_nothing_when_refused() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    app.act_as(&owner);
    let team: Value = app.call("teams/create", &[("name", "Acme"), ("description", "")]).await.json().await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    let admin = app.new_user().await;
    app.add_member(&team, &admin.id, "admin").await;
    app.act_as(&admin);
    app.switch_to(&team).await;
    let field = |v: Value| v["Invalid"]["field"].as_str().unwrap_or_default().to_owned();
    let cases: [(&str, &str, &str, &str); 6] = [
        ("not-an-email", "member", "", "email"),
        ("x@example.com", "root", "", "role"),
        ("x@example.com", "owner", "", "role"),
        (&owner.email, "member", "", "email"),
        ("y@example.com", "member", &"m".repeat(501), "message"),
        ("", "member", "", "email"),
    ];
    for (email, role, message, expected) in cases {
        let res = app.call("invitations/create", &[("email", email), ("role", role), ("message", message)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{email} {role}");
        assert_eq!(field(res.json().await.unwrap()), expected, "{email} {role}");
    }
    assert_eq!(invite(&app, "z@example.com", "admin").await.status(), StatusCode::OK);
    let res = invite(&app, "Z@Example.com", "viewer").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "one pending invitation per address");
    let pending: Value = app.call("invitations/list", &[]).await.json().await.unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 1);
    let emails = outbox_email::Entity::find().filter(outbox_email::Column::Kind.eq("invitation")).all(&app.services.db).await.unwrap();
    assert_eq!(emails.len(), 1, "refused invitations sent no email");
    let _: &User = &admin;
}
