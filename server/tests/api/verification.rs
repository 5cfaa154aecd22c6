//! Address confirmation (`signup.require_verification`): sign-up answers the same for every
//! address, the owner of a taken address is told instead, the link confirms once within a
//! day, and until then the account may look around but not create live keys.

use crate::helpers::{email, logged_link_tokens, logged_to, spawn_app, TestApp, PASSWORD};
use crate::smtp::SmtpSink;
use keyport_core::entity::{audit_event, email_verification, user};
use keyport_core::services::audit::RequestMeta;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

const LINK: &str = "/portal/verify-email/";

async fn asking_for_confirmation() -> TestApp {
    let app = spawn_app().await;
    app.services.set_setting("signup.require_verification", "true", false, "cli", &RequestMeta::default()).await.unwrap();
    app
}

async fn user_row(app: &TestApp, e: &str) -> Option<user::Model> {
    user::Entity::find().filter(user::Column::Email.eq(e)).one(&app.services.db).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_says_check_your_email_for_new_and_taken_addresses_alike() {
    let app = asking_for_confirmation().await;
    let taken = email();
    // An account made before, with the requirement off (so it is signed in and unconfirmed).
    app.services.set_setting("signup.require_verification", "false", false, "cli", &RequestMeta::default()).await.unwrap();
    assert_eq!(app.register(&taken, PASSWORD).await.status(), StatusCode::OK);
    app.services.set_setting("signup.require_verification", "true", false, "cli", &RequestMeta::default()).await.unwrap();
    app.set_session_cookie(None);

    let fresh = email();
    let new_answer = app.register(&fresh, PASSWORD).await;
    assert_eq!(new_answer.status(), StatusCode::OK);
    assert!(new_answer.headers().get("set-cookie").is_none_or(|c| !c.to_str().unwrap().starts_with("__Host-keyport_session=")), "nobody is signed in by sign-up");
    let new_body = new_answer.text().await.unwrap();
    let taken_answer = app.register(&taken.to_uppercase(), "another good passphrase").await;
    assert_eq!(taken_answer.status(), StatusCode::OK, "a taken address is not refused at the form");
    assert!(taken_answer.headers().get("set-cookie").is_none_or(|c| !c.to_str().unwrap().starts_with("__Host-keyport_session=")));
    assert_eq!(taken_answer.text().await.unwrap(), new_body, "the same answer for both");
    assert_eq!(new_body, "false", "false: check your email");

    // The new address got its link; the taken one a notice, and its password stays.
    let token = logged_link_tokens(&fresh, LINK, 1).await.remove(0);
    assert!(token.len() >= 43, "256 bits, base64url: {token}");
    let stored = email_verification::Entity::find().all(&app.services.db).await.unwrap();
    assert!(stored.iter().all(|v| v.token_hash != token && v.token_hash.len() == 64), "stored as a hash only");
    app.eventually("the owner of the taken address is told", || async { logged_to(&taken).iter().any(|m| m.contains("Someone tried to create")) }).await;
    assert!(logged_to(&taken).iter().all(|m| !m.contains(LINK)), "the notice carries no link");
    assert_eq!(app.login(&taken, PASSWORD).await.status(), StatusCode::OK, "the existing account's password is unchanged");

    // A second try within the minute changes nothing and mails nobody again.
    let before = logged_to(&taken).len();
    assert_eq!(app.register(&taken, PASSWORD).await.text().await.unwrap(), new_body);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(logged_to(&taken).len(), before, "at most one notice a minute");

    // The check-your-email page names the address back, and says the same for any.
    app.set_session_cookie(None);
    let page = app.page("/portal/register?check").await.text().await.unwrap();
    assert!(page.contains("Check your email"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_account_signs_in_and_makes_test_keys_but_no_live_ones_until_its_link_is_used_once() {
    let app = asking_for_confirmation().await;
    let e = email();
    assert_eq!(app.register(&e, PASSWORD).await.status(), StatusCode::OK);
    let token = logged_link_tokens(&e, LINK, 1).await.remove(0);
    assert!(user_row(&app, &e).await.unwrap().email_verified_at.is_none());

    assert_eq!(app.login(&e, PASSWORD).await.status(), StatusCode::OK, "signing in works before confirming");
    let session: Value = app.call("session", &[]).await.json().await.unwrap();
    assert_eq!(session["unverified"], true);
    let refused = app.call("keys/create", &[("name", "Prod"), ("environment", "live"), ("expiry", "never")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], "environment", "{body}");
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("Confirm your email address"), "{body}");
    assert!(app.list_keys().await.is_empty(), "nothing was created");
    app.create_key("Sandbox", "test", "never").await;
    let dashboard = app.page("/portal").await.text().await.unwrap();
    assert!(dashboard.contains("Confirm your email address to create live keys") && dashboard.contains("Send a new link"), "the notice with a new-link button");

    // The link's page only asks; a bad token is refused and changes nothing.
    let page = app.page(&format!("{LINK}{token}")).await.text().await.unwrap();
    assert!(page.contains("Confirm my address") && page.contains(&e), "{page}");
    assert!(user_row(&app, &e).await.unwrap().email_verified_at.is_none(), "opening the link confirms nothing");
    for bad in ["", "nope", &"x".repeat(300)] {
        assert_eq!(app.call("account/verify", &[("token", bad)]).await.status(), StatusCode::CONFLICT, "{bad:.10}");
    }
    assert_eq!(app.call("account/verify", &[("token", &token)]).await.status(), StatusCode::OK);
    assert!(user_row(&app, &e).await.unwrap().email_verified_at.is_some());
    let session: Value = app.call("session", &[]).await.json().await.unwrap();
    assert_eq!(session["unverified"], false);
    app.create_key("Prod", "live", "never").await;
    let audited = audit_event::Entity::find().filter(audit_event::Column::Action.eq("email.verified")).all(&app.services.db).await.unwrap();
    assert_eq!(audited.len(), 1);

    // Once: the same link again is refused.
    assert_eq!(app.call("account/verify", &[("token", &token)]).await.status(), StatusCode::CONFLICT);
    let again = app.page(&format!("{LINK}{token}")).await.text().await.unwrap();
    assert!(again.contains("expired or was already used"), "{again}");
    // And a confirmed account asks for no new link.
    assert_eq!(app.call("account/verify/resend", &[]).await.status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_expire_after_a_day_only_the_newest_works_and_new_ones_are_throttled() {
    let app = asking_for_confirmation().await;
    let e = email();
    app.register(&e, PASSWORD).await;
    let first = logged_link_tokens(&e, LINK, 1).await.remove(0);
    assert_eq!(app.login(&e, PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(app.call("account/verify/resend", &[]).await.status(), StatusCode::OK);
    let second = logged_link_tokens(&e, LINK, 2).await.remove(1);
    assert_ne!(first, second);
    assert_eq!(app.call("account/verify/resend", &[]).await.status(), StatusCode::OK);
    let third = logged_link_tokens(&e, LINK, 3).await.remove(2);
    assert_eq!(app.call("account/verify/resend", &[]).await.status(), StatusCode::TOO_MANY_REQUESTS, "two a minute");
    for older in [&first, &second] {
        assert_eq!(app.call("account/verify", &[("token", older)]).await.status(), StatusCode::CONFLICT, "a newer link replaces the older");
    }
    app.clock.advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    assert_eq!(app.call("account/verify", &[("token", &third)]).await.status(), StatusCode::CONFLICT, "a day later the link has expired");
    assert!(user_row(&app, &e).await.unwrap().email_verified_at.is_none());
    // A day after expiring, the minute worker's cleanup deletes the dead links.
    app.clock.advance(chrono::Duration::hours(24));
    assert!(app.services.prune_verification_links().await.unwrap() >= 1);
    assert!(email_verification::Entity::find().all(&app.services.db).await.unwrap().is_empty());
    // A new one works.
    assert_eq!(app.call("account/verify/resend", &[]).await.status(), StatusCode::OK);
    let fourth = logged_link_tokens(&e, LINK, 4).await.remove(3);
    assert_eq!(app.call("account/verify", &[("token", &fourth)]).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_smtp_confirmation_is_asked_by_default_and_the_link_arrives_by_mail() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = crate::helpers::spawn_app_with(move |s| s.smtp_url = Some(url)).await;
    assert!(app.services.settings().require_verification, "on by default with SMTP");
    let e = email();
    assert_eq!(app.register(&e, PASSWORD).await.text().await.unwrap(), "false");
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, [e.clone()]);
    let text = mail.text();
    assert!(mail.decoded_header("Subject").unwrap().starts_with("Confirm your email address"), "{text}");
    let start = text.find(LINK).expect("a link") + LINK.len();
    let token: String = text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    assert!(mail.part("text/html").unwrap().contains(&format!("href=\"{}{LINK}{token}\"", app.base)));
    // Confirmed from another browser (nobody signed in): on to sign-in, and the welcome follows.
    app.set_session_cookie(None);
    assert_eq!(app.call("account/verify", &[("token", &token)]).await.status(), StatusCode::OK);
    let welcome = sink.wait_for(2).await.remove(1);
    assert!(welcome.decoded_header("Subject").unwrap().starts_with("Welcome to"));

    // Without SMTP it is off by default: sign-up signs in at once, as before.
    let plain = spawn_app().await;
    assert!(!plain.services.settings().require_verification);
}
