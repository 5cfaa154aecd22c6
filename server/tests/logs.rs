//! `KEYPORT_LOG_FORMAT=json`: the binary's log is one JSON object a line, and every line
//! logged while a request is served names its request id — the proxy's `X-Request-Id` when it
//! sent a usable one, else a new one — which the response carries too.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    let dir = std::env::temp_dir().join(format!("keyport-logs-{}", std::process::id()));
    let bad = Command::new(KEYPORT).arg("serve").env("KEYPORT_DATA_DIR", &dir).env("KEYPORT_LOG_FORMAT", "xml").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("KEYPORT_LOG_FORMAT must be text or json"));

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut node = Command::new(KEYPORT)
        .arg("serve")
        .env("KEYPORT_DATA_DIR", &dir)
        .env("KEYPORT_LISTEN", format!("127.0.0.1:{port}"))
        .env("KEYPORT_LOG_FORMAT", "json")
        .env("KEYPORT_LOG", "info,tower_http=debug,sqlx=warn,sea_orm=warn")
        .env_remove("KEYPORT_DEMO")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = node.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let res = loop {
        match client.get(format!("http://127.0.0.1:{port}/healthz")).header("x-request-id", "trace-me-123").send().await {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("the node never answered: {e}"),
        }
    };
    assert_eq!(res.headers()["x-request-id"], "trace-me-123");
    let made = client.get(format!("http://127.0.0.1:{port}/healthz")).header("x-request-id", "no spaces allowed").send().await.unwrap();
    let made = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(made.len() == 32 && made.bytes().all(|b| b.is_ascii_hexdigit()), "a new id for an unusable one: {made}");

    let mut lines = Vec::new();
    let mut mine = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while mine.len() < 2 || !lines.iter().any(|l: &serde_json::Value| l.to_string().contains(&made)) {
        let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else { break };
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not one JSON object a line ({e}): {line}"));
        if v["span"]["request_id"] == "trace-me-123" {
            mine.push(v.clone());
        }
        lines.push(v);
    }
    let _ = node.kill();
    let _ = node.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(mine.len() >= 2, "the request's lines (started, finished) name its id: {lines:#?}");
    assert!(mine.iter().all(|l| l["span"]["path"] == "/healthz" && l["level"].is_string()), "{mine:#?}");
    assert!(lines.iter().any(|l| l.to_string().contains(&made)), "the made-up id is logged too");
}
