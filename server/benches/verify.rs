//! `make bench`: starts the release `keyport` binary as its own process (pinned to core 0
//! where the machine has two or more) and drives it with `wrk`, an external load generator in
//! its own process (pinned to another core): `POST /v1/keys/verify` against the bare route
//! `POST /v1/bench/echo` of the same binary, which reads a verify-shaped JSON body and answers
//! one of the same size, so the ratio is what Keyport adds. Then DB queries per warm verify
//! (from `/v1/metrics`), `POST /v1/usage` batches, and, in this process, the rate limiter's
//! cost per check at 1M keys, and the docs page of the largest shared OpenAPI document (one
//! connection, page after page). Figures, not assertions: compare runs on a quiet machine.

use keyport_core::services::ratelimit::FixedWindowLimiter;
use std::time::{Duration, Instant};

const SECONDS: u64 = 5;
const CONNECTIONS: usize = 32;

/// Cores to pin the server and `wrk` to: different ones when there are two or more.
fn cores() -> Option<(usize, usize)> {
    let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    (n >= 2 && std::process::Command::new("taskset").arg("-V").output().is_ok()).then_some((0, 1))
}

/// Runs `wrk` against `url` for `SECONDS` and returns requests per second (non-2xx answers
/// make the run fail). `body`, when given, is POSTed as JSON with the operator token.
fn load(url: &str, token: &str, body: Option<&str>, dir: &std::path::Path) -> f64 {
    let script = dir.join(format!("wrk-{}.lua", std::process::id()));
    let lua_string = |s: &str| format!("[==[{s}]==]");
    let mut lua = format!("wrk.headers[\"Authorization\"] = {}\n", lua_string(&format!("Bearer {token}")));
    if let Some(b) = body {
        lua.push_str(&format!("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = {}\n", lua_string(b)));
    }
    // Count answers that are not 2xx, so a broken route cannot pass for a fast one.
    lua.push_str("bad = 0\nresponse = function(status, headers, body) if status >= 300 then bad = bad + 1 end end\n");
    lua.push_str("done = function(summary, latency, requests) io.write(string.format(\"NON2XX %d\\n\", bad)) end\n");
    std::fs::write(&script, lua).unwrap();
    let out = wrk()
        .args(["-t1", &format!("-c{CONNECTIONS}"), &format!("-d{SECONDS}s"), "-s"])
        .arg(&script)
        .arg(url)
        .output()
        .expect("wrk runs (the setup script installs it from Debian)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    let bad: u64 = text.lines().find_map(|l| l.strip_prefix("NON2XX ")).and_then(|n| n.trim().parse().ok()).unwrap_or(u64::MAX);
    assert_eq!(bad, 0, "{url} answered errors under load:\n{text}");
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate in wrk's output:\n{text}"))
}

/// `wrk`, pinned to the load generator's core when there are two.
fn wrk() -> std::process::Command {
    match cores() {
        Some((_, gen)) => {
            let mut c = std::process::Command::new("taskset");
            c.args(["-c", &gen.to_string(), "wrk"]);
            c
        }
        None => std::process::Command::new("wrk"),
    }
}

/// A portal page asked for by one connection, one request after another, for `SECONDS`
/// with the session `cookie`: (pages per second, mean latency in milliseconds).
fn page_load(url: &str, cookie: &str, dir: &std::path::Path) -> (f64, f64) {
    let script = dir.join(format!("wrk-page-{}.lua", std::process::id()));
    let lua = format!(
        "wrk.headers[\"Cookie\"] = [==[__Host-keyport_session={cookie}]==]\nwrk.headers[\"Accept\"] = \"text/html\"\n\
         bad = 0\nresponse = function(status, headers, body) if status ~= 200 then bad = bad + 1 end end\n\
         done = function(summary, latency, requests) io.write(string.format(\"NON200 %d\\nMEANUS %f\\n\", bad, latency.mean)) end\n"
    );
    std::fs::write(&script, lua).unwrap();
    let out = wrk().args(["-t1", "-c1", &format!("-d{SECONDS}s"), "-s"]).arg(&script).arg(url).output().expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "wrk failed: {text}");
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<f64>().ok());
    assert_eq!(field("NON200 "), Some(0.0), "{url} answered other than 200:\n{text}");
    (field("Requests/sec:").expect("a rate"), field("MEANUS ").expect("a latency") / 1000.0)
}

/// CPU time (user + system) the server process has used so far, in seconds, from
/// `/proc/<pid>/stat`: steadier than a rate on a machine with noisy neighbours.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// A `load` run with the server's CPU time per request, in microseconds.
fn measured(url: &str, token: &str, body: Option<&str>, dir: &std::path::Path, pid: u32) -> (f64, f64) {
    let cpu = cpu_seconds(pid);
    let rate = load(url, token, body, dir);
    let used = cpu_seconds(pid) - cpu;
    (rate, used * 1e6 / (rate * SECONDS as f64))
}

fn limiter_ns_per_check() -> f64 {
    let l = FixedWindowLimiter::default();
    // The verify path keeps each key's slot in its cache entry, so the check starts from it.
    let ids: Vec<u64> = (0..1_000_000).map(|i| l.slot(&format!("key_{i:08}"))).collect();
    for id in &ids {
        l.check_slot(*id, 1_000_000, 60, 0);
    }
    let n = 5_000_000u64;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let start = Instant::now();
    let mut admitted = 0u64;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = ids[(x % ids.len() as u64) as usize];
        admitted += u64::from(l.check_slot(id, 1_000_000, 60, 1).allowed);
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    assert_eq!(admitted, n);
    ns
}

/// The release `keyport` binary Cargo built for this bench.
const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");

/// A `keyport serve` child process on a free port with its own data directory.
struct Server {
    child: std::process::Child,
    base: String,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn keyport(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(KEYPORT);
    c.args(args).env("KEYPORT_DATA_DIR", dir).env("KEYPORT_LOG", "warn").env("KEYPORT_SITE_ROOT", dir);
    c
}

async fn start_server() -> Server {
    let dir = std::env::temp_dir().join(format!("keyport-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut cmd = match cores() {
        Some((server, _)) => {
            let mut c = std::process::Command::new("taskset");
            c.args(["-c", &server.to_string(), KEYPORT]);
            c
        }
        None => std::process::Command::new(KEYPORT),
    };
    cmd.args(["serve"]).env("KEYPORT_DATA_DIR", &dir).env("KEYPORT_LOG", "warn").env("KEYPORT_SITE_ROOT", &dir);
    let child = cmd
        .env("KEYPORT_LISTEN", format!("127.0.0.1:{port}"))
        .env("KEYPORT_BENCH_ROUTES", "true")
        .spawn()
        .expect("start keyport serve");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Server { child, base, dir };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("keyport serve did not come up");
}

/// Calls a portal server function as the browser would.
async fn call(client: &reqwest::Client, base: &str, cookie: &str, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client
        .post(format!("{base}/api/{endpoint}"))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("__Host-keyport_session={cookie}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn db_queries(client: &reqwest::Client, base: &str, token: &str) -> u64 {
    let text = client.get(format!("{base}/v1/metrics")).bearer_auth(token).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("keyport_verify_db_queries_total ")).expect("metric");
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let server = start_server().await;
        let base = server.base.clone();
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
        // An account and a key through the portal's own API, an operator token by the CLI.
        let res = client
            .post(format!("{base}/api/register"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", "bench@example.com"), ("password", "correct horse battery staple")])
            .send()
            .await
            .unwrap();
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .find_map(|v| v.to_str().ok()?.strip_prefix("__Host-keyport_session=").map(|r| r.split(';').next().unwrap().to_owned()))
            .expect("session cookie");
        let created: serde_json::Value =
            call(&client, &base, &cookie, "keys/create", &[("name", "bench"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "1000")])
                .await
                .json()
                .await
                .unwrap();
        let key = created["secret"].as_str().expect("key").to_owned();
        let key_id = created["key"]["id"].as_str().unwrap().to_owned();
        let out = keyport(&server.dir, &["tokens", "create", "--name", "bench"]).output().expect("keyport tokens create");
        let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        // The team on a hard-stop plan far larger than the bench sends: every verify also
        // spends the team's plan quota (the default, and the costlier path) and stays VALID.
        let session: serde_json::Value = call(&client, &base, &cookie, "session", &[]).await.json().await.unwrap();
        let team_id = session["team"]["id"].as_str().expect("team").to_owned();
        for args in [vec!["plans", "create", "bench", "--name", "Bench", "--included", "1000000000000"], vec!["plans", "assign", "--team", &team_id, "bench"]] {
            let o = keyport(&server.dir, &args).output().expect("keyport plans");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        // Keys are capped at 1000 requests per minute; the bench key gets far more, set in the
        // database before its first verify, so every measured request takes the VALID path.
        {
            use keyport_core::entity::api_key;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let url = format!("sqlite://{}?mode=rwc", server.dir.join("keyport.db").display());
            let db = keyport_core::services::connect(&url).await.unwrap();
            api_key::Entity::update_many()
                .col_expr(api_key::Column::RatelimitPerMinute, sea_orm::sea_query::Expr::value(1_000_000_000i64))
                .filter(api_key::Column::Id.eq(&key_id))
                .exec(&db)
                .await
                .unwrap();
        }
        let body = serde_json::json!({ "key": key }).to_string();
        let verify_url = format!("{base}/v1/keys/verify");
        let echo_url = format!("{base}/v1/bench/echo");
        // The two answers are the same size, so the comparison is fair.
        let size = |u: String| {
            let (client, token, body) = (client.clone(), token.clone(), body.clone());
            async move { client.post(u).bearer_auth(token).body(body).send().await.unwrap().bytes().await.unwrap().len() }
        };
        let (verify_size, echo_size) = (size(verify_url.clone()).await, size(echo_url.clone()).await);
        // Warm up: the key enters the cache, connections open.
        load(&verify_url, &token, Some(&body), &server.dir);
        let before = db_queries(&client, &base, &token).await;
        let mut rounds = Vec::new();
        let pid = server.child.id();
        for _ in 0..3 {
            let bare = measured(&echo_url, &token, Some(&body), &server.dir, pid);
            let verify = measured(&verify_url, &token, Some(&body), &server.dir, pid);
            rounds.push((bare, verify));
        }
        let queries = db_queries(&client, &base, &token).await - before;
        let verifies: f64 = rounds.iter().map(|(_, (v, _))| v * SECONDS as f64).sum();
        println!("keyport bench: the release server as its own process, wrk as the load generator in another");
        match cores() {
            Some((s, g)) => println!("(server pinned to core {s}, wrk to core {g}; {CONNECTIONS} keep-alive connections, {SECONDS} s per run)"),
            None => println!("(one core: server and wrk share it; {CONNECTIONS} keep-alive connections, {SECONDS} s per run)"),
        }
        println!("  answer sizes: verify {verify_size} bytes, bare route {echo_size} bytes; request {} bytes", body.len());
        for (i, ((bare, bare_cpu), (verify, verify_cpu))) in rounds.iter().enumerate() {
            println!(
                "  run {}: bare {bare:>7.0} req/s ({bare_cpu:.1} us CPU each)   verify {verify:>7.0} req/s ({verify_cpu:.1} us CPU each)   {:.2} x by rate, {:.2} x by CPU",
                i + 1,
                verify / bare,
                bare_cpu / verify_cpu
            );
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        };
        println!(
            "  median of the runs: {:.2} x by rate, {:.2} x by CPU (a shared 2-core VM moves single runs by +-25 %)",
            median(rounds.iter().map(|((b, _), (v, _))| v / b).collect()),
            median(rounds.iter().map(|((_, bc), (_, vc))| bc / vc).collect())
        );
        println!("  DB queries per verify      {:>10.6}  ({queries} in {verifies:.0} verifies)", queries as f64 / verifies.max(1.0));
        println!("  rate limiter at 1M keys    {:>10.0} ns/check (in this process)", limiter_ns_per_check());

        // Served-request reports: batches of 1000 events (20 endpoints, varied status and
        // latency) on the same connections; then how long until the worker's flushes have
        // stored every acknowledged event.
        let events: Vec<serde_json::Value> = (0..1000)
            .map(|i| serde_json::json!({
                "key_id": key_id, "endpoint": format!("GET /resource/{}", i % 20),
                "status": if i % 40 == 0 { 500 } else if i % 9 == 0 { 404 } else { 200 }, "latency_ms": 3 + (i * 7) % 250,
            }))
            .collect();
        let batch = serde_json::json!({ "events": events }).to_string();
        let reports = load(&format!("{base}/v1/usage"), &token, Some(&batch), &server.dir);
        let acknowledged = (reports * SECONDS as f64).round() as i64 * 1000;
        let ended = Instant::now();
        let url = format!("sqlite://{}?mode=rwc", server.dir.join("keyport.db").display());
        let db = keyport_core::services::connect(&url).await.unwrap();
        let stored = loop {
            use sea_orm::ConnectionTrait;
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS s FROM usage_minute_http"))
                .await
                .unwrap()
                .unwrap();
            let stored: i64 = row.try_get("", "s").unwrap();
            if stored >= acknowledged || ended.elapsed() > Duration::from_secs(30) {
                break stored;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        println!("  POST /v1/usage (1000/batch) {:>9.0} events/s  ({acknowledged} acknowledged; {stored} stored {} ms after the load ended)", reports * 1000.0, ended.elapsed().as_millis());

        // The docs page of the largest shared OpenAPI document, drawn on the server.
        let largest = std::fs::read_dir(keyport_core::openapi::shared_openapi_fixtures())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "json")))
            .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
            .expect("a fixture");
        let imported = keyport(&server.dir, &["docs", "import", largest.to_str().unwrap()]).output().unwrap();
        assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
        let bytes = std::fs::read(&largest).unwrap();
        let rounds = 20;
        let started = Instant::now();
        let mut operations = 0;
        for _ in 0..rounds {
            let doc = keyport_core::openapi::check_document(&bytes).unwrap();
            operations = keyport_core::openapi::reference(&doc.json, &base).groups.iter().map(|g| g.operations.len()).sum::<usize>();
        }
        let built_ms = started.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
        let (pages, page_ms) = page_load(&format!("{base}/portal/docs"), &cookie, &server.dir);
        println!(
            "  /portal/docs, largest fixture ({}, {} KB, {operations} operations): {page_ms:.1} ms a page on one connection ({pages:.0} pages/s); checking and building its reference {built_ms:.2} ms (in this process)",
            largest.file_name().unwrap().to_string_lossy(),
            bytes.len() / 1024
        );
    });
}
