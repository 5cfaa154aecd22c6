//! CSRF refusal, security headers, health.

use crate::helpers::{email, spawn_app, PASSWORD};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_ok() {
    let app = spawn_app().await;
    let res = app.client().get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_to_server_functions_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.signed_in().await;
    let cookie = format!("__Host-keyport_session={}", app.session_cookie().unwrap());
    let url = format!("{}/api/keys/create", app.base);
    let form = [("name", "evil"), ("environment", "live"), ("expiry", "never")];
    let attempts = [
        vec![("sec-fetch-site", "cross-site".to_owned())],
        vec![("sec-fetch-site", "same-site".to_owned())],
        vec![("origin", "http://evil.example".to_owned())],
        vec![],
    ];
    for headers in attempts {
        let mut req = app.client().post(&url).header("cookie", &cookie).form(&form);
        for (k, v) in &headers {
            req = req.header(*k, v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    // A same-origin Origin without fetch metadata is accepted.
    let res = app.client().post(&url).header("cookie", &cookie).header("origin", &app.base).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.list_keys().await.len(), 1, "only the same-origin request created a key");
    // Sign-up is a state change too.
    let res = app
        .client()
        .post(format!("{}/api/register", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", email().as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_nonce_csp_and_the_other_security_headers() {
    let app = spawn_app().await;
    let res = app.page("/portal/login").await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_owned();
    for part in ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "'wasm-unsafe-eval'"] {
        assert!(csp.contains(part), "CSP lacks {part}: {csp}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("referrer-policy"));
    assert_eq!(h["cache-control"], "no-store");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the header's nonce");
    // A second response gets a different nonce.
    let again = app.page("/portal/login").await;
    assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(&nonce));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_answer_404() {
    let app = spawn_app().await;
    assert_eq!(app.page("/no/such/page").await.status(), StatusCode::NOT_FOUND);
}
