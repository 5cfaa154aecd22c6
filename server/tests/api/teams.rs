//! Creating teams and switching the active team.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;

async fn session(app: &crate::helpers::TestApp) -> Value {
    app.call("session", &[]).await.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_team_is_owned_by_its_creator_becomes_active_and_keeps_its_own_keys() {
    let app = spawn_app().await;
    app.signed_in().await;
    let personal = session(&app).await["team"]["id"].as_str().unwrap().to_owned();
    app.create_key("Personal key", "test", "never").await;

    let res = app.call("teams/create", &[("name", "  Acme Payments "), ("description", "Billing squad")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let team: Value = res.json().await.unwrap();
    assert_eq!(team["name"], "Acme Payments");
    let s = session(&app).await;
    assert_eq!(s["team"]["id"], team["id"], "the new team is active");
    assert_eq!(s["role"], "owner");
    let teams = s["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 2);
    assert_eq!(teams[0]["personal"], true, "personal team first");
    assert!(app.list_keys().await.is_empty(), "the new team has no keys");
    app.create_key("Team key", "live", "never").await;

    let res = app.call("teams/switch", &[("team_id", &personal)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let names: Vec<String> = app.list_keys().await.into_iter().map(|k| k.name).collect();
    assert_eq!(names, ["Personal key"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_to_someone_elses_team_is_not_found_and_changes_nothing() {
    let app = spawn_app().await;
    app.signed_in().await;
    let res = app.call("teams/create", &[("name", "Alice's secret team"), ("description", "")]).await;
    let alices: Value = res.json().await.unwrap();
    app.set_session_cookie(None);
    app.signed_in().await;
    let before = session(&app).await["team"]["id"].clone();
    let res = app.call("teams/switch", &[("team_id", alices["id"].as_str().unwrap())]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.call("teams/switch", &[("team_id", "team_nope")]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(session(&app).await["team"]["id"], before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_names_and_descriptions_are_validated() {
    let app = spawn_app().await;
    app.signed_in().await;
    let long_name = "t".repeat(65);
    let long_description = "d".repeat(281);
    for (name, description, field) in [
        ("", "", "name"),
        ("   ", "", "name"),
        (long_name.as_str(), "", "name"),
        ("ok", long_description.as_str(), "description"),
    ] {
        let res = app.call("teams/create", &[("name", name), ("description", description)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{field}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], field);
    }
    assert_eq!(session(&app).await["teams"].as_array().unwrap().len(), 1, "no team was created");
    assert_eq!(app.call("teams/create", &[("name", "x"), ("description", "")]).await.status(), StatusCode::OK);
    app.set_session_cookie(None);
    assert_eq!(app.call("teams/create", &[("name", "x"), ("description", "")]).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_members_list_shows_the_active_teams_members_only() {
    let app = spawn_app().await;
    let alice = app.signed_in().await;
    let members: Value = app.call("team/members", &[]).await.json().await.unwrap();
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["email"], alice.as_str());
    assert_eq!(members[0]["role"], "owner");
    app.set_session_cookie(None);
    let bob = app.signed_in().await;
    let members: Value = app.call("team/members", &[]).await.json().await.unwrap();
    let emails: Vec<&str> = members.as_array().unwrap().iter().map(|m| m["email"].as_str().unwrap()).collect();
    assert_eq!(emails, [bob.as_str()], "Bob's team does not list Alice");
    app.set_session_cookie(None);
    assert_eq!(app.call("team/members", &[]).await.status(), StatusCode::UNAUTHORIZED);
}
