//! The provider's extra sign-up questions (`signup.fields`): asked on sign-up and on sign-up
//! through an invitation, checked in core, stored with the developer, shown and exported in
//! the admin console.

use crate::helpers::{email, spawn_app, TestApp, PASSWORD};
use keyport_core::entity::user;
use keyport_core::services::audit::RequestMeta;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

const FIELDS: &str = r#"[{"name":"company","label":"Company","required":true},
    {"name":"use_case","label":"What will you build?","type":"choice","choices":["Payments","Invoicing","Other"]},
    {"name":"site","label":"Website"}]"#;

async fn ask(app: &TestApp, fields: &str) {
    app.services.set_setting("signup.fields", fields, false, "cli", &RequestMeta::default()).await.unwrap();
}

async fn accounts_for(app: &TestApp, address: &str) -> u64 {
    user::Entity::find().filter(user::Column::Email.eq(address)).count(&app.services.db).await.unwrap()
}

/// A fresh operator admin in a browser of their own (the app's cookie is left signed out).
async fn admin(app: &TestApp) -> crate::helpers::User {
    let a = app.new_user().await;
    assert!(app.services.set_site_admin("cli", &a.email, true, &RequestMeta::default()).await.unwrap());
    a
}

/// The sign-up answers the console's `admin/developer` returns for `id`.
async fn answers_shown(app: &TestApp, id: &str, admin_cookie: &str) -> Value {
    let res = app.call_as(admin_cookie, "admin/developer", &[("id", id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["signup_answers"].clone()
}

async fn refused_on(res: reqwest::Response, field: &str) -> String {
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], field, "{body}");
    body["Invalid"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_without_a_required_answer_or_with_a_choice_not_offered_is_refused_and_creates_nothing() {
    let app = spawn_app().await;
    ask(&app, FIELDS).await;
    let address = email();
    let message = refused_on(app.register(&address, PASSWORD).await, "signup_company").await;
    assert!(message.contains("required"), "{message}");
    let blank = app.call("register", &[("email", &address), ("password", PASSWORD), ("signup[company]", "   ")]).await;
    refused_on(blank, "signup_company").await;
    let outside = app
        .call("register", &[("email", &address), ("password", PASSWORD), ("signup[company]", "Acme"), ("signup[use_case]", "Crypto")])
        .await;
    refused_on(outside, "signup_use_case").await;
    let two_lines = app.call("register", &[("email", &address), ("password", PASSWORD), ("signup[company]", "Acme\nInc")]).await;
    refused_on(two_lines, "signup_company").await;
    let long = "x".repeat(501);
    refused_on(app.call("register", &[("email", &address), ("password", PASSWORD), ("signup[company]", &long)]).await, "signup_company").await;
    assert_eq!(accounts_for(&app, &address).await, 0, "no refused sign-up created an account");
    assert!(app.session_cookie().is_none(), "and nobody is signed in");

    // With the question gone, the same form goes through.
    ask(&app, "").await;
    assert_eq!(app.register(&address, PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(accounts_for(&app, &address).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_are_stored_with_the_developer_and_the_console_shows_them_by_their_labels() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    ask(&app, FIELDS).await;
    let address = email();
    let res = app
        .call("register", &[("email", &address), ("password", PASSWORD), ("signup[company]", " Acme "), ("signup[use_case]", "Payments"), ("signup[unasked]", "dropped")])
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let stored = user::Entity::find().filter(user::Column::Email.eq(&address)).one(&app.services.db).await.unwrap().unwrap();
    assert_eq!(stored.signup_answers.as_deref(), Some(r#"{"company":"Acme","use_case":"Payments"}"#), "trimmed; unknown and empty optional ones left out");

    assert_eq!(answers_shown(&app, &stored.id, &admin.cookie).await, serde_json::json!([["Company", "Acme"], ["What will you build?", "Payments"]]));

    // Relabelled and reordered, the answers follow the questions asked now; a removed question
    // keeps its answer under its name.
    ask(&app, r#"[{"name":"use_case","label":"Your use case","type":"choice","choices":["Payments","Other"]}]"#).await;
    assert_eq!(answers_shown(&app, &stored.id, &admin.cookie).await, serde_json::json!([["Your use case", "Payments"], ["company", "Acme"]]));
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_invited_answers_the_same_questions_when_they_create_their_account() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    app.act_as(&owner);
    let invitee = email();
    let res = app.call("invitations/create", &[("email", &invitee), ("role", "member"), ("message", "")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = crate::helpers::logged_link_tokens(&invitee, "/portal/invite/", 1).await.remove(0);
    ask(&app, FIELDS).await;
    app.set_session_cookie(None);
    let res = app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD)]).await;
    refused_on(res, "signup_company").await;
    assert_eq!(accounts_for(&app, &invitee).await, 0, "nothing was created");
    let res = app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD), ("signup[company]", "Acme"), ("signup[use_case]", "Other")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let stored = user::Entity::find().filter(user::Column::Email.eq(&invitee)).one(&app.services.db).await.unwrap().unwrap();
    assert_eq!(stored.signup_answers.as_deref(), Some(r#"{"company":"Acme","use_case":"Other"}"#));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_developers_export_has_a_column_per_question_neutralises_formulas_and_is_not_found_for_anyone_but_an_admin() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let owner = app.new_user().await;
    ask(&app, FIELDS).await;
    let hostile = format!("hostile-{}", email());
    let res = app.call("register", &[("email", &hostile), ("password", PASSWORD), ("signup[company]", "=cmd|' /C calc'!A0"), ("signup[site]", "@SUM(1)")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let plain = email();
    let res = app.call("register", &[("email", &plain), ("password", PASSWORD), ("signup[company]", "Acme, \"Ltd\""), ("signup[use_case]", "Invoicing")]).await;
    assert_eq!(res.status(), StatusCode::OK);

    let get = |path: &str, cookie: &str| app.client().get(format!("{}{path}", app.base)).header("cookie", format!("__Host-keyport_session={cookie}")).send();
    for cookie in ["none", owner.cookie.as_str()] {
        assert_eq!(get("/admin/developers.csv", cookie).await.unwrap().status(), StatusCode::NOT_FOUND, "as {cookie}");
    }
    let res = get("/admin/developers.csv", &admin.cookie).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("keyport-developers.csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        r#""email","signed_up_utc","last_active_utc","teams","status","Company","What will you build?","Website""#
    );
    assert_eq!(lines.len(), 1 + 4, "the admin, the owner and the two new developers: {csv}");
    let row = |who: &str| lines.iter().find(|l| l.starts_with(&format!("\"{who}\""))).copied().unwrap_or_else(|| panic!("{who} in {csv}"));
    assert!(row(&hostile).ends_with(r#","1","active","'=cmd|' /C calc'!A0","","'@SUM(1)""#), "formulas are neutralised: {}", row(&hostile));
    assert!(row(&plain).ends_with(r#","1","active","Acme, ""Ltd""","Invoicing","""#), "quoted: {}", row(&plain));
    assert!(row(&admin.email).contains(r#","admin","#), "{}", row(&admin.email));

    // The list's filters apply: part of the email, status, sign-up day.
    let csv = get(&format!("/admin/developers.csv?q={}", &hostile[..12]), &admin.cookie).await.unwrap().text().await.unwrap();
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 2, "{csv}");
    let csv = get("/admin/developers.csv?status=admin", &admin.cookie).await.unwrap().text().await.unwrap();
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 2, "{csv}");
    let res = get("/admin/developers.csv?since=yesterday", &admin.cookie).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let tomorrow = (app.services.now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let csv = get(&format!("/admin/developers.csv?since={tomorrow}"), &admin.cookie).await.unwrap().text().await.unwrap();
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 1, "only the header: {csv}");
}
