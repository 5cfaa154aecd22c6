//! `keyport plans list | create | update | archive | default | assign`, run as the binary an
//! operator runs, on a scratch SQLite data directory: the default Free plan comes from
//! KEYPORT_MONTHLY_QUOTA, bad terms exit 2 and change nothing, archived plans stay listed.

use std::path::Path;
use std::process::{Command, Output};

const KEYPORT: &str = env!("CARGO_BIN_EXE_keyport");

fn keyport(dir: &Path, args: &[&str]) -> Output {
    Command::new(KEYPORT).env("KEYPORT_DATA_DIR", dir).env("KEYPORT_LOG", "warn").env("KEYPORT_MONTHLY_QUOTA", "2500").args(args).output().expect("keyport runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn plans_are_created_changed_archived_and_bad_terms_change_nothing() {
    let dir = std::env::temp_dir().join(format!("keyport-cli-plans-{}", std::process::id()));
    let d = dir.as_path();
    let list = out(&keyport(d, &["plans", "list"]));
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.starts_with("free ") && list.contains("2,500") && list.contains("stop") && list.contains("default"), "{list}");
    assert!(list.contains("live_keys request_log usage_export"), "the default plan has every feature:\n{list}");

    let made = keyport(d, &["plans", "create", "pro", "--name", "Pro", "--price", "49", "--included", "1,000,000", "--overage", "0.50", "--ratelimit-cap", "600", "--features", "live_keys,request_log,api_advanced", "--trial-days", "14"]);
    assert!(made.status.success(), "{}", err(&made));
    assert!(out(&made).contains("USD 49.00") && out(&made).contains("USD 0.50/1000") && out(&made).contains("api_advanced live_keys request_log"), "{}", out(&made));

    // Refusals: exit 2, a reason naming the option, and nothing changed.
    for (args, says) in [
        (vec!["plans", "create", "pro", "--name", "Again", "--included", "1"], "already exists"),
        (vec!["plans", "create", "Bad Id", "--name", "X", "--included", "1"], "not a plan id"),
        (vec!["plans", "create", "team", "--name", "Team"], "--included"),
        (vec!["plans", "update", "pro", "--price", "49.999"], "decimal places"),
        (vec!["plans", "update", "pro", "--overage", "lots"], "overage"),
        (vec!["plans", "update", "pro", "--features", "Not OK"], "not a feature name"),
        (vec!["plans", "update", "nope", "--price", "1"], "no such plan"),
        (vec!["plans", "archive", "free"], "default plan"),
        (vec!["plans", "default", "nope"], "no such plan"),
    ] {
        let o = keyport(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains(says), "{args:?}: {}", err(&o));
    }
    let after = out(&keyport(d, &["plans", "list"]));
    assert_eq!(after.lines().count(), 2);
    assert!(after.contains("USD 49.00") && after.contains("USD 0.50/1000"), "the refused updates changed nothing:\n{after}");

    let changed = keyport(d, &["plans", "update", "pro", "--price", "59.00", "--overage", "stop"]);
    assert!(changed.status.success(), "{}", err(&changed));
    assert!(out(&changed).contains("USD 59.00") && out(&changed).contains(" stop "), "{}", out(&changed));
    assert!(keyport(d, &["plans", "default", "pro"]).status.success());
    assert!(keyport(d, &["plans", "archive", "free"]).status.success(), "no longer the default: it can be archived");
    let o = keyport(d, &["plans", "assign", "--team", "team_nope", "free"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let last = out(&keyport(d, &["plans", "list"]));
    assert!(last.lines().any(|l| l.starts_with("free ") && l.contains("archived")), "{last}");
    assert!(last.lines().any(|l| l.starts_with("pro ") && l.contains("default")), "{last}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn invoice_commands_refuse_what_is_not_there_and_close_an_empty_month() {
    let dir = std::env::temp_dir().join(format!("keyport-cli-invoices-{}", std::process::id()));
    let d = dir.as_path();
    let list = keyport(d, &["invoices", "list"]);
    assert!(list.status.success(), "{}", err(&list));
    assert_eq!(out(&list).trim(), "No invoices.");
    for (args, says) in [
        (vec!["invoices", "show", "INV-000007"], "no such invoice"),
        (vec!["invoices", "pay", "7", "--note", "transfer"], "no such invoice"),
        (vec!["invoices", "void", "7", "--reason", "typo"], "no such invoice"),
        (vec!["invoices", "list", "--status", "late"], "--status"),
        (vec!["invoices", "issue", "--team", "team_nope"], "no team"),
    ] {
        let o = keyport(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains(says), "{args:?}: {}", err(&o));
    }
    // Malformed numbers and a credit without a reissue are refused by the parser (exit 2).
    for args in [vec!["invoices", "show", "seven"], vec!["invoices", "void", "1", "--reason", "x", "--credit", "5"], vec!["invoices", "void", "1"]] {
        let o = keyport(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
    }
    let close = keyport(d, &["invoices", "close"]);
    assert!(close.status.success(), "{}", err(&close));
    assert_eq!(out(&close).trim(), "0 invoices issued.");
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn products_are_created_listed_and_bad_terms_exit_2() {
    let dir = std::env::temp_dir().join(format!("keyport-cli-products-{}", std::process::id()));
    let d = dir.as_path();
    let run = |args: &[&str]| Command::new(KEYPORT).env("KEYPORT_DATA_DIR", d).env("KEYPORT_LOG", "warn").args(args).output().expect("keyport runs");
    assert_eq!(out(&run(&["products", "list"])).trim(), "No products: every scope is open to every key.");
    let made = run(&["products", "create", "payments", "--name", "Payments API", "--scopes", "payments:read,payments:write", "--visibility", "on_request", "--docs", "/portal/docs#tag-payments"]);
    assert!(made.status.success(), "{}", err(&made));
    assert!(out(&made).contains("on_request") && out(&made).contains("payments:read payments:write"), "{}", out(&made));
    for (args, says) in [
        (vec!["products", "create", "payments", "--name", "Again", "--scopes", "payments:read"], "already exists"),
        (vec!["products", "create", "x", "--name", "X", "--scopes", "nope:scope"], "scopes"),
        (vec!["products", "create", "y", "--name", "Y"], "scopes"),
        (vec!["products", "update", "payments", "--visibility", "secret"], "visibility"),
        (vec!["products", "update", "payments", "--plans", "nope"], "no plan"),
        (vec!["products", "update", "payments", "--docs", "https://elsewhere.example"], "docs"),
        (vec!["products", "approve", "pa_nope"], "no such product or request"),
        (vec!["products", "deny", "pa_nope", "--reason", "no"], "no such product or request"),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains(says), "{args:?}: {}", err(&o));
    }
    assert_eq!(out(&run(&["products", "requests"])).trim(), "No requests waiting.");
    assert!(run(&["products", "archive", "payments"]).status.success());
    assert!(out(&run(&["products", "list"])).contains("(archived)"));
    let _ = std::fs::remove_dir_all(d);
}
