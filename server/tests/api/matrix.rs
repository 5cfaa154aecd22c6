//! The role × action matrix, generated from the permission table in `core`: for every action
//! and every server function or route behind it, each of the four roles and a non-member is
//! tried. Allowed roles succeed, members without the right get 403, and a non-member cannot
//! tell the team's objects from missing ones (404, or a list without them).

use crate::helpers::{spawn_app_with, TestApp, User};
use keyport_core::entity::membership;
use keyport_core::roles::{allowed, Action, Role};
use keyport_core::services::auth::Caller;
use keyport_core::dto::{TeamView, UserView};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::Value;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    Allowed,
    Forbidden,
    Hidden,
    /// Refused because the team requires a second factor the caller has not set up.
    SecondFactor,
    Other(StatusCode),
}

struct Fixture {
    team: String,
    owner: User,
    /// A member whose role and membership the ManageMembers probes change (then restore).
    target: User,
    /// Teams made for a probe require a second factor too.
    require_mfa: bool,
}

/// Who tries.
#[derive(Debug, Clone, Copy)]
enum Who {
    In(Role),
    Outsider,
}

impl Fixture {
    async fn owner_key(&self, app: &TestApp) -> String {
        let res = app.call_as(&self.owner.cookie, "keys/create", &[("name", "Owner's"), ("environment", "test"), ("expiry", "never")]).await;
        res.json::<Value>().await.unwrap()["key"]["id"].as_str().unwrap().to_owned()
    }

    /// A key of the team created by `actor` (whatever their role now: they may have been a
    /// member when they created it).
    async fn own_key(&self, app: &TestApp, actor: &User) -> String {
        let caller = Caller {
            user: UserView { id: actor.id.clone(), email: actor.email.clone() },
            team: TeamView { id: self.team.clone(), name: "Matrix".into() },
            role: Role::Owner,
            as_provider: false,
            needs_second_factor: false,
        };
        let meta = keyport_core::services::audit::RequestMeta::default();
        let input = keyport_core::services::keys::KeyInput { name: "Mine", environment: "test", expiry: "never", ..Default::default() };
        app.services.create_key(&caller, input, &meta).await.unwrap().key.id
    }

    async fn invitation(&self, app: &TestApp) -> String {
        let email = crate::helpers::email();
        let res = app.call_as(&self.owner.cookie, "invitations/create", &[("email", &email), ("role", "viewer"), ("message", "")]).await;
        res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// Puts the target back as a plain member.
    async fn restore_target(&self, app: &TestApp) {
        let _ = membership::Entity::delete_by_id((self.team.clone(), self.target.id.clone())).exec(&app.services.db).await;
        membership::ActiveModel {
            team_id: Set(self.team.clone()),
            user_id: Set(self.target.id.clone()),
            role: Set("member".into()),
            created_at: Set(app.services.now()),
            last_active_at: Set(None),
        }
        .insert(&app.services.db)
        .await
        .unwrap();
    }
}

/// One call behind an action: its name, and the call. `leaked` tells, for a 200 answer to a
/// non-member, whether the body shows the team's data (it must not).
async fn probes(app: &TestApp, fx: &Fixture, action: Action, actor: &User) -> Vec<(&'static str, StatusCode, bool)> {
    let c = actor.cookie.as_str();
    let mut out = Vec::new();
    let owner_email = fx.owner.email.as_str();
    let text = |r: reqwest::Response| async move {
        let status = r.status();
        let body = r.text().await.unwrap();
        (refused_for_second_factor(status, &body), body)
    };
    // Every action is listed: a new `Action` without probes does not compile.
    match action {
        Action::ViewKeys => {
            let key = fx.owner_key(app).await;
            let (s, body) = text(app.call_as(c, "keys/list", &[]).await).await;
            out.push(("keys/list", s, body.contains(&key)));
            out.push(("keys/get", st(app.call_as(c, "keys/get", &[("id", &key)]).await).await, true));
            let (s, _) = text(app.call_as(c, "keys/options", &[]).await).await;
            // The options are the operator's, the same for everyone; a non-member sees their own team's count.
            out.push(("keys/options", s, false));
        }
        Action::ViewUsage => {
            let (s, body) = text(app.call_as(c, "usage/summary", &[]).await).await;
            // The team has keys from other probes; a non-member's own team has none.
            out.push(("usage/summary", s, !body.contains("\"active_keys\":0")));
            let key = fx.owner_key(app).await;
            out.push(("keys/activity", st(app.call_as(c, "keys/activity", &[("id", &key)]).await).await, true));
            let form = [("range", "24h"), ("granularity", "hour"), ("key", key.as_str()), ("env", "")];
            out.push(("usage/report", st(app.call_as(c, "usage/report", &form).await).await, true));
        }
        Action::ViewBilling => {
            // Always the caller's own active team: a non-member sees their own plan.
            let (s, _) = text(app.call_as(c, "billing/view", &[]).await).await;
            out.push(("billing/view", s, false));
        }
        Action::ManageBilling => {
            let meta = keyport_core::services::audit::RequestMeta::default();
            let pro = keyport_core::services::plans::PlanChanges { name: Some("Pro".into()), included: Some("1000".into()), price: Some("10".into()), ..Default::default() };
            let _ = app.services.create_plan("pro", &pro, "test", &meta).await;
            let (s, _) = text(app.call_as(c, "billing/change", &[("plan", "pro")]).await).await;
            let (_, plan) = app.services.team_plan(&app.services.db, &fx.team).await.unwrap();
            out.push(("billing/change", s, plan.id == "pro"));
            // Put it back for the next probe.
            let _ = app.services.assign_plan(&fx.team, "free", "test", &meta).await;
        }
        Action::ViewMembers => {
            let (s, body) = text(app.call_as(c, "team/members", &[]).await).await;
            out.push(("team/members", s, body.contains(owner_email)));
            let (s, body) = text(app.call_as(c, "team/details", &[]).await).await;
            out.push(("team/details", s, body.contains(&fx.team)));
        }
        Action::CreateKey => {
            let (s, body) = text(app.call_as(c, "keys/create", &[("name", "Probe"), ("environment", "test"), ("expiry", "never")]).await).await;
            let team_keys = app.call_as(&fx.owner.cookie, "keys/list", &[]).await.text().await.unwrap();
            let id = serde_json::from_str::<Value>(&body).ok().and_then(|v| v["key"]["id"].as_str().map(str::to_owned));
            out.push(("keys/create", s, id.is_some_and(|id| team_keys.contains(&id))));
        }
        Action::ManageOwnKey => {
            let key = fx.own_key(app, actor).await;
            for (call, status) in lifecycle(app, c, &key).await {
                out.push((call, status, true));
            }
        }
        Action::ManageAnyKey => {
            let key = fx.owner_key(app).await;
            for (call, status) in lifecycle(app, c, &key).await {
                out.push((call, status, true));
            }
        }
        Action::ViewAudit => {
            let all = [("action", ""), ("actor", ""), ("from", ""), ("to", "")];
            let (s, body) = text(app.call_as(c, "audit/list", &all).await).await;
            out.push(("audit/list", s, body.contains(owner_email)));
            let res = app.client().get(format!("{}/portal/audit.csv", app.base)).header("cookie", format!("__Host-keyport_session={c}")).send().await.unwrap();
            let (s, body) = text(res).await;
            out.push(("GET /portal/audit.csv", s, body.contains(owner_email)));
        }
        Action::ManageMembers => {
            let role = [("user_id", fx.target.id.as_str()), ("role", "viewer")];
            out.push(("team/change-role", st(app.call_as(c, "team/change-role", &role).await).await, true));
            fx.restore_target(app).await;
            out.push(("team/remove", st(app.call_as(c, "team/remove", &[("user_id", &fx.target.id)]).await).await, true));
            fx.restore_target(app).await;
        }
        Action::ManageInvitations => {
            let email = crate::helpers::email();
            let (s, body) = text(app.call_as(c, "invitations/create", &[("email", &email), ("role", "viewer"), ("message", "")]).await).await;
            let team_invites = app.call_as(&fx.owner.cookie, "invitations/list", &[]).await.text().await.unwrap();
            out.push(("invitations/create", s, body.contains(&email) && team_invites.contains(&email)));
            let inv = fx.invitation(app).await;
            let (s, body) = text(app.call_as(c, "invitations/list", &[]).await).await;
            out.push(("invitations/list", s, body.contains(&inv)));
            let (s, body) = text(app.call_as(c, "outbox/list", &[]).await).await;
            out.push(("outbox/list", s, body.contains("invited you to Matrix")));
            app.clock.advance(chrono::Duration::minutes(2));
            out.push(("invitations/resend", st(app.call_as(c, "invitations/resend", &[("id", &inv)]).await).await, true));
            out.push(("invitations/revoke", st(app.call_as(c, "invitations/revoke", &[("id", &inv)]).await).await, true));
        }
        Action::ApproveKeys => {
            let key = fx.owner_key(app).await;
            make_pending(app, &key).await;
            let (s, body) = text(app.call_as(c, "keys/pending", &[]).await).await;
            out.push(("keys/pending", s, body.contains(&key)));
            out.push(("keys/approve", st(app.call_as(c, "keys/approve", &[("id", &key), ("reason", "")]).await).await, true));
            let key = fx.owner_key(app).await;
            make_pending(app, &key).await;
            out.push(("keys/deny", st(app.call_as(c, "keys/deny", &[("id", &key), ("reason", "no")]).await).await, true));
            let key = fx.owner_key(app).await;
            make_change_pending(app, &key).await;
            out.push(("keys/approve (a scope change)", st(app.call_as(c, "keys/approve", &[("id", &key), ("reason", "")]).await).await, true));
        }
        Action::DeleteTeam => {
            // A team of its own, so deleting it leaves the others' fixture alone.
            let res = app.call_as(&fx.owner.cookie, "teams/create", &[("name", "Doomed"), ("description", "")]).await;
            let doomed = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
            if fx.require_mfa {
                crate::mfa::require_mfa(app, &doomed, true).await;
            }
            app.call_as(&fx.owner.cookie, "teams/switch", &[("team_id", &fx.team)]).await;
            let role = membership::Entity::find_by_id((fx.team.clone(), actor.id.clone())).one(&app.services.db).await.unwrap().map(|m| m.role);
            if let Some(role) = &role {
                if actor.id != fx.owner.id {
                    app.add_member(&doomed, &actor.id, role).await;
                }
                app.call_as(c, "teams/switch", &[("team_id", &doomed)]).await;
            }
            let status = st(app.call_as(c, "team/delete", &[("name", "Doomed")]).await).await;
            let survives = membership::Entity::find_by_id((doomed.clone(), fx.owner.id.clone())).one(&app.services.db).await.unwrap().is_some();
            out.push(("team/delete", status, !survives));
            app.call_as(c, "teams/switch", &[("team_id", &fx.team)]).await;
        }
        Action::EditTeam => {
            let (s, _) = text(app.call_as(c, "team/update", &[("name", "Matrix"), ("description", "probed")]).await).await;
            let details = app.call_as(&fx.owner.cookie, "team/details", &[]).await.text().await.unwrap();
            out.push(("team/update", s, details.contains("probed")));
            // Put it back for the next probe.
            app.call_as(&fx.owner.cookie, "team/update", &[("name", "Matrix"), ("description", "")]).await;
        }
    }
    out
}

/// Marks a key as waiting for approval, in the database (the fixture's server does not
/// require approval), asked for by someone other than every prober: nobody decides on what
/// they asked for themselves.
async fn make_pending(app: &TestApp, key: &str) {
    ask_as_someone_else(app, key, keyport_core::entity::api_key::Column::Approval, "pending").await;
}

/// Puts a scope change on a working key up for approval, asked for by someone else.
async fn make_change_pending(app: &TestApp, key: &str) {
    ask_as_someone_else(app, key, keyport_core::entity::api_key::Column::PendingScopes, "payments:read payments:write").await;
}

async fn ask_as_someone_else(app: &TestApp, key: &str, column: keyport_core::entity::api_key::Column, value: &str) {
    use keyport_core::entity::api_key;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    api_key::Entity::update_many()
        .col_expr(column, Expr::value(value))
        .col_expr(api_key::Column::CreatedBy, Expr::value("usr_requester"))
        .col_expr(api_key::Column::RequestedBy, Expr::value("usr_requester"))
        .filter(api_key::Column::Id.eq(key))
        .exec(&app.services.db)
        .await
        .unwrap();
}

/// The answer's status, or [`SECOND_FACTOR`] for the refusal of a team that requires a second
/// factor the caller lacks (a 403 whose body says so).
async fn st(r: reqwest::Response) -> StatusCode {
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    refused_for_second_factor(status, &body)
}

/// Stands for "403 because of the team's second-factor requirement" in the matrix.
fn second_factor() -> StatusCode {
    StatusCode::from_u16(499).unwrap()
}

fn refused_for_second_factor(status: StatusCode, body: &str) -> StatusCode {
    if status == StatusCode::FORBIDDEN && (body.trim() == "\"SecondFactorRequired\"" || body.contains("\"second_factor_required\"")) {
        second_factor()
    } else {
        status
    }
}

/// Every lifecycle call on one key, revocation last.
async fn lifecycle(app: &TestApp, cookie: &str, key: &str) -> Vec<(&'static str, StatusCode)> {
    let edit = [("id", key), ("name", "Edited"), ("description", ""), ("scopes", "payments:read"), ("ratelimit", "30"), ("quota", "")];
    vec![
        ("keys/update", st(app.call_as(cookie, "keys/update", &edit).await).await),
        ("keys/disable", st(app.call_as(cookie, "keys/disable", &[("id", key)]).await).await),
        ("keys/enable", st(app.call_as(cookie, "keys/enable", &[("id", key)]).await).await),
        ("keys/regenerate", st(app.call_as(cookie, "keys/regenerate", &[("id", key)]).await).await),
        ("keys/rotate", st(app.call_as(cookie, "keys/rotate", &[("id", key), ("grace", "1h")]).await).await),
        ("keys/revoke", st(app.call_as(cookie, "keys/revoke", &[("id", key)]).await).await),
    ]
}

fn outcome(status: StatusCode, leaked: bool, who: Who) -> Outcome {
    match (status, who) {
        (StatusCode::OK, Who::Outsider) if !leaked => Outcome::Hidden,
        // A non-member's delete hits their own personal team, which refuses; ours is untouched.
        (StatusCode::CONFLICT, Who::Outsider) if !leaked => Outcome::Hidden,
        (StatusCode::OK, _) => Outcome::Allowed,
        (StatusCode::FORBIDDEN, _) => Outcome::Forbidden,
        (StatusCode::NOT_FOUND, _) => Outcome::Hidden,
        (s, _) if s == second_factor() => Outcome::SecondFactor,
        (s, _) => Outcome::Other(s),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_and_a_non_member_get_exactly_what_the_permission_table_says() {
    let app = matrix_app().await;
    let (fx, actors) = fixture(&app, false).await;
    check_matrix(&app, &fx, &actors, |_| false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_team_requiring_two_factor_members_without_it_are_refused_every_action_and_with_it_get_the_table() {
    let app = matrix_app().await;
    let (fx, actors) = fixture(&app, true).await;
    // The owner turns it on (they must have it themselves), through the real switch.
    crate::mfa::enrol_user(&app, &fx.owner).await;
    assert_eq!(app.call_as(&fx.owner.cookie, "team/require-mfa", &[("required", "true")]).await.status(), StatusCode::OK);
    // Without a second factor, every member but the owner is refused every call of every
    // action, whatever their role; the owner and the non-member get what the table says.
    let owner_id = fx.owner.id.clone();
    check_matrix(&app, &fx, &actors, |(who, u)| matches!(who, Who::In(_)) && u.id != owner_id).await;
    // With one, exactly the table again. (A fresh non-member: the leak checks read the
    // non-member's own team, which the first pass filled.)
    let mut actors = actors;
    for (who, user) in actors.iter_mut() {
        match who {
            Who::In(_) if user.id != owner_id => { crate::mfa::enrol_user(&app, user).await; }
            Who::In(_) => {}
            Who::Outsider => *user = app.new_user().await,
        }
    }
    check_matrix(&app, &fx, &actors, |_| false).await;
}

async fn matrix_app() -> TestApp {
    // Probes create many keys; the per-team limit has its own test.
    spawn_app_with(|s| {
        s.max_keys_per_team = 1000;
        s.approval_by = "team".into();
    })
    .await
}

/// The team "Matrix", its owner, a member of each other role and a non-member.
async fn fixture(app: &TestApp, require_mfa: bool) -> (Fixture, Vec<(Who, User)>) {
    let owner = app.new_user().await;
    app.act_as(&owner);
    let team: Value = app.call("teams/create", &[("name", "Matrix"), ("description", "")]).await.json().await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    let owner = User { cookie: app.session_cookie().unwrap(), ..owner };
    let target = app.new_user().await;
    let fx = Fixture { team: team.clone(), owner: owner.clone(), target, require_mfa };
    fx.restore_target(app).await;

    let mut actors = Vec::new();
    for role in Role::ALL {
        let user = if role == Role::Owner { owner.clone() } else {
            let u = app.new_user().await;
            app.add_member(&team, &u.id, role.as_str()).await;
            app.act_as(&u);
            app.switch_to(&team).await;
            u
        };
        actors.push((Who::In(role), user));
    }
    let outsider = app.new_user().await;
    actors.push((Who::Outsider, outsider.clone()));
    app.act_as(&outsider);
    assert_eq!(app.call("teams/switch", &[("team_id", &team)]).await.status(), StatusCode::NOT_FOUND);
    (fx, actors)
}

/// Tries every action as every actor; `refused` tells who is expected to be refused for the
/// team's second-factor requirement rather than get what the table says.
async fn check_matrix(app: &TestApp, fx: &Fixture, actors: &[(Who, User)], refused: impl Fn(&(Who, User)) -> bool) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for action in Action::ALL {
        for actor in actors {
            let (who, user) = actor;
            let expected = match who {
                _ if refused(actor) => Outcome::SecondFactor,
                Who::In(role) if allowed(*role, action) => Outcome::Allowed,
                Who::In(_) => Outcome::Forbidden,
                Who::Outsider => Outcome::Hidden,
            };
            for (call, status, leaked) in probes(app, fx, action, user).await {
                checked += 1;
                let got = outcome(status, leaked, *who);
                if got != expected {
                    failures.push(format!("{action:?} via {call} as {who:?}: expected {expected:?}, got {got:?}"));
                }
            }
        }
    }
    if !failures.is_empty() {
        for line in crate::helpers::captured_logs().lines().filter(|l| l.contains("ERROR")) {
            eprintln!("{line}");
        }
    }
    assert!(failures.is_empty(), "{} of {checked} cells differ from the table:\n{}", failures.len(), failures.join("\n"));
    assert!(checked >= Action::ALL.len() * 5);
    eprintln!("permission matrix: {checked} cells ({} actions, 4 roles and a non-member)", Action::ALL.len());
}
