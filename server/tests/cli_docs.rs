//! `keyport docs import | list | rollback` and `keyport docs page add | list | remove`, run as the binary an operator runs, on a scratch
//! SQLite data directory, with the shared real-world OpenAPI documents: each imports as the
//! next version, a refused document exits 2 saying where and why and changes nothing, the
//! history rolls back.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");

fn keyport(dir: &Path, args: &[&str]) -> Output {
    Command::new(KEYPORT).env("KEYPORT_DATA_DIR", dir).env("KEYPORT_LOG", "warn").args(args).output().expect("keyport runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The shared fixtures: documents written by others, read where they live (never copied).
fn fixtures() -> PathBuf {
    keyport_core::openapi::shared_openapi_fixtures()
}

#[test]
fn documents_import_as_versions_bad_ones_change_nothing_and_the_history_rolls_back() {
    let dir = std::env::temp_dir().join(format!("keyport-cli-docs-{}", std::process::id()));
    let d = dir.as_path();
    let none = keyport(d, &["docs", "list"]);
    assert!(out(&none).contains("No document imported yet"), "{}", out(&none));
    assert_eq!(keyport(d, &["docs", "rollback"]).status.code(), Some(2), "nothing to roll back");

    // Every shared document imports, each as the next version.
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures()).unwrap().map(|e| e.unwrap().path()).filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "json"))).collect();
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    for (i, f) in files.iter().enumerate() {
        let o = keyport(d, &["docs", "import", f.to_str().unwrap()]);
        assert!(o.status.success(), "{}: {}", f.display(), err(&o));
        assert!(out(&o).starts_with(&format!("Imported version {}:", i + 1)), "{}", out(&o));
    }
    let n = files.len();
    let list = out(&keyport(d, &["docs", "list"]));
    assert_eq!(list.lines().count(), n);
    assert!(list.lines().next().unwrap().starts_with(&format!("* v{n}")), "the newest is in effect:\n{list}");

    // The same document again: nothing to do. A refused one: where and why, exit 2.
    let again = keyport(d, &["docs", "import", files[n - 1].to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(err(&again).contains("already in effect"), "{}", err(&again));
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "openapi: 3.0.3\ninfo: {title: Broken, version: '1'}\npaths:\n  /pets:\n    get: {summary: no responses}\n").unwrap();
    let refused = keyport(d, &["docs", "import", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(err(&refused).contains("at /paths/~1pets/get/responses: missing"), "{}", err(&refused));
    assert!(err(&refused).contains("nothing changed"), "{}", err(&refused));
    std::fs::write(&bad, "swagger: '2.0'\ninfo: {title: Old, version: '1'}\npaths: {}\n").unwrap();
    assert!(err(&keyport(d, &["docs", "import", bad.to_str().unwrap()])).contains("Swagger 2.0"));
    assert_eq!(keyport(d, &["docs", "import", "/nonexistent/openapi.yaml"]).status.code(), Some(2));
    assert_eq!(out(&keyport(d, &["docs", "list"])).lines().count(), n, "no version was added");

    // Back one version, then to the first; a version that does not exist is refused.
    let back = keyport(d, &["docs", "rollback"]);
    assert!(back.status.success(), "{}", err(&back));
    assert!(out(&back).starts_with(&format!("Version {} ", n - 1)), "{}", out(&back));
    assert!(out(&keyport(d, &["docs", "rollback", "--to", "1"])).starts_with("Version 1 "));
    assert_eq!(keyport(d, &["docs", "rollback"]).status.code(), Some(2), "version 1 is the first");
    let missing = keyport(d, &["docs", "rollback", "--to", "9999"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(err(&missing).contains("there is no version 9999"), "{}", err(&missing));
    let list = out(&keyport(d, &["docs", "list"]));
    assert_eq!(list.lines().filter(|l| l.starts_with('*')).count(), 1, "exactly one in effect:\n{list}");
    assert!(list.lines().last().unwrap().starts_with("* v1 "), "{list}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn guides_are_added_replaced_ordered_and_removed_and_bad_ones_change_nothing() {
    let dir = std::env::temp_dir().join(format!("keyport-cli-guides-{}", std::process::id()));
    let d = dir.as_path();
    let _ = std::fs::remove_dir_all(d);
    std::fs::create_dir_all(d).unwrap();
    let md = dir.join("start.md");
    std::fs::write(&md, "# Getting started\n\nCall `GET /payments` with your **test** key.\n").unwrap();
    let f = md.to_str().unwrap();
    assert!(out(&keyport(d, &["docs", "page", "list"])).starts_with("No guides yet"));

    let added = keyport(d, &["docs", "page", "add", "--title", "Getting started", "--file", f]);
    assert!(added.status.success(), "{}", err(&added));
    assert!(out(&added).contains("Added guide “Getting started” (position 0)") && out(&added).contains("#guide-getting-started"), "{}", out(&added));
    let second = keyport(d, &["docs", "page", "add", "--title", "Webhooks & retries", "--file", f]);
    assert!(out(&second).contains("(position 1)") && out(&second).contains("#guide-webhooks-retries"), "{}", out(&second));
    // The same title again replaces the guide, keeping its place unless told.
    std::fs::write(&md, "Version two.\n").unwrap();
    let replaced = keyport(d, &["docs", "page", "add", "--title", "Getting Started", "--file", f, "--position", "5"]);
    assert!(out(&replaced).starts_with("Replaced guide “Getting Started” (position 5)"), "{}", out(&replaced));
    let list = out(&keyport(d, &["docs", "page", "list"]));
    let slugs: Vec<&str> = list.lines().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(slugs, ["webhooks-retries", "getting-started"], "by position:\n{list}");

    // Refusals: exit 2, a reason, nothing changed.
    let empty = dir.join("empty.md");
    std::fs::write(&empty, "  \n").unwrap();
    let binary = dir.join("binary.md");
    std::fs::write(&binary, [0xffu8, 0xfe, 0x00, 0x41]).unwrap();
    let big = dir.join("big.md");
    std::fs::write(&big, "a".repeat(300 * 1024)).unwrap();
    let long_title = "t".repeat(121);
    for (args, reason) in [
        (vec!["--title", "  ", "--file", f], "--title: a guide needs a title"),
        (vec!["--title", long_title.as_str(), "--file", f], "at most 120 characters"),
        (vec!["--title", "Empty", "--file", empty.to_str().unwrap()], "the guide is empty"),
        (vec!["--title", "Binary", "--file", binary.to_str().unwrap()], "not UTF-8 text"),
        (vec!["--title", "Big", "--file", big.to_str().unwrap()], "at most 256 KB"),
        (vec!["--title", "Missing", "--file", "/nonexistent/guide.md"], "/nonexistent/guide.md"),
        (vec!["--title", "Far", "--file", f, "--position=-1"], "--position: a position is a whole number"),
    ] {
        let o = keyport(d, &[&["docs", "page", "add"][..], &args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains(reason), "{args:?}: {}", err(&o));
    }
    assert_eq!(out(&keyport(d, &["docs", "page", "list"])), list, "nothing changed");

    let removed = keyport(d, &["docs", "page", "remove", "webhooks-retries"]);
    assert!(out(&removed).contains("Removed guide “Webhooks & retries”"), "{}", err(&removed));
    let gone = keyport(d, &["docs", "page", "remove", "webhooks-retries"]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(err(&gone).contains("no guide has this slug"), "{}", err(&gone));
    assert_eq!(out(&keyport(d, &["docs", "page", "list"])).lines().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
