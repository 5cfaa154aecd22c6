//! Sign-up, sign-in, sign-out and sessions.

use crate::helpers::{email, spawn_app, PASSWORD};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_signs_in_and_creates_a_personal_team() {
    let app = spawn_app().await;
    let e = email();
    let res = app.register(&e, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-keyport_session="), "{cookie}");
    for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "cookie lacks {attr}: {cookie}");
    }
    let session: Value = app.call("session", &[]).await.json().await.unwrap();
    assert_eq!(session["user"]["email"], e.as_str());
    assert!(session["team"]["name"].as_str().unwrap().ends_with("'s team"));
    assert!(session["team"]["id"].as_str().unwrap().starts_with("team_"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_short_and_malformed_sign_ups_get_field_errors_and_create_nothing() {
    let app = spawn_app().await;
    let cases = [
        ("not-an-email", PASSWORD, "email"),
        ("", PASSWORD, "email"),
        ("a@example.com", "short", "password"),
        ("b@example.com", "password123", "password"),
        ("c@example.com", &"x".repeat(200), "password"),
    ];
    for (e, p, field) in cases {
        let res = app.register(e, p).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{e} / {field}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], field, "{body}");
        assert!(app.session_cookie().is_none());
    }
    let common: Value = app.register("d@example.com", "password123").await.json().await.unwrap();
    assert!(common["Invalid"]["message"].as_str().unwrap().contains("too common"));
    // None of these created an account: signing in with them fails.
    let res = app.login("a@example.com", "short").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_and_long_passwords_are_accepted() {
    let app = spawn_app().await;
    let e = email();
    let long = "ü".repeat(64);
    assert_eq!(app.register(&e, &long).await.status(), StatusCode::OK);
    app.set_session_cookie(None);
    assert_eq!(app.login(&e, &long).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sign_up_with_the_same_email_is_refused() {
    let app = spawn_app().await;
    let e = email();
    assert_eq!(app.register(&e, PASSWORD).await.status(), StatusCode::OK);
    app.set_session_cookie(None);
    let res = app.register(&e.to_uppercase(), "another good passphrase").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], "email");
    // The original password still works: nothing was overwritten.
    assert_eq!(app.login(&e, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_email_get_the_identical_answer() {
    let app = spawn_app().await;
    let e = email();
    app.register(&e, PASSWORD).await;
    app.set_session_cookie(None);
    let wrong = app.login(&e, "not the password at all").await;
    let wrong_status = wrong.status();
    let wrong_body = wrong.text().await.unwrap();
    let unknown = app.login(&email(), "not the password at all").await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), wrong_status);
    assert_eq!(unknown.text().await.unwrap(), wrong_body);
    assert!(wrong_body.contains("Email or password is incorrect"));
    assert!(app.session_cookie().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_issues_a_new_session_and_logout_kills_it_on_the_server() {
    let app = spawn_app().await;
    let e = email();
    app.register(&e, PASSWORD).await;
    let first = app.session_cookie().unwrap();
    assert_eq!(app.login(&e, PASSWORD).await.status(), StatusCode::OK);
    let second = app.session_cookie().unwrap();
    assert_ne!(first, second, "login renews the session token");
    // The replaced session is dead.
    app.set_session_cookie(Some(first));
    assert_eq!(app.call("keys/list", &[]).await.status(), StatusCode::UNAUTHORIZED);
    app.set_session_cookie(Some(second.clone()));
    assert_eq!(app.call("keys/list", &[]).await.status(), StatusCode::OK);
    let out = app.call("logout", &[]).await;
    assert!(out.status().is_success());
    assert!(app.session_cookie().is_none(), "cookie cleared");
    // Replaying the old cookie after logout does not work.
    app.set_session_cookie(Some(second));
    assert_eq!(app.call("keys/list", &[]).await.status(), StatusCode::UNAUTHORIZED);
    let session: Value = app.call("session", &[]).await.json().await.unwrap();
    assert!(session.is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_sign_ins_are_throttled_before_hashing() {
    let app = spawn_app().await;
    let e = email();
    app.register(&e, PASSWORD).await;
    app.set_session_cookie(None);
    for _ in 0..10 {
        assert_eq!(app.login(&e, "wrong password here").await.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login(&e, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(app.login(&e, PASSWORD).await.status(), StatusCode::OK);
}


