//! `keyport settings list | get | set | unset`, run as the binary an operator runs, on a
//! scratch SQLite data directory: good values round-trip, bad ones exit 2 naming the setting
//! and change nothing.

use std::path::Path;
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

#[test]
fn settings_round_trip_through_the_cli_and_bad_values_exit_2_changing_nothing() {
    let dir = std::env::temp_dir().join(format!("keyport-cli-settings-{}", std::process::id()));
    let d = dir.as_path();
    let set = keyport(d, &["settings", "set", "custom.primary_color", "#4F46E5"]);
    assert!(set.status.success(), "{}", err(&set));
    assert!(out(&set).starts_with("custom.primary_color = #4f46e5"), "{}", out(&set));
    assert_eq!(out(&keyport(d, &["settings", "get", "custom.primary_color"])).trim(), "#4f46e5");

    for (key, value, says) in [
        ("custom.primary_color", "blue", "custom.primary_color: expected a colour"),
        ("custom.logo_url", "javascript:alert(1)", "custom.logo_url:"),
        ("custom.support_email", "nobody", "custom.support_email:"),
        ("keys.max_ratelimit", "lots", "keys.max_ratelimit: expected a whole number"),
        ("signup.mode", "sometimes", "signup.mode: expected one of open, invite_only, closed"),
        ("custom.portal_css", "@import url(https://evil.example/x.css);", "custom.portal_css: @import is not allowed"),
        ("portal.nonsense", "1", "portal.nonsense: no such setting"),
        ("signup.fields", r#"[{"name":"Company","label":"Company"}]"#, "signup.fields: question 1: the name \"Company\" must be"),
        ("signup.fields", r#"[{"name":"use_case","label":"Use","type":"choice"}]"#, "signup.fields: question 1 (\"use_case\"): a choice question needs choices"),
        ("signup.fields", "company", "signup.fields: expected a JSON array"),
    ] {
        let o = keyport(d, &["settings", "set", key, value]);
        assert_eq!(o.status.code(), Some(2), "{key}={value}: {}", err(&o));
        assert!(err(&o).contains(says), "{key}: {}", err(&o));
    }
    assert_eq!(out(&keyport(d, &["settings", "get", "custom.primary_color"])).trim(), "#4f46e5", "nothing changed");
    assert_eq!(out(&keyport(d, &["settings", "get", "signup.fields"])).trim(), "[]", "no questions were stored");
    let fields = keyport(d, &["settings", "set", "signup.fields", r#"[ {"name": "company", "label": "Company", "required": true} ]"#]);
    assert!(fields.status.success(), "{}", err(&fields));
    assert_eq!(
        out(&keyport(d, &["settings", "get", "signup.fields"])).trim(),
        r#"[{"name":"company","label":"Company","required":true,"type":"text"}]"#,
        "stored as compact JSON"
    );
    assert_eq!(keyport(d, &["settings", "get", "portal.nonsense"]).status.code(), Some(2));

    let sealed = keyport(d, &["settings", "set", "portal.app_name", "Acme Developers", "--encrypted"]);
    assert!(sealed.status.success(), "{}", err(&sealed));
    assert!(!out(&sealed).contains("Acme"), "an encrypted value is not echoed: {}", out(&sealed));
    let list = out(&keyport(d, &["settings", "list"]));
    let line = |key: &str| list.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_owned();
    assert!(line("portal.app_name").contains("<encrypted>") && line("portal.app_name").contains("stored"), "{list}");
    assert!(line("custom.primary_color").contains("#4f46e5"), "{list}");
    assert!(line("keys.max_per_team").contains("default"), "{list}");

    let unset = keyport(d, &["settings", "unset", "custom.primary_color"]);
    assert!(unset.status.success() && out(&unset).contains("back to its default"), "{}", out(&unset));
    assert_eq!(out(&keyport(d, &["settings", "get", "custom.primary_color"])).trim(), "");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keyport_demo_reads_the_usual_spellings_with_and_without_serve() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("keyport-cli-demo-{}", std::process::id()));
    for args in [&[][..], &["serve"][..]] {
        let o = Command::new(KEYPORT).env("KEYPORT_DATA_DIR", &dir).env("KEYPORT_LOG", "warn").env("KEYPORT_DEMO", "maybe").args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains("not a yes or no") || err(&o).contains("maybe"), "{args:?}: {}", err(&o));
    }
    // `1` (as the README offers it) starts the demo under `serve` too (a fresh data directory
    // each time, so the demo is loaded and says so on stderr).
    for (i, (args, value)) in [(&["serve"][..], "1"), (&[][..], "yes")].into_iter().enumerate() {
        let mut child = Command::new(KEYPORT)
            .env("KEYPORT_DATA_DIR", dir.join(i.to_string()))
            .env("KEYPORT_LOG", "warn")
            .env("KEYPORT_LISTEN", "127.0.0.1:0")
            .env("KEYPORT_DEMO", value)
            .args(args)
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut seen = Vec::new();
        let loading = loop {
            match rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
                Ok(line) if line.contains("Simulating 30 days") => break true,
                Ok(line) => seen.push(line),
                Err(_) => break false,
            }
        };
        let _ = child.kill();
        let _ = child.wait();
        assert!(loading, "KEYPORT_DEMO={value} {args:?} did not load the demo: {seen:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
