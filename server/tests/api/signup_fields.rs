//! The provider's extra sign-up questions (`signup.fields`): asked on sign-up and on sign-up
//! through an invitation, checked in core, stored with the developer.

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
async fn answers_are_stored_with_the_developer() {
    let app = spawn_app().await;
    ask(&app, FIELDS).await;
    let address = email();
    let res = app
        .call("register", &[("email", &address), ("password", PASSWORD), ("signup[company]", " Acme "), ("signup[use_case]", "Payments"), ("signup[unasked]", "dropped")])
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let stored = user::Entity::find().filter(user::Column::Email.eq(&address)).one(&app.services.db).await.unwrap().unwrap();
    assert_eq!(stored.signup_answers.as_deref(), Some(r#"{"company":"Acme","use_case":"Payments"}"#), "trimmed; unknown and empty optional ones left out");
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
