//! Usage analytics: a known stream of verifications and served requests comes back exact
//! (counts) and within the histogram's stated error (percentiles) at minute, hour and day
//! level, across a flush, a graceful restart, a day boundary and the rollups; the report's
//! boundary checks and the CSV export.

use crate::helpers::*;
use chrono::{Duration, DurationRound, Utc};
use http::StatusCode;
use keyport_core::clock::Clock;
use keyport_core::dto::VerifyCode;
use keyport_core::histogram::RELATIVE_ERROR;
use keyport_core::usage_report::UsageReport;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

impl TestApp {
    async fn report(&self, range: &str, granularity: &str, key: &str) -> UsageReport {
        self.report_env(range, granularity, key, "").await
    }

    async fn report_env(&self, range: &str, granularity: &str, key: &str, env: &str) -> UsageReport {
        let res = self.call("usage/report", &[("range", range), ("granularity", granularity), ("key", key), ("env", env)]).await;
        assert_eq!(res.status(), StatusCode::OK, "usage report {range}/{granularity}");
        res.json().await.unwrap()
    }

    async fn serve(&self, token: &str, events: Vec<Value>) {
        let res = self.client().post(format!("{}/v1/usage", self.base)).bearer_auth(token).json(&json!({ "events": events })).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
}

/// The exact `q` quantile of a sorted sample (nearest rank).
fn truth(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

fn close(got: Option<f64>, want: f64, what: &str) {
    let got = got.unwrap_or_else(|| panic!("{what}: no value"));
    assert!((got - want).abs() / want <= RELATIVE_ERROR + 1e-9, "{what}: {got} vs {want}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_stream_comes_back_exact_at_minute_hour_and_day_across_restart_and_midnight() {
    let mut app = spawn_app().await;
    app.signed_in().await;
    let key = app.create_key("Stream", "live", "never").await;
    let other = app.create_key("Other", "test", "never").await;
    let token = app.operator_token().await;
    // Two minutes before midnight (UTC), a few seconds into the minute.
    let now = app.clock.now();
    let midnight = now.duration_trunc(Duration::days(1)).unwrap() + Duration::days(1);
    app.clock.advance(midnight - Duration::minutes(2) + Duration::seconds(5) - now);
    let before = app.clock.now().duration_trunc(Duration::minutes(1)).unwrap();

    // Before midnight: 6 valid verifications naming GET /a, 1 refused for a missing scope,
    // and 50 served requests with latencies 10, 20, …, 500 ms (every fifth a 404, one 500).
    let secret = key.secret.expose().to_owned();
    for _ in 0..6 {
        let v = app.verify_raw(Some(&token), json!({ "key": secret, "endpoint": "GET /a" }).to_string()).await;
        assert_eq!(v.status(), StatusCode::OK);
    }
    let v: Value = app.verify_raw(Some(&token), json!({ "key": secret, "scopes": ["nope:write"] }).to_string()).await.json().await.unwrap();
    assert_eq!(v["code"], "INSUFFICIENT_SCOPES");
    app.verify(&token, other.secret.expose()).await;
    let served = |range: std::ops::RangeInclusive<i32>| -> Vec<Value> {
        range
            .map(|i| {
                let status = if i == 37 { 500 } else if i % 5 == 0 { 404 } else { 200 };
                json!({ "key_id": key.key.id, "endpoint": "GET /a", "status": status, "latency_ms": i * 10 })
            })
            .collect()
    };
    app.serve(&token, served(1..=50)).await;
    // A graceful restart flushes what is pending; nothing is lost or doubled.
    app.restart().await;

    // After midnight: 4 valid verifications naming GET /b and 50 more served requests (510…1000 ms).
    app.clock.advance(Duration::minutes(3));
    let after = app.clock.now().duration_trunc(Duration::minutes(1)).unwrap();
    assert_eq!(after, midnight + Duration::minutes(1));
    for _ in 0..4 {
        app.verify_raw(Some(&token), json!({ "key": secret, "endpoint": "GET /b" }).to_string()).await;
    }
    app.serve(&token, served(51..=100)).await;
    app.eventually("flushed", || async {
        let r = app.report("24h", "minute", &key.key.id).await;
        r.totals.verifications() == 11 && r.totals.requests == 100
    })
    .await;

    let all: Vec<f64> = (1..=100).map(|i| f64::from(i * 10)).collect();
    let check = |r: &UsageReport, level: &str| {
        let t = &r.totals;
        assert_eq!((t.code(VerifyCode::Valid), t.code(VerifyCode::InsufficientScopes), t.verifications()), (10, 1, 11), "{level}");
        assert_eq!((t.requests, t.s4xx, t.s5xx), (100, 20, 1), "{level}");
        for (q, got) in [(0.5, t.p50), (0.95, t.p95), (0.99, t.p99)] {
            close(got, truth(&all, q), &format!("{level} p{q}"));
        }
        let a = r.endpoints.iter().find(|e| e.endpoint == "GET /a").expect("GET /a");
        assert_eq!((a.verifications, a.requests, a.s4xx + a.s5xx), (6, 100, 21), "{level}");
        let b = r.endpoints.iter().find(|e| e.endpoint == "GET /b").expect("GET /b");
        assert_eq!((b.verifications, b.requests), (4, 0), "{level}");
        assert_eq!(r.points.iter().map(|p| p.verifications()).sum::<i64>(), 11, "{level}: points add up to the total");
    };

    // Minute level, before any rollup.
    let r = app.report("24h", "minute", &key.key.id).await;
    check(&r, "minute");
    assert_eq!(r.points.len(), 1440);
    let at = |r: &UsageReport, t: chrono::DateTime<Utc>| r.points.iter().find(|p| p.at == t).cloned().expect("point");
    let p = at(&r, before);
    assert_eq!((p.valid(), p.refused(), p.requests), (6, 1, 50));
    let first_half: Vec<f64> = all[..50].to_vec();
    close(p.p95, truth(&first_half, 0.95), "minute p95 before midnight");
    assert_eq!((at(&r, after).valid(), at(&r, after).requests), (4, 50));
    // The whole team sees the other key too; a key filter leaves it out.
    assert_eq!(app.report("24h", "hour", "").await.totals.verifications(), 12);
    // The team's per-minute rows agree with the keys' rows, per environment too; and the
    // upgrade that filled them from the keys' rows gives the same answer.
    let team = app.report("24h", "minute", "").await;
    assert_eq!((team.totals.verifications(), team.totals.requests), (12, 100));
    assert_eq!(at(&team, before).verifications(), 8, "6 valid, 1 refused and the other key's one");
    let live = app.report_env("24h", "minute", "", "live").await;
    assert_eq!(live.points, r.points, "live is the stream's key only");
    assert_eq!(app.report_env("24h", "minute", "", "test").await.totals.verifications(), 1);
    for t in ["usage_team_minutes", "usage_team_minute_codes", "usage_team_minute_latency"] {
        app.services.db.execute_unprepared(&format!("DELETE FROM {t}")).await.unwrap();
    }
    assert_eq!(app.report("24h", "minute", "").await.totals.verifications(), 0, "the team's minute chart reads the team rows");
    keyport_core::migration::m0014_team_minutes::backfill(&app.services.db).await.unwrap();
    assert_eq!(app.report("24h", "minute", "").await.points, team.points, "filled from the keys' rows");

    // Hours roll up once the hour is over; the same question gives the same answer.
    app.clock.advance(Duration::hours(2));
    app.services.roll_up(app.services.now()).await.unwrap();
    app.services.roll_up(app.services.now()).await.unwrap();
    let r = app.report("24h", "hour", &key.key.id).await;
    check(&r, "hour");
    assert_eq!(at(&r, midnight - Duration::hours(1)).valid(), 6);
    assert_eq!(at(&r, midnight).valid(), 4);

    // Days roll up; per day the two halves stay apart.
    app.clock.advance(Duration::days(1));
    app.services.roll_up(app.services.now()).await.unwrap();
    assert!(app.services.rollup_watermark("day").await.unwrap().unwrap() > midnight.timestamp());
    for range in ["7d", "30d"] {
        let r = app.report(range, "day", &key.key.id).await;
        check(&r, range);
        let (d0, d1) = (at(&r, midnight - Duration::days(1)), at(&r, midnight));
        assert_eq!((d0.valid(), d0.requests, d1.valid(), d1.requests), (6, 50, 4, 50), "{range}");
        close(d1.p50, truth(&all[50..], 0.5), "day p50 after midnight");
        check(&app.report(range, "hour", &key.key.id).await, &format!("{range} hourly"));
        // The team's rows (per team and environment) agree with the keys' rows.
        for granularity in ["hour", "day"] {
            let team = app.report(range, granularity, "").await;
            assert_eq!((team.totals.verifications(), team.totals.requests), (12, 100), "{range} {granularity}");
            let live = app.report_env(range, granularity, "", "live").await;
            let same_start = keyport_core::usage_report::UsagePoint { at: r.totals.at, ..live.totals.clone() };
            assert_eq!(same_start, r.totals, "{range} {granularity}: live is the stream's key only");
            assert_eq!(live.endpoints, r.endpoints);
            assert_eq!(app.report_env(range, granularity, "", "test").await.totals.verifications(), 1);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_flushed_after_its_hour_and_day_were_rolled_up_is_counted_once() {
    // The flusher ticks once at start, then not within this test: flushes happen when the test
    // says, as if the database had been unreachable for two days.
    let app = spawn_app_with(|s| s.usage_flush_ms = 60_000).await;
    app.signed_in().await;
    let key = app.create_key("Late", "live", "never").await;
    let token = app.operator_token().await;
    let start = app.clock.now();
    app.verify(&token, key.secret.expose()).await;
    app.services.flush_usage().await.unwrap();
    // Two more verifications and three served requests stay in memory…
    app.verify(&token, key.secret.expose()).await;
    app.verify(&token, key.secret.expose()).await;
    let served: Vec<Value> = (1..=3).map(|i| json!({ "key_id": key.key.id, "endpoint": "GET /late", "status": 200, "latency_ms": i * 10 })).collect();
    app.serve(&token, served).await;
    // …while the hours and the day they belong to are rolled up without them.
    app.clock.advance(Duration::days(2));
    app.services.roll_up(app.services.now()).await.unwrap();
    let day_done = app.services.rollup_watermark("day").await.unwrap().expect("days rolled");
    assert!(day_done > start.timestamp());
    let totals = |r: UsageReport| (r.totals.verifications(), r.totals.requests);
    assert_eq!(totals(app.report("30d", "day", &key.key.id).await), (1, 0));

    // The late flush winds the watermarks back: the answer is whole at once, and stays whole
    // (counted once) after the periods are rolled again.
    app.services.flush_usage().await.unwrap();
    app.services.flush_traffic().await.unwrap();
    assert!(app.services.rollup_watermark("hour").await.unwrap().unwrap() <= start.timestamp());
    for pass in ["before the next rollup", "after it"] {
        for (range, granularity) in [("30d", "day"), ("30d", "hour"), ("7d", "hour"), ("month", "day")] {
            if range == "month" && start.format("%m").to_string() != app.clock.now().format("%m").to_string() {
                continue;
            }
            assert_eq!(totals(app.report(range, granularity, &key.key.id).await), (3, 3), "{range}/{granularity} {pass}");
            assert_eq!(totals(app.report(range, granularity, "").await), (3, 3), "team {range}/{granularity} {pass}");
        }
        app.services.roll_up(app.services.now()).await.unwrap();
    }
    assert_eq!(app.services.rollup_watermark("day").await.unwrap(), Some(day_done));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_refuses_bad_questions_and_other_teams_keys() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mine = app.create_key("Mine", "live", "never").await;
    let bad = |range: &'static str, granularity: &'static str, key: String, env: &'static str| {
        let app = &app;
        async move { app.call("usage/report", &[("range", range), ("granularity", granularity), ("key", &key), ("env", env)]).await.status() }
    };
    assert_eq!(bad("1y", "hour", String::new(), "").await, StatusCode::BAD_REQUEST);
    assert_eq!(bad("7d", "minute", String::new(), "").await, StatusCode::BAD_REQUEST, "minutes only over 24 h");
    assert_eq!(bad("24h", "day", String::new(), "").await, StatusCode::BAD_REQUEST);
    assert_eq!(bad("24h", "hour", String::new(), "prod").await, StatusCode::BAD_REQUEST);
    assert_eq!(bad("24h", "hour", "key_'--".into(), "").await, StatusCode::BAD_REQUEST);
    assert_eq!(bad("30d", "day", mine.key.id.clone(), "test").await, StatusCode::OK);

    // Another team's key is not found; the empty report has every period.
    let stranger = app.new_user().await;
    let theirs = app.call_as(&stranger.cookie, "usage/report", &[("range", "24h"), ("granularity", "hour"), ("key", &mine.key.id), ("env", "")]).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let r = app.report("7d", "hour", "").await;
    assert!(r.is_empty());
    assert_eq!(r.points.len(), 168);

    // CSV: one line per period plus the header; signed out is 401.
    let csv = app.page("/portal/usage.csv?range=7d&granularity=day").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    assert_eq!(body.lines().count(), 8, "{body}");
    assert!(body.starts_with("period_start_utc,valid,"));
    let bad_env = app.page("/portal/usage.csv?env=prod").await;
    assert_eq!(bad_env.status(), StatusCode::BAD_REQUEST);
    app.set_session_cookie(None);
    assert_eq!(app.page("/portal/usage.csv").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_and_admins_are_warned_once_at_80_and_at_100_percent_of_the_quota() {
    use keyport_core::entity::outbox_email;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app_with(|s| s.monthly_quota = 10).await;
    let owner = app.signed_in().await;
    let user = app.usage().await;
    assert_eq!((user.alert_level(), user.month_quota), (None, 10));
    let key = app.create_key("Busy", "live", "never").await;
    let token = app.operator_token().await;
    let admin = app.new_user().await;
    let viewer = app.new_user().await;
    let session: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = session["team"]["id"].as_str().unwrap().to_owned();
    app.add_member(&team, &admin.id, "admin").await;
    app.add_member(&team, &viewer.id, "viewer").await;
    let warnings = |level: &'static str| {
        let (app, team) = (&app, team.clone());
        async move {
            outbox_email::Entity::find()
                .filter(outbox_email::Column::TeamId.eq(team))
                .filter(outbox_email::Column::Kind.eq("quota_alert"))
                .all(&app.services.db)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.subject.contains(level))
                .map(|e| e.to_address)
                .collect::<Vec<_>>()
        }
    };

    for _ in 0..7 {
        app.verify(&token, key.secret.expose()).await;
    }
    app.eventually("7 counted", || async { app.usage().await.month_requests == 7 }).await;
    assert_eq!(app.services.check_quota_alerts().await.unwrap(), 0, "70 % warns nobody");
    app.verify(&token, key.secret.expose()).await;
    app.eventually("8 counted", || async { app.usage().await.month_requests == 8 }).await;
    // The server's worker checks too (every few seconds); whoever comes first sends it.
    app.services.check_quota_alerts().await.unwrap();
    assert_eq!(app.services.check_quota_alerts().await.unwrap(), 0, "once per period");
    let mut to = warnings("80%").await;
    to.sort();
    let mut managers = vec![owner.clone(), admin.email.clone()];
    managers.sort();
    assert_eq!(to, managers, "owners and admins, not viewers");
    let s = app.usage().await;
    assert_eq!(s.alert_level(), Some(80));
    let page = app.page("/portal").await.text().await.unwrap();
    assert!(page.contains("80% of its monthly quota"), "the dashboard shows the banner");

    // The default plan stops at its included requests: the 10th is the last one admitted.
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(app.verify(&token, key.secret.expose()).await["code"].clone());
    }
    assert_eq!(codes, vec![Value::from("VALID"), Value::from("VALID"), Value::from("USAGE_EXCEEDED")]);
    app.eventually("10 counted", || async { app.usage().await.month_requests == 10 }).await;
    // A second node checking at the same time sends nothing more.
    let node = app.second_node().await;
    let (a, b) = tokio::join!(app.services.check_quota_alerts(), node.services.check_quota_alerts());
    assert!(a.unwrap() + b.unwrap() <= 1, "one of them at most (or the worker before them)");
    assert_eq!(warnings("has used its monthly quota").await.len(), 2);
    assert_eq!(warnings("80%").await.len(), 2, "the 80 % warning is not repeated");
    let s = app.usage().await;
    assert_eq!((s.alert_level(), s.forecast), (Some(100), None));
    let page = app.page("/portal").await.text().await.unwrap();
    assert!(page.contains("Your team has used its monthly quota"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fills_a_fresh_install_through_the_ingestion_path_once() {
    let app = spawn_app().await;
    let demo = app.services.load_demo(2, |_, _| {}).await.unwrap();
    assert!(demo.verifications > 1000 && demo.served > 1000, "{demo:?}");
    let res = app.login(&demo.email, &demo.password).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.list_keys().await.len(), 4);
    // Everything simulated is in the charts, rolled up or not, exactly once.
    let r = app.report("7d", "day", "").await;
    assert_eq!((r.totals.verifications() as u64, r.totals.requests as u64), (demo.verifications, demo.served));
    assert!(r.endpoints.len() >= 4 && r.totals.p95.is_some());
    assert!(app.services.rollup_watermark("hour").await.unwrap().is_some(), "the past was rolled into hours");
    let hourly = app.report("7d", "hour", "").await;
    assert_eq!(hourly.totals.verifications(), r.totals.verifications());
    // Loading it again is refused and changes nothing.
    assert!(app.services.load_demo(2, |_, _| {}).await.is_err());
    assert_eq!(app.report("7d", "day", "").await.totals.verifications(), r.totals.verifications());
    // `serve --demo` keeps traffic flowing: ten minutes' worth of one-second ticks.
    let mut live = app.services.demo_live().await.unwrap().expect("the demo is loaded");
    let added: u64 = (0..600).map(|_| live.tick(&app.services).0).sum();
    assert!(added > 0);
    let before = r.totals.verifications();
    app.eventually("live demo traffic flushed", || async { app.report("7d", "day", "").await.totals.verifications() == before + added as i64 }).await;
}
