//! The holes a security review of the landed build found, each as the attack that worked, now
//! refused; and the sweeps for the same class of hole.

use crate::helpers::{captured_logs, logged_link_tokens, spawn_app, spawn_app_with, TestApp, User, PASSWORD};
use crate::smtp::SmtpSink;
use keyport_core::dto::{CreatedKey, KeyStatus, KeyView};
use keyport_core::entity::outbox_email;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

async fn team_with(app: &TestApp, owner: &User, name: &str) -> String {
    app.act_as(owner);
    let res = app.call("teams/create", &[("name", name), ("description", "")]).await;
    assert_eq!(res.status(), StatusCode::OK, "create team");
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn create(app: &TestApp, form: &[(&str, &str)]) -> CreatedKey {
    let res = app.call("keys/create", form).await;
    assert_eq!(res.status(), StatusCode::OK, "create key");
    res.json().await.unwrap()
}

async fn verify_scopes(app: &TestApp, token: &str, key: &str, scopes: &[&str]) -> Value {
    let res = app.verify_raw(Some(token), json!({ "key": key, "scopes": scopes }).to_string()).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn edit<'a>(id: &'a str, scopes: &'a str) -> [(&'static str, &'a str); 6] {
    [("id", id), ("name", "Edited"), ("description", ""), ("scopes", scopes), ("ratelimit", "60"), ("quota", "")]
}

// 1. One-time links are readable by their recipient only.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reading_the_outbox_finds_no_link_to_take_an_owner_invitation() {
    let app = spawn_app().await;
    let founder = app.new_user().await;
    let team = team_with(&app, &founder, "Founders").await;
    let admin = app.new_user().await;
    app.add_member(&team, &admin.id, "admin").await;
    let cofounder = crate::helpers::email();
    app.act_as(&founder);
    let res = app.call("invitations/create", &[("email", &cofounder), ("role", "owner"), ("message", "")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The recipient gets the link (here: the server log, the delivery without SMTP).
    let token = logged_link_tokens(&cofounder, "/portal/invite/", 1).await.remove(0);

    // The admin reads the outbox: the email is there, its link is not.
    app.act_as(&admin);
    app.switch_to(&team).await;
    let outbox = app.call("outbox/list", &[]).await.text().await.unwrap();
    assert!(outbox.contains(&cofounder) && outbox.contains("one-time link"), "{outbox}");
    assert!(!outbox.contains(&token), "the outbox page shows the invitation link");
    let stored = format!("{:?}", outbox_email::Entity::find().all(&app.services.db).await.unwrap());
    assert!(!stored.contains(&token), "a stored email holds the link");

    // What the attack did with the link now has nothing to start from; the link itself still
    // works for its recipient.
    app.set_session_cookie(None);
    let res = app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::OK, "the recipient's link works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_smtp_no_one_time_link_reaches_the_log_the_outbox_or_the_database() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = crate::helpers::spawn_app_with_smtp(url).await;
    let owner = app.new_user().await;
    team_with(&app, &owner, "Mailed").await;
    let invitee = crate::helpers::email();
    assert_eq!(app.call("invitations/create", &[("email", &invitee), ("role", "admin"), ("message", "")]).await.status(), StatusCode::OK);
    assert_eq!(app.call("account/forgot", &[("email", &owner.email)]).await.status(), StatusCode::OK);
    // The owner's welcome, the invitation and the reset.
    let mails = sink.wait_for(3).await;
    let invite_token = mails.iter().find_map(|m| m.invitation_token()).expect("an invitation link");
    let reset = mails.iter().map(|m| m.text()).find(|t| t.contains("/portal/reset/")).expect("a reset link");
    let start = reset.find("/portal/reset/").unwrap() + "/portal/reset/".len();
    let reset_token: String = reset[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    assert!(invite_token.len() >= 43 && reset_token.len() >= 43);

    // Visiting the links (as the recipient does) logs no token either, at debug level.
    assert_eq!(app.page(&format!("/portal/invite/{invite_token}")).await.status(), StatusCode::OK);
    assert_eq!(app.page(&format!("/portal/reset/{reset_token}")).await.status(), StatusCode::OK);
    app.eventually("both deliveries are recorded", || async {
        outbox_email::Entity::find().all(&app.services.db).await.unwrap().iter().filter(|m| m.sent_at.is_some()).count() == 3
    })
    .await;
    let stored = format!("{:?}", outbox_email::Entity::find().all(&app.services.db).await.unwrap());
    let outbox = app.call("outbox/list", &[]).await.text().await.unwrap();
    let logs = captured_logs();
    for token in [&invite_token, &reset_token] {
        assert!(!logs.contains(token.as_str()), "a one-time link reached the log");
        assert!(!stored.contains(token.as_str()), "a one-time link is stored");
        assert!(!outbox.contains(token.as_str()), "a one-time link is on the outbox page");
    }
}

// 2. Every change to what a key may do goes through the approval policy.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widening_a_keys_scopes_waits_for_approval_and_the_key_keeps_what_it_had() {
    let app = spawn_app_with(|s| {
        s.approval_scopes = vec!["payments:write".into()];
        s.approval_by = "team".into();
    })
    .await;
    let owner = app.new_user().await;
    let team = team_with(&app, &owner, "Payments").await;
    let dev = app.new_user().await;
    let admin = app.new_user().await;
    app.add_member(&team, &dev.id, "member").await;
    app.add_member(&team, &admin.id, "admin").await;
    let token = app.operator_token().await;
    app.act_as(&dev);
    app.switch_to(&team).await;
    let key = create(&app, &[("name", "Reader"), ("environment", "test"), ("expiry", "never"), ("scopes", "payments:read")]).await;
    assert_eq!(key.key.status, KeyStatus::Active);

    // The attack: add payments:write by editing. The edit is accepted, the scope waits.
    let res = app.call("keys/update", &edit(&key.key.id, "payments:read payments:write")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let edited: KeyView = res.json().await.unwrap();
    assert_eq!(edited.scopes, ["payments:read"]);
    assert_eq!(edited.pending_scopes, ["payments:read", "payments:write"]);
    assert_eq!(edited.status, KeyStatus::Active, "the key keeps working with what it had");
    assert_eq!(verify_scopes(&app, &token, key.secret.expose(), &["payments:write"]).await["code"], "INSUFFICIENT_SCOPES");
    assert_eq!(verify_scopes(&app, &token, key.secret.expose(), &["payments:read"]).await["code"], "VALID");
    // Regenerating or rotating does not smuggle the scope in either.
    let regenerated: CreatedKey = app.call("keys/regenerate", &[("id", &key.key.id)]).await.json().await.unwrap();
    assert_eq!(verify_scopes(&app, &token, regenerated.secret.expose(), &["payments:write"]).await["code"], "INSUFFICIENT_SCOPES");
    let rotated: CreatedKey = app.call("keys/rotate", &[("id", &key.key.id), ("grace", "1h")]).await.json().await.unwrap();
    assert_eq!(rotated.key.pending_scopes, ["payments:read", "payments:write"], "the request moves to the new key");
    for k in [regenerated.secret.expose(), rotated.secret.expose()] {
        assert_eq!(verify_scopes(&app, &token, k, &["payments:write"]).await["code"], "INSUFFICIENT_SCOPES");
    }
    assert_eq!(app.call("keys/approve", &[("id", &rotated.key.id), ("reason", "")]).await.status(), StatusCode::FORBIDDEN, "members do not decide");

    // An admin sees the change in the queue and approves it: now the scope works.
    app.act_as(&admin);
    app.switch_to(&team).await;
    let queue: Vec<KeyView> = app.call("keys/pending", &[]).await.json().await.unwrap();
    assert_eq!(queue.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(), [rotated.key.id.as_str()]);
    assert_eq!(app.call("keys/approve", &[("id", &key.key.id), ("reason", "")]).await.status(), StatusCode::CONFLICT, "the rotated-away key has nothing waiting");
    assert_eq!(app.call("keys/approve", &[("id", &rotated.key.id), ("reason", "")]).await.status(), StatusCode::OK);
    assert_eq!(verify_scopes(&app, &token, rotated.secret.expose(), &["payments:write"]).await["code"], "VALID");
    assert_eq!(verify_scopes(&app, &token, regenerated.secret.expose(), &["payments:write"]).await["code"], "INSUFFICIENT_SCOPES", "the old key in grace keeps what it had");

    // Narrowing needs nobody; a denied widening leaves the key as it was.
    app.act_as(&dev);
    let narrowed: KeyView = app.call("keys/update", &edit(&rotated.key.id, "payments:read")).await.json().await.unwrap();
    assert_eq!((narrowed.scopes.as_slice(), narrowed.pending_scopes.len()), (&["payments:read".to_owned()][..], 0));
    app.call("keys/update", &edit(&rotated.key.id, "payments:write")).await;
    app.act_as(&admin);
    assert_eq!(app.call("keys/deny", &[("id", &rotated.key.id), ("reason", "Not for test keys")]).await.status(), StatusCode::OK);
    let denied: KeyView = app.call("keys/get", &[("id", &rotated.key.id)]).await.json().await.unwrap();
    assert_eq!((denied.status, denied.scopes.as_slice(), denied.pending_scopes.len()), (KeyStatus::Active, &[][..], 0), "{denied:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_approves_what_they_asked_for_and_by_default_only_the_operator_decides() {
    let app = spawn_app_with(|s| {
        s.approval_live = true;
        s.approval_by = "team".into();
    })
    .await;
    let owner = app.new_user().await;
    let team = team_with(&app, &owner, "Live").await;
    let admin = app.new_user().await;
    app.add_member(&team, &admin.id, "admin").await;
    app.act_as(&admin);
    app.switch_to(&team).await;
    let mine = create(&app, &[("name", "Admin's"), ("environment", "live"), ("expiry", "never")]).await;
    assert_eq!(mine.key.status, KeyStatus::PendingApproval);
    let res = app.call("keys/approve", &[("id", &mine.key.id), ("reason", "")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "the requester approved their own key");
    assert!(res.text().await.unwrap().contains("someone else decides"));
    app.act_as(&owner);
    assert_eq!(app.call("keys/approve", &[("id", &mine.key.id), ("reason", "")]).await.status(), StatusCode::OK, "another owner decides");

    // The default: approval is the provider's; the team's admins cannot decide at all.
    let app = spawn_app_with(|s| s.approval_live = true).await;
    let owner = app.new_user().await;
    let team = team_with(&app, &owner, "Live").await;
    let dev = app.new_user().await;
    app.add_member(&team, &dev.id, "member").await;
    app.act_as(&dev);
    app.switch_to(&team).await;
    let key = create(&app, &[("name", "Dev's"), ("environment", "live"), ("expiry", "never")]).await;
    app.act_as(&owner);
    let res = app.call("keys/approve", &[("id", &key.key.id), ("reason", "")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("approved by the provider"));
    let token = app.operator_token().await;
    assert_eq!(app.verify(&token, key.secret.expose()).await["code"], "PENDING_APPROVAL");
    assert_eq!(app.services.operator_pending_keys().await.unwrap().len(), 1);
    app.services.operator_decide_key(&key.key.id, true, "").await.unwrap();
    assert_eq!(app.verify(&token, key.secret.expose()).await["code"], "VALID");
}

// 3. User text reaching <head> or the page body: tests/pages.rs (page renders run in their own binary).

// 4. Rotation: one key against the limit, one rate-limit budget, one winner.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_keys_count_once_share_one_rate_limit_and_only_one_concurrent_rotation_wins() {
    let app = spawn_app_with(|s| s.max_keys_per_team = 3).await;
    let owner = app.new_user().await;
    app.act_as(&owner);
    let token = app.operator_token().await;
    let first = create(&app, &[("name", "Chained"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "10")]).await;
    let mut secrets = vec![first.secret.expose().to_owned()];
    let mut current = first.key.id.clone();
    for _ in 0..5 {
        let res = app.call("keys/rotate", &[("id", &current), ("grace", "7d")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let next: CreatedKey = res.json().await.unwrap();
        current = next.key.id.clone();
        secrets.push(next.secret.expose().to_owned());
    }
    let options: Value = app.call("keys/options", &[]).await.json().await.unwrap();
    assert_eq!(options["keys"], 1, "a rotation chain is one key against the limit");
    // Two more keys fit (3 allowed), a third does not, grace keys or not.
    create(&app, &[("name", "Two"), ("environment", "test"), ("expiry", "never")]).await;
    create(&app, &[("name", "Three"), ("environment", "test"), ("expiry", "never")]).await;
    assert_eq!(app.call("keys/create", &[("name", "Four"), ("environment", "test"), ("expiry", "never")]).await.status(), StatusCode::CONFLICT);

    // Six working secrets, one budget of 10 a minute between them.
    let mut valid = 0;
    for _ in 0..4 {
        for s in &secrets {
            if app.verify(&token, s).await["code"] == "VALID" {
                valid += 1;
            }
        }
    }
    assert_eq!(valid, 10, "the chain shares one rate limit");

    // Six rotations of one key at once: one wins.
    let target = current.clone();
    let cookie = owner.cookie.clone();
    let form = [("id", target.as_str()), ("grace", "1h")];
    let results = futures::future::join_all((0..6).map(|_| app.call_as(&cookie, "keys/rotate", &form))).await;
    let statuses: Vec<StatusCode> = results.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");
    let replacements = app.list_keys().await.into_iter().filter(|k| k.name == "Chained" && k.replaced_by.is_none() && k.revoked_at.is_none()).count();
    assert_eq!(replacements, 1, "one active replacement");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_never_pass_the_key_limit() {
    let app = spawn_app_with(|s| s.max_keys_per_team = 4).await;
    let owner = app.new_user().await;
    app.act_as(&owner);
    create(&app, &[("name", "One"), ("environment", "test"), ("expiry", "never")]).await;
    create(&app, &[("name", "Two"), ("environment", "test"), ("expiry", "never")]).await;
    let cookie = owner.cookie.clone();
    let form = [("name", "Racing"), ("environment", "test"), ("expiry", "never")];
    let results = futures::future::join_all((0..8).map(|_| app.call_as(&cookie, "keys/create", &form))).await;
    let ok = results.iter().filter(|r| r.status() == StatusCode::OK).count();
    assert_eq!(ok, 2, "{:?}", results.iter().map(|r| r.status()).collect::<Vec<_>>());
    assert_eq!(app.list_keys().await.len(), 4);
}

// 5. A lowered quota applies to a rotated key at once, on every node.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lowering_a_rotated_keys_quota_takes_effect_at_once_on_every_node() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    app.act_as(&owner);
    let token = app.operator_token().await;
    let key = create(&app, &[("name", "Metered"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "1000"), ("quota", "1000")]).await;
    let rotated: CreatedKey = app.call("keys/rotate", &[("id", &key.key.id), ("grace", "1h")]).await.json().await.unwrap();
    let other = app.second_node().await;
    for _ in 0..30 {
        assert_eq!(app.verify(&token, rotated.secret.expose()).await["code"], "VALID");
    }
    let res = other.services.verify_key(rotated.secret.expose()).await.unwrap();
    assert!(res.valid(), "the other node holds a lease too");

    let lowered = [("id", rotated.key.id.as_str()), ("name", "Metered"), ("description", ""), ("scopes", ""), ("ratelimit", "1000"), ("quota", "10")];
    assert_eq!(app.call("keys/update", &lowered).await.status(), StatusCode::OK);
    let answer = app.verify(&token, rotated.secret.expose()).await;
    assert_eq!(answer["code"], "USAGE_EXCEEDED", "{answer}");
    assert_eq!(app.verify(&token, key.secret.expose()).await["code"], "USAGE_EXCEEDED", "the old key in grace shares the quota");
    let mut code = String::new();
    for _ in 0..100 {
        code = other.services.verify_key(rotated.secret.expose()).await.unwrap().code.as_str().to_owned();
        if code == "USAGE_EXCEEDED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(code, "USAGE_EXCEEDED", "the other node applies the lower quota");
}

// 6. Invitations are not an email relay.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_to_one_address_are_throttled_across_teams_and_revocations() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    team_with(&app, &owner, "Relay").await;
    let target = "target@victim.example";
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let res = app.call("invitations/create", &[("email", target), ("role", "viewer"), ("message", "Hello")]).await;
        statuses.push(res.status());
        if res.status() == StatusCode::OK {
            let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
            assert_eq!(app.call("invitations/revoke", &[("id", &id)]).await.status(), StatusCode::OK);
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 5, "{statuses:?}");
    let res = app.call("invitations/create", &[("email", target), ("role", "viewer"), ("message", "")]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("invitations in the last hour"));
    // Another team, another account: the address is still protected.
    let other = app.new_user().await;
    team_with(&app, &other, "Relay 2").await;
    assert_eq!(app.call("invitations/create", &[("email", target), ("role", "viewer"), ("message", "")]).await.status(), StatusCode::TOO_MANY_REQUESTS);
    let sent = outbox_email::Entity::find().all(&app.services.db).await.unwrap().iter().filter(|m| m.to_address == target).count();
    assert_eq!(sent, 5);

    // The message carries no links and stays short.
    let long = "x".repeat(301);
    for bad in ["Claim your prize at https://evil.example", "see www.evil.example", long.as_str()] {
        let res = app.call("invitations/create", &[("email", "fresh@example.com"), ("role", "viewer"), ("message", bad)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

// 7. Sign-ups are throttled per address before any hashing.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_from_one_address_are_throttled() {
    let app = spawn_app_with(|s| s.signups_per_address_per_hour = keyport_server::Settings::default().signups_per_address_per_hour).await;
    let limit = keyport_server::Settings::default().signups_per_address_per_hour;
    let owner = app.new_user().await;
    team_with(&app, &owner, "Throttled").await;
    let invitee = crate::helpers::email();
    assert_eq!(app.call("invitations/create", &[("email", &invitee), ("role", "viewer"), ("message", "")]).await.status(), StatusCode::OK);
    let token = logged_link_tokens(&invitee, "/portal/invite/", 1).await.remove(0);
    for _ in 1..limit {
        app.set_session_cookie(None);
        assert_eq!(app.register(&crate::helpers::email(), PASSWORD).await.status(), StatusCode::OK);
    }
    app.set_session_cookie(None);
    let res = app.register(&crate::helpers::email(), PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("Too many accounts"));
    let res = app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the invitation sign-up counts too");
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(app.call("invitations/accept-signup", &[("token", &token), ("password", PASSWORD)]).await.status(), StatusCode::OK, "an hour later");
}

// 8. Ending sessions ends pending reset links.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_voids_every_pending_reset_link() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    app.set_session_cookie(None);
    assert_eq!(app.call("account/forgot", &[("email", &user.email)]).await.status(), StatusCode::OK);
    let token = logged_link_tokens(&user.email, "/portal/reset/", 1).await.remove(0);
    app.act_as(&user);
    let new = "an entirely new passphrase";
    let res = app.call("account/password", &[("current_password", PASSWORD), ("new_password", new), ("confirm_password", new)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.set_session_cookie(None);
    let res = app.call("account/reset", &[("token", &token), ("password", "the attackers passphrase"), ("confirm_password", "the attackers passphrase")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "the old link still set a password");
    assert_eq!(app.login(&user.email, new).await.status(), StatusCode::OK);

    // "Sign out all other devices" ends them too.
    app.clock.advance(chrono::Duration::minutes(2));
    app.set_session_cookie(None);
    assert_eq!(app.call("account/forgot", &[("email", &user.email)]).await.status(), StatusCode::OK);
    let token = logged_link_tokens(&user.email, "/portal/reset/", 2).await.pop().unwrap();
    assert_eq!(app.login(&user.email, new).await.status(), StatusCode::OK);
    assert_eq!(app.call("account/sessions/end-others", &[]).await.status(), StatusCode::OK);
    assert_eq!(app.call("account/reset/check", &[("token", &token)]).await.status(), StatusCode::CONFLICT);
}

// 9. A team's trail holds a member's account events only from when they joined.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_a_members_account_events_only_from_when_they_joined() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let team = team_with(&app, &owner, "Watchers").await;
    let newcomer = app.new_user().await;
    app.set_session_cookie(None);
    app.clock.advance(chrono::Duration::seconds(5));
    let before = app.client().post(format!("{}/api/login", app.base)).header("sec-fetch-site", "same-origin").header("user-agent", "OldLaptop/1.0")
        .form(&[("email", newcomer.email.as_str()), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(before.status(), StatusCode::OK);
    app.clock.advance(chrono::Duration::seconds(5));
    app.add_member(&team, &newcomer.id, "member").await;
    app.clock.advance(chrono::Duration::seconds(5));
    let after = app.client().post(format!("{}/api/login", app.base)).header("sec-fetch-site", "same-origin").header("user-agent", "NewLaptop/2.0")
        .form(&[("email", newcomer.email.as_str()), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::OK);

    app.act_as(&owner);
    app.switch_to(&team).await;
    let trail = app.call("audit/list", &[("action", ""), ("actor", ""), ("from", ""), ("to", "")]).await.text().await.unwrap();
    assert!(trail.contains("NewLaptop/2.0"), "the sign-in after joining is in the trail");
    assert!(!trail.contains("OldLaptop/1.0"), "the sign-in before joining is in the trail");
    let csv = app.page("/portal/audit.csv").await.text().await.unwrap();
    assert!(csv.contains("NewLaptop/2.0") && !csv.contains("OldLaptop/1.0"), "{csv}");
}

// 10. A `next` with control characters cannot break the sign-in answer.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_that_is_not_a_plain_path_is_ignored_and_sign_in_still_answers() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for accept in ["application/json", "text/html"] {
        let res = app
            .client()
            .post(format!("{}/api/login", app.base))
            .header("sec-fetch-site", "same-origin")
            .header("accept", accept)
            .form(&[("email", user.email.as_str()), ("password", PASSWORD), ("next", "/portal/x\r\nSet-Cookie: a=b")])
            .send()
            .await
            .expect("the server answers");
        assert!(res.status() == StatusCode::OK || res.status() == StatusCode::FOUND, "{}", res.status());
        assert_eq!(res.headers().get("location").unwrap(), "/portal");
        assert!(res.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("a=")));
    }
}

// 11. An oversized body is a 413 with the JSON error shape, on every route.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_with_413_and_the_json_error() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let token = app.operator_token().await;
    let big = "x".repeat(2_200_000);
    let cases = [
        app.client().post(format!("{}/api/keys/create", app.base)).header("sec-fetch-site", "same-origin")
            .header("cookie", format!("__Host-keyport_session={}", user.cookie)).form(&[("name", big.as_str())]),
        app.client().post(format!("{}/api/login", app.base)).header("sec-fetch-site", "same-origin").form(&[("email", big.as_str())]),
        app.client().post(format!("{}/v1/keys/verify", app.base)).bearer_auth(&token).header("content-type", "application/json").body(json!({ "key": big }).to_string()),
        app.client().post(format!("{}/v1/usage", app.base)).bearer_auth(&token).header("content-type", "application/json").body(json!({ "events": [big] }).to_string()),
        app.client().post(format!("{}/portal/login", app.base)).header("sec-fetch-site", "same-origin").body(big.clone()),
    ];
    for req in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = res.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "payload_too_large");
    }
    app.act_as(&user);
    assert_eq!(app.list_keys().await.len(), 0, "nothing was created");
}
