//! Managing members: roles, removal, leaving, team settings, and the last-owner rule.

use crate::helpers::{spawn_app, TestApp, User};
use keyport_core::entity::membership;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

async fn team_of(app: &TestApp, owner: &User, name: &str) -> String {
    app.act_as(owner);
    let res = app.call("teams/create", &[("name", name), ("description", "")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn role_in(app: &TestApp, team: &str, user: &User) -> Option<String> {
    membership::Entity::find_by_id((team.to_owned(), user.id.clone()))
        .one(&app.services.db)
        .await
        .unwrap()
        .map(|m| m.role)
}

async fn owners(app: &TestApp, team: &str) -> u64 {
    membership::Entity::find()
        .filter(membership::Column::TeamId.eq(team))
        .filter(membership::Column::Role.eq("owner"))
        .count(&app.services.db)
        .await
        .unwrap()
}

/// A user who is a member of `team` with `role` and has it active.
async fn member(app: &TestApp, team: &str, role: &str) -> User {
    let u = app.new_user().await;
    app.add_member(team, &u.id, role).await;
    app.act_as(&u);
    app.switch_to(team).await;
    u
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_manage_members_below_owners_and_nobody_grants_above_their_role() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let team = team_of(&app, &owner, "Acme").await;
    let admin = member(&app, &team, "admin").await;
    let dev = member(&app, &team, "member").await;

    app.act_as(&admin);
    let change = |u: &User, r: &str| [("user_id", u.id.clone()), ("role", r.to_owned())];
    let call = |cookie: String, form: [(&'static str, String); 2]| {
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call_as(&cookie, "team/change-role", &form).await.status()
        }
    };
    assert_eq!(call(admin.cookie.clone(), change(&dev, "viewer")).await, StatusCode::OK);
    assert_eq!(role_in(&app, &team, &dev).await.as_deref(), Some("viewer"));
    assert_eq!(call(admin.cookie.clone(), change(&dev, "owner")).await, StatusCode::FORBIDDEN, "admins cannot grant owner");
    assert_eq!(call(admin.cookie.clone(), change(&owner, "member")).await, StatusCode::FORBIDDEN, "admins cannot demote owners");
    assert_eq!(call(dev.cookie.clone(), change(&admin, "viewer")).await, StatusCode::FORBIDDEN, "viewers manage nobody");
    assert_eq!(call(admin.cookie.clone(), change(&dev, "root")).await, StatusCode::BAD_REQUEST);
    assert_eq!(call(admin.cookie.clone(), [("user_id", "usr_nobody".into()), ("role", "viewer".into())]).await, StatusCode::NOT_FOUND);
    assert_eq!(role_in(&app, &team, &owner).await.as_deref(), Some("owner"), "refusals changed nothing");

    // Owners share ownership; the role change is in the audit trail with its detail.
    assert_eq!(call(owner.cookie.clone(), change(&admin, "owner")).await, StatusCode::OK);
    assert_eq!(owners(&app, &team).await, 2);
    app.act_as(&owner);
    let rows: Value = app.call("audit/list", &[("action", "member.role_changed"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    let details: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["detail"].as_str().unwrap()).collect();
    assert_eq!(details, [format!("{}: admin → owner", admin.email), format!("{}: member → viewer", dev.email)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_loses_the_team_on_their_very_next_request() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let team = team_of(&app, &owner, "Acme").await;
    app.act_as(&owner);
    let key = app.create_key("Team key", "live", "never").await;
    let dev = member(&app, &team, "member").await;
    assert_eq!(app.list_keys().await.len(), 1, "the member sees the team's keys");

    let res = app.call_as(&owner.cookie, "team/remove", &[("user_id", &dev.id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.act_as(&dev);
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    assert_eq!(s["team"]["id"], dev.team_id.as_str(), "back in their own team");
    assert!(app.list_keys().await.iter().all(|k| k.id != key.key.id));
    assert_eq!(app.call("keys/revoke", &[("id", &key.key.id)]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.call("teams/switch", &[("team_id", &team)]).await.status(), StatusCode::NOT_FOUND);
    // Removing again, or removing yourself, is refused.
    assert_eq!(app.call_as(&owner.cookie, "team/remove", &[("user_id", &dev.id)]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.call_as(&owner.cookie, "team/remove", &[("user_id", &owner.id)]).await.status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_owner_cannot_leave_be_removed_or_be_demoted() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let team = team_of(&app, &owner, "Acme").await;
    let second = member(&app, &team, "owner").await;
    let dev = member(&app, &team, "member").await;

    // With two owners, one may step down.
    let res = app.call_as(&second.cookie, "team/change-role", &[("user_id", &second.id), ("role", "admin")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Now the last owner can neither demote nor remove themselves, nor leave.
    let res = app.call_as(&owner.cookie, "team/change-role", &[("user_id", &owner.id), ("role", "admin")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert!(body.to_string().contains("at least one owner"), "{body}");
    assert_eq!(app.call_as(&owner.cookie, "team/leave", &[]).await.status(), StatusCode::CONFLICT);
    assert_eq!(owners(&app, &team).await, 1);
    // Anyone else may leave; nobody may leave their only team.
    assert_eq!(app.call_as(&dev.cookie, "team/leave", &[]).await.status(), StatusCode::OK);
    assert_eq!(role_in(&app, &team, &dev).await, None);
    app.act_as(&dev);
    assert_eq!(app.call("team/leave", &[]).await.status(), StatusCode::CONFLICT, "their personal team is their only one");
    let actions: Value = app.call_as(&owner.cookie, "audit/list", &[("action", "member.left"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    assert_eq!(actions.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_demoting_each_other_at_once_always_leave_an_owner() {
    let app = spawn_app().await;
    let a = app.new_user().await;
    let team = team_of(&app, &a, "Contested").await;
    let b = member(&app, &team, "owner").await;
    for round in 0..50 {
        let demote_b = [("user_id", b.id.as_str()), ("role", "admin")];
        let demote_a = [("user_id", a.id.as_str()), ("role", "admin")];
        let (ra, rb) = tokio::join!(
            app.call_as(&a.cookie, "team/change-role", &demote_b),
            app.call_as(&b.cookie, "team/change-role", &demote_a),
        );
        let statuses = [ra.status(), rb.status()];
        assert!(statuses.iter().all(|s| [StatusCode::OK, StatusCode::FORBIDDEN, StatusCode::CONFLICT].contains(s)), "round {round}: {statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "round {round}: exactly one demotion wins: {statuses:?}");
        assert_eq!(owners(&app, &team).await, 1, "round {round}: an owner remains");
        // Whoever remains owner promotes the other again for the next round.
        let (owner, other) = if role_in(&app, &team, &a).await.as_deref() == Some("owner") { (&a, &b) } else { (&b, &a) };
        let res = app.call_as(&owner.cookie, "team/change-role", &[("user_id", &other.id), ("role", "owner")]).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_settings_are_validated_audited_and_shown_to_members() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let team = team_of(&app, &owner, "Acme").await;
    app.act_as(&owner);
    let res = app.call("team/update", &[("name", " "), ("description", "")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app.call("team/update", &[("name", "Acme Payments"), ("description", "Billing squad")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let details: Value = app.call("team/details", &[]).await.json().await.unwrap();
    assert_eq!(details["name"], "Acme Payments");
    assert_eq!(details["description"], "Billing squad");
    // Saving the same values again records nothing new.
    app.call("team/update", &[("name", "Acme Payments"), ("description", "Billing squad")]).await;
    let rows: Value = app.call("audit/list", &[("action", "team.updated"), ("actor", ""), ("from", ""), ("to", "")]).await.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["detail"], "name “Acme” → “Acme Payments”, description");

    let viewer = member(&app, &team, "viewer").await;
    let _ = viewer;
    assert_eq!(app.call("team/update", &[("name", "Hijacked"), ("description", "")]).await.status(), StatusCode::FORBIDDEN);
    let members: Value = app.call("team/members", &[]).await.json().await.unwrap();
    let me = members.as_array().unwrap().iter().find(|m| m["user_id"] == viewer.id.as_str()).unwrap();
    assert!(me["last_active_at"].is_string(), "the viewer's own request counts as activity");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_team_ends_everyones_access_and_revokes_its_keys_at_once() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let team = team_of(&app, &owner, "Short-lived").await;
    app.act_as(&owner);
    let key = app.create_key("Doomed key", "live", "never").await;
    let token = app.operator_token().await;
    assert_eq!(app.verify(&token, key.secret.expose()).await["code"], "VALID");
    let admin = member(&app, &team, "admin").await;

    assert_eq!(app.call_as(&admin.cookie, "team/delete", &[("name", "Short-lived")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.call_as(&owner.cookie, "team/delete", &[("name", "short lived")]).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.verify(&token, key.secret.expose()).await["code"], "VALID", "refusals changed nothing");
    assert_eq!(app.call_as(&owner.cookie, "team/delete", &[("name", " Short-lived ")]).await.status(), StatusCode::OK);

    assert_eq!(app.verify(&token, key.secret.expose()).await["code"], "REVOKED", "the next verify refuses the key");
    for u in [&owner, &admin] {
        app.act_as(u);
        let s: Value = app.call("session", &[]).await.json().await.unwrap();
        assert_eq!(s["team"]["id"], u.team_id.as_str(), "back in their personal team");
        assert_eq!(app.call("teams/switch", &[("team_id", &team)]).await.status(), StatusCode::NOT_FOUND);
    }
    // A personal team cannot be deleted.
    app.act_as(&owner);
    let name = app.call("team/details", &[]).await.json::<Value>().await.unwrap()["name"].as_str().unwrap().to_owned();
    assert_eq!(app.call("team/delete", &[("name", &name)]).await.status(), StatusCode::CONFLICT);
    let rows = keyport_core::entity::audit_event::Entity::find().all(&app.services.db).await.unwrap();
    let deleted: Vec<_> = rows.iter().filter(|r| r.action == "team.deleted").collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].detail.as_deref(), Some("“Short-lived”: 2 members removed, 1 key revoked"));
}
