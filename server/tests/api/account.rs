//! The settings page's account actions: changing the password ends every other session (and
//! the old password), tells the owner by email and is audited; signed-in devices are listed
//! with their browser and can be signed out one by one or all at once; bad input and other
//! people's sessions change nothing.

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use keyport_core::entity::{outbox_email, session, user};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

const NEW_PASSWORD: &str = "a much longer passphrase now";

async fn account(app: &TestApp) -> Value {
    let res = app.call("account", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn change(app: &TestApp, current: &str, new: &str, confirm: &str) -> reqwest::Response {
    app.call("account/password", &[("current_password", current), ("new_password", new), ("confirm_password", confirm)]).await
}

/// Signs in from a browser with the given user agent; returns its session cookie.
async fn sign_in_from(app: &TestApp, e: &str, password: &str, agent: &str) -> String {
    let res = app
        .client()
        .post(format!("{}/api/login", app.base))
        .header("sec-fetch-site", "same-origin")
        .header("user-agent", agent)
        .form(&[("email", e), ("password", password)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection(), "sign-in: {}", res.status());
    let cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).find(|c| c.starts_with("__Host-keyport_session=")).unwrap();
    cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned()
}

const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0";
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_are_listed_and_can_be_signed_out_one_by_one_or_all_at_once() {
    let app = spawn_app().await;
    let e = app.signed_in().await;
    let laptop = sign_in_from(&app, &e, PASSWORD, FIREFOX).await;
    let phone = sign_in_from(&app, &e, PASSWORD, SAFARI).await;
    let a = account(&app).await;
    assert_eq!(a["email"], e.as_str());
    let sessions = a["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let by_agent = |agent: &str| sessions.iter().find(|s| s["user_agent"] == agent).unwrap_or_else(|| panic!("{agent}")).clone();
    let phone_session = by_agent(SAFARI);
    assert_eq!(phone_session["ip"], "127.0.0.1");
    assert_eq!(phone_session["current"], false);
    assert!(!sessions.iter().any(|s| s.to_string().contains(&laptop) || s.to_string().contains(&phone)), "tokens never leave the server");

    // Someone else cannot see or end these sessions: another person's session is not found.
    let stranger = app.new_user().await;
    let res = app.call_as(&stranger.cookie, "account/sessions/end", &[("id", phone_session["id"].as_str().unwrap())]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let theirs: Value = app.call_as(&stranger.cookie, "account", &[]).await.json().await.unwrap();
    assert_eq!(theirs["sessions"].as_array().unwrap().len(), 1);
    // The session in use is refused: signing out is for that.
    let current_id = sessions.iter().find(|s| s["current"] == true).unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call("account/sessions/end", &[("id", &current_id)]).await.status(), StatusCode::BAD_REQUEST);

    // The phone is signed out; its cookie is dead at once, the laptop's lives.
    assert_eq!(app.call("account/sessions/end", &[("id", phone_session["id"].as_str().unwrap())]).await.status(), StatusCode::OK);
    assert_eq!(app.call_as(&phone, "session", &[]).await.json::<Value>().await.unwrap(), Value::Null);
    assert_ne!(app.call_as(&laptop, "session", &[]).await.json::<Value>().await.unwrap(), Value::Null);

    // Everything but this browser.
    let ended: i64 = app.call("account/sessions/end-others", &[]).await.json().await.unwrap();
    assert_eq!(ended, 1);
    assert_eq!(app.call_as(&laptop, "session", &[]).await.json::<Value>().await.unwrap(), Value::Null);
    assert_eq!(account(&app).await["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(app.call("account/sessions/end-others", &[]).await.json::<i64>().await.unwrap(), 0);

    // Both are in the audit trail, as the person's own events.
    let audit: Value = app.call("audit/list", &[("action", "sessions.ended"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    let details: Vec<&str> = audit.as_array().unwrap().iter().map(|r| r["detail"].as_str().unwrap_or("")).collect();
    assert_eq!(details.len(), 2, "{audit}");
    assert!(details.contains(&"1 session (Safari on iOS)"), "{details:?}");
    // Signed out, nothing of this is reachable.
    app.set_session_cookie(None);
    assert_eq!(app.call("account", &[]).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.call("account/sessions/end-others", &[]).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_every_other_session_and_the_old_password() {
    let app = spawn_app().await;
    let e = app.signed_in().await;
    let before = app.session_cookie().unwrap();
    let other = sign_in_from(&app, &e, PASSWORD, FIREFOX).await;

    let res = change(&app, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    // This browser carries on with a new session; the old cookies are dead, here and elsewhere.
    let after = app.session_cookie().unwrap();
    assert_ne!(after, before);
    assert_ne!(app.call("session", &[]).await.json::<Value>().await.unwrap(), Value::Null);
    for dead in [&before, &other] {
        assert_eq!(app.call_as(dead, "session", &[]).await.json::<Value>().await.unwrap(), Value::Null);
    }
    assert_eq!(session::Entity::find().count(&app.services.db).await.unwrap(), 1);
    // Only the new password signs in.
    app.set_session_cookie(None);
    assert_eq!(app.login(&e, PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert!(app.login(&e, NEW_PASSWORD).await.status().is_success());

    // The owner of the address is told; the email holds no password.
    let mail = outbox_email::Entity::find().all(&app.services.db).await.unwrap();
    let notice = mail.iter().find(|m| m.kind == "password_changed").expect("a notice");
    assert_eq!(notice.to_address, e);
    assert!(!notice.body.contains(NEW_PASSWORD) && !notice.body.contains(PASSWORD));
    // Audited, and no password reaches a log.
    let audit: Value = app.call("audit/list", &[("action", "password.changed"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
    let logs = crate::helpers::captured_logs();
    assert!(!logs.contains(NEW_PASSWORD), "the new password reached a log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_password_changes_get_field_errors_and_change_nothing() {
    let app = spawn_app().await;
    app.signed_in().await;
    let cookie = app.session_cookie().unwrap();
    let stored = |app: &TestApp| {
        let db = app.services.db.clone();
        async move { user::Entity::find().one(&db).await.unwrap().unwrap().password_hash }
    };
    let hash = stored(&app).await;
    let cases = [
        ("", NEW_PASSWORD, NEW_PASSWORD, "current_password"),
        ("not the password", NEW_PASSWORD, NEW_PASSWORD, "current_password"),
        (PASSWORD, "short", "short", "new_password"),
        (PASSWORD, "password123", "password123", "new_password"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password"),
        (PASSWORD, NEW_PASSWORD, "a different passphrase", "confirm_password"),
    ];
    for (current, new, confirm, field) in cases {
        let res = change(&app, current, new, confirm).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{field}: {current} → {new}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], field, "{body}");
        assert_eq!(app.session_cookie().unwrap(), cookie, "the session is kept");
    }
    assert_eq!(stored(&app).await, hash, "nothing changed");
    // Guessing the current password is throttled before any hashing.
    let mut throttled = false;
    for _ in 0..10 {
        if change(&app, "still not it", NEW_PASSWORD, NEW_PASSWORD).await.status() == StatusCode::TOO_MANY_REQUESTS {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "repeated wrong current passwords are throttled");
    assert_eq!(stored(&app).await, hash);
    // A cross-site form post is refused like every mutation.
    let res = app
        .client()
        .post(format!("{}/api/account/password", app.base))
        .header("sec-fetch-site", "cross-site")
        .header("cookie", format!("__Host-keyport_session={cookie}"))
        .form(&[("current_password", PASSWORD), ("new_password", NEW_PASSWORD), ("confirm_password", NEW_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored(&app).await, hash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_let_nobody_in_and_are_cleaned_up() {
    let app = spawn_app().await;
    let e = app.signed_in().await;
    let old = app.session_cookie().unwrap();
    app.clock.advance(app.services.config.session_ttl - chrono::Duration::hours(1));
    let fresh = sign_in_from(&app, &e, PASSWORD, FIREFOX).await;
    assert_eq!(app.services.purge_expired_sessions().await.unwrap(), 0, "nothing has ended yet");
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(app.call_as(&old, "session", &[]).await.json::<Value>().await.unwrap(), Value::Null);
    let mine: Value = app.call_as(&fresh, "account", &[]).await.json().await.unwrap();
    assert_eq!(mine["sessions"].as_array().unwrap().len(), 1, "the ended session is not listed");
    // The worker may have purged it already (it runs every 60 flush ticks): either way it is gone.
    assert!(app.services.purge_expired_sessions().await.unwrap() <= 1);
    assert_eq!(session::Entity::find().count(&app.services.db).await.unwrap(), 1);
    assert_ne!(app.call_as(&fresh, "session", &[]).await.json::<Value>().await.unwrap(), Value::Null);
}

/// The token in the newest password-reset email to `to` (delivered to the server log).
async fn reset_token(app: &TestApp, to: &str) -> String {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let sent = outbox_email::Entity::find()
        .filter(outbox_email::Column::ToAddress.eq(to))
        .filter(outbox_email::Column::Kind.eq("password_reset"))
        .count(&app.services.db)
        .await
        .unwrap();
    crate::helpers::logged_link_tokens(to, "/portal/reset/", sent as usize).await.pop().expect("a reset email")
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.call("account/reset", &[("token", token), ("password", password), ("confirm_password", password)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let e = app.signed_in().await;
    let old_session = app.session_cookie().unwrap();
    app.set_session_cookie(None);

    // Known and unknown addresses get the same answer; only the known one gets an email.
    let known = app.call("account/forgot", &[("email", &e)]).await;
    let unknown = app.call("account/forgot", &[("email", "nobody-here@example.com")]).await;
    assert_eq!((known.status(), unknown.status()), (StatusCode::OK, StatusCode::OK));
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    let mail = outbox_email::Entity::find().all(&app.services.db).await.unwrap();
    assert_eq!(mail.iter().filter(|m| m.kind == "password_reset").count(), 1);
    assert!(!mail.iter().any(|m| m.to_address == "nobody-here@example.com"));
    let token = reset_token(&app, &e).await;
    assert_eq!(app.call("account/reset/check", &[("token", &token)]).await.json::<String>().await.unwrap(), e);

    // A weak password is refused and the link still works.
    let res = reset(&app, &token, "short").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["Invalid"]["field"], "password");
    let res = app.call("account/reset", &[("token", &token), ("password", NEW_PASSWORD), ("confirm_password", "other")]).await;
    assert_eq!(res.json::<Value>().await.unwrap()["Invalid"]["field"], "confirm_password");

    // The reset signs this browser in; the old session and the old password are dead.
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), StatusCode::OK);
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    assert_eq!(s["user"]["email"], e.as_str());
    assert_eq!(app.call_as(&old_session, "session", &[]).await.json::<Value>().await.unwrap(), Value::Null);
    app.set_session_cookie(None);
    assert_eq!(app.login(&e, PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert!(app.login(&e, NEW_PASSWORD).await.status().is_success());

    // Used once: the same link is refused, and changes nothing.
    let res = reset(&app, &token, "yet another passphrase").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(app.call("account/reset/check", &[("token", &token)]).await.status(), StatusCode::CONFLICT);
    app.set_session_cookie(None);
    assert!(app.login(&e, NEW_PASSWORD).await.status().is_success());
    // Audited, and the token never reaches a log.
    let audit: Value = app.call("audit/list", &[("action", "password.reset"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
    // Without SMTP the email itself is written to the log (that is how a local install gets
    // it); nothing else logs the token.
    assert!(crate::helpers::captured_logs().matches(token.as_str()).count() <= 1, "the reset token is logged only in the email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_links_expire_only_the_newest_works_and_requests_are_throttled() {
    let app = spawn_app().await;
    let e = app.signed_in().await;
    app.set_session_cookie(None);
    assert_eq!(app.call("account/forgot", &[("email", &e)]).await.status(), StatusCode::OK);
    let first = reset_token(&app, &e).await;
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(app.call("account/forgot", &[("email", &e)]).await.status(), StatusCode::OK);
    let second = reset_token(&app, &e).await;
    assert_ne!(first, second);
    assert_eq!(reset(&app, &first, NEW_PASSWORD).await.status(), StatusCode::CONFLICT, "a newer link replaces the older");
    // A third request within the minute is throttled (and sends nothing).
    assert_eq!(app.call("account/forgot", &[("email", &e)]).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(outbox_email::Entity::find().all(&app.services.db).await.unwrap().iter().filter(|m| m.kind == "password_reset").count(), 2);
    // Malformed input is a field error; made-up and over-long tokens are refused alike.
    let res = app.call("account/forgot", &[("email", "not-an-email")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    for bogus in ["made-up", &"x".repeat(300)] {
        assert_eq!(reset(&app, bogus, NEW_PASSWORD).await.status(), StatusCode::CONFLICT);
    }
    // An hour later the link has expired.
    app.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(reset(&app, &second, NEW_PASSWORD).await.status(), StatusCode::CONFLICT);
    assert!(app.login(&e, PASSWORD).await.status().is_success(), "the password is unchanged");
}
