//! Tests whose servers render portal pages, in their own test binary like `dead_cookie.rs`:
//! inside the shared `api` binary, with dozens of servers busy in one process, a page render
//! occasionally stalls until the request timeout (seen once in eight suite runs here for the
//! hostile-text test). See the README's "Tests" section.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::{logged_link_tokens, spawn_app};
use keyport_core::dto::CreatedKey;
use reqwest::StatusCode;
use serde_json::Value;

async fn create(app: &helpers::TestApp, form: &[(&str, &str)]) -> CreatedKey {
    let res = app.call("keys/create", form).await;
    assert_eq!(res.status(), StatusCode::OK, "create key");
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_in_every_user_field_stays_inert_in_head_and_body() {
    const TITLE_BREAK: &str = "</title><meta http-equiv=refresh content=\"0;url=//evil.example\">";
    const MARKUP: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'&";
    assert_eq!(TITLE_BREAK.chars().count(), 64);
    let app = spawn_app().await;
    let owner = app.new_user().await;
    app.act_as(&owner);
    let res = app.call("teams/create", &[("name", TITLE_BREAK), ("description", MARKUP)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let team = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let key = create(&app, &[("name", TITLE_BREAK), ("description", MARKUP), ("environment", "test"), ("expiry", "never")]).await;
    let invitee = crate::helpers::email();
    let res = app.call("invitations/create", &[("email", &invitee), ("role", "viewer"), ("message", MARKUP)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = logged_link_tokens(&invitee, "/portal/invite/", 1).await.remove(0);
    let member = app.new_user().await;
    app.add_member(&team, &member.id, "member").await;

    let pages = [
        format!("/portal/keys/{}", key.key.id),
        "/portal/keys".into(),
        "/portal/team".into(),
        "/portal".into(),
        "/portal/audit".into(),
        "/portal/outbox".into(),
        "/portal/usage".into(),
        format!("/portal/invite/{token}"),
    ];
    for path in &pages {
        let res = app.page(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let html = res.text().await.unwrap();
        let lower = html.to_lowercase();
        assert!(!lower.contains("<meta http-equiv=refresh"), "{path}: a meta refresh got into the page");
        assert!(!lower.contains("<img src=x"), "{path}: markup got into the page");
        assert!(!lower.contains("<script>alert"), "{path}: a script got into the page");
        let head = &lower[..lower.find("</head>").expect("a head")];
        assert_eq!(head.matches("</title>").count(), 1, "{path}: the title was closed early");
    }
    let html = app.page(&format!("/portal/keys/{}", key.key.id)).await.text().await.unwrap();
    assert!(html.contains("<title>&lt;/title&gt;&lt;meta http-equiv=refresh content=&quot;0;url=//evil.example&quot;&gt; · Keyport</title>"), "the key's name is the escaped title");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_without_javascript_returns_to_its_page_with_the_error_or_goes_on() {
    let app = helpers::spawn_app().await;
    let referer = format!("{}/portal/register", app.base);
    let post = |password: &'static str, email: String| {
        app.client()
            .post(format!("{}/api/register", app.base))
            .header("sec-fetch-site", "same-origin")
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", referer.clone())
            .form(&[("email", email), ("password", password.to_owned())])
            .send()
    };
    let typed = helpers::email();
    let res = post("short", typed.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "not a 400 page of JSON");
    let location = res.headers().get("location").unwrap().to_str().unwrap().to_owned();
    assert!(location.starts_with(&referer) && location.contains("__err="), "{location}");
    // The address typed comes back in a short-lived cookie only scripts cannot read; never the
    // password.
    let cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-keyport_form=")).expect("the typed address is remembered");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=120"), "{cookie}");
    assert!(!cookie.contains("short"), "the password never travels back");
    let pair = cookie.split(';').next().unwrap().to_owned();
    // The page it returns to shows the message, and the address in its field.
    let html = app.client().get(&location).header("accept", "text/html").header("cookie", &pair).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Use at least"), "the form's page shows the server's message");
    assert!(html.contains(&format!("value=\"{typed}\"")), "the address typed is in the field again");

    // Failing again from that page keeps only the newest error in the address.
    let again = app.client().post(format!("{}/api/register", app.base))
        .header("sec-fetch-site", "same-origin").header("accept", "text/html").header("referer", &location)
        .form(&[("email", "not-an-email"), ("password", helpers::PASSWORD)]).send().await.unwrap();
    let second = again.headers().get("location").unwrap().to_str().unwrap().to_owned();
    assert_eq!(second.matches("__err=").count(), 1, "{second}");

    let res = app.client().post(format!("{}/api/register", app.base))
        .header("sec-fetch-site", "same-origin").header("accept", "text/html").header("referer", &referer)
        .header("cookie", &pair)
        .form(&[("email", typed.as_str()), ("password", helpers::PASSWORD)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers().get("location").unwrap(), "/portal");
    let cleared = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned())
        .any(|c| c.starts_with("__Host-keyport_form=;") && c.contains("Max-Age=0"));
    assert!(cleared, "a form that went through forgets the address");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_created_by_a_plain_form_is_shown_once_on_the_page_it_leads_to_and_to_nobody_else() {
    let app = helpers::spawn_app().await;
    let owner = app.new_user().await;
    let stranger = app.new_user().await;
    let session = format!("__Host-keyport_session={}", owner.cookie);
    let referer = format!("{}/portal/keys", app.base);
    let res = app.client().post(format!("{}/api/keys/create", app.base))
        .header("sec-fetch-site", "same-origin").header("accept", "text/html").header("referer", &referer).header("cookie", &session)
        .form(&[("name", "Plain form"), ("environment", "live"), ("expiry", "never"), ("scope[]", "payments:read"), ("scope[]", "payments:write")])
        .send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id = location.strip_prefix("/portal/keys?created=").expect("sent to the keys page, naming the key").to_owned();
    let handed = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-keyport_new_key=")).expect("the key travels in a cookie");
    assert!(handed.contains("HttpOnly") && handed.contains("SameSite=Strict") && handed.contains("Secure") && handed.contains("Max-Age=300"), "{handed}");
    let body = res.text().await.unwrap();
    assert!(full_keys(&body).is_empty() && !handed.contains("kp_live_"), "neither the answer nor the cookie holds the key in the clear");
    let key = app.services.get_key(&app.services.authenticate(&owner.cookie).await.unwrap().unwrap(), &id).await.unwrap();
    assert_eq!(key.scopes, ["payments:read", "payments:write"], "each ticked box is a scope");
    let sealed = handed.split(';').next().unwrap().to_owned();

    // Another session presenting the sealed cookie learns nothing.
    let theirs = app.client().get(format!("{}{location}", app.base)).header("accept", "text/html")
        .header("cookie", format!("__Host-keyport_session={}; {sealed}", stranger.cookie)).send().await.unwrap();
    assert!(full_keys(&theirs.text().await.unwrap()).is_empty());

    // The owner's next page shows it, once, and clears the cookie.
    let page = app.client().get(format!("{}{location}", app.base)).header("accept", "text/html")
        .header("cookie", format!("{session}; {sealed}")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let cleared = page.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("__Host-keyport_new_key=;"));
    assert!(cleared, "the page that shows the key forgets it");
    let html = page.text().await.unwrap();
    let shown = full_keys(&html);
    assert!(html.contains("Your new API key") && !shown.is_empty(), "the key is on the page");
    assert!(shown.iter().all(|k| k.starts_with(key.masked.split('…').next().unwrap())), "and it is this key");
    let again = app.client().get(format!("{}{location}", app.base)).header("accept", "text/html").header("cookie", &session).send().await.unwrap();
    let again = again.text().await.unwrap();
    assert!(!again.contains("Your new API key") && full_keys(&again).is_empty(), "a reload shows it no more");
}

/// Every whole live key in `text` (a masked one, `kp_live_abcd…wxyz`, is not one).
fn full_keys(text: &str) -> Vec<String> {
    text.match_indices("kp_live_")
        .filter_map(|(i, _)| {
            let rest = &text[i + 8..];
            let n = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
            (n >= 28).then(|| text[i..i + 8 + n].to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_pages_send_visitors_without_a_session_to_sign_in() {
    let app = spawn_app().await;
    for path in ["/portal", "/portal/keys"] {
        let res = app.page(path).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{path}");
        assert_eq!(res.headers()["location"], "/portal/login");
    }
    assert_eq!(app.page("/portal/login").await.status(), StatusCode::OK);
    app.signed_in().await;
    let res = app.page("/portal").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Usage this month"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_name_titles_the_pages_and_a_switched_off_portal_answers_503_while_v1_works() {
    let app = spawn_app().await;
    let meta = keyport_core::services::audit::RequestMeta::default();
    let token = app.operator_token().await;
    app.signed_in().await;
    let key = app.create_key("still works", "live", "never").await;
    app.services.set_setting("portal.app_name", "Acme <Developers>", false, "cli", &meta).await.unwrap();
    let html = app.page("/portal/login").await.text().await.unwrap();
    assert!(html.contains("<title>Sign in · Acme &lt;Developers&gt;</title>"), "{}", &html[..html.len().min(600)]);

    app.services.set_setting("custom.support_email", "help@acme.example", false, "cli", &meta).await.unwrap();
    app.services.set_setting("portal.enabled", "false", false, "cli", &meta).await.unwrap();
    for path in ["/portal", "/portal/login", "/portal/keys"] {
        let res = app.page(path).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("unavailable") && body.contains("help@acme.example") && body.contains("Acme &lt;Developers&gt;"), "{body}");
    }
    assert_eq!(app.call("keys/list", &[]).await.status(), StatusCode::SERVICE_UNAVAILABLE, "server functions too");
    assert_eq!(app.verify(&token, key.secret.expose()).await["code"], "VALID", "/v1 keeps answering");
    assert_eq!(app.client().get(format!("{}/healthz", app.base)).send().await.unwrap().status(), StatusCode::OK);
    app.services.set_setting("portal.enabled", "true", false, "cli", &meta).await.unwrap();
    assert_eq!(app.page("/portal").await.status(), StatusCode::OK, "back on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branding_reaches_every_page_and_nothing_it_carries_can_run() {
    let app = spawn_app().await;
    let meta = keyport_core::services::audit::RequestMeta::default();
    let set = |k: &'static str, v: &'static str| {
        let svc = app.services.clone();
        let meta = meta.clone();
        async move { svc.set_setting(k, v, false, "cli", &meta).await.unwrap() }
    };
    set("portal.app_name", "Acme Developers").await;
    set("custom.primary_color", "#ffeb3b").await;
    set("custom.logo_url", "https://cdn.acme.example/logo.svg").await;
    set("custom.support_email", "help@acme.example").await;
    set("custom.portal_css", ".topbar { border-bottom: 3px solid #ffeb3b; }").await;
    set("custom.portal_welcome_html", "<p>Welcome to <strong>Acme</strong>.</p><script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a>").await;

    let login = app.page("/portal/login").await;
    let csp = login.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("img-src 'self' data: https://cdn.acme.example;"), "the logo's host may serve images, nothing else: {csp}");
    let html = login.text().await.unwrap();
    assert!(html.contains("src=\"https://cdn.acme.example/logo.svg\"") && html.contains("Acme Developers"), "logo and name on the sign-in page");
    assert!(html.contains("mailto:help@acme.example"), "the support address is on the page");
    let href = html.split("href=\"/portal/brand.css?v=").nth(1).expect("pages link the brand style sheet").split('"').next().unwrap().to_owned();

    let css = app.client().get(format!("{}/portal/brand.css?v={href}", app.base)).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let css = css.text().await.unwrap();
    assert!(css.contains("--primary: #ffeb3b;") && css.contains("--on-primary: #000000;"), "dark text on a light brand colour: {css}");
    assert!(css.contains(".topbar { border-bottom: 3px solid #ffeb3b; }"), "the custom CSS is served: {css}");

    app.signed_in().await;
    let dashboard = app.page("/portal").await.text().await.unwrap();
    assert!(dashboard.contains("<p>Welcome to <strong>Acme</strong>.</p>"), "the welcome is on the dashboard");
    for bad in ["<script>alert(1)", "onerror=", "javascript:alert(3)"] {
        assert!(!dashboard.contains(bad), "{bad} was removed");
    }
    // A style sheet that could load or run something is refused when stored, and the one
    // served stays as it was.
    let refused = app.services.set_setting("custom.portal_css", "</style><script>alert(1)</script>", false, "cli", &meta).await;
    assert!(refused.is_err());
    let css = app.client().get(format!("{}/portal/brand.css", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(!css.contains("<script"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_are_not_found_for_everyone_but_an_operator_admin_who_sees_them_all() {
    use keyport_core::services::audit::RequestMeta;
    let app = spawn_app().await;
    let customer = app.new_user().await;
    app.act_as(&customer);
    let key = create(&app, &[("name", "<b>Customer key</b>"), ("environment", "test"), ("expiry", "never")]).await;
    let admin = app.new_user().await;
    let pages = [
        "/admin".to_owned(),
        "/admin/developers".into(),
        format!("/admin/developers/{}", customer.id),
        "/admin/teams".into(),
        format!("/admin/teams/{}", customer.team_id),
        "/admin/keys".into(),
        "/admin/approvals".into(),
        "/admin/outbox".into(),
        "/admin/audit".into(),
        "/admin/settings".into(),
        "/admin/tokens".into(),
        "/admin/docs".into(),
    ];
    for who in [None, Some(&customer), Some(&admin)] {
        app.set_session_cookie(who.map(|u| u.cookie.clone()));
        for path in &pages {
            let res = app.page(path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path} for {:?}", who.map(|u| &u.email));
            let html = res.text().await.unwrap();
            assert!(html.contains("Page not found"), "{path}");
            assert!(!html.contains("Admin console") && !html.contains("Customer key"), "{path}: nothing of the console shows");
            assert!(!html.contains(&customer.email), "{path}: no customer data");
        }
    }
    app.services.set_site_admin("cli", &admin.email, true, &RequestMeta::default()).await.unwrap();
    app.act_as(&admin);
    for path in &pages {
        let res = app.page(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path} for the admin");
        let html = res.text().await.unwrap();
        assert!(html.contains("Admin console"), "{path}");
        assert!(!html.contains("<b>Customer key</b>"), "{path}: names are escaped");
    }
    let team = app.page(&format!("/admin/teams/{}", customer.team_id)).await.text().await.unwrap();
    assert!(team.contains(&key.key.masked) && team.contains(&customer.email), "the team page lists keys (masked) and members");
    let dev = app.page(&format!("/admin/developers/{}", customer.id)).await.text().await.unwrap();
    assert!(dev.contains(&key.key.masked) && !dev.contains(key.secret.expose()), "a developer's keys, masked");
    // The portal's header links to the console, for admins only.
    assert!(app.page("/portal").await.text().await.unwrap().contains("href=\"/admin\""));
    app.act_as(&customer);
    assert!(!app.page("/portal").await.text().await.unwrap().contains("href=\"/admin\""));
}

/// The opening tag of the element with `id` in `html`.
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no element {id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_up_forms_ask_the_providers_questions_labelled_escaped_and_marked_required() {
    let app = spawn_app().await;
    let meta = keyport_core::services::audit::RequestMeta::default();
    let owner = app.new_user().await;
    app.act_as(&owner);
    let invitee = helpers::email();
    let res = app.call("invitations/create", &[("email", &invitee), ("role", "viewer"), ("message", "")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = logged_link_tokens(&invitee, "/portal/invite/", 1).await.remove(0);
    app.set_session_cookie(None);
    let fields = r#"[{"name":"company","label":"Company","required":true},
        {"name":"use_case","label":"What will you build?","type":"choice","choices":["Payments","<i>Invoicing</i>"],"required":true},
        {"name":"size","label":"<b>Team size</b> & \"more\""}]"#;
    app.services.set_setting("signup.fields", fields, false, "cli", &meta).await.unwrap();

    let html = app.page("/portal/register").await.text().await.unwrap();
    for (id, label) in [("signup_company", "Company"), ("signup_use_case", "What will you build?"), ("signup_size", "&lt;b&gt;Team size&lt;/b&gt; &amp; \"more\"")] {
        assert!(html.contains(&format!("<label for=\"{id}\">{label}")), "{id} is labelled {label}");
    }
    assert!(!html.contains("<b>Team size") && !html.contains("<i>Invoicing"), "labels and choices are text, not markup");
    assert!(html.contains("&lt;i&gt;Invoicing&lt;/i&gt;"), "the choice is shown escaped");
    let company = tag_with_id(&html, "signup_company");
    assert!(company.starts_with("<input") && company.contains("name=\"signup[company]\"") && company.contains(" required"), "{company}");
    assert!(company.contains("aria-describedby=\"signup_company-error\""), "{company}");
    let use_case = tag_with_id(&html, "signup_use_case");
    assert!(use_case.starts_with("<select") && use_case.contains(" required"), "{use_case}");
    let size = tag_with_id(&html, "signup_size");
    assert!(!size.contains("required"), "an optional question is not required: {size}");
    assert!(html.contains("(optional)"));
    assert!(!html.contains("<leptos-island"), "the page stays without islands");

    // Refused without JavaScript: the page shows the error at its question and what was typed
    // (never the password).
    let referer = format!("{}/portal/register", app.base);
    let address = helpers::email();
    let res = app.client().post(format!("{}/api/register", app.base))
        .header("sec-fetch-site", "same-origin").header("accept", "text/html").header("referer", &referer)
        .form(&[("email", address.as_str()), ("password", helpers::PASSWORD), ("signup[company]", "Acme Corp"), ("signup[use_case]", "Crypto"), ("signup[size]", "12")])
        .send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-keyport_form=")).expect("the typed answers are remembered");
    assert!(!cookie.contains("horse"), "the password never travels back");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let html = app.client().get(&location).header("accept", "text/html").header("cookie", &pair).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("Choose one of the answers listed.").count(), 1, "the error once, at its question");
    assert!(tag_with_id(&html, "signup_use_case").contains("aria-invalid=\"true\""));
    assert!(tag_with_id(&html, "signup_company").contains("value=\"Acme Corp\""));
    assert!(tag_with_id(&html, "signup_size").contains("value=\"12\""));
    assert!(html.contains(&format!("value=\"{address}\"")), "the address too");

    // Someone invited is asked the same questions.
    let html = app.page(&format!("/portal/invite/{token}")).await.text().await.unwrap();
    assert!(html.contains("<label for=\"signup_company\">Company") && tag_with_id(&html, "signup_company").contains(" required"), "the invitation asks too");
    assert!(html.contains("&lt;b&gt;Team size&lt;/b&gt;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_a_developers_answers_by_label_and_links_the_export() {
    use keyport_core::services::audit::RequestMeta;
    let app = spawn_app().await;
    let admin = app.new_user().await;
    app.services.set_site_admin("cli", &admin.email, true, &RequestMeta::default()).await.unwrap();
    app.services.set_setting("signup.fields", r#"[{"name":"company","label":"<b>Company</b>","required":true}]"#, false, "cli", &RequestMeta::default()).await.unwrap();
    let res = app.call("register", &[("email", &helpers::email()), ("password", helpers::PASSWORD), ("signup[company]", "<script>alert(1)</script>")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = app.call("session", &[]).await.json().await.unwrap();
    let id = me["user"]["id"].as_str().unwrap().to_owned();
    app.act_as(&admin);
    let html = app.page(&format!("/admin/developers/{id}")).await.text().await.unwrap();
    assert!(html.contains("<dt>&lt;b&gt;Company&lt;/b&gt;") && html.contains("<dd>&lt;script&gt;alert(1)&lt;/script&gt;"), "labelled, escaped");
    assert!(!html.contains("<script>alert"));
    let list = app.page("/admin/developers?status=active&q=dev").await.text().await.unwrap();
    assert!(list.contains("href=\"/admin/developers.csv?q=dev&amp;status=active\""), "the export link carries the filters");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_pages_may_be_framed_by_exactly_the_allowed_origins_and_the_console_never() {
    use keyport_core::services::audit::RequestMeta;
    let app = spawn_app().await;
    let headers = |path: &'static str| {
        let client = app.client().clone();
        let url = format!("{}{path}", app.base);
        async move { client.get(url).header("accept", "text/html").send().await.unwrap().headers().clone() }
    };
    let before = headers("/portal/login").await;
    assert!(before["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(before["x-frame-options"], "DENY");
    let refused = app.services.set_setting("embed.allowed_origins", "http://evil.example", false, "cli", &RequestMeta::default()).await;
    assert!(refused.is_err(), "plain http only for local development");
    app.services
        .set_setting("embed.allowed_origins", "https://App.Example.com, http://localhost:5173", false, "cli", &RequestMeta::default())
        .await
        .unwrap();
    let framed = headers("/portal/login").await;
    let csp = framed["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors https://app.example.com http://localhost:5173;") || csp.ends_with("frame-ancestors https://app.example.com http://localhost:5173"), "{csp}");
    assert!(framed.get("x-frame-options").is_none(), "X-Frame-Options cannot name a list");
    let console = headers("/admin").await;
    assert!(console["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(console["x-frame-options"], "DENY");
}

/// The shared OpenAPI fixtures, read where they live (never copied into the repository).
fn openapi_fixtures() -> std::path::PathBuf {
    keyport_core::openapi::shared_openapi_fixtures()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_draws_every_operation_of_each_real_document_and_keeps_its_text_inert() {
    let app = spawn_app().await;
    app.signed_in().await;
    let meta = keyport_core::services::audit::RequestMeta::default();
    let empty = app.page("/portal/docs").await.text().await.unwrap();
    assert!(empty.contains("No API reference yet"), "an empty state before any import");

    let mut files: Vec<_> = std::fs::read_dir(openapi_fixtures()).unwrap().map(|e| e.unwrap().path()).filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "json"))).collect();
    files.sort();
    let mut drawn = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        app.services.import_document(&bytes, "cli", &meta).await.unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
        let res = app.page("/portal/docs").await;
        assert_eq!(res.status(), reqwest::StatusCode::OK, "{}", f.display());
        let page = res.text().await.unwrap();
        let doc = keyport_core::openapi::check_document(&bytes).unwrap();
        for op in keyport_core::openapi::reference(&doc.json, "").groups.iter().flat_map(|g| &g.operations) {
            assert!(page.contains(&format!("id=\"{}\"", op.anchor)), "{}: {} {} is on the page", f.display(), op.method, op.path);
            assert!(page.contains(&format!("href=\"#{}\"", op.anchor)), "{}: and in the contents", f.display());
            drawn += 1;
        }
    }
    assert!(drawn > 100, "{drawn} operations drawn");

    // Schemas as trees, a circular one ending in a row that says so; scopes beside the keys;
    // samples with the masked key, never a full one.
    let shapes = "openapi: 3.1.0\ninfo: {title: Trees, version: '1'}\nsecurity: [{key: [nodes:read]}]\ncomponents:\n  securitySchemes: {key: {type: http, scheme: bearer}}\n  schemas:\n    Node: {type: object, description: 'A **node**', properties: {next: {$ref: '#/components/schemas/Node'}, kind: {type: string, enum: [leaf, branch]}}}\npaths:\n  /nodes/{id}:\n    get: {operationId: getNode, parameters: [{name: id, in: path, schema: {type: integer}}], responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}}}}}\n";
    app.services.import_document(shapes.as_bytes(), "cli", &meta).await.unwrap();
    let page = app.page("/portal/docs").await.text().await.unwrap();
    assert!(page.contains("↻ circular") && page.contains("href=\"#schema-Node\""), "a circular reference links to its schema");
    assert!(page.contains("<strong>node</strong>"), "schema descriptions are CommonMark");
    assert!(page.contains("id=\"authentication\"") && page.contains("INSUFFICIENT_SCOPES"), "the authentication guide");
    assert!(page.contains("nodes:read") && page.contains("None of your keys holds"), "the scope, and that no key holds it");
    assert!(page.contains("curl &#x27;http") || page.contains("curl 'http"), "a curl sample");
    assert!(page.contains("/nodes/1") && page.contains("Authorization: Bearer YOUR_API_KEY"), "without a key, a placeholder");
    assert!(!page.contains("KEYPORT_API_KEY_HERE"), "the sentinel never reaches the page");

    // Script in a description is text.
    let hostile = "openapi: 3.1.0\ninfo: {title: '<script>alert(1)</script>', version: '1', description: '<img src=x onerror=alert(2)>'}\npaths:\n  /x:\n    get: {summary: '<b>bold</b>', responses: {'200': {description: '<script>alert(3)</script>'}}}\n";
    app.services.import_document(hostile.as_bytes(), "cli", &meta).await.unwrap();
    let page = app.page("/portal/docs").await.text().await.unwrap();
    assert!(!page.contains("<script>alert") && !page.contains("<img src=x") && !page.contains("<b>bold"), "nothing from the document is markup");
    // Descriptions are CommonMark, drawn as HTML with anything that could run removed.
    let markdown = "openapi: 3.1.0\ninfo: {title: Md, version: '1', description: \"Use **bold** and [a link](https://example.com) and `code`.\\n\\n<script>alert(4)</script><a href='javascript:alert(5)'>x</a>\"}\npaths:\n  /y:\n    get: {description: \"- one\\n- two\", responses: {'200': {description: ok}}}\n";
    app.services.import_document(markdown.as_bytes(), "cli", &meta).await.unwrap();
    let page = app.page("/portal/docs").await.text().await.unwrap();
    assert!(page.contains("<strong>bold</strong>") && page.contains("<code>code</code>") && page.contains("<li>one</li>"), "rendered CommonMark");
    assert!(page.contains("href=\"https://example.com\"") && page.contains("nofollow"));
    assert!(!page.contains("alert(4)") && !page.contains("javascript:alert(5)"), "nothing that runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_show_the_operators_guides_in_order_and_search_finds_operations_schemas_and_guides() {
    let app = spawn_app().await;
    app.signed_in().await;
    let meta = keyport_core::services::audit::RequestMeta::default();
    // Guides alone, before any API document: shown, with the reference said to be missing.
    let guide = "# Webhooks\n\nWe POST a **signed** event when a payment settles.\n\n<script>alert(1)</script>\n\n| Header | Meaning |\n|---|---|\n| `X-Sig` | the signature |\n";
    app.services.save_doc_page("Webhooks", guide, None, "cli", &meta).await.unwrap();
    app.services.save_doc_page("Getting started", "Make a *test* key first.", Some(0), "cli", &meta).await.unwrap();
    app.services.save_doc_page("Webhooks", guide, Some(1), "cli", &meta).await.unwrap();
    let page = app.page("/portal/docs").await.text().await.unwrap();
    assert!(page.contains("id=\"guide-webhooks\"") && page.contains("href=\"#guide-webhooks\""), "a guide with a link of its own");
    assert!(page.find("id=\"guide-getting-started\"").unwrap() < page.find("id=\"guide-webhooks\"").unwrap(), "in their order");
    assert!(page.contains("<strong>signed</strong>") && page.contains("<th>Header</th>"), "Markdown with tables");
    assert!(page.contains("<h3>Webhooks</h3>"), "its headings sit under the guide's title");
    assert!(!page.contains("<script>alert(1)"), "sanitized");
    assert!(page.contains("No API reference yet"));

    app.services.import_document(keyport_core::services::demo::DEMO_DOCUMENT, "cli", &meta).await.unwrap();
    let search = |q: &'static str| {
        let app = &app;
        async move { app.page(&format!("/portal/docs?q={q}")).await.text().await.unwrap() }
    };
    let found = search("invoice").await;
    assert!(found.contains("aria-label=\"Search results\""), "results are drawn");
    assert!(found.contains("href=\"#schema-Invoice\""), "a schema");
    assert!(found.contains(">Operation<") && found.contains("href=\"#op-listInvoices\""), "operations on invoices");
    let found = search("signed%20settles").await;
    assert!(found.contains("1 result for “signed settles”") && found.contains("<a href=\"#guide-webhooks\">Webhooks"), "a guide, by its text");
    assert!(found.contains("value=\"signed settles\""), "the search box keeps the words");
    let none = search("zebra").await;
    assert!(none.contains("Nothing matches “zebra”."));
    let long = app.page(&format!("/portal/docs?q={}", "x".repeat(5000))).await;
    assert_eq!(long.status(), reqwest::StatusCode::OK, "a long search is cut, not refused");
    assert!(long.text().await.unwrap().contains(&format!("Nothing matches “{}”.", "x".repeat(100))));
    use sea_orm::ConnectionTrait;
    let audit = app.services.db.query_one_raw(sea_orm::Statement::from_string(app.services.db.get_database_backend(), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'docs.page_saved'")).await.unwrap().unwrap();
    assert_eq!(audit.try_get::<i64>("", "n").unwrap(), 3, "each save is audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_makes_a_test_key_in_one_click_shows_the_first_call_and_says_when_it_arrived() {
    let app = helpers::spawn_app().await;
    let meta = keyport_core::services::audit::RequestMeta::default();
    app.services.import_document(keyport_core::services::demo::DEMO_DOCUMENT, "cli", &meta).await.unwrap();
    let owner = app.new_user().await;
    let session = format!("__Host-keyport_session={}", owner.cookie);
    let get = |path: String, cookie: String| {
        let client = app.client().clone();
        let url = format!("{}{path}", app.base);
        async move { client.get(url).header("accept", "text/html").header("cookie", cookie).send().await.unwrap() }
    };
    let before = get("/portal".into(), session.clone()).await.text().await.unwrap();
    assert!(before.contains("aria-labelledby=\"quickstart-title\"") && before.contains("Create a test key"), "one click offered");
    assert!(before.contains("Waiting for your first call"));

    // The one click: a plain form, answered with the dashboard showing the key once.
    let res = app.client().post(format!("{}/api/keys/quickstart", app.base))
        .header("sec-fetch-site", "same-origin").header("accept", "text/html").header("referer", format!("{}/portal", app.base)).header("cookie", &session)
        .send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id = location.strip_prefix("/portal?created=").expect("back to the dashboard, naming the key").to_owned();
    let sealed = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-keyport_new_key=")).unwrap().split(';').next().unwrap().to_owned();
    let caller = app.services.authenticate(&owner.cookie).await.unwrap().unwrap();
    let key = app.services.get_key(&caller, &id).await.unwrap();
    assert_eq!((key.environment.as_str(), key.expires_at), ("test", None), "a test key that never expires");
    let mut defaults = app.services.settings().default_scopes.clone();
    defaults.sort();
    assert_eq!(key.scopes, defaults, "with the default scopes");
    let html = get(location.clone(), format!("{session}; {sealed}")).await.text().await.unwrap();
    assert!(html.contains("Your test key “") && html.contains("Quickstart test key"), "the key is ready");
    let start = html.find("kp_test_").expect("the key is on the page, once");
    let secret: String = html[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert!(secret.len() > 30, "{secret}");
    assert!(html.contains(&format!("Authorization: Bearer {}", key.masked)), "the command on screen holds the masked key");
    assert!(html.contains("/payments") && html.contains("href=\"/portal/docs#op-listPayments\""), "the document's first GET");
    assert!(html.contains("Waiting for your first call"));

    // The developer's first call reaches the provider, whose backend asks Keyport.
    let token = app.operator_token().await;
    assert_eq!(app.verify(&token, &secret).await["code"], "VALID");
    app.services.flush_usage().await.unwrap();
    let after = get("/portal".into(), session.clone()).await.text().await.unwrap();
    assert!(after.contains("✓ First call received at "), "the line turned");
    assert!(!after.contains(&secret), "a reload never shows the key again");
    let first = app.services.get_key(&caller, &id).await.unwrap().first_valid_at.expect("the first call is kept");
    // A later call does not move it.
    assert_eq!(app.verify(&token, &secret).await["code"], "VALID");
    app.services.flush_usage().await.unwrap();
    assert_eq!(app.services.get_key(&caller, &id).await.unwrap().first_valid_at, Some(first));
    let again = get("/portal".into(), session.clone()).await.text().await.unwrap();
    assert!(!again.contains("Create a test key"), "one key is enough");
}

/// Servers booting in the same process (as the tests do) never stall another's page: Leptos
/// lists the routes once per process (rendering the app to do so disturbed pages being
/// rendered at that moment, which then waited for the 30 s timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_of_the_process_boot() {
    let app = spawn_app().await;
    let customer = app.new_user().await;
    app.act_as(&customer);
    let booting = std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            for _ in 0..15 {
                drop(spawn_app().await);
            }
        });
    });
    let mut rendered = 0;
    while !booting.is_finished() {
        let res = tokio::time::timeout(std::time::Duration::from_secs(5), app.page("/admin/outbox")).await;
        assert_eq!(res.expect("a page renders while servers boot").status(), StatusCode::NOT_FOUND);
        rendered += 1;
    }
    booting.join().unwrap();
    assert!(rendered > 10, "{rendered} pages rendered meanwhile");
}
