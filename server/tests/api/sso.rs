//! Single sign-on against a real OpenID Connect provider on loopback (oauth2-mock-server in a
//! Node process this test starts: discovery, JWKS, RS256 ID tokens, PKCE) and a fake of
//! GitHub's OAuth and user API in the same process. The browser is played by hand: every
//! redirect is followed explicitly, with this browser's cookies only.

use crate::helpers::{email, spawn_app_with, TestApp, PASSWORD};
use keyport_core::entity::user;
use keyport_core::services::audit::RequestMeta;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::collections::HashMap;
use tokio::io::AsyncBufReadExt;

/// The provider process and its addresses. Dropping it ends the process.
struct Provider {
    _child: tokio::process::Child,
    issuer: String,
    control: String,
}

impl Provider {
    async fn start() -> Provider {
        let end2end = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end");
        if !end2end.join("node_modules/oauth2-mock-server").is_dir() {
            panic!("the mock OpenID provider is not installed (end2end/node_modules/oauth2-mock-server): run scripts/setup.sh --browser");
        }
        let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
        let mut child = tokio::process::Command::new(&node)
            .arg(end2end.join("oidc/mock-provider.mjs"))
            .arg("--exit-with-stdin")
            .current_dir(&end2end)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {node} (install Node.js: scripts/setup.sh --browser): {e}"));
        let stdout = child.stdout.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("the mock provider starts within 20 s")
            .unwrap()
            .expect("the mock provider prints its addresses");
        let v: Value = serde_json::from_str(&line).unwrap();
        Provider { _child: child, issuer: v["issuer"].as_str().unwrap().to_owned(), control: v["control"].as_str().unwrap().to_owned() }
    }

    /// Shapes the next token (or, for `github`, GitHub's answers).
    async fn set(&self, what: &str, body: Value) {
        let res = reqwest::Client::new().post(format!("{}/__control/{what}", self.control)).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

/// An app with the generic provider ("Acme ID") and GitHub switched on.
async fn app_with_sso() -> (TestApp, Provider) {
    let p = Provider::start().await;
    let github = p.control.clone();
    let app = spawn_app_with(move |s| s.github_url = Some(github)).await;
    let base = app.base.clone();
    for (k, v) in [
        ("portal.base_url", base.as_str()),
        ("oauth.enabled", "true"),
        ("oauth.oidc.enabled", "true"),
        ("oauth.oidc.name", "Acme ID"),
        ("oauth.oidc.issuer", p.issuer.as_str()),
        ("oauth.oidc.client_id", "keyport-test"),
        ("oauth.oidc.client_secret", "oidc-client-secret-value"),
        ("oauth.github.enabled", "true"),
        ("oauth.github.client_id", "gh-client"),
        ("oauth.github.client_secret", "github-client-secret-value"),
    ] {
        app.services.set_setting(k, v, k.ends_with("secret"), "tests", &RequestMeta::default()).await.unwrap();
    }
    (app, p)
}

/// One browser: its own cookies for the portal, none for anyone else.
struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

/// Where a sign-in ended.
struct Outcome {
    /// The portal's last `Location` (`/portal`, or `/portal/login?sso_error=…`).
    location: String,
    /// The callback URL the provider sent the browser to.
    callback: String,
    /// The flow cookie the callback was sent with.
    flow_cookie: String,
}

impl Outcome {
    fn error(&self) -> Option<&str> {
        self.location.split_once("sso_error=").map(|(_, c)| c)
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser { app, client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(), cookies: HashMap::new() }
    }

    /// GET `url`; the portal's cookies go along and come back; returns (status, Location).
    async fn get(&mut self, url: &str) -> (StatusCode, String) {
        let ours = url.starts_with(&self.app.base);
        let mut req = self.client.get(url).header("accept", "text/html");
        if ours && !self.cookies.is_empty() {
            req = req.header("cookie", self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "));
        }
        let res = req.send().await.unwrap();
        if ours {
            for c in res.headers().get_all("set-cookie") {
                let c = c.to_str().unwrap();
                let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
                let (k, v) = kv.split_once('=').unwrap();
                if attrs.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        (res.status(), location)
    }

    /// Start → provider → callback, with `tamper` applied to the callback URL.
    async fn sign_in_with(&mut self, provider: &str, tamper: impl FnOnce(String) -> String) -> Outcome {
        let (status, to_provider) = self.get(&format!("{}/portal/sso/{provider}/start", self.app.base)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "start redirects to the provider: {to_provider}");
        assert!(!to_provider.starts_with("/portal/login"), "start refused: {to_provider}");
        let flow_cookie = self.cookies.get("__Host-keyport_sso").cloned().expect("a flow cookie");
        let (status, callback) = self.get(&to_provider).await;
        assert_eq!(status, StatusCode::FOUND, "the provider signs in without a form");
        let callback = tamper(callback);
        let (status, location) = self.get(&callback).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(!self.cookies.contains_key("__Host-keyport_sso"), "the flow cookie is cleared by the callback");
        Outcome { location, callback, flow_cookie }
    }

    async fn sign_in(&mut self, provider: &str) -> Outcome {
        self.sign_in_with(provider, |c| c).await
    }

    fn session(&self) -> Option<String> {
        self.cookies.get("__Host-keyport_session").cloned()
    }

    /// The session's JSON (`/api/session`).
    async fn whoami(&self) -> Value {
        let cookie = self.session().expect("signed in");
        self.app.call_as(&cookie, "session", &[]).await.json().await.unwrap()
    }

    async fn account(&self) -> Value {
        let cookie = self.session().expect("signed in");
        self.app.call_as(&cookie, "account", &[]).await.json().await.unwrap()
    }
}

async fn account_exists(app: &TestApp, address: &str) -> bool {
    user::Entity::find().filter(user::Column::Email.eq(address)).one(&app.services.db).await.unwrap().is_some()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_sign_in_with_a_verified_address_creates_the_account_and_its_personal_team_and_the_next_finds_it() {
    let (app, p) = app_with_sso().await;
    // The sign-in page offers the providers switched on.
    let page = app.page("/portal/login").await.text().await.unwrap();
    assert!(page.contains("Continue with Acme ID") && page.contains("/portal/sso/oidc/start"), "{page}");
    assert!(page.contains("Continue with GitHub"));
    assert!(!page.contains("Continue with Google"), "Google is not switched on");

    p.set("next", json!({ "sub": "acme-ada", "email": "ada@acme.example", "email_verified": true })).await;
    let mut browser = Browser::new(&app);
    let out = browser.sign_in("oidc").await;
    assert_eq!(out.location, "/portal", "signed in and sent to the dashboard");
    let who = browser.whoami().await;
    assert_eq!(who["user"]["email"], "ada@acme.example");
    assert_eq!(who["team"]["name"], "ada's team", "the personal team");
    assert_eq!(who["role"], "owner");
    let account = browser.account().await;
    assert_eq!(account["has_password"], false, "no password: the account came from the provider");
    assert_eq!(account["identities"].as_array().unwrap().len(), 1);
    assert_eq!(account["identities"][0]["provider"], "oidc");
    assert_eq!(account["identities"][0]["email"], "ada@acme.example");
    // Nobody can sign in to it with a password.
    let res = app.login("ada@acme.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The same identity again (even with another address at the provider): the same account.
    p.set("next", json!({ "sub": "acme-ada", "email": "ada.renamed@acme.example", "email_verified": true })).await;
    let mut again = Browser::new(&app);
    assert_eq!(again.sign_in("oidc").await.location, "/portal");
    let who2 = again.whoami().await;
    assert_eq!(who2["user"]["id"], who["user"]["id"]);
    assert_eq!(who2["team"]["id"], who["team"]["id"]);
    assert!(!account_exists(&app, "ada.renamed@acme.example").await);

    // Both sign-ins are in the trail, naming the provider; the link too.
    let rows = app.services.db.query_all_raw(sea_orm::Statement::from_string(
        app.services.db.get_database_backend(),
        "SELECT action, detail FROM audit_events WHERE action IN ('sign_in', 'identity.linked') ORDER BY created_at".to_owned(),
    ));
    let rows = rows.await.unwrap();
    let seen: Vec<(String, String)> = rows.iter().map(|r| (r.try_get::<String>("", "action").unwrap(), r.try_get::<Option<String>>("", "detail").unwrap().unwrap_or_default())).collect();
    assert_eq!(seen.iter().filter(|(a, d)| a == "sign_in" && d == "with Acme ID").count(), 2, "{seen:?}");
    assert_eq!(seen.iter().filter(|(a, _)| a == "identity.linked").count(), 1, "{seen:?}");
    // No provider secret reached a log.
    let logs = crate::helpers::captured_logs();
    assert!(!logs.contains("oidc-client-secret-value") && !logs.contains("github-client-secret-value"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_account_with_the_verified_address_gets_the_identity_linked_and_keeps_its_password() {
    let (app, p) = app_with_sso().await;
    let existing = app.new_user().await;
    p.set("next", json!({ "sub": "acme-existing", "email": existing.email, "email_verified": true })).await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in("oidc").await.location, "/portal");
    let who = browser.whoami().await;
    assert_eq!(who["user"]["id"], existing.id.as_str(), "the existing account, not a new one");
    assert_eq!(who["team"]["id"], existing.team_id.as_str());
    let account = browser.account().await;
    assert_eq!(account["has_password"], true);
    assert_eq!(account["identities"][0]["provider_label"], "Acme ID");
    assert_eq!(app.login(&existing.email, PASSWORD).await.status(), StatusCode::OK, "the password still works");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_callback_with_another_state_or_from_another_browser_is_refused_and_creates_nothing() {
    let (app, p) = app_with_sso().await;
    p.set("default", json!({ "sub": "acme-state", "email": "state@acme.example", "email_verified": true })).await;
    let mut browser = Browser::new(&app);
    let out = browser
        .sign_in_with("oidc", |c| {
            let (head, _) = c.split_once("state=").unwrap();
            format!("{head}state=forged-state-value")
        })
        .await;
    assert_eq!(out.error(), Some("refused"));
    assert!(browser.session().is_none());
    assert!(!account_exists(&app, "state@acme.example").await);

    // A callback URL taken to a browser that did not start the flow: refused too.
    let mut mine = Browser::new(&app);
    let (_, to_provider) = mine.get(&format!("{}/portal/sso/oidc/start", app.base)).await;
    let (_, callback) = mine.get(&to_provider).await;
    let mut victim = Browser::new(&app);
    let (_, location) = victim.get(&callback).await;
    assert_eq!(location, "/portal/login?sso_error=refused");
    assert!(victim.session().is_none());
    assert!(!account_exists(&app, "state@acme.example").await);

    // The sign-in page says so in words.
    let page = app.page("/portal/login?sso_error=refused").await.text().await.unwrap();
    assert!(page.contains("That sign-in could not be completed"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_callback_is_refused() {
    let (app, p) = app_with_sso().await;
    p.set("default", json!({ "sub": "acme-replay", "email": "replay@acme.example", "email_verified": true })).await;
    let mut browser = Browser::new(&app);
    let out = browser.sign_in("oidc").await;
    assert_eq!(out.location, "/portal");
    // The same code and state, with the same flow cookie (as an attacker who copied them).
    let mut replay = Browser::new(&app);
    replay.cookies.insert("__Host-keyport_sso".into(), out.flow_cookie.clone());
    let (_, location) = replay.get(&out.callback).await;
    assert_eq!(location, "/portal/login?sso_error=refused");
    assert!(replay.session().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn id_tokens_with_a_bad_signature_an_expiry_in_the_past_another_nonce_or_audience_are_refused() {
    let (app, p) = app_with_sso().await;
    for (i, shape) in [
        json!({ "bad_signature": true }),
        json!({ "expired": true }),
        json!({ "wrong_nonce": true }),
        json!({ "wrong_audience": true }),
    ]
    .into_iter()
    .enumerate()
    {
        let address = format!("bad{i}@acme.example");
        let mut next = shape.clone();
        next["sub"] = json!(format!("acme-bad-{i}"));
        next["email"] = json!(address);
        next["email_verified"] = json!(true);
        p.set("next", next).await;
        let mut browser = Browser::new(&app);
        let out = browser.sign_in("oidc").await;
        assert_eq!(out.error(), Some("failed"), "{shape}");
        assert!(browser.session().is_none(), "{shape}");
        assert!(!account_exists(&app, &address).await, "{shape}");
    }
    // The provider itself is fine: the next good token signs in.
    p.set("next", json!({ "sub": "acme-good", "email": "good@acme.example", "email_verified": true })).await;
    assert_eq!(Browser::new(&app).sign_in("oidc").await.location, "/portal");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unverified_address_is_refused_with_a_clear_message_and_nothing_is_created() {
    let (app, p) = app_with_sso().await;
    let existing = app.new_user().await;
    for address in ["unverified@acme.example", existing.email.as_str()] {
        p.set("next", json!({ "sub": format!("acme-{address}"), "email": address, "email_verified": false })).await;
        let mut browser = Browser::new(&app);
        assert_eq!(browser.sign_in("oidc").await.error(), Some("unverified"), "{address}");
        assert!(browser.session().is_none());
    }
    assert!(!account_exists(&app, "unverified@acme.example").await);
    let account: Value = app.call_as(&existing.cookie, "account", &[]).await.json().await.unwrap();
    assert_eq!(account["identities"].as_array().unwrap().len(), 0, "an unverified address links nothing");
    let page = app.page("/portal/login?sso_error=unverified").await.text().await.unwrap();
    assert!(page.contains("no verified email address"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_rules_and_suspension_apply_to_single_sign_on() {
    let (app, p) = app_with_sso().await;
    app.services.set_setting("signup.allowed_email_domains", "example.com", false, "tests", &RequestMeta::default()).await.unwrap();
    p.set("next", json!({ "sub": "acme-outsider", "email": "outsider@acme.example", "email_verified": true })).await;
    assert_eq!(Browser::new(&app).sign_in("oidc").await.error(), Some("signup"));
    assert!(!account_exists(&app, "outsider@acme.example").await);

    let existing = app.new_user().await;
    p.set("default", json!({ "sub": "acme-suspended", "email": existing.email, "email_verified": true })).await;
    assert_eq!(Browser::new(&app).sign_in("oidc").await.location, "/portal", "linked first");
    use sea_orm::sea_query::Expr;
    user::Entity::update_many()
        .col_expr(user::Column::SuspendedAt, Expr::value(Some(app.services.now())))
        .filter(user::Column::Id.eq(&existing.id))
        .exec(&app.services.db)
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in("oidc").await.error(), Some("suspended"));
    assert!(browser.session().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn github_signs_in_only_with_a_verified_primary_address() {
    let (app, p) = app_with_sso().await;
    // A verified address that is not the primary one, and an unverified primary: refused.
    p.set(
        "github",
        json!({ "id": 9001, "login": "octo", "emails": [
            { "email": "octo-primary@example.com", "primary": true, "verified": false },
            { "email": "octo-other@example.com", "primary": false, "verified": true },
        ] }),
    )
    .await;
    assert_eq!(Browser::new(&app).sign_in("github").await.error(), Some("unverified"));
    assert!(!account_exists(&app, "octo-primary@example.com").await);
    assert!(!account_exists(&app, "octo-other@example.com").await);
    // Verified primary: in, as GitHub's user id.
    p.set(
        "github",
        json!({ "id": 9001, "login": "octo", "emails": [
            { "email": "octo-other@example.com", "primary": false, "verified": true },
            { "email": "octo-primary@example.com", "primary": true, "verified": true },
        ] }),
    )
    .await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in("github").await.location, "/portal");
    assert_eq!(browser.whoami().await["user"]["email"], "octo-primary@example.com");
    assert_eq!(browser.account().await["identities"][0]["provider"], "github");
    // A replayed GitHub callback is refused as well.
    let out = browser.sign_in("github").await;
    let mut replay = Browser::new(&app);
    replay.cookies.insert("__Host-keyport_sso".into(), out.flow_cookie);
    assert_eq!(replay.get(&out.callback).await.1, "/portal/login?sso_error=refused");
}

#[tokio::test(flavor = "multi_thread")]
async fn identities_can_be_removed_but_never_the_last_way_in() {
    let (app, p) = app_with_sso().await;
    // An account made by single sign-on: no password, one identity.
    p.set("default", json!({ "sub": "acme-only", "email": "only@example.com", "email_verified": true })).await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in("oidc").await.location, "/portal");
    let cookie = browser.session().unwrap();
    let account = browser.account().await;
    let oidc_id = account["identities"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(account["identities"][0]["last_way_in"], true);
    let res = app.call_as(&cookie, "account/identities/remove", &[("id", &oidc_id)]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert!(body.to_string().contains("only way into your account"), "{body}");
    let page = app.client().get(format!("{}/portal/settings", app.base)).header("accept", "text/html").header("cookie", format!("__Host-keyport_session={cookie}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign-in providers") && page.contains("cannot be removed"), "{page}");

    // GitHub with the same verified primary address links a second way in.
    p.set("github", json!({ "id": 77, "login": "only", "emails": [{ "email": "only@example.com", "primary": true, "verified": true }] })).await;
    let mut second = Browser::new(&app);
    assert_eq!(second.sign_in("github").await.location, "/portal");
    let account = browser.account().await;
    assert_eq!(account["identities"].as_array().unwrap().len(), 2);
    assert_eq!(account["identities"][0]["last_way_in"], false);
    // Now the first can go; then the remaining one is the last way in again.
    assert_eq!(app.call_as(&cookie, "account/identities/remove", &[("id", &oidc_id)]).await.status(), StatusCode::OK);
    let account = browser.account().await;
    let github_id = account["identities"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(account["identities"].as_array().unwrap().len(), 1);
    assert_eq!(app.call_as(&cookie, "account/identities/remove", &[("id", &github_id)]).await.status(), StatusCode::CONFLICT);
    // The removed identity no longer signs in to this account: it is linked anew by address.
    // Someone else's identity is not found.
    let other = app.new_user().await;
    assert_eq!(app.call_as(&other.cookie, "account/identities/remove", &[("id", &github_id)]).await.status(), StatusCode::NOT_FOUND);

    // An account with a password may remove its only identity.
    p.set("default", json!({ "sub": "acme-pw", "email": other.email, "email_verified": true })).await;
    let mut pw = Browser::new(&app);
    assert_eq!(pw.sign_in("oidc").await.location, "/portal");
    let id = pw.account().await["identities"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call_as(&other.cookie, "account/identities/remove", &[("id", &id)]).await.status(), StatusCode::OK);
    let account: Value = app.call_as(&other.cookie, "account", &[]).await.json().await.unwrap();
    assert_eq!(account["identities"].as_array().unwrap().len(), 0);
    // Link and unlink are in the trail.
    let n = app.services.db.query_all_raw(sea_orm::Statement::from_string(
        app.services.db.get_database_backend(),
        "SELECT id FROM audit_events WHERE action = 'identity.unlinked'".to_owned(),
    ));
    assert_eq!(n.await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_switched_off_or_moved_is_followed_at_once() {
    let (app, p) = app_with_sso().await;
    let meta = RequestMeta::default();
    app.services.set_setting("oauth.oidc.enabled", "false", false, "tests", &meta).await.unwrap();
    let mut browser = Browser::new(&app);
    let (status, location) = browser.get(&format!("{}/portal/sso/oidc/start", app.base)).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/portal/login?sso_error=disabled"));
    assert!(!app.page("/portal/login").await.text().await.unwrap().contains("Acme ID"));
    assert_eq!(browser.get(&format!("{}/portal/sso/nope/start", app.base)).await.1, "/portal/login?sso_error=disabled");
    // Another issuer: its discovery document is fetched, not the cached one of the first.
    let other = Provider::start().await;
    app.services.set_setting("oauth.oidc.issuer", &other.issuer, false, "tests", &meta).await.unwrap();
    app.services.set_setting("oauth.oidc.enabled", "true", false, "tests", &meta).await.unwrap();
    let (_, to_provider) = Browser::new(&app).get(&format!("{}/portal/sso/oidc/start", app.base)).await;
    assert!(to_provider.starts_with(&other.issuer), "{to_provider}");
    drop(p);
    other.set("next", json!({ "sub": "moved", "email": email(), "email_verified": true })).await;
    assert_eq!(Browser::new(&app).sign_in("oidc").await.location, "/portal");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_made_by_single_sign_on_can_set_a_password_by_email_and_then_drop_its_identity() {
    use keyport_core::entity::outbox_email;
    use sea_orm::PaginatorTrait;
    let (app, p) = app_with_sso().await;
    let address = email();
    p.set("default", json!({ "sub": "acme-later-password", "email": address, "email_verified": true })).await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in("oidc").await.location, "/portal");
    assert_eq!(app.call("account/forgot", &[("email", &address)]).await.status(), StatusCode::OK);
    let sent = outbox_email::Entity::find()
        .filter(outbox_email::Column::ToAddress.eq(&address))
        .filter(outbox_email::Column::Kind.eq("password_reset"))
        .count(&app.services.db)
        .await
        .unwrap();
    let token = crate::helpers::logged_link_tokens(&address, "/portal/reset/", sent as usize).await.pop().expect("a reset email");
    let res = app.call("account/reset", &[("token", &token), ("password", PASSWORD), ("confirm_password", PASSWORD)]).await;
    assert!(res.status().is_success(), "{}", res.status());
    let cookie = app.session_cookie().expect("the reset signs in");
    let account: Value = app.call_as(&cookie, "account", &[]).await.json().await.unwrap();
    assert_eq!(account["has_password"], true);
    assert_eq!(account["identities"][0]["last_way_in"], false, "the password is another way in now");
    let id = account["identities"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call_as(&cookie, "account/identities/remove", &[("id", &id)]).await.status(), StatusCode::OK);
    assert_eq!(app.login(&address, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_with_two_factor_is_asked_for_its_code_after_single_sign_on_too() {
    let (app, p) = app_with_sso().await;
    let existing = app.new_user().await;
    let secret = crate::mfa::enrol_user(&app, &existing).await;
    p.set("next", json!({ "sub": "acme-mfa", "email": existing.email, "email_verified": true })).await;
    let mut browser = Browser::new(&app);
    let out = browser.sign_in("oidc").await;
    assert_eq!(out.location, "/portal/login/verify", "the code page, as after a password");
    assert!(browser.session().is_none(), "no session before the second factor");
    let challenge = browser.cookies.get("__Host-keyport_signin").cloned().expect("a sign-in challenge");
    // A wrong code is refused; the current one (of a step not used yet) signs in.
    let verify = |code: String| {
        app.client()
            .post(format!("{}/api/login/verify", app.base))
            .header("sec-fetch-site", "same-origin")
            .header("cookie", format!("__Host-keyport_signin={challenge}"))
            .form(&[("code", code)])
            .send()
    };
    app.clock.advance(chrono::Duration::seconds(30));
    let good = keyport_core::services::mfa::code_at(&secret, app.services.now().timestamp() as u64);
    let bad = if good == "000000" { "111111".to_owned() } else { "000000".to_owned() };
    assert_eq!(verify(bad).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let res = verify(good).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| c.strip_prefix("__Host-keyport_session=").map(|v| v.split(';').next().unwrap().to_owned()))
        .expect("a session after the code");
    let who: Value = app.call_as(&session, "session", &[]).await.json().await.unwrap();
    assert_eq!(who["user"]["id"], existing.id.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_a_provider_verified_counts_as_confirmed() {
    let (app, p) = app_with_sso().await;
    app.services.set_setting("signup.require_verification", "true", false, "cli", &keyport_core::services::audit::RequestMeta::default()).await.unwrap();
    p.set("next", json!({ "sub": "acme-confirmed", "email": "confirmed@acme.example", "email_verified": true })).await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in("oidc").await.location, "/portal");
    assert_eq!(browser.whoami().await["unverified"], false, "no confirmation link needed");
    let row = user::Entity::find().filter(user::Column::Email.eq("confirmed@acme.example")).one(&app.services.db).await.unwrap().unwrap();
    assert!(row.email_verified_at.is_some());
}
