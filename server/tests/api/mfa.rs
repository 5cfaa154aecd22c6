//! Two-factor authentication over HTTP: setting it up from account settings, the code asked
//! for after a right password, codes that are wrong, reused, late or too many, recovery codes
//! that work once, turning it off, and teams that require it.

use crate::helpers::{spawn_app, TestApp, User, PASSWORD};
use keyport_core::entity::{audit_event, recovery_code, user_totp};
use keyport_core::services::mfa::{code_at, decode_secret};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

const SIGNIN_COOKIE: &str = "__Host-keyport_signin";
const SESSION_COOKIE: &str = "__Host-keyport_session";

/// The value and attributes of the cookie `name` set by `res`, if any.
fn set_cookie(res: &Response, name: &str) -> Option<(String, String)> {
    res.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| (v.to_owned(), attrs.to_owned()))
    })
}

/// Posts to a server function with the given cookies (`name=value` pairs).
async fn post(app: &TestApp, endpoint: &str, cookies: &[(&str, &str)], form: &[(&str, &str)]) -> Response {
    let cookie = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let mut req = app.client().post(format!("{}/api/{endpoint}", app.base)).header("sec-fetch-site", "same-origin").form(form);
    if !cookie.is_empty() {
        req = req.header(COOKIE, cookie);
    }
    req.send().await.unwrap()
}

/// The code the user's app shows now.
fn code_now(app: &TestApp, secret: &[u8]) -> String {
    code_at(secret, app.services.now().timestamp() as u64)
}

/// Moves to the next time step (30 s) and returns its code: every code is accepted once.
fn next_code(app: &TestApp, secret: &[u8]) -> String {
    app.clock.advance(chrono::Duration::seconds(30));
    code_now(app, secret)
}

/// Sets up TOTP for the session `cookie`: returns the secret and the recovery codes.
async fn enrol(app: &TestApp, cookie: &str) -> (Vec<u8>, Vec<String>) {
    let res = app.call_as(cookie, "account/mfa/setup", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let setup: Value = res.json().await.unwrap();
    let secret = decode_secret(setup["secret"].as_str().unwrap()).expect("base32 secret");
    let res = app.call_as(cookie, "account/mfa/confirm", &[("code", &code_now(app, &secret))]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let codes: Vec<String> = res.json().await.unwrap();
    (secret, codes)
}

/// Signs in with the password: returns the challenge cookie (no session is given).
async fn password_step(app: &TestApp, email: &str) -> String {
    let res = post(app, "login", &[], &[("email", email), ("password", PASSWORD)]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "login: {}", res.status());
    assert!(set_cookie(&res, SESSION_COOKIE).is_none(), "no session before the second factor");
    let (challenge, attrs) = set_cookie(&res, SIGNIN_COOKIE).expect("a sign-in challenge cookie");
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict", "Max-Age=300"] {
        assert!(attrs.contains(attr), "{attr} in {attrs}");
    }
    assert_eq!(challenge.len(), 43, "256 random bits");
    challenge
}

async fn verify(app: &TestApp, challenge: &str, code: &str) -> Response {
    post(app, "login/verify", &[(SIGNIN_COOKIE, challenge)], &[("code", code)]).await
}

async fn field_of(res: Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["Invalid"]["field"].as_str().unwrap_or_else(|| panic!("not a field error: {body}")).to_owned()
}

async fn audited(app: &TestApp, action: &str, user_id: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::ActorUserId.eq(user_id))
        .count(&app.services.db)
        .await
        .unwrap()
}

async fn account(app: &TestApp, cookie: &str) -> Value {
    app.call_as(cookie, "account", &[]).await.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_is_set_up_with_a_current_code_and_then_asked_for_after_the_password() {
    let app = spawn_app().await;
    let me = app.new_user().await;

    // The set-up shows the secret as text and as a QR code of the otpauth:// URI.
    let res = app.call_as(&me.cookie, "account/mfa/setup", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let setup: Value = res.json().await.unwrap();
    let b32 = setup["secret"].as_str().unwrap().to_owned();
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with(&format!("otpauth://totp/Keyport:{}?secret={b32}", me.email.replace('@', "%40"))), "{uri}");
    assert!(uri.ends_with("&issuer=Keyport"), "{uri}");
    assert!(setup["qr_svg"].as_str().unwrap().starts_with("<svg role=\"img\""));
    let secret = decode_secret(&b32).unwrap();
    assert_eq!(secret.len(), 20);

    // Kept on the server, sealed: the stored value is not the secret.
    let row = user_totp::Entity::find_by_id(me.id.clone()).one(&app.services.db).await.unwrap().unwrap();
    let pending = row.pending_sealed.clone().unwrap();
    assert!(!pending.contains(&b32) && row.secret_sealed.is_none() && row.enabled_at.is_none());
    // The page reads the same set-up back from the server.
    let again: Value = app.call_as(&me.cookie, "account/mfa/enrolment", &[]).await.json().await.unwrap();
    assert_eq!(again["secret"], b32.as_str());

    // Missing, malformed and wrong codes are field errors and change nothing.
    for bad in ["", "12345", "abcdef", if code_now(&app, &secret) == "000000" { "111111" } else { "000000" }] {
        let res = app.call_as(&me.cookie, "account/mfa/confirm", &[("code", bad)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(field_of(res).await, "code");
    }
    assert_eq!(account(&app, &me.cookie).await["totp_enabled"], false);

    let res = app.call_as(&me.cookie, "account/mfa/confirm", &[("code", &code_now(&app, &secret))]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let codes: Vec<String> = res.json().await.unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10);
    let row = user_totp::Entity::find_by_id(me.id.clone()).one(&app.services.db).await.unwrap().unwrap();
    assert!(row.enabled_at.is_some() && row.pending_sealed.is_none());
    assert!(!row.secret_sealed.unwrap().contains(&b32));
    let stored = recovery_code::Entity::find().filter(recovery_code::Column::UserId.eq(&me.id)).all(&app.services.db).await.unwrap();
    assert_eq!(stored.len(), 10);
    assert!(stored.iter().all(|r| !codes.iter().any(|c| r.code_hash.contains(c.as_str()))), "stored hashed");
    let a = account(&app, &me.cookie).await;
    assert_eq!((a["totp_enabled"].clone(), a["recovery_codes_left"].clone()), (Value::Bool(true), Value::from(10)));
    let info: Value = app.call_as(&me.cookie, "session", &[]).await.json().await.unwrap();
    assert_eq!(info["totp_enabled"], true);
    assert_eq!(audited(&app, "mfa.enabled", &me.id).await, 1);
    // A second set-up while it is on is refused.
    assert_eq!(app.call_as(&me.cookie, "account/mfa/setup", &[]).await.status(), StatusCode::CONFLICT);

    // The password alone gives no session now, only a challenge.
    let sign_ins = audited(&app, "sign_in", &me.id).await;
    let challenge = password_step(&app, &me.email).await;
    assert_eq!(audited(&app, "sign_in", &me.id).await, sign_ins, "no sign-in yet");
    // The challenge is no session.
    assert!(app.call_as(&challenge, "session", &[]).await.json::<Value>().await.unwrap().is_null());

    // A wrong code is a field error, audited.
    let wrong = if next_code(&app, &secret) == "123456" { "654321" } else { "123456" };
    let res = verify(&app, &challenge, wrong).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(set_cookie(&res, SESSION_COOKIE).is_none());
    assert_eq!(field_of(res).await, "code");
    assert_eq!(audited(&app, "mfa.failed", &me.id).await, 1);
    // An empty one too, without using an attempt.
    assert_eq!(field_of(verify(&app, &challenge, " ").await).await, "code");

    // The right code signs in, once.
    let res = verify(&app, &challenge, &code_now(&app, &secret)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (session, attrs) = set_cookie(&res, SESSION_COOKIE).expect("a session");
    assert!(attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax"));
    assert!(set_cookie(&res, SIGNIN_COOKIE).is_some_and(|(v, a)| v.is_empty() && a.contains("Max-Age=0")), "the challenge cookie is cleared");
    let info: Value = app.call_as(&session, "session", &[]).await.json().await.unwrap();
    assert_eq!(info["user"]["email"], me.email.as_str());
    assert_eq!(audited(&app, "sign_in", &me.id).await, sign_ins + 1);
    // The challenge is used up.
    app.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(verify(&app, &challenge, &code_now(&app, &secret)).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_step_is_accepted_once_even_by_two_sign_ins_at_the_same_moment() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let (secret, _) = enrol(&app, &me.cookie).await;

    // The code that confirmed the set-up does not sign in.
    let challenge = password_step(&app, &me.email).await;
    let res = verify(&app, &challenge, &code_now(&app, &secret)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("used already"));

    // Nor does one step back, once a later step was used.
    let code = next_code(&app, &secret);
    assert_eq!(verify(&app, &challenge, &code).await.status(), StatusCode::OK);
    let late = password_step(&app, &me.email).await;
    let previous = code_at(&secret, app.services.now().timestamp() as u64 - 30);
    assert_eq!(verify(&app, &late, &previous).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(verify(&app, &late, &code).await.status(), StatusCode::BAD_REQUEST, "the same code again");

    // Two browsers racing with the same fresh code: exactly one gets in.
    let code = next_code(&app, &secret);
    let challenges = [password_step(&app, &me.email).await, password_step(&app, &me.email).await, password_step(&app, &me.email).await];
    let results = futures::future::join_all(challenges.iter().map(|c| verify(&app, c, &code))).await;
    let ok = results.iter().filter(|r| r.status() == StatusCode::OK).count();
    assert_eq!(ok, 1, "{:?}", results.iter().map(|r| r.status()).collect::<Vec<_>>());

    // One step of skew either way is accepted (a slow phone clock).
    let behind = password_step(&app, &me.email).await;
    app.clock.advance(chrono::Duration::seconds(60));
    let one_step_ago = code_at(&secret, app.services.now().timestamp() as u64 - 30);
    assert_eq!(verify(&app, &behind, &one_step_ago).await.status(), StatusCode::OK);
    let ahead = password_step(&app, &me.email).await;
    let two_ahead = code_at(&secret, app.services.now().timestamp() as u64 + 60);
    assert_eq!(verify(&app, &ahead, &two_ahead).await.status(), StatusCode::BAD_REQUEST, "two steps ahead is too far");
    let one_ahead = code_at(&secret, app.services.now().timestamp() as u64 + 30);
    assert_eq!(verify(&app, &ahead, &one_ahead).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_code_signs_in_once_and_then_never_again() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let (_, codes) = enrol(&app, &me.cookie).await;

    let challenge = password_step(&app, &me.email).await;
    // Typed in capitals and without dashes, it still works.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let res = verify(&app, &challenge, &typed).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(set_cookie(&res, SESSION_COOKIE).is_some());
    assert_eq!(audited(&app, "mfa.recovery_code_used", &me.id).await, 1);
    assert_eq!(account(&app, &me.cookie).await["recovery_codes_left"], 9);

    let again = password_step(&app, &me.email).await;
    let res = verify(&app, &again, &codes[3]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(field_of(res).await, "code");
    // A made-up one fails too; another real one works.
    assert_eq!(verify(&app, &again, "aaaa-bbbb-cccc-dddd").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(verify(&app, &again, &codes[4]).await.status(), StatusCode::OK);
    // Another person's code is no use to this account.
    let other = app.new_user().await;
    let (_, theirs) = enrol(&app, &other.cookie).await;
    let mine = password_step(&app, &me.email).await;
    assert_eq!(verify(&app, &mine, &theirs[0]).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_challenge_expires_after_five_minutes() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let (secret, _) = enrol(&app, &me.cookie).await;
    let challenge = password_step(&app, &me.email).await;
    app.clock.advance(chrono::Duration::seconds(301));
    let res = verify(&app, &challenge, &code_now(&app, &secret)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&res, SESSION_COOKIE).is_none());
    assert!(set_cookie(&res, SIGNIN_COOKIE).is_some_and(|(v, _)| v.is_empty()), "the dead challenge's cookie is cleared");
    // A made-up challenge, or none, is the same.
    assert_eq!(verify(&app, "made-up", &code_now(&app, &secret)).await.status(), StatusCode::UNAUTHORIZED);
    let res = post(&app, "login/verify", &[], &[("code", &code_now(&app, &secret))]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Within five minutes it works.
    let challenge = password_step(&app, &me.email).await;
    app.clock.advance(chrono::Duration::seconds(290));
    assert_eq!(verify(&app, &challenge, &code_now(&app, &secret)).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_are_cut_off_per_challenge_and_per_account() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let (secret, _) = enrol(&app, &me.cookie).await;
    let right = next_code(&app, &secret);
    let wrong = if right == "999999" { "111111" } else { "999999" };

    // Five codes per challenge; the sixth is refused even when right.
    let challenge = password_step(&app, &me.email).await;
    for _ in 0..5 {
        assert_eq!(verify(&app, &challenge, wrong).await.status(), StatusCode::BAD_REQUEST);
    }
    let res = verify(&app, &challenge, &right).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(&res, SESSION_COOKIE).is_none());
    assert_eq!(audited(&app, "mfa.failed", &me.id).await, 5);

    // Ten attempts a minute per account (the set-up's code was one), however many
    // challenges: a new one does not help.
    let fresh = password_step(&app, &me.email).await;
    for _ in 0..3 {
        assert_eq!(verify(&app, &fresh, wrong).await.status(), StatusCode::BAD_REQUEST);
    }
    let fresh = password_step(&app, &me.email).await;
    assert_eq!(verify(&app, &fresh, &right).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // A minute later the right code works.
    app.clock.advance(chrono::Duration::seconds(60));
    let fresh = password_step(&app, &me.email).await;
    assert_eq!(verify(&app, &fresh, &code_now(&app, &secret)).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_two_factor_off_needs_a_code_and_setting_it_up_again_replaces_the_recovery_codes() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let (secret, old_codes) = enrol(&app, &me.cookie).await;

    for bad in ["", "12", "000000x"] {
        let res = app.call_as(&me.cookie, "account/mfa/disable", &[("code", bad)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(field_of(res).await, "code");
    }
    let right = next_code(&app, &secret);
    let wrong = if right == "222222" { "333333" } else { "222222" };
    assert_eq!(app.call_as(&me.cookie, "account/mfa/disable", &[("code", wrong)]).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(account(&app, &me.cookie).await["totp_enabled"], true, "still on");
    // Without a session, nothing.
    assert_eq!(post(&app, "account/mfa/disable", &[], &[("code", &right)]).await.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(app.call_as(&me.cookie, "account/mfa/disable", &[("code", &right)]).await.status(), StatusCode::OK);
    assert_eq!(account(&app, &me.cookie).await["totp_enabled"], false);
    assert_eq!(audited(&app, "mfa.disabled", &me.id).await, 1);
    assert_eq!(recovery_code::Entity::find().filter(recovery_code::Column::UserId.eq(&me.id)).count(&app.services.db).await.unwrap(), 0);
    // The password signs in directly again.
    let res = post(&app, "login", &[], &[("email", &me.email), ("password", PASSWORD)]).await;
    assert!(set_cookie(&res, SESSION_COOKIE).is_some() && set_cookie(&res, SIGNIN_COOKIE).is_none_or(|(v, _)| v.is_empty()));

    // Set up again: a new secret, new recovery codes; the old ones are dead.
    let (secret2, new_codes) = enrol(&app, &me.cookie).await;
    assert_ne!(secret, secret2);
    assert!(old_codes.iter().all(|c| !new_codes.contains(c)));
    let challenge = password_step(&app, &me.email).await;
    assert_eq!(verify(&app, &challenge, &old_codes[0]).await.status(), StatusCode::BAD_REQUEST);
    // A recovery code also turns it off.
    assert_eq!(app.call_as(&me.cookie, "account/mfa/disable", &[("code", &new_codes[0])]).await.status(), StatusCode::OK);
    assert_eq!(account(&app, &me.cookie).await["totp_enabled"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_link_still_asks_for_the_second_factor() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let (secret, _) = enrol(&app, &me.cookie).await;
    assert_eq!(post(&app, "account/forgot", &[], &[("email", &me.email)]).await.status(), StatusCode::OK);
    let token = crate::helpers::logged_link_tokens(&me.email, "/portal/reset/", 1).await.pop().unwrap();
    let new_password = "an entirely new passphrase";
    let res = post(&app, "account/reset", &[], &[("token", &token), ("password", new_password), ("confirm_password", new_password)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(set_cookie(&res, SESSION_COOKIE).is_none(), "the link alone opens no session");
    let (challenge, _) = set_cookie(&res, SIGNIN_COOKIE).expect("a challenge");
    assert_eq!(verify(&app, &challenge, &next_code(&app, &secret)).await.status(), StatusCode::OK);
}

/// Makes `team` require a second factor, directly (the owner's switch has its own test).
pub async fn require_mfa(app: &TestApp, team: &str, required: bool) {
    use keyport_core::entity::team;
    use sea_orm::sea_query::Expr;
    team::Entity::update_many()
        .col_expr(team::Column::RequireMfa, Expr::value(required))
        .filter(team::Column::Id.eq(team))
        .exec(&app.services.db)
        .await
        .unwrap();
}

/// Sets up TOTP for `user` through the settings' server functions; returns the secret.
pub async fn enrol_user(app: &TestApp, user: &User) -> Vec<u8> {
    enrol(app, &user.cookie).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_with_two_factor_can_require_it_and_members_without_it_see_nothing_of_the_team() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let team: Value = app.call_as(&owner.cookie, "teams/create", &[("name", "Secure"), ("description", "")]).await.json().await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    let member = app.new_user().await;
    app.add_member(&team, &member.id, "admin").await;
    app.call_as(&member.cookie, "teams/switch", &[("team_id", &team)]).await;

    // Only an owner, and only one with a second factor of their own.
    let res = app.call_as(&owner.cookie, "team/require-mfa", &[("required", "true")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(field_of(res).await, "require_mfa");
    assert_eq!(app.call_as(&owner.cookie, "team/require-mfa", &[("required", "maybe")]).await.status(), StatusCode::BAD_REQUEST);
    enrol(&app, &owner.cookie).await;
    assert_eq!(app.call_as(&member.cookie, "team/require-mfa", &[("required", "true")]).await.status(), StatusCode::FORBIDDEN, "admins may not");
    assert_eq!(app.call_as(&owner.cookie, "team/require-mfa", &[("required", "true")]).await.status(), StatusCode::OK);
    let details: Value = app.call_as(&owner.cookie, "team/details", &[]).await.json().await.unwrap();
    assert_eq!(details["require_mfa"], true);
    let rows = audit_event::Entity::find().filter(audit_event::Column::Action.eq("team.mfa_requirement")).all(&app.services.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].team_id.as_deref(), Some(team.as_str()));

    // The member without one is refused everywhere in the team, with a typed error…
    for (endpoint, form) in [("keys/list", vec![]), ("team/overview", vec![]), ("team/details", vec![]), ("usage/summary", vec![]), ("invitations/list", vec![])] {
        let res = app.call_as(&member.cookie, endpoint, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{endpoint}");
        assert_eq!(res.json::<Value>().await.unwrap(), Value::from("SecondFactorRequired"), "{endpoint}");
    }
    let res = app.client().get(format!("{}/portal/audit.csv", app.base)).header(COOKIE, format!("{SESSION_COOKIE}={}", member.cookie)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("second_factor_required"));
    // …and the pages say so, with the way to set it up.
    app.act_as(&member);
    let page = app.page("/portal/keys").await.text().await.unwrap();
    assert!(page.contains("This team requires two-factor authentication"), "the page says why");
    assert!(page.contains("href=\"/portal/settings#mfa-title\""));
    // Their account, the session, and switching to another team keep working.
    let info: Value = app.call_as(&member.cookie, "session", &[]).await.json().await.unwrap();
    assert_eq!(info["second_factor_required"], true);
    assert_eq!(app.call_as(&member.cookie, "account", &[]).await.status(), StatusCode::OK);
    assert_eq!(app.call_as(&member.cookie, "teams/switch", &[("team_id", &member.team_id)]).await.status(), StatusCode::OK);
    assert_eq!(app.call_as(&member.cookie, "keys/list", &[]).await.status(), StatusCode::OK, "their own team");
    app.call_as(&member.cookie, "teams/switch", &[("team_id", &team)]).await;

    // Once they set it up, the team is theirs again.
    enrol(&app, &member.cookie).await;
    assert_eq!(app.call_as(&member.cookie, "keys/list", &[]).await.status(), StatusCode::OK);
    let info: Value = app.call_as(&member.cookie, "session", &[]).await.json().await.unwrap();
    assert_eq!(info["second_factor_required"], false);
    // The owner turns the requirement off again.
    assert_eq!(app.call_as(&owner.cookie, "team/require-mfa", &[("required", "false")]).await.status(), StatusCode::OK);
    assert_eq!(audited(&app, "team.mfa_requirement", &owner.id).await, 2);
}
