//! A flood of made-up operator tokens against the real binary: each is refused, the server's
//! memory stays flat, and the node reads its tokens table at most ten times a second for all
//! of them together (stated in `tokens.rs`; here the refusals are counted and the RSS read).

use futures::StreamExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");
// 50,000 here (about 15 s against the debug build); 200,000 measured by hand, see the README.
const FLOOD: usize = 50_000;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_random_tokens_leave_memory_flat() {
    let dir = std::env::temp_dir().join(format!("keyport-flood-{}", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(KEYPORT)
        .env("KEYPORT_DATA_DIR", &dir).env("KEYPORT_LOG", "warn").env("KEYPORT_SITE_ROOT", &dir)
        .env("KEYPORT_LISTEN", format!("127.0.0.1:{port}"))
        .arg("serve").spawn().expect("start keyport");
    let pid = child.id();
    let _server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while !client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(started.elapsed() < Duration::from_secs(20), "keyport did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let send = |n: usize| {
        let client = client.clone();
        let url = format!("{base}/v1/keys/verify");
        async move {
            futures::stream::iter(0..n)
                .map(|_| {
                    let token = format!("kpr_{}", keyport_core::crypto::random_base62(40));
                    client.post(&url).bearer_auth(token).header("content-type", "application/json").body("{\"key\":\"kp_live_x\"}").send()
                })
                .buffer_unordered(32)
                .filter(|r| futures::future::ready(r.as_ref().is_ok_and(|r| r.status() == reqwest::StatusCode::UNAUTHORIZED)))
                .count()
                .await
        }
    };
    // Warm up the allocator and connections, then measure.
    assert_eq!(send(5_000).await, 5_000);
    let before = rss_kb(pid);
    let refused = send(FLOOD).await;
    let after = rss_kb(pid);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(refused, FLOOD, "every made-up token is refused");
    assert!(before > 0, "the server's memory is readable");
    assert!(after < before + 8 * 1024, "memory grew from {before} kB to {after} kB");
    println!("RSS {before} kB before {FLOOD} random tokens, {after} kB after, in {:.1} s", started.elapsed().as_secs_f64());
}
