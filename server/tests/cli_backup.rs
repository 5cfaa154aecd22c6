//! `keyport backup` and `keyport restore`, run as the operator runs them on a scratch SQLite
//! data directory: a backup taken while a node serves restores the state it saw; restore
//! refuses while a node serves, refuses files that are not intact Keyport databases (changing
//! nothing), keeps the database it replaces; PostgreSQL is sent to pg_dump.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");

fn keyport(dir: &Path, args: &[&str]) -> Output {
    Command::new(KEYPORT).env("KEYPORT_DATA_DIR", dir).env("KEYPORT_LOG", "warn").env_remove("KEYPORT_DATABASE_URL").args(args).output().expect("keyport runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn app_name(dir: &Path) -> String {
    String::from_utf8_lossy(&keyport(dir, &["settings", "get", "portal.app_name"]).stdout).trim().to_owned()
}

#[test]
fn a_backup_taken_while_serving_restores_what_it_saw_and_restore_waits_for_every_node_to_stop() {
    let dir = std::env::temp_dir().join(format!("keyport-cli-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.as_path();
    assert!(keyport(d, &["settings", "set", "portal.app_name", "Before"]).status.success());

    // A node serving the file while the backup is taken.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut node = Command::new(KEYPORT)
        .arg("serve")
        .env("KEYPORT_DATA_DIR", d)
        .env("KEYPORT_LOG", "warn")
        .env("KEYPORT_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("KEYPORT_DEMO")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the node listens");
        std::thread::sleep(Duration::from_millis(50));
    }
    let file = dir.join("backup-1.db");
    let b = keyport(d, &["backup", file.to_str().unwrap()]);
    assert!(b.status.success(), "{}", text(&b));
    assert!(text(&b).contains("checked intact"), "{}", text(&b));
    let again = keyport(d, &["backup", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "never overwrites: {}", text(&again));
    assert!(keyport(d, &["settings", "set", "portal.app_name", "After"]).status.success());
    let busy = keyport(d, &["restore", file.to_str().unwrap()]);
    assert_eq!(busy.status.code(), Some(2), "{}", text(&busy));
    assert!(text(&busy).contains("stop every node first"), "{}", text(&busy));
    let _ = node.kill();
    let _ = node.wait();
    assert_eq!(app_name(d), "After", "the refused restore changed nothing");

    // Files that are not intact Keyport databases are refused, changing nothing.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"not a database at all, just bytes").unwrap();
    let empty = dir.join("empty.db");
    // An SQLite database, but not Keyport's.
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", empty.display())).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (x INTEGER)").await.unwrap();
        db.close().await.unwrap();
    });
    for bad in [junk.as_path(), dir.join("missing.db").as_path(), empty.as_path()] {
        let o = keyport(d, &["restore", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}: {}", bad.display(), text(&o));
    }
    assert_eq!(app_name(d), "After");

    let r = keyport(d, &["restore", file.to_str().unwrap()]);
    assert!(r.status.success(), "{}", text(&r));
    assert!(text(&r).contains("kept as"), "{}", text(&r));
    assert_eq!(app_name(d), "Before", "the state the backup saw");
    let kept = std::fs::read_dir(d).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().contains(".before-restore-")).count();
    assert!(kept >= 1, "the replaced database is kept");

    // PostgreSQL is backed up with its own tools.
    let pg = Command::new(KEYPORT)
        .args(["backup", "/tmp/never-written.db"])
        .env("KEYPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        .env("KEYPORT_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(pg.status.code(), Some(2));
    assert!(text(&pg).contains("pg_dump"), "{}", text(&pg));
    let _ = std::fs::remove_dir_all(&dir);
}
