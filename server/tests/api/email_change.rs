//! Changing the account's address: asked for with the password, confirmed through a one-time
//! link sent to the new address (a form post), the old address told afterwards; a taken
//! address gets the same answer at the form and its owner a notice; a password change voids
//! a change not confirmed yet; every refusal changes nothing.

use crate::helpers::{email, logged_link_tokens, logged_to, spawn_app, TestApp, PASSWORD};
use keyport_core::entity::{audit_event, email_change, outbox_email, user};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

const LINK: &str = "/portal/email-change/";

async fn account(app: &TestApp) -> Value {
    app.call("account", &[]).await.json::<Value>().await.unwrap()
}

async fn ask(app: &TestApp, new: &str, password: &str) -> reqwest::Response {
    app.call("account/email", &[("new_email", new), ("password", password)]).await
}

async fn kinds_to(app: &TestApp, to: &str) -> Vec<String> {
    let sent = outbox_email::Entity::find().filter(outbox_email::Column::ToAddress.eq(to)).all(&app.services.db).await.unwrap();
    sent.into_iter().map(|e| e.kind).collect()
}

async fn actions(app: &TestApp, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find().filter(audit_event::Column::Action.eq(action)).all(&app.services.db).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_moves_only_through_the_link_sent_to_it_and_the_old_one_is_told() {
    let app = spawn_app().await;
    let old = app.signed_in().await;
    let new = email();

    // Refusals, each on its field; nothing is stored and nobody is mailed.
    for (addr, password, field) in [("not an address", PASSWORD, "new_email"), (old.as_str(), PASSWORD, "new_email"), (new.as_str(), "", "password"), (new.as_str(), "wrong password", "password")] {
        let res = ask(&app, addr, password).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{addr} {password}");
        assert_eq!(res.json::<Value>().await.unwrap()["Invalid"]["field"], field, "{addr} {password}");
    }
    assert!(email_change::Entity::find().all(&app.services.db).await.unwrap().is_empty());
    assert!(kinds_to(&app, &new).await.is_empty());

    // Asked for (typed loosely): a link to the new address, shown as pending, audited.
    assert_eq!(ask(&app, &format!("  {}  ", new.to_uppercase()), PASSWORD).await.status(), StatusCode::OK);
    let first = logged_link_tokens(&new, LINK, 1).await.remove(0);
    assert_eq!(ask(&app, &new, PASSWORD).await.status(), StatusCode::OK, "asking again sends a new link");
    let token = logged_link_tokens(&new, LINK, 2).await.remove(1);
    assert_ne!(first, token);
    let a = account(&app).await;
    assert_eq!((a["email"].as_str(), a["pending_email"].as_str()), (Some(old.as_str()), Some(new.as_str())), "{a}");
    let stored = email_change::Entity::find().all(&app.services.db).await.unwrap();
    assert!(stored.iter().all(|c| c.token_hash != token && c.token_hash.len() == 64), "links are stored as hashes only");
    assert_eq!(actions(&app, "email.change_requested").await.len(), 2);
    let page = app.page("/portal/settings").await.text().await.unwrap();
    assert!(page.contains("Waiting for you to confirm") && page.contains(&new), "the settings page says what it waits for");

    // The link's page only asks; the older link no longer works; bad tokens change nothing.
    let shown = app.page(&format!("{LINK}{token}")).await.text().await.unwrap();
    assert!(shown.contains("Use my new address") && shown.contains(&old) && shown.contains(&new), "{shown}");
    for bad in [first.as_str(), "", "nope", &"x".repeat(300)] {
        assert_eq!(app.call("account/email/confirm", &[("token", bad)]).await.status(), StatusCode::CONFLICT, "{bad:.10}");
    }
    assert_eq!(account(&app).await["email"], old.as_str(), "opening the page changed nothing");

    // Confirmed: the account uses the new address (confirmed by the link), this browser stays
    // signed in, the old address gets a notice, the trail has it.
    assert_eq!(app.call("account/email/confirm", &[("token", &token)]).await.status(), StatusCode::OK);
    let a = account(&app).await;
    assert_eq!((a["email"].as_str(), a["pending_email"].as_str()), (Some(new.as_str()), None), "{a}");
    let row = user::Entity::find().filter(user::Column::Email.eq(new.as_str())).one(&app.services.db).await.unwrap().unwrap();
    assert!(row.email_verified_at.is_some());
    assert_eq!(kinds_to(&app, &old).await.iter().filter(|k| *k == "email_changed").count(), 1);
    app.eventually("the old address is told", || async { logged_to(&old).iter().any(|m| m.contains(&new) && m.contains("now uses")) }).await;
    let changed = actions(&app, "email.changed").await;
    assert_eq!(changed.len(), 1);
    assert!(changed[0].detail.as_deref().is_some_and(|d| d.contains(&old) && d.contains(&new)), "{:?}", changed[0].detail);
    assert_eq!(app.call("account/email/confirm", &[("token", &token)]).await.status(), StatusCode::CONFLICT, "once");

    // Signing in: the new address works, the old one no longer does.
    app.set_session_cookie(None);
    assert_eq!(app.login(&old, PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&new, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_address_gets_the_same_answer_and_its_owner_a_notice_and_nothing_moves() {
    let app = spawn_app().await;
    let other = app.new_user().await;
    let mine = app.signed_in().await;

    let fresh = email();
    let fresh_answer = ask(&app, &fresh, PASSWORD).await;
    assert_eq!(fresh_answer.status(), StatusCode::OK);
    let fresh_body = fresh_answer.text().await.unwrap();
    let fresh_page = app.page("/portal/settings?email=sent").await.text().await.unwrap().replace(&fresh, "ADDR");

    let taken_answer = ask(&app, &other.email, PASSWORD).await;
    assert_eq!(taken_answer.status(), StatusCode::OK, "a taken address is not refused at the form");
    assert_eq!(taken_answer.text().await.unwrap(), fresh_body, "the same answer");
    let taken_page = app.page("/portal/settings?email=sent").await.text().await.unwrap().replace(&other.email, "ADDR");
    let strip = |p: &str| p.split("Change email address").nth(1).and_then(|s| s.split("Change password").next()).unwrap_or_default().to_owned();
    assert_eq!(strip(&taken_page), strip(&fresh_page), "the settings card reads the same");
    assert_eq!(account(&app).await["pending_email"], other.email.as_str());

    app.eventually("the owner of the taken address is told", || async { logged_to(&other.email).iter().any(|m| m.contains("already have an account with this address")) }).await;
    assert!(logged_to(&other.email).iter().all(|m| !m.contains(LINK)), "no link goes to the taken address");
    assert_eq!(account(&app).await["email"], mine.as_str(), "nothing moved");
    app.set_session_cookie(Some(other.cookie.clone()));
    assert_eq!(account(&app).await["email"], other.email.as_str(), "nor did the other account change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_voids_the_link_an_address_taken_meanwhile_is_refused_and_links_expire() {
    let app = spawn_app().await;
    let mine = app.signed_in().await;

    // A change asked for with the old password dies with it.
    let first = email();
    ask(&app, &first, PASSWORD).await;
    let token = logged_link_tokens(&first, LINK, 1).await.remove(0);
    let new_password = "a brand new passphrase 42";
    let res = app.call("account/password", &[("current_password", PASSWORD), ("new_password", new_password), ("confirm_password", new_password)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.call("account/email/confirm", &[("token", &token)]).await.status(), StatusCode::CONFLICT);
    assert!(account(&app).await["pending_email"].is_null());

    // An address that got its own account between the link and the click stays its own.
    let second = email();
    ask(&app, &second, new_password).await;
    let token = logged_link_tokens(&second, LINK, 1).await.remove(0);
    let before = app.session_cookie();
    assert_eq!(app.register(&second, PASSWORD).await.status(), StatusCode::OK);
    app.set_session_cookie(before);
    let res = app.call("account/email/confirm", &[("token", &token)]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("now belongs to another account"));
    assert_eq!(account(&app).await["email"], mine.as_str());

    // A third request within the minute is the last; a day later its link has expired.
    let third = email();
    ask(&app, &third, new_password).await;
    let token = logged_link_tokens(&third, LINK, 1).await.remove(0);
    let throttled = ask(&app, &email(), new_password).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS, "three a minute");
    app.clock.advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    assert_eq!(app.call("account/email/confirm", &[("token", &token)]).await.status(), StatusCode::CONFLICT);
}
