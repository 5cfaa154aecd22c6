//! Several `keyport` processes on one database, as a rolling deploy starts them: three nodes
//! started at the same moment on a fresh database all migrate and come up ready
//! (`/readyz`); a node of an older build refuses a database a newer one migrated, saying so.
//! On SQLite by default, on PostgreSQL with `KEYPORT_TEST_DATABASE=postgres` (a fresh
//! database on `KEYPORT_TEST_POSTGRES_URL`'s server).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");

/// A fresh database: its URL, and how to drop it.
struct Db {
    url: String,
    drop_pg: Option<(String, String)>,
    dir: std::path::PathBuf,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_pg.take() {
            // Dropped inside the test's runtime: a runtime of its own, on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    if let Ok(db) = keyport_core::services::connect(&admin).await {
                        let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    }
                });
            })
            .join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn fresh_database(tag: &str) -> Db {
    use sea_orm::ConnectionTrait;
    let id = format!("{tag}_{}_{}", std::process::id(), chrono::Utc::now().timestamp_micros());
    let dir = std::env::temp_dir().join(format!("keyport-nodes-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    if std::env::var("KEYPORT_TEST_DATABASE").as_deref() == Ok("postgres") {
        let admin = std::env::var("KEYPORT_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("keyport_nodes_{id}");
        let db = keyport_core::services::connect(&admin).await.expect("PostgreSQL for tests is reachable");
        db.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
        Db { url, drop_pg: Some((admin, name)), dir }
    } else {
        Db { url: format!("sqlite://{}/keyport.db?mode=rwc", dir.display()), drop_pg: None, dir }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts a node on `db` with its own data directory (the secret is shared, as a cluster's is).
fn node(db: &Db, i: usize, port: u16, secret: &str) -> Child {
    Command::new(KEYPORT)
        .arg("serve")
        .env("KEYPORT_DATABASE_URL", &db.url)
        .env("KEYPORT_DATA_DIR", db.dir.join(format!("node{i}")))
        .env("KEYPORT_LISTEN", format!("127.0.0.1:{port}"))
        .env("KEYPORT_SECRET", secret)
        .env("KEYPORT_LOG", "warn")
        .env_remove("KEYPORT_DEMO")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keyport starts")
}

/// Waits for `/readyz` to answer 200; on a node that exited, its error output.
async fn wait_ready(port: u16, child: &mut Child) -> Result<serde_json::Value, String> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return Err(format!("node exited ({status}): {err}"));
        }
        if let Ok(res) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            let ok = res.status().is_success();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            if ok {
                return Ok(body);
            }
            last = body.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("not ready within 60 s; last answer {last}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_started_at_once_on_a_fresh_database_all_come_up_ready() {
    let db = fresh_database("three").await;
    let secret = keyport_core::crypto::ServerSecret::generate_encoded();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut nodes: Vec<Child> = ports.iter().enumerate().map(|(i, p)| node(&db, i, *p, &secret)).collect();
    let mut outcomes = Vec::new();
    for (p, child) in ports.iter().zip(nodes.iter_mut()) {
        outcomes.push(wait_ready(*p, child).await);
    }
    for n in &mut nodes {
        let _ = n.kill();
        let _ = n.wait();
    }
    for (i, o) in outcomes.iter().enumerate() {
        let body = o.as_ref().unwrap_or_else(|e| panic!("node {i}: {e}"));
        eprintln!("node {i}: {body}");
        assert_eq!(body["ready"], true, "node {i}: {body}");
        assert!(body["failing"].as_array().unwrap().is_empty(), "node {i}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_migrated_by_a_newer_version_is_refused_with_what_it_has() {
    use sea_orm::ConnectionTrait;
    let db = fresh_database("newer").await;
    let migrate = |db: &Db| Command::new(KEYPORT).arg("migrate").env("KEYPORT_DATABASE_URL", &db.url).env("KEYPORT_DATA_DIR", &db.dir).env("KEYPORT_LOG", "warn").output().unwrap();
    let first = migrate(&db);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let conn = keyport_core::services::connect(&db.url).await.unwrap();
    assert_eq!(keyport_core::services::migrations_behind(&conn).await.unwrap(), 0);
    // What a later version would have left behind.
    conn.execute_unprepared("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m9999_from_a_later_version', 0)").await.unwrap();
    assert_eq!(keyport_core::services::migrations_behind(&conn).await.unwrap(), -1);
    let again = migrate(&db);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success());
    assert!(err.contains("migrated by a newer Keyport") && err.contains("m9999_from_a_later_version"), "{err}");
    // A node started on it does not serve either.
    let port = free_port();
    let mut n = node(&db, 0, port, &keyport_core::crypto::ServerSecret::generate_encoded());
    let out = wait_ready(port, &mut n).await;
    let _ = n.kill();
    let _ = n.wait();
    assert!(out.as_ref().is_err_and(|e| e.contains("migrated by a newer Keyport")), "{out:?}");
}
