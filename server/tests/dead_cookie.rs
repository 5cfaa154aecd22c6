//! A portal page opened with a dead session cookie: the layout's redirect to sign-in wins
//! over the page's own refused data, and the cookie is dropped.
//!
//! Its own test binary, so it runs alone: in the shared `api` binary, with dozens of servers
//! and runtimes busy in one process, about one suite run in ten saw one of these server
//! renders stall until the 30 s request timeout (408) — with or without the redirect fix, and
//! never against the real binary (3,800 such requests from 16 clients). See the README's
//! "Tests" section.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::spawn_app;
use reqwest::StatusCode;
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_page_with_a_dead_session_cookie_redirects_to_sign_in() {
    // The layout redirects while the page's own data is refused as unauthenticated: the
    // redirect must win, whichever finishes first, or the browser shows a 401 page.
    let app = spawn_app().await;
    app.signed_in().await;
    let dead = app.session_cookie().unwrap();
    assert_eq!(app.call("logout", &[]).await.status(), StatusCode::OK);
    app.set_session_cookie(Some(dead));
    for round in 0..5 {
        for path in ["/portal", "/portal/keys", "/portal/team", "/portal/usage", "/portal/settings", "/portal/audit", "/portal/outbox"] {
            let res = app.page(path).await;
            assert_eq!(res.status(), StatusCode::FOUND, "{path} (round {round})");
            assert_eq!(res.headers()["location"], "/portal/login", "{path}");
            let cleared = res.headers().get_all("set-cookie").iter().any(|c| {
                let c = c.to_str().unwrap();
                c.starts_with("__Host-keyport_session=;") && c.contains("Max-Age=0")
            });
            assert!(cleared, "{path}: the dead cookie is dropped");
        }
    }
}
