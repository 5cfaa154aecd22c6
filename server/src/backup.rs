//! `keyport backup FILE` and `keyport restore FILE` for the embedded SQLite database.
//!
//! A backup is SQLite's `VACUUM INTO`: one consistent snapshot, taken while nodes keep
//! serving (readers and writers go on; the snapshot sees the last committed state), checked
//! with `PRAGMA integrity_check` before it is reported. A restore needs every node stopped:
//! each serving process holds a shared lock on `<database>.serving`, and restore takes it
//! exclusively or refuses. It checks the file (a Keyport database, intact, not from a newer
//! version), keeps the current database beside it as `<database>.before-restore-<time>`, and
//! moves the backup in by a rename, so a failure at any point loses nothing.
//! PostgreSQL is backed up with its own tools (`pg_dump`), which the refusal names.

use std::fs::File;
use std::path::{Path, PathBuf};

/// Why a backup or restore was refused, for the operator.
#[derive(Debug)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

fn refuse<T>(m: impl Into<String>) -> Result<T, Box<dyn std::error::Error>> {
    Err(Box::new(Refusal(m.into())))
}

/// The file of an SQLite URL (`sqlite://path?mode=rwc`, `sqlite:path`), or `None` for
/// another database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".serving");
    PathBuf::from(p)
}

/// Held by a serving process for its lifetime (a shared lock: many nodes may serve one file).
pub struct ServingLock(#[allow(dead_code)] File);

/// Takes the shared serving lock of an SQLite database (nothing for another database).
pub fn hold_serving_lock(url: &str) -> std::io::Result<Option<ServingLock>> {
    let Some(db) = sqlite_file(url) else { return Ok(None) };
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(lock_path(&db))?;
    f.lock_shared()?;
    Ok(Some(ServingLock(f)))
}

fn pg_hint() -> String {
    "the database is PostgreSQL: back it up with its own tools while Keyport serves — pg_dump -Fc \"$KEYPORT_DATABASE_URL\" > keyport.dump — and restore with every node stopped: pg_restore --clean --if-exists -d \"$KEYPORT_DATABASE_URL\" keyport.dump".into()
}

fn quoted(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "''"))
}

/// What a database file holds: its integrity and how far it is behind this build.
async fn inspect(file: &Path) -> Result<i64, Box<dyn std::error::Error>> {
    use sea_orm::ConnectionTrait;
    // Opened read-only and as it is (the portal's connection settings would switch it to WAL).
    let url = format!("sqlite://{}?mode=ro", file.display());
    let db = match sea_orm::Database::connect(url).await {
        Ok(db) => db,
        Err(e) => return refuse(format!("{} is not an SQLite database Keyport can open: {e}", file.display())),
    };
    let ok = db
        .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA integrity_check"))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get_by_index::<String>(0).ok());
    if ok.as_deref() != Some("ok") {
        return refuse(format!("{} is not an intact SQLite database (integrity check: {})", file.display(), ok.unwrap_or_else(|| "unreadable".into())));
    }
    let behind = match keyport_core::services::migrations_behind(&db).await {
        Ok(b) => b,
        Err(e) => return refuse(format!("{} could not be read as a Keyport database: {e}", file.display())),
    };
    let known = db.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "SELECT COUNT(*) FROM seaql_migrations")).await.ok().flatten();
    if known.is_none() {
        return refuse(format!("{} is not a Keyport database (it has no migrations table)", file.display()));
    }
    db.close().await.ok();
    Ok(behind)
}

/// `keyport backup FILE`.
pub async fn backup(database_url: &str, to: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use sea_orm::ConnectionTrait;
    let Some(_) = sqlite_file(database_url) else { return refuse(pg_hint()) };
    if to.exists() {
        return refuse(format!("{} exists: give a new file (a backup never overwrites one)", to.display()));
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return refuse(format!("{} is not a directory", dir.display()));
        }
    }
    let db = keyport_core::services::connect(database_url).await?;
    db.execute_unprepared(&format!("VACUUM INTO {}", quoted(to))).await?;
    db.close().await.ok();
    match inspect(to).await {
        Ok(behind) if behind == 0 => {}
        Ok(behind) => return refuse(format!("the backup at {} is {behind} migration(s) behind this version: run keyport migrate first", to.display())),
        Err(e) => {
            let _ = std::fs::remove_file(to);
            return Err(e);
        }
    }
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!("Backed up to {} ({} KB), checked intact.", to.display(), size.div_ceil(1024));
    Ok(())
}

/// `keyport restore FILE`: every node must be stopped.
pub async fn restore(database_url: &str, from: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let Some(db_file) = sqlite_file(database_url) else { return refuse(pg_hint()) };
    if !from.is_file() {
        return refuse(format!("{} is not a file", from.display()));
    }
    let behind = inspect(from).await?;
    if behind < 0 {
        return refuse(format!("{} was made by a newer Keyport ({} migration(s) this version does not know): restore it with that version", from.display(), -behind));
    }
    if let Some(dir) = db_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(lock_path(&db_file))?;
    if lock.try_lock().is_err() {
        return refuse(format!("a Keyport process is serving {}: stop every node first, then restore", db_file.display()));
    }
    // Copy next to the database first (same file system), then swap by renames.
    let mut incoming = db_file.as_os_str().to_owned();
    incoming.push(".restoring");
    let incoming = PathBuf::from(incoming);
    std::fs::copy(from, &incoming)?;
    File::open(&incoming)?.sync_all()?;
    let kept = if db_file.exists() {
        let mut k = db_file.as_os_str().to_owned();
        k.push(format!(".before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
        let k = PathBuf::from(k);
        std::fs::rename(&db_file, &k)?;
        for side in ["-wal", "-shm"] {
            let mut s = db_file.as_os_str().to_owned();
            s.push(side);
            let s = PathBuf::from(s);
            if s.exists() {
                let mut t = k.as_os_str().to_owned();
                t.push(side);
                std::fs::rename(&s, PathBuf::from(t))?;
            }
        }
        Some(k)
    } else {
        None
    };
    std::fs::rename(&incoming, &db_file)?;
    drop(lock);
    println!("Restored {} from {}.", db_file.display(), from.display());
    if let Some(k) = kept {
        println!("The database it replaced is kept as {}.", k.display());
    }
    if behind > 0 {
        println!("It is {behind} migration(s) behind this version: they are applied when Keyport next starts.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file_and_others_none() {
        assert_eq!(sqlite_file("sqlite://data/keyport.db?mode=rwc"), Some(PathBuf::from("data/keyport.db")));
        assert_eq!(sqlite_file("sqlite:///var/lib/keyport/k.db"), Some(PathBuf::from("/var/lib/keyport/k.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
